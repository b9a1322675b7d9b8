"""A damaged or foreign clone cache is detected and re-created, never left broken and never
followed (docs/security.md, "Operators"; docs/write-back.md, "The clone cache").

After a first write fills the cache, each case damages it as a crash, a full disk or a hand on
the host would; the next write must still land on the right remote, leave the cache sound
(`store_intact`, `tree_intact`), and leave the sentinel directory (where a link in the cache
points) untouched.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from image_updater.errors import GitError
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_repo import GitRepoCache
from tests.hostile.conftest import HostileRemote, snapshot

MAIN = TargetBranch(base="main")


def set_tag(tag: str) -> dict[str, Callable[[str | None], str]]:
    return {"apps/guestbook/values.yaml": lambda text: f"image:\n  tag: {tag}\n"}


def _tree(cache: GitRepoCache, url: str) -> Path:
    return cache.tree_dir(url, "main")


def _replace(path: Path, by: Callable[[Path], None]) -> None:
    shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
    by(path)


def drop_objects(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    objects = cache.repo_dir(url) / "objects"
    for entry in objects.iterdir():
        if entry.name not in ("info", "pack"):
            shutil.rmtree(entry)
    for pack in (objects / "pack").iterdir():
        pack.unlink()


def truncate_objects(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    for path in (cache.repo_dir(url) / "objects").rglob("*"):
        if path.is_file():
            path.chmod(0o644)
            path.write_bytes(b"")


def garbage_head(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    (cache.repo_dir(url) / "HEAD").write_text("garbage\n")


def no_ready_marker(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    (cache.repo_dir(url) / "image-updater-ready").unlink()  # as an interrupted first run leaves it


def alternates(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    (cache.repo_dir(url) / "objects" / "info" / "alternates").write_text(f"{decoy.bare}/objects\n")


def origin_elsewhere(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    config = cache.repo_dir(url) / "config"
    config.write_text(config.read_text().replace(url, decoy.url))


def store_is_a_link(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    _replace(cache.repo_dir(url), lambda p: p.symlink_to(sentinel))


def tree_is_a_file(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    _replace(_tree(cache, url), lambda p: p.write_text("not a tree\n"))


def tree_is_a_link(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    _replace(_tree(cache, url), lambda p: p.symlink_to(sentinel))


def gitfile_elsewhere(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    (_tree(cache, url) / ".git").write_text(f"gitdir: {decoy.bare}\n")


def gitfile_is_a_link(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    _replace(_tree(cache, url) / ".git", lambda p: p.symlink_to(decoy.bare))


def admin_entry_gone(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    shutil.rmtree(cache.repo_dir(url) / "worktrees")


def corrupt_index(cache: GitRepoCache, url: str, sentinel: Path, decoy: HostileRemote) -> None:
    for admin in (cache.repo_dir(url) / "worktrees").iterdir():
        (admin / "index").write_bytes(b"DIRC garbage")


DAMAGE = [
    drop_objects,
    truncate_objects,
    garbage_head,
    no_ready_marker,
    alternates,
    origin_elsewhere,
    store_is_a_link,
    tree_is_a_file,
    tree_is_a_link,
    gitfile_elsewhere,
    gitfile_is_a_link,
    admin_entry_gone,
    corrupt_index,
]


@pytest.mark.parametrize("damage", DAMAGE, ids=[d.__name__.replace("_", "-") for d in DAMAGE])
async def test_a_damaged_cache_is_remade_and_the_write_lands_where_it_should(
    writer: GitWriter,
    new_remote: Callable[[], HostileRemote],
    auth: HttpsAuth,
    sentinel: Path,
    damage: Callable[[GitRepoCache, str, Path, HostileRemote], None],
) -> None:
    remote, decoy = new_remote(), new_remote()
    await writer.write(repo_url=remote.url, branch=MAIN, auth=auth, edits=set_tag("1.1.0"), message="warm")
    damage(writer.cache, remote.url, sentinel, decoy)
    before, decoy_tip = snapshot(sentinel), decoy.tip()

    result = await writer.write(
        repo_url=remote.url, branch=MAIN, auth=auth, edits=set_tag("1.2.0"), message="m"
    )

    assert result.commit == remote.tip()
    assert remote.show("apps/guestbook/values.yaml") == "image:\n  tag: 1.2.0\n"
    assert decoy.tip() == decoy_tip
    assert snapshot(sentinel) == before
    assert writer.cache.store_intact(remote.url)
    assert writer.cache.tree_intact(remote.url, "main")
    # and the next write uses the cache as it is: no third clone
    inits = writer.trace.counts["init"]
    await writer.write(repo_url=remote.url, branch=MAIN, auth=auth, edits=set_tag("1.3.0"), message="again")
    assert writer.trace.counts["init"] == inits
    assert remote.show("apps/guestbook/values.yaml") == "image:\n  tag: 1.3.0\n"


@pytest.mark.parametrize("password", ["wrong", ""], ids=["wrong-password", "no-password"])
async def test_refused_credentials_are_not_taken_for_damage(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth, password: str
) -> None:
    await writer.write(repo_url=remote.url, branch=MAIN, auth=auth, edits=set_tag("1.1.0"), message="warm")
    bad = HttpsAuth(username=auth.username, password=password) if password else None
    with pytest.raises(GitError, match="fetch failed"):
        await writer.write(repo_url=remote.url, branch=MAIN, auth=bad, edits=set_tag("1.2.0"), message="m")
    assert writer.trace.counts["init"] == 1  # the cache was kept, not wiped and re-cloned
    assert writer.trace.counts["fetch"] == 2


async def test_a_workdir_reached_through_a_link_is_used_not_remade(
    remote: HostileRemote, auth: HttpsAuth, tmp_path: Path
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "via").symlink_to(tmp_path / "real")  # the operator's --git-workdir may sit behind a link
    writer = GitWriter(cache=GitRepoCache(tmp_path / "via"))
    for tag in ("1.1.0", "1.2.0", "1.3.0"):
        await writer.write(repo_url=remote.url, branch=MAIN, auth=auth, edits=set_tag(tag), message=tag)
    assert remote.show("apps/guestbook/values.yaml") == "image:\n  tag: 1.3.0\n"
    assert (writer.trace.counts["init"], writer.trace.counts["worktree"]) == (1, 2)  # prune + add, once
