"""Reading a write branch's recent history: our commits (with their trailers) and everyone else's.

One fetch of the branch's newest `HISTORY_DEPTH` commits (the depth the write-back's own
fetches keep, so neither undoes the other) into the clone store the write-back
keeps (`git_repo`), one `git log` over them, under the writer's lock for that (repository,
branch), so a read never sees a write half-done. Commands go through `git_cli`'s
pinned configuration: the repository's own config, hooks and drivers are never obeyed.

Each commit comes back as a `holds.Commit`: hash, commit time, the `Image-Updater-Change`
trailers of its last paragraph (`holds.trailers`) and the paths it changed (a merge: against
its first parent, what it changed on this branch). Records are split on a random marker chosen
per command, so no commit message or file name can forge one; at most `MAX_PATHS` paths are kept
per commit. `read_history` can also look at the tip's files (`inspect`, off the event loop), so
the hold compares with the value in Git now without a second checkout.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from image_updater.holds import Commit, parse_trailers
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import GitAuth
from image_updater.writeback.git_branches import check_branch_name
from image_updater.writeback.git_cli import GitRunner
from image_updater.writeback.git_edits import reader
from image_updater.writeback.git_repo import FETCH_DEPTH
from image_updater.writeback.model import Reader

HISTORY_DEPTH = FETCH_DEPTH  # commits read per branch and cycle: as many as every fetch keeps
MAX_PATHS = 1000
T = TypeVar("T")


async def read_history(
    writer: GitWriter,
    *,
    repo_url: str,
    branch: str,
    auth: GitAuth | None,
    inspect: Callable[[Reader], T],
) -> tuple[tuple[Commit, ...], T]:
    """The newest `HISTORY_DEPTH` commits of `branch` ("" or HEAD: the remote's default), newest first,
    and what `inspect` finds in the files at its tip."""
    async with writer.runner(repo_url, auth) as runner:  # checks the URL first

        async def work() -> tuple[tuple[Commit, ...], T]:
            return await _read(writer, runner, repo_url, branch, inspect)

        return await writer.cache.recovering(repo_url, work)


async def _read(
    writer: GitWriter, runner: GitRunner, url: str, branch: str, inspect: Callable[[Reader], T]
) -> tuple[tuple[Commit, ...], T]:
    cache = writer.cache
    await cache.ensure_repo(url, runner)
    if branch in ("", "HEAD"):
        branch = await cache.default_branch(url, runner)
    check_branch_name(branch, what="write-back branch")
    async with writer.lock(url, branch):
        tip = (await writer.fetch_branches(url, runner, [branch]))[branch]
        tree = await cache.worktree(url, branch, runner, tip)
        marker = secrets.token_hex(16)
        out = await runner.run(
            "log",
            "-z",
            f"-n{HISTORY_DEPTH}",
            "--no-color",
            "--diff-merges=first-parent",
            "--name-only",
            "--no-renames",
            f"--format={marker}%H%n%ct%n%B",
            tip,
            "--",
            cwd=cache.repo_dir(url),
        )
        found = await asyncio.to_thread(inspect, reader(tree))
    return parse_log(out.stdout, marker=marker), found


def parse_log(text: str, *, marker: str) -> tuple[Commit, ...]:
    """The commits in `git log -z --name-only --format=<marker>%H%n%ct%n%B` output; a record that
    does not have that shape is skipped."""
    commits = []
    for record in text.split(marker)[1:]:
        header, _, names = record.partition("\0")
        sha, _, rest = header.partition("\n")
        seconds, _, message = rest.partition("\n")
        if len(sha) != 40 or not seconds.isdigit():
            continue
        paths = frozenset(p for p in names.lstrip("\n").split("\0")[:MAX_PATHS] if p)
        when = datetime.fromtimestamp(int(seconds), tz=UTC)
        commits.append(Commit(sha=sha, committed=when, changes=parse_trailers(message), paths=paths))
    return tuple(commits)
