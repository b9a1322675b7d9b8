"""GitWriter against a real smart-HTTP server: push, no-op, dry run, conflicts, hooks, concurrency."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from image_updater.errors import GitError, InvalidWriteBackConfig, PushConflict
from image_updater.writeback.git import GitWriter, RetryPolicy
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_cli import GitTrace
from image_updater.writeback.git_commit import Author
from image_updater.writeback.git_edits import Edit
from image_updater.writeback.git_repo import GitRepoCache

if TYPE_CHECKING:
    from conftest import Remote

MAIN = TargetBranch(base="main")


def set_tag(tag: str) -> Edit:
    def edit(text: str | None) -> str | None:
        return f"image:\n  tag: {tag}\n"

    return edit


def keep(text: str | None) -> str | None:
    return text


def assert_linear(remote: Remote, branch: str = "main") -> None:
    assert all(len(parents) <= 1 for _, parents, _ in remote.log(branch))


def push_from_elsewhere(remote: Remote, path: str, text: str) -> None:
    """Another writer: clone, change a file, push (synchronously, with the server's password)."""
    tmp = remote.bare.parent / f".other-{remote.bare.name}"
    subprocess.run(["rm", "-rf", str(tmp)], check=True)
    subprocess.run(["git", "clone", "-q", str(remote.bare), str(tmp)], check=True)
    (tmp / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp / path).write_text(text)
    ident = ["-c", "user.name=other", "-c", "user.email=other@example.com"]
    subprocess.run(["git", "-C", str(tmp), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(tmp), *ident, "commit", "-q", "-m", "someone else"], check=True)
    subprocess.run(["git", "-C", str(tmp), "push", "-q", "origin", "HEAD:main"], check=True)
    subprocess.run(["rm", "-rf", str(tmp)], check=True)


async def test_push_over_http_with_basic_auth(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    result = await writer.write(
        repo_url=remote.http_url,
        branch=MAIN,
        auth=https_auth,
        edits={"apps/guestbook/values.yaml": set_tag("1.1.0")},
        message="build: automatic update of guestbook\n",
    )
    assert result.commit == remote.tip()
    assert result.branch == "main"
    assert "+  tag: 1.1.0" in result.diff
    assert remote.show("apps/guestbook/values.yaml") == "image:\n  tag: 1.1.0\n"
    assert remote.git("log", "-1", "--format=%an <%ae>|%s").strip() == (
        "argocd-image-updater <noreply@argoproj.io>|build: automatic update of guestbook"
    )


@pytest.mark.parametrize(
    ("edits", "why"),
    [
        ({"apps/guestbook/values.yaml": keep}, "edit returns the same text"),
        ({"apps/guestbook/values.yaml": set_tag("1.0.0")}, "edit writes identical content"),
        ({"apps/none.yaml": lambda text: None}, "absent file stays absent"),
    ],
    ids=["unchanged", "identical", "absent-stays-absent"],
)
async def test_nothing_changed_makes_no_commit(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth, edits: dict[str, Edit], why: str
) -> None:
    before = remote.tip()
    result = await writer.write(
        repo_url=remote.http_url, branch=MAIN, auth=https_auth, edits=edits, message="x"
    )
    assert (result.commit, result.diff) == (None, ""), why
    assert remote.tip() == before
    assert writer.trace.counts["push"] == 0


async def test_dry_run_returns_diff_without_committing(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    before = remote.tip()
    result = await writer.write(
        repo_url=remote.http_url,
        branch=MAIN,
        auth=https_auth,
        edits={"apps/shop/values.yaml": set_tag("2.1.0"), "apps/new/values.yaml": set_tag("0.1.0")},
        message="x",
        dry_run=True,
    )
    assert result.commit is None
    assert "-  tag: 2.0.0\n+  tag: 2.1.0" in result.diff
    assert "new file" in result.diff
    assert remote.tip() == before
    assert writer.trace.counts["push"] == 0


async def test_edit_returning_none_deletes_and_author_is_configurable(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    await writer.write(
        repo_url=remote.http_url,
        branch=MAIN,
        auth=https_auth,
        edits={"README.md": lambda text: None},
        message="remove readme",
        author=Author(name="Bot", email="bot@example.com"),
        signoff=True,
    )
    assert "README.md" not in remote.git("ls-tree", "--name-only", "main")
    body = remote.git("log", "-1", "--format=%an <%ae>%n%B")
    assert body.startswith("Bot <bot@example.com>\nremove readme")
    assert "Signed-off-by: Bot <bot@example.com>" in body


async def test_head_base_resolves_to_remote_default_branch(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    result = await writer.write(
        repo_url=remote.http_url,
        branch=TargetBranch(base="HEAD"),
        auth=https_auth,
        edits={"apps/shop/values.yaml": set_tag("2.2.0")},
        message="x",
    )
    assert result.branch == "main"
    assert remote.show("apps/shop/values.yaml") == "image:\n  tag: 2.2.0\n"


async def test_wrong_password_is_a_clear_error_without_the_password(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    wrong = "wr0ng-" + https_auth.password
    with pytest.raises(GitError) as err:
        await writer.write(
            repo_url=remote.http_url,
            branch=MAIN,
            auth=HttpsAuth(username="image-updater-bot", password=wrong),
            edits={"README.md": set_tag("x")},
            message="x",
        )
    message = str(err.value)
    assert "fetch failed" in message
    assert "Authentication failed" in message or "401" in message
    assert wrong not in message
    assert https_auth.password not in message
    assert "\n" not in message


async def test_rejected_push_is_retried_and_keeps_their_commit(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    calls = 0

    def racing_edit(text: str | None) -> str | None:
        nonlocal calls
        calls += 1
        if calls == 1:  # someone else pushes after our fetch, before our push
            push_from_elsewhere(remote, "apps/other.txt", "theirs\n")
        return "image:\n  tag: 1.2.0\n"

    result = await writer.write(
        repo_url=remote.http_url,
        branch=MAIN,
        auth=https_auth,
        edits={"apps/guestbook/values.yaml": racing_edit},
        message="ours",
    )
    assert result.attempts == 2
    assert [subject for _, _, subject in remote.log()] == ["ours", "someone else", "initial"]
    assert remote.show("apps/other.txt") == "theirs\n"
    assert remote.show("apps/guestbook/values.yaml") == "image:\n  tag: 1.2.0\n"
    assert_linear(remote)


async def test_retries_exhausted_is_push_conflict(
    remote: Remote, https_auth: HttpsAuth, tmp_path: Path
) -> None:
    writer = GitWriter(cache=GitRepoCache(tmp_path / "c"), retry=RetryPolicy(attempts=2, base_delay=0.01))
    counter = iter(range(100))

    def always_racing(text: str | None) -> str | None:
        push_from_elsewhere(remote, "race.txt", f"{next(counter)}\n")
        return "ours\n"

    with pytest.raises(PushConflict, match="rejected 2 times"):
        await writer.write(
            repo_url=remote.http_url,
            branch=MAIN,
            auth=https_auth,
            edits={"ours.txt": always_racing},
            message="x",
        )
    assert "ours.txt" not in remote.git("ls-tree", "--name-only", "main")


async def test_pre_receive_refusal_is_reported_and_nothing_is_lost(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    hook = remote.bare / "hooks" / "pre-receive"
    hook.write_text('#!/bin/sh\necho "branch main is protected: open a pull request" >&2\nexit 1\n')
    hook.chmod(0o755)
    before = remote.tip()
    with pytest.raises(GitError) as err:
        await writer.write(
            repo_url=remote.http_url,
            branch=MAIN,
            auth=https_auth,
            edits={"apps/guestbook/values.yaml": set_tag("9.9.9")},
            message="x",
        )
    assert "branch main is protected: open a pull request" in str(err.value)
    assert "pre-receive hook declined" in str(err.value)
    assert remote.tip() == before
    tree = writer.cache.tree_dir(remote.http_url, "main")
    status = subprocess.run(["git", "-C", str(tree), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""
    head = subprocess.run(["git", "-C", str(tree), "rev-parse", "HEAD"], capture_output=True, text=True)
    assert head.stdout.strip() == before
    hook.unlink()
    result = await writer.write(
        repo_url=remote.http_url,
        branch=MAIN,
        auth=https_auth,
        edits={"apps/guestbook/values.yaml": set_tag("9.9.9")},
        message="x",
    )
    assert result.commit == remote.tip()


@pytest.mark.parametrize("shared_writer", [False, True], ids=["separate-processes", "one-writer-with-lock"])
async def test_ten_concurrent_writers_all_land(
    remote: Remote, https_auth: HttpsAuth, tmp_path: Path, shared_writer: bool
) -> None:
    retry = RetryPolicy(attempts=30, base_delay=0.02, max_delay=0.3)
    one = GitWriter(cache=GitRepoCache(tmp_path / "shared"), retry=retry)
    writers = [
        one if shared_writer else GitWriter(cache=GitRepoCache(tmp_path / f"w{i}"), retry=retry)
        for i in range(10)
    ]
    async with asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(
                w.write(
                    repo_url=remote.http_url,
                    branch=MAIN,
                    auth=https_auth,
                    edits={f"apps/app{i}.yaml": set_tag(f"{i}.0.0")},
                    message=f"update app{i}",
                )
            )
            for i, w in enumerate(writers)
        ]
    results = [task.result() for task in tasks]
    subjects = [subject for _, _, subject in remote.log()]
    assert sorted(subjects[:-1]) == sorted(f"update app{i}" for i in range(10))
    assert len(subjects) == 11
    assert_linear(remote)
    for i in range(10):
        assert remote.show(f"apps/app{i}.yaml") == f"image:\n  tag: {i}.0.0\n"
    assert {r.commit for r in results} == {c for c, _, s in remote.log() if s != "initial"}
    if shared_writer:
        assert all(r.attempts == 1 for r in results)
        assert one.locked_branches == 0


@pytest.mark.parametrize(
    "path",
    ["../outside.yaml", "/etc/passwd", ".git/config", "a/../../b", ""],
    ids=["dotdot", "absolute", "dot-git", "nested-dotdot", "empty"],
)
async def test_paths_must_stay_in_the_repository(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth, path: str
) -> None:
    with pytest.raises(InvalidWriteBackConfig, match="write-back path"):
        await writer.write(
            repo_url=remote.http_url, branch=MAIN, auth=https_auth, edits={path: keep}, message="x"
        )
    assert writer.trace.network_operations == 0


async def test_symlink_out_of_the_repository_is_refused(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth, tmp_path: Path
) -> None:
    tmp = tmp_path / "seed"
    subprocess.run(["git", "clone", "-q", str(remote.bare), str(tmp)], check=True)
    (tmp / "escape").symlink_to("/tmp")
    ident = ["-c", "user.name=s", "-c", "user.email=s@example.com"]
    subprocess.run(["git", "-C", str(tmp), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(tmp), *ident, "commit", "-q", "-m", "link"], check=True)
    subprocess.run(["git", "-C", str(tmp), "push", "-q", "origin", "HEAD:main"], check=True)
    with pytest.raises(InvalidWriteBackConfig, match="goes through the symlink 'escape'"):
        await writer.write(
            repo_url=remote.http_url, branch=MAIN, auth=https_auth, edits={"escape/x.yaml": keep}, message="x"
        )


async def test_cache_is_reused_across_cycles(remote: Remote, https_auth: HttpsAuth, tmp_path: Path) -> None:
    trace = GitTrace()
    cache = GitRepoCache(tmp_path / "cache")
    for cycle in range(3):
        writer = GitWriter(cache=cache, trace=trace)  # a new writer per cycle; the disk cache stays
        await writer.write(
            repo_url=remote.http_url,
            branch=MAIN,
            auth=https_auth,
            edits={"apps/shop/values.yaml": set_tag(f"3.{cycle}.0")},
            message=f"cycle {cycle}",
        )
    assert trace.counts["init"] == 1
    assert trace.counts["worktree"] == 2  # prune + add, once
    assert (trace.counts["fetch"], trace.counts["push"], trace.counts["ls-remote"]) == (3, 3, 0)
    assert len(list((tmp_path / "cache").glob("*/repo.git"))) == 1


async def test_failing_edit_leaves_nothing_behind(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    def broken(text: str | None) -> str | None:
        raise InvalidWriteBackConfig("values.yaml: key image.tag is a mapping")

    before = remote.tip()
    edits = {"apps/a.yaml": set_tag("1"), "apps/b.yaml": broken}
    with pytest.raises(InvalidWriteBackConfig, match=r"image\.tag"):
        await writer.write(repo_url=remote.http_url, branch=MAIN, auth=https_auth, edits=edits, message="x")
    tree = writer.cache.tree_dir(remote.http_url, "main")
    status = subprocess.run(["git", "-C", str(tree), "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""
    assert not (tree / "apps/a.yaml").exists()
    assert remote.tip() == before


async def test_lock_is_per_branch_not_per_repository(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    async def write_to(branch: TargetBranch) -> None:
        edits = {"apps/shop/values.yaml": set_tag("8.0.0")}
        await writer.write(repo_url=remote.http_url, branch=branch, auth=https_auth, edits=edits, message="m")

    async with writer.lock(remote.http_url, "main"):
        await asyncio.wait_for(write_to(TargetBranch(base="main", write="other")), 60)  # not blocked
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(write_to(MAIN), 1.0)  # waits for the held lock
    assert remote.show("apps/shop/values.yaml", "other") == "image:\n  tag: 8.0.0\n"
    assert writer.locked_branches == 0
