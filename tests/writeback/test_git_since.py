"""Since when a branch holds a target's value: the oldest commit of the unbroken run of the value
at the tip (first parent, committer times), read from a real HTTP git server with credentials."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest

from image_updater.errors import GitError
from image_updater.refs import parse_image
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_since import value_since
from image_updater.writeback.model import AppTarget, HelmParams, ManifestImage, WriteTarget
from tests.writeback.conftest import Remote

T1, T2, T3 = (dt.datetime(2026, 12, day, 9, 0, tzinfo=dt.UTC) for day in (1, 2, 3))
IMAGE = ManifestImage(alias="x", image=parse_image("nginx:1.0.0"), helm=HelmParams())


def target(path: str = "apps/guestbook/values.yaml") -> AppTarget:
    return AppTarget(
        app_name="guestbook",
        app_namespace="argocd",
        controller_namespace="argocd",
        target=WriteTarget(kind="helmvalues", path="/" + path),
        source_path="apps/guestbook",
        kind="helm",
        images=(IMAGE,),
    )


def push(remote: Remote, tmp_path: Path, commits: list[tuple[str, str, dt.datetime]]) -> None:
    """Commit (path, text) at each time as a person would, then push main."""
    work = tmp_path / "human"
    if not work.exists():
        subprocess.run(["git", "clone", "-q", str(remote.bare), str(work)], check=True)
    for path, text, when in commits:
        (work / path).write_text(text)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S+0000")
        env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        git = ["git", "-C", str(work), "-c", "user.name=Human", "-c", "user.email=h@example.org"]
        subprocess.run([*git, "commit", "-qam", f"set {path}"], check=True, env=env)
    subprocess.run(["git", "-C", str(work), "push", "-q", "origin", "main"], check=True)


VALUES = "image:\n  tag: {}\n"


@pytest.mark.parametrize(
    ("commits", "depth", "expected"),
    [
        pytest.param(
            [("apps/guestbook/values.yaml", VALUES.format("1.1.0"), T1), ("README.md", "x\n", T2)],
            50,
            ("1.1.0", T1),
            id="unrelated-commits-keep-the-run",
        ),
        pytest.param(
            [
                ("apps/guestbook/values.yaml", VALUES.format("1.1.0"), T1),
                ("apps/guestbook/values.yaml", VALUES.format("1.0.0"), T3),
            ],
            50,
            ("1.0.0", T3),
            id="a-revert-starts-a-new-run",
        ),
        pytest.param(
            [
                ("apps/guestbook/values.yaml", VALUES.format("1.1.0"), T1),
                ("README.md", "x\n", T2),
                ("README.md", "y\n", T3),
            ],
            2,
            ("1.1.0", T2),
            id="beyond-the-depth-the-time-is-later-never-earlier",
        ),
    ],
)
async def test_value_since(
    remote: Remote,
    writer: GitWriter,
    https_auth: HttpsAuth,
    tmp_path: Path,
    commits: list[tuple[str, str, dt.datetime]],
    depth: int,
    expected: tuple[str, dt.datetime],
) -> None:
    push(remote, tmp_path, commits)
    found = await value_since(
        writer,
        repo_url=remote.http_url,
        branch="main",
        auth=https_auth,
        target=target(),
        image=IMAGE,
        depth=depth,
    )
    assert found == expected


async def test_a_target_that_does_not_hold_the_image_says_nothing(
    remote: Remote, writer: GitWriter, https_auth: HttpsAuth
) -> None:
    found = await value_since(
        writer,
        repo_url=remote.http_url,
        branch="main",
        auth=https_auth,
        target=target("apps/none/values.yaml"),
        image=IMAGE,
    )
    assert found == (None, None)


async def test_a_missing_branch_is_one_line(remote: Remote, writer: GitWriter, https_auth: HttpsAuth) -> None:
    with pytest.raises(GitError, match="branch 'deploy/nope' does not exist"):
        await value_since(
            writer,
            repo_url=remote.http_url,
            branch="deploy/nope",
            auth=https_auth,
            target=target(),
            image=IMAGE,
        )


async def test_a_write_after_a_history_read_still_works(
    remote: Remote, writer: GitWriter, https_auth: HttpsAuth, tmp_path: Path
) -> None:
    """The history read deepens the shared clone; the writer's depth-1 fetch and push still work."""
    from image_updater.writeback.git_branches import TargetBranch

    push(remote, tmp_path, [("apps/guestbook/values.yaml", VALUES.format("1.1.0"), T1)])
    await value_since(
        writer, repo_url=remote.http_url, branch="main", auth=https_auth, target=target(), image=IMAGE
    )
    result = await writer.write(
        repo_url=remote.http_url,
        branch=TargetBranch(base="main"),
        auth=https_auth,
        edits={"apps/shop/values.yaml": lambda _: VALUES.format("2.1.0")},
        message="build: update",
    )
    assert result.commit is not None
    assert remote.show("apps/shop/values.yaml") == VALUES.format("2.1.0")
