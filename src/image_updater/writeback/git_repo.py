"""The on-disk cache of repositories: one shallow object store per URL, one worktree per branch.

Layout under `workdir`: `<sha256(url)[:32]>/repo.git` (bare, shallow, `origin` = the URL without
credentials) and `<...>/trees/<sha256(branch)[:32]>` (a detached worktree per write branch).
Worktrees let writes to different branches of one repository run concurrently, each under its own
(URL, branch) lock, while sharing fetched objects. Commands that touch the shared repository
state (fetch, worktree add/remove) are serialised per URL by `store_lock`; they are short.

One process owns a workdir; two processes sharing one is not supported. Objects accumulate across
cycles (automatic gc is off because several commands share the store); wipe the workdir to reclaim.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from pathlib import Path

from image_updater.errors import GitError
from image_updater.writeback.git_cli import GitRunner


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class GitRepoCache:
    """Working clones reused across cycles, keyed on disk by a hash of the repository URL."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._store_locks: dict[str, asyncio.Lock] = {}

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
        """The bare repository for `url`, created empty on first use (no network)."""
        repo = self.repo_dir(url)
        ready = repo / "image-updater-ready"
        async with self.store_lock(url):
            if ready.exists():
                return repo
            shutil.rmtree(repo, ignore_errors=True)  # a half-made store from an interrupted run
            try:
                repo.mkdir(parents=True)
            except OSError as err:
                raise GitError(
                    f"git workdir {self.workdir} is not usable ({err.strerror or err}); check --git-workdir"
                ) from err
            await runner.run("init", "-q", "--bare", str(repo), cwd=self.workdir)
            await runner.run("remote", "add", "origin", url, cwd=repo)
            ready.touch()
        return repo

    async def fetch(self, url: str, runner: GitRunner, branches: list[str]) -> dict[str, str]:
        """Fetch the tips of `branches` (depth 1); returns branch → commit id."""
        repo = self.repo_dir(url)
        refspecs = [f"+refs/heads/{b}:refs/remotes/origin/{b}" for b in branches]
        async with self.store_lock(url):
            await runner.run("fetch", "-q", "--depth", "1", "--no-tags", "origin", *refspecs, cwd=repo)
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
                return line.removeprefix("ref: refs/heads/").removesuffix("\tHEAD")
        raise GitError("cannot resolve the remote's default branch (HEAD): the repository may be empty")

    async def worktree(self, url: str, branch: str, runner: GitRunner, commit: str) -> Path:
        """A clean worktree for `branch` with `commit` checked out (detached), created on first use."""
        tree = self.tree_dir(url, branch)
        if not (tree / ".git").exists():
            async with self.store_lock(url):
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
