"""Since when a write-back target has held its current value on a branch (directory-mode promotion).

`value_since` fetches the branch with up to `depth` commits of history into the clone cache,
reads the target's value at the tip, then at each older commit (first parent only) until the
value differs, and answers the value at the tip and the committer time of the oldest commit
of the unbroken run of that value. What lies beyond `depth` is not read: the time is then the
oldest one read, which is later than the truth, so a promotion gate waits longer, never shorter.
The commits are read through a worktree of their own (per repository and branch, under the same
lock a write would take), so reading never touches a write's worktree.

Limit: committer times are whatever the pusher's machine said; whoever may push to the source
branch can backdate a commit, and so shorten the soak time of Applications promoting from it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from image_updater.errors import GitError
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import GitAuth
from image_updater.writeback.git_branches import check_branch_name
from image_updater.writeback.git_cli import GitRunner
from image_updater.writeback.git_edits import reader
from image_updater.writeback.model import AppTarget, ManifestImage
from image_updater.writeback.targets import current_tag

DEPTH = 50


async def value_since(
    git: GitWriter,
    *,
    repo_url: str,
    branch: str,
    auth: GitAuth | None,
    target: AppTarget,
    image: ManifestImage,
    depth: int = DEPTH,
) -> tuple[str | None, datetime | None]:
    """(value at the tip of `branch`, since when); (None, None) when the target does not hold it."""
    check_branch_name(branch, what="promotion source branch")
    async with git.runner(repo_url, auth) as runner:
        commits = await git.cache.recovering(repo_url, lambda: _commits(git, runner, repo_url, branch, depth))
        history = f"promotion-history:{branch}"  # a worktree no write uses
        async with git.lock(repo_url, history):
            tip: str | None = None
            since: datetime | None = None
            for commit, when in commits:
                tree = await git.cache.worktree(repo_url, history, runner, commit)
                value = current_tag(reader(tree), target, image)
                if tip is None:
                    tip = value
                if value is None or value != tip:
                    break
                since = when
            return tip, since if tip is not None else None


async def _commits(
    git: GitWriter, runner: GitRunner, repo_url: str, branch: str, depth: int
) -> list[tuple[str, datetime]]:
    """(commit, committer time), newest first, first parent only."""
    repo = await git.cache.ensure_repo(repo_url, runner)
    ref = f"refs/remotes/origin/{branch}"
    async with git.cache.store_lock(repo_url):
        try:
            await runner.run(
                "fetch",
                "-q",
                f"--depth={depth}",
                "--no-tags",
                "origin",
                f"+refs/heads/{branch}:{ref}",
                cwd=repo,
            )
        except GitError as err:
            if "couldn't find remote ref" in str(err):
                raise GitError(f"branch {branch!r} does not exist") from err
            raise
        out = await runner.run("log", "--first-parent", "--format=%H %ct", f"-n{depth}", ref, cwd=repo)
    found = []
    for line in out.stdout.splitlines():
        commit, _, seconds = line.partition(" ")
        found.append((commit, datetime.fromtimestamp(int(seconds), UTC)))
    return found
