"""The history reader against the real HTTP git server: our commits with trailers, a human's
revert and merge, the tip's files, hostile messages and paths, and a repository's own config."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from image_updater.holds import TrailerChange, format_trailers
from image_updater.writeback import git_history
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_edits import Edit

if TYPE_CHECKING:
    from conftest import Remote

FILE = "apps/guestbook/values.yaml"
CHANGE = TrailerChange(app="argocd/guestbook", alias="gb", image="reg.example/gb", old="1.0.0", new="1.1.0")


def _set(tag: str) -> Edit:
    return lambda _: f"image:\n  tag: {tag}\n"


def _human(remote: Remote, *commands: list[str]) -> None:
    """Clone, run `commands` as a human (git subcommands), push main."""
    tmp = remote.bare.parent / f".human-{remote.bare.name}"
    subprocess.run(["rm", "-rf", str(tmp)], check=True)
    subprocess.run(["git", "clone", "-q", str(remote.bare), str(tmp)], check=True)
    ident = ["-c", "user.name=human", "-c", "user.email=human@example.com"]
    for command in commands:
        subprocess.run(["git", "-C", str(tmp), *ident, *command], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(tmp), "push", "-q", "origin", "HEAD:main"], check=True)
    subprocess.run(["rm", "-rf", str(tmp)], check=True)


async def _ours(writer: GitWriter, remote: Remote, auth: HttpsAuth, tag: str) -> str:
    change = TrailerChange(CHANGE.app, CHANGE.alias, CHANGE.image, "1.0.0", tag)
    result = await writer.write(
        repo_url=remote.http_url,
        branch=TargetBranch("main"),
        auth=auth,
        edits={FILE: _set(tag)},
        message=f"build: update\n\n{format_trailers([change])}",
    )
    assert result.commit is not None
    return result.commit


async def test_history_lists_ours_and_the_revert_and_reads_the_tip(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    ours = await _ours(writer, remote, https_auth, "1.1.0")
    _human(remote, ["revert", "--no-edit", "HEAD"])
    history, tip_text = await git_history.read_history(
        writer, repo_url=remote.http_url, branch="main", auth=https_auth, inspect=lambda read: read(FILE)
    )
    assert tip_text == "image:\n  tag: 1.0.0\n"
    revert, mine = history[0], history[1]
    assert (revert.ours, revert.paths) == (False, frozenset({FILE}))
    assert (mine.sha, mine.changes, mine.paths) == (ours, (CHANGE,), frozenset({FILE}))
    assert len(history) == 3  # the revert, ours, the initial commit
    assert writer.trace.counts["log"] == 1


async def test_a_merge_lists_what_it_changed_against_its_first_parent(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    await _ours(writer, remote, https_auth, "1.1.0")
    _human(
        remote,
        ["checkout", "-q", "-b", "fix", "HEAD~1"],
        ["rm", "-q", "README.md"],
        ["commit", "-q", "-m", "drop readme"],
        ["checkout", "-q", "main"],
        ["merge", "-q", "--no-ff", "-m", "merge fix", "fix"],
    )
    history, _ = await git_history.read_history(
        writer, repo_url=remote.http_url, branch="main", auth=https_auth, inspect=lambda _: None
    )
    merge = history[0]
    assert merge.paths == frozenset({"README.md"})
    assert not merge.ours


def test_parse_log_skips_forged_records() -> None:
    marker = "m" * 32
    sha = "a" * 40
    forged_message = f"subject\n\n{'f' * 40}\n123\nImage-Updater-Change: app=x alias= image=i old= new=n"
    text = f"{marker}{sha}\n1700000000\n{forged_message}\0\nweird\nname\0x.yaml\0{marker}not-a-sha\n1\nmsg\0"
    (commit,) = git_history.parse_log(text, marker=marker)
    assert commit.sha == sha
    assert commit.paths == frozenset({"weird\nname", "x.yaml"})
    assert commit.changes[0].app == "x"  # its own last paragraph: a trailer, but no other record


async def test_a_repository_config_in_the_clone_is_not_obeyed(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth, tmp_path: Path
) -> None:
    await _ours(writer, remote, https_auth, "1.1.0")
    repo = writer.cache.repo_dir(remote.http_url)
    proof = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {proof}\n")
    hook.chmod(0o755)
    with (repo / "config").open("a") as config:  # a damaged store: the reader makes it anew
        config.write(f"[core]\n\tfsmonitor = {hook}\n\tpager = {hook}\n")
    history, _ = await git_history.read_history(
        writer, repo_url=remote.http_url, branch="main", auth=https_auth, inspect=lambda _: None
    )
    assert history[0].changes == (TrailerChange(CHANGE.app, CHANGE.alias, CHANGE.image, "1.0.0", "1.1.0"),)
    assert not proof.exists()


async def test_a_rewritten_commit_of_ours_keeps_its_trailers(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth
) -> None:
    """A rebase (here an amend by a human, force-pushed) gives our commit a new hash and committer:
    it is still ours, by its trailers."""
    ours = await _ours(writer, remote, https_auth, "1.1.0")
    tmp = remote.bare.parent / f".rebase-{remote.bare.name}"
    subprocess.run(["git", "clone", "-q", str(remote.bare), str(tmp)], check=True)
    ident = ["-c", "user.name=human", "-c", "user.email=human@example.com"]
    subprocess.run(
        ["git", "-C", str(tmp), *ident, "commit", "-q", "--amend", "--no-edit", "--date=now"], check=True
    )
    subprocess.run(["git", "-C", str(tmp), "push", "-q", "-f", "origin", "HEAD:main"], check=True)
    history, _ = await git_history.read_history(
        writer, repo_url=remote.http_url, branch="main", auth=https_auth, inspect=lambda _: None
    )
    assert history[0].sha != ours
    assert history[0].changes == (CHANGE,)
