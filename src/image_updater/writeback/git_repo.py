"""The on-disk cache of repositories: one shallow object store per URL, one worktree per branch.

Layout under `workdir`: `<sha256(url)[:32]>/repo.git` (bare, shallow to `FETCH_DEPTH` commits,
`origin` = the URL without credentials) and `<...>/trees/<sha256(branch)[:32]>` (a detached
worktree per write branch).
Worktrees let writes to different branches of one repository run concurrently, each under its own
(URL, branch) lock, while sharing fetched objects. Commands that touch the shared repository
state (fetch, worktree add/remove) are serialised per URL by `store_lock`; they are short.

One process owns a workdir; two processes sharing one is not supported. Objects accumulate across
cycles (automatic gc is off because several commands share the store); wipe the workdir to reclaim.

A cache entry is never trusted blindly (it may be damaged by a crash, a full disk or a hand on the
host). Before use, a pure-filesystem check (`lstat`, no link followed): the store is a real
directory whose `config` is byte for byte the one we wrote (so no `core.*`, `include`,
`url.*.insteadOf` or remote URL crept in), with no `objects/info/alternates` or `commondir`
redirecting its objects, and a sane `HEAD`; a worktree is a real directory whose `.git` file and
admin entry point at each other. Anything else is removed and re-created. A git failure that reads
as local damage (`recovering`) wipes the store and retries the write once.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import shutil
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from image_updater.errors import GitError
from image_updater.writeback.git_auth import redact_url
from image_updater.writeback.git_branches import check_branch_name
from image_updater.writeback.git_cli import GitRunner

T = TypeVar("T")
# Commits fetched per branch, by writes and by the history reader alike (`git_history`): a
# shallower fetch would cut what the other fetched, and the next would download it again
# (measured: ~49 commits' diffs per cycle instead of only the new commits).
FETCH_DEPTH = 50
_READY = "image-updater-ready"
# What git says when the local store, not the remote, is broken.
_DAMAGE = re.compile(
    r"not a git repository|bad object|is corrupt|corrupt (loose|packed)|index file|bad signature|"
    r"(unable|could not) read (tree|sha1 file|[0-9a-f]{7,})|bad config|invalid object|"
    r"missing (blob|tree|commit|object)|reference is not a tree|unknown revision|does not match index|"
    r"must be run in a work tree",
    re.IGNORECASE,
)  # not "could not read Username": refused credentials are no reason to wipe anything


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return path.lstat()
    except OSError:
        return None


def _is_dir(path: Path) -> bool:
    info = _lstat(path)
    return info is not None and stat.S_ISDIR(info.st_mode)


def _text(path: Path) -> str | None:
    """The content of a regular file (never through a link); None otherwise."""
    info = _lstat(path)
    if info is None or not stat.S_ISREG(info.st_mode):
        return None
    try:
        return path.read_text(errors="replace")
    except OSError:
        return None


def _remove(path: Path) -> None:
    """Delete whatever is at `path`: a link or file itself (never its target), or a directory tree."""
    info = _lstat(path)
    if info is None:
        return
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path, ignore_errors=True)  # does not follow links inside the tree
    else:
        path.unlink(missing_ok=True)


def _ready_text(url: str, repo: Path) -> str | None:
    """What the ready marker of a sound store for `url` holds: the URL and its config's digest."""
    config = _text(repo / "config")
    return None if config is None else f"{url}\n{hashlib.sha256(config.encode()).hexdigest()}\n"


class GitRepoCache:
    """Working clones reused across cycles, keyed on disk by a hash of the repository URL."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._store_locks: dict[str, asyncio.Lock] = {}
        self._generations: dict[str, int] = {}  # bumped when a store is wiped

    @property
    def known_hosts_file(self) -> Path:
        """Host keys learnt with `accept-new` (see `git_auth`); kept for the cache's lifetime."""
        return self.workdir / "ssh_known_hosts"

    def store_lock(self, url: str) -> asyncio.Lock:
        return self._store_locks.setdefault(url, asyncio.Lock())

    def repo_dir(self, url: str) -> Path:
        return self.workdir / _key(url) / "repo.git"

    def tree_dir(self, url: str, branch: str) -> Path:
        return self.workdir / _key(url) / "trees" / _key(branch)

    async def ensure_repo(self, url: str, runner: GitRunner) -> Path:
        """The bare repository for `url`, created empty on first use (no network); a store that
        fails `store_intact` (half-made by an interrupted run, or damaged) is made anew."""
        repo = self.repo_dir(url)
        async with self.store_lock(url):
            if self.store_intact(url):
                return repo
            _remove(repo.parent)  # the store and its worktrees
            try:
                repo.mkdir(parents=True)
            except OSError as err:
                raise GitError(
                    f"git workdir {self.workdir} is not usable ({err.strerror or err}); check --git-workdir"
                ) from err
            await runner.run("init", "-q", "--bare", str(repo), cwd=self.workdir)
            await runner.run("remote", "add", "--", "origin", url, cwd=repo)
            (repo / _READY).write_text(_ready_text(url, repo) or "")
        return repo

    def store_intact(self, url: str) -> bool:
        """The store for `url` is ours and sound, as far as a look at the files can tell."""
        repo = self.repo_dir(url)
        if not all(_is_dir(p) for p in (repo.parent, repo, repo / "objects", repo / "refs")):
            return False
        if any(_lstat(repo / p) is not None for p in ("objects/info/alternates", "commondir")):
            return False
        ready = _text(repo / _READY)
        return (_text(repo / "HEAD") or "").startswith("ref: refs/") and ready == _ready_text(url, repo)

    def tree_intact(self, url: str, branch: str) -> bool:
        """The worktree for `branch` is a real directory linked both ways with its admin entry."""
        tree = self.tree_dir(url, branch)
        real = Path(os.path.realpath(self.workdir)) / tree.relative_to(self.workdir)
        admin = real.parents[1] / "repo.git" / "worktrees" / tree.name
        if not (_is_dir(tree.parent) and _is_dir(tree) and _is_dir(admin)):
            return False
        return _text(tree / ".git") == f"gitdir: {admin}\n" and _text(admin / "gitdir") == f"{real}/.git\n"

    async def recovering(self, url: str, work: Callable[[], Awaitable[T]]) -> T:
        """`work()`; when it fails the way a damaged local store fails, wipe the store and run it
        once more (a concurrent writer that already replaced the store is not undone)."""
        generation = self._generations.get(url, 0)
        try:
            return await work()
        except GitError as err:
            if not _DAMAGE.search(str(err)):
                raise
        async with self.store_lock(url):
            if self._generations.get(url, 0) == generation:
                _remove(self.repo_dir(url).parent)
                self._generations[url] = generation + 1
        return await work()

    async def fetch(
        self, url: str, runner: GitRunner, branches: list[str], *, depth: int = FETCH_DEPTH
    ) -> dict[str, str]:
        """Fetch the tips of `branches` with `depth` commits of history; returns branch → commit id."""
        repo = self.repo_dir(url)
        refspecs = [f"+refs/heads/{b}:refs/remotes/origin/{b}" for b in branches]
        async with self.store_lock(url):
            await runner.run("fetch", "-q", "--depth", str(depth), "--no-tags", "origin", *refspecs, cwd=repo)
        refs = [f"refs/remotes/origin/{b}" for b in branches]
        out = await runner.run("rev-parse", *refs, cwd=repo)
        return dict(zip(branches, out.stdout.split(), strict=True))

    async def remote_heads(self, url: str, runner: GitRunner, branches: list[str]) -> dict[str, str]:
        """Which of `branches` exist on the remote, with their commit ids (one ls-remote)."""
        out = await runner.run(
            "ls-remote", "origin", *[f"refs/heads/{b}" for b in branches], cwd=self.repo_dir(url)
        )
        heads = {}
        for line in out.stdout.splitlines():
            sha, _, ref = line.partition("\t")
            heads[ref.removeprefix("refs/heads/")] = sha
        return heads

    async def default_branch(self, url: str, runner: GitRunner) -> str:
        """The remote's HEAD branch (`ls-remote --symref origin HEAD`)."""
        out = await runner.run("ls-remote", "--symref", "origin", "HEAD", cwd=self.repo_dir(url))
        for line in out.stdout.splitlines():
            if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
                name = line.removeprefix("ref: refs/heads/").removesuffix("\tHEAD")
                check_branch_name(name, what=f"the default branch of {redact_url(url)}")  # server-chosen
                return name
        raise GitError("cannot resolve the remote's default branch (HEAD): the repository may be empty")

    async def worktree(self, url: str, branch: str, runner: GitRunner, commit: str) -> Path:
        """A clean worktree for `branch` with `commit` checked out (detached), created on first use."""
        tree = self.tree_dir(url, branch)
        if not self.tree_intact(url, branch):
            async with self.store_lock(url):
                _remove(tree)  # whatever is there: a half-made tree, a file, a link
                _remove(self.repo_dir(url) / "worktrees" / tree.name)
                await runner.run("worktree", "prune", cwd=self.repo_dir(url))
                await runner.run(
                    "worktree", "add", "-q", "-f", "--detach", str(tree), commit, cwd=self.repo_dir(url)
                )
            return tree
        await self.reset(tree, runner, commit)
        return tree

    async def reset(self, tree: Path, runner: GitRunner, commit: str) -> None:
        """Make the worktree exactly `commit`: no local changes, no untracked files."""
        await runner.run("checkout", "-q", "-f", "--detach", commit, cwd=tree)
        await runner.run("clean", "-q", "-f", "-f", "-d", "-x", cwd=tree)

    async def drop_worktree(self, url: str, branch: str, runner: GitRunner) -> None:
        """Remove a worktree that will not be reused (per-change write branches)."""
        async with self.store_lock(url):
            cmd = ("worktree", "remove", "-f", "-f", str(self.tree_dir(url, branch)))
            await runner.run(*cmd, cwd=self.repo_dir(url), check=False)
