"""A repository writer commits links, hoping a write-back lands in `.git` or outside the clone
(docs/security.md, "Repository writers").

Every path is walked without following links (`writeback.tree_files`), so each attack ends in a
one-line error naming the path and the link, the store, the sentinel directory outside the clone
and the remote are exactly as before, and a write to another repository in the same cycle
goes through. The cache layout is public (`<key>/trees/<branch-key>` beside `<key>/repo.git`), so
links aim at the store's `config` and `hooks` from where a worktree sits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from image_updater.errors import InvalidWriteBackConfig
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_repo import GitRepoCache
from image_updater.writeback.model import Reader
from tests.hostile.conftest import Cycle, HostileRemote, snapshot

MAIN = TargetBranch(base="main")


def set_tag(tag: str) -> Callable[[str | None], str]:
    return lambda text: f"image:\n  tag: {tag}\n"


def link(seed: Path, path: str, target: str | Path) -> None:
    where = seed / path
    if where.is_dir() and not where.is_symlink():
        for child in where.iterdir():
            child.unlink()
        where.rmdir()
    where.unlink(missing_ok=True)
    where.parent.mkdir(parents=True, exist_ok=True)
    where.symlink_to(target)


# id, links to commit (path → target; "<sentinel>" is replaced by the sentinel dir), the path written,
# the link the error must name
ATTACKS = [
    (
        "file-to-store-config",
        {"apps/guestbook/values.yaml": "../../../../repo.git/config"},
        "apps/guestbook/values.yaml",
        "apps/guestbook/values.yaml",
    ),
    (
        "file-to-worktree-gitfile",
        {"apps/guestbook/values.yaml": "../../.git"},
        "apps/guestbook/values.yaml",
        "apps/guestbook/values.yaml",
    ),
    (
        "dir-to-store-hooks-new-file",
        {"apps/hooks": "../../../repo.git/hooks"},
        "apps/hooks/pre-commit",
        "apps/hooks",
    ),
    (
        "dir-to-outside-absolute",
        {"apps/guestbook": "<sentinel>"},
        "apps/guestbook/values.yaml",
        "apps/guestbook",
    ),
    (
        "new-file-in-dir-linked-outside",
        {"apps/linked": "<sentinel>"},
        "apps/linked/.argocd-source-guestbook.yaml",
        "apps/linked",
    ),
    (
        "chain-of-links-to-outside",
        {
            "apps/guestbook/values.yaml": "hop1",
            "apps/guestbook/hop1": "../hop2",
            "apps/hop2": "<sentinel>/values.yaml",
        },
        "apps/guestbook/values.yaml",
        "apps/guestbook/values.yaml",
    ),
    (
        "link-inside-the-repository",
        {"apps/guestbook/values.yaml": "../shop/values.yaml"},
        "apps/guestbook/values.yaml",
        "apps/guestbook/values.yaml",
    ),
    (
        "dir-link-to-worktree-root",
        {"apps/up": ".."},
        "apps/up/.git",
        "apps/up/.git",  # refused by name before any link is looked at
    ),
]


@pytest.mark.parametrize(("links", "path", "culprit"), [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
async def test_a_write_through_a_committed_link_is_refused_and_others_still_write(
    writer: GitWriter,
    new_remote: Callable[[], HostileRemote],
    auth: HttpsAuth,
    sentinel: Path,
    tmp_path: Path,
    links: dict[str, str],
    path: str,
    culprit: str,
) -> None:
    hostile, other = new_remote(), new_remote()
    await writer.write(
        repo_url=hostile.url, branch=MAIN, auth=auth, edits={"README.md": set_tag("x")}, message="warm"
    )

    def build(seed: Path) -> None:
        for name, target in links.items():
            link(seed, name, target.replace("<sentinel>", str(sentinel)))

    hostile.push_commit(build, root=tmp_path)
    store = writer.cache.repo_dir(hostile.url)
    before = (snapshot(sentinel), snapshot(store / "hooks"), (store / "config").read_bytes(), hostile.tip())

    bad, good = await asyncio.gather(
        writer.write(
            repo_url=hostile.url, branch=MAIN, auth=auth, edits={path: set_tag("6.6.6")}, message="evil"
        ),
        writer.write(
            repo_url=other.url,
            branch=MAIN,
            auth=auth,
            edits={"apps/guestbook/values.yaml": set_tag("1.1.0")},
            message="fine",
        ),
        return_exceptions=True,
    )

    assert isinstance(bad, InvalidWriteBackConfig), bad
    message = str(bad)
    assert "\n" not in message
    assert repr(path) in message
    assert f"symlink {culprit!r}" in message or "points into .git" in message
    after = (snapshot(sentinel), snapshot(store / "hooks"), (store / "config").read_bytes(), hostile.tip())
    assert after == before
    assert not isinstance(good, BaseException)
    assert other.show("apps/guestbook/values.yaml") == "image:\n  tag: 1.1.0\n"


async def test_nothing_is_read_through_a_link_for_the_commit_message(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth, sentinel: Path, tmp_path: Path
) -> None:
    remote.push_commit(
        lambda seed: link(seed, "apps/guestbook/notes.yaml", sentinel / "etc" / "secret"), root=tmp_path
    )
    seen: list[str | None] = []

    def message(read: Reader) -> str:
        seen.append(read("apps/guestbook/notes.yaml"))
        return "m"

    with pytest.raises(
        InvalidWriteBackConfig, match=r"goes through the symlink 'apps/guestbook/notes\.yaml'"
    ):
        await writer.write(
            repo_url=remote.url,
            branch=MAIN,
            auth=auth,
            edits={"apps/guestbook/values.yaml": set_tag("2.0.0")},
            message=message,
        )
    assert seen == []
    assert "TOP-SECRET" not in remote.git("log", "--format=%B", "main")


GIT_SPELLINGS = [
    ".GIT/config",
    ".Git/hooks/pre-commit",
    "apps/sub/.git/config",
    ".git./config",
    ".git /config",
    "git~1/config",
    "GIT~1/hooks/post-checkout",
    ".g\u200cit/config",
    ".git\ufeff/config",
    ".git::$INDEX_ALLOCATION/config",
]


@pytest.mark.parametrize("path", GIT_SPELLINGS, ids=[repr(p) for p in GIT_SPELLINGS])
async def test_every_spelling_of_dot_git_is_refused_before_any_git_runs(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth, path: str
) -> None:
    with pytest.raises(InvalidWriteBackConfig, match=r"points into \.git") as caught:
        await writer.write(
            repo_url=remote.url, branch=MAIN, auth=auth, edits={path: set_tag("1")}, message="x"
        )
    assert repr(path) in str(caught.value)
    assert sum(writer.trace.counts.values()) == 0


async def test_a_planner_naming_dot_git_is_refused(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth
) -> None:
    before = remote.tip()
    with pytest.raises(InvalidWriteBackConfig, match=r"points into \.git"):
        await writer.write(
            repo_url=remote.url,
            branch=MAIN,
            auth=auth,
            edits=lambda read: {"apps/.GIT/config": set_tag("1")},
            message="x",
        )
    assert remote.tip() == before


# ---- end to end: `run --once --applications-dir`, hostile Applications next to good ones ----


def test_directory_mode_hostile_links_fail_their_applications_only(cycle: Cycle, sentinel: Path) -> None:
    store_config = "../../../../../../repo.git/config"  # from apps/evil/k/ in a worktree

    def build(seed: Path) -> None:
        link(seed, "apps/evil/k/kustomization.yaml", store_config)
        link(seed, "apps/evil/outside", str(sentinel))
        link(seed, "apps/evil/values.yaml", str(sentinel / "values.yaml"))

    HostileRemote(bare=cycle.bare, url=cycle.repo_url).push_commit(build, root=cycle.root)
    base = {"image-list": f"api={cycle.host}/org/api", "write-back-method": "git", "git-branch": "main"}
    apps = cycle.applications(
        {
            "evil-kustomization": ("apps/evil/k", {**base, "write-back-target": "kustomization"}),
            "evil-outside": ("apps/evil/outside", {**base, "write-back-target": "kustomization"}),
            "evil-argocd-source": ("apps/evil/outside", base),
            "evil-helm": (
                "apps/evil",
                {**base, "write-back-target": "helmvalues", "api.helm.image-tag": "image.tag"},
            ),
        }
    )
    workdir = cycle.root / "work"
    before = snapshot(sentinel)

    result = cycle.run(apps, workdir)

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    kustomization = "apps/evil/k/kustomization.yaml"
    expected = {
        "evil-kustomization": f"path {kustomization!r} goes through the symlink {kustomization!r}",
        "evil-outside": "goes through the symlink 'apps/evil/outside'",
        "evil-argocd-source": "goes through the symlink 'apps/evil/outside'",  # the source-type probe
        "evil-helm": "'apps/evil/values.yaml' goes through the symlink 'apps/evil/values.yaml'",
    }
    for name, text in expected.items():
        line = next(ln for ln in result.output.splitlines() if f"application argocd/{name}:" in ln)
        assert f"application argocd/{name}: write-back failed: write-back path" in line
        assert text in line, line
    assert snapshot(sentinel) == before
    assert GitRepoCache(workdir).store_intact(cycle.repo_url)  # the store's config is still the one we wrote
    cycle.assert_good_applications_written()  # same cycle, same batched commit on main, and other branches
