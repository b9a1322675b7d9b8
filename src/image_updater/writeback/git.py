"""Git write-back: fetch the tip, apply the edits, commit, push; retry when someone else pushed first.

The only module that writes with git (through `git_cli`; `git_history` reads). One `GitWriter` per process:
it holds an `asyncio.Lock` per (repository URL, write branch) — not per repository, so different
branches of a monorepo are written concurrently — and a `GitRepoCache` of shallow clones reused
across cycles. Callers group the edits of every Application that targets the same (repository,
branch) and pass them in one `write`, which makes one commit and one push for all of them.

Push rejected because the branch moved (`fetch first`, `non-fast-forward`, `stale info`): fetch the
new tip (shallow: `git_repo.FETCH_DEPTH` commits), reset to it, re-apply the (idempotent) edits,
commit and push again, with bounded, jittered exponential backoff; `PushConflict` when the attempts
run out. A refusal by the server (pre-receive hook, branch protection) raises `GitError` carrying
the remote's message; the clone is reset to the remote tip. Either way nothing half-done is left
behind. Without credentials (`auth` None) git uses the machine's own
(`git_cli.ambient_credential_config`). Force-push (with a lease on the tip we fetched) happens only
to a write branch distinct from its base.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from image_updater.errors import GitError, PushConflict
from image_updater.writeback import git_auth
from image_updater.writeback.git_auth import GitAuth, SshKeyAuth
from image_updater.writeback.git_branches import TargetBranch, check_branch_name
from image_updater.writeback.git_cli import GitRunner, GitTrace, ambient_credential_config
from image_updater.writeback.git_commit import Author, CommitOptions, Signing, commit_args
from image_updater.writeback.git_edits import (
    Edit,
    EditPlanner,
    apply_edits,
    check_paths,
    reader,
    resolve_edits,
)
from image_updater.writeback.git_repo import GitRepoCache
from image_updater.writeback.keylocks import KeyedLocks
from image_updater.writeback.model import Reader

# The branch moved under us: refused by the client's check, or lost a race in the server's ref update.
_CONFLICTS = ("(fetch first)", "(non-fast-forward)", "(stale info)", "cannot lock ref", "incorrect old value")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Push attempts and the backoff between them (full jitter, capped)."""

    attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 5.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))


@dataclass(frozen=True, slots=True)
class WriteResult:
    """`commit` is None when nothing changed or on a dry run; `diff` is the staged change."""

    commit: str | None
    branch: str
    diff: str
    attempts: int


@dataclass(frozen=True, slots=True)
class _Plan:
    url: str
    base: str
    write: str
    edits: Mapping[str, Edit] | EditPlanner
    message: str | Callable[[Reader], str]
    options: CommitOptions
    dry_run: bool

    @property
    def forced(self) -> bool:
        return self.write != self.base


@dataclass(frozen=True, slots=True)
class _Tip:
    start: str  # the commit our change goes on top of
    lease: str | None  # for forced pushes: the write branch's remote tip we expect ("" = absent)


class GitWriter:
    """Writes edits to git repositories; see the module docstring for the guarantees."""

    def __init__(
        self,
        *,
        cache: GitRepoCache,
        trace: GitTrace | None = None,
        retry: RetryPolicy | None = None,
        rng: random.Random | None = None,
        timeout: float = 120.0,
        known_hosts: str | None = None,
        local_repositories: bool = True,
    ) -> None:
        """`known_hosts` (OpenSSH format, e.g. Argo CD's ssh_known_hosts) pins the host keys of
        every SSH remote whose credentials do not pin their own; None keeps accept-new.
        `local_repositories`: whether `file://` remotes may be written (directory mode, tests)."""
        self.cache = cache
        self.trace = trace if trace is not None else GitTrace()
        self.retry = retry if retry is not None else RetryPolicy()
        self._rng = rng if rng is not None else random.Random()
        self._timeout = timeout
        self._locks: KeyedLocks[tuple[str, str]] = KeyedLocks()
        self._known_hosts = known_hosts
        self.local_repositories = local_repositories

    @contextlib.asynccontextmanager
    async def lock(self, repo_url: str, branch: str) -> AsyncIterator[None]:
        """Hold the lock serialising writes to one branch of one repository.

        Entries are dropped when no one holds or waits for them, so per-change write branches
        (`image-updater-{{.SHA256}}`) do not accumulate locks over a long run.
        """
        async with self._locks.hold((repo_url, branch)):
            yield

    @property
    def locked_branches(self) -> int:
        """How many (repository, branch) locks are held or awaited right now."""
        return len(self._locks)

    async def write(
        self,
        *,
        repo_url: str,
        branch: TargetBranch,
        auth: GitAuth | None,
        edits: Mapping[str, Edit] | EditPlanner,
        message: str | Callable[[Reader], str],
        author: Author | None = None,
        signing: Signing | None = None,
        signoff: bool = False,
        dry_run: bool = False,
    ) -> WriteResult:
        """Apply `edits` (repository-relative path → edit, or a planner of them) on the tip of the write
        branch and push. A callable `message` is rendered from the tip before the edits are applied,
        so it can name the values being replaced."""
        git_auth.check_repo_url(repo_url, local=self.local_repositories)
        for name in (branch.base, branch.write):
            if name not in (None, "", "HEAD"):
                check_branch_name(name, what="write-back branch")  # never an option, wherever it came from
        if not callable(edits):
            check_paths(edits)
        options = CommitOptions(author=author or Author(), signing=signing, signoff=signoff)
        plan = _Plan(
            repo_url,
            branch.base,
            branch.write or "",
            edits if callable(edits) else dict(edits),
            message,
            options,
            dry_run,
        )
        async with self.runner(repo_url, auth) as runner:
            return await self.cache.recovering(repo_url, lambda: self._write_plan(plan, runner))

    @contextlib.asynccontextmanager
    async def runner(self, repo_url: str, auth: GitAuth | None) -> AsyncIterator[GitRunner]:
        """A runner authenticated for `repo_url` (the machine's own credentials when `auth` is None),
        for as long as the block runs; the SSH key file, if any, is gone afterwards."""
        git_auth.check_repo_url(repo_url, local=self.local_repositories)
        if isinstance(auth, SshKeyAuth) and not auth.known_hosts and self._known_hosts:
            auth = replace(auth, known_hosts=self._known_hosts)
        known_hosts = self.cache.known_hosts_file
        with git_auth.auth_environment(auth, repo_url=repo_url, known_hosts_file=known_hosts) as env:
            if auth is None:  # no Secret applies: the machine's own git credentials, as upstream
                env = {**env, **await ambient_credential_config()}
            yield GitRunner(self.trace, env, git_auth.secrets_of(auth), self._timeout)

    async def _write_plan(self, plan: _Plan, runner: GitRunner) -> WriteResult:
        """One write in the cache: resolve the branches, then edit, commit and push under the lock."""
        await self.cache.ensure_repo(plan.url, runner)
        if plan.base in ("", "HEAD"):
            plan = replace(plan, base=await self.cache.default_branch(plan.url, runner))
        plan = replace(plan, write=plan.write or plan.base)
        async with self.lock(plan.url, plan.write):
            try:
                return await self._write_locked(plan, runner)
            finally:
                if plan.forced:
                    await self.cache.drop_worktree(plan.url, plan.write, runner)

    async def _write_locked(self, plan: _Plan, runner: GitRunner) -> WriteResult:
        for attempt in range(1, self.retry.attempts + 1):
            tip = await self._fetch_tip(plan, runner)
            tree = await self.cache.worktree(plan.url, plan.write, runner, tip.start)
            try:
                result = await self._attempt(tree, plan, runner, tip, attempt)
            except BaseException:  # leave nothing half-done: back to the clean remote tip
                await self.cache.reset(tree, runner, tip.start)
                raise
            if plan.dry_run:
                await self.cache.reset(tree, runner, tip.start)
            if result is not None:
                return result
            if attempt < self.retry.attempts:
                await asyncio.sleep(self.retry.delay(attempt, self._rng))
        raise PushConflict(
            f"push to {git_auth.redact_url(plan.url)} branch {plan.write!r} was rejected "
            f"{self.retry.attempts} times because the branch kept moving; will retry",
            delay=self.retry.max_delay,
        )

    async def _attempt(
        self, tree: Path, plan: _Plan, runner: GitRunner, tip: _Tip, attempt: int
    ) -> WriteResult | None:
        """Edit, commit and push once; None when the push lost a race and must be redone."""
        message = (  # rendered before the edits, off the event loop (templates read the tree)
            await asyncio.to_thread(plan.message, reader(tree)) if callable(plan.message) else plan.message
        )
        diff = await self._stage(tree, plan, runner)
        if not diff or plan.dry_run:
            return WriteResult(commit=None, branch=plan.write, diff=diff, attempts=attempt)
        await runner.run(*commit_args(plan.options), cwd=tree, stdin=message)
        commit = (await runner.run("rev-parse", "HEAD", cwd=tree)).stdout.strip()
        if await self._push(tree, plan, runner, tip):
            return WriteResult(commit=commit, branch=plan.write, diff=diff, attempts=attempt)
        return None

    async def _fetch_tip(self, plan: _Plan, runner: GitRunner) -> _Tip:
        if not plan.forced:
            tips = await self.fetch_branches(plan.url, runner, [plan.base])
            return _Tip(start=tips[plan.base], lease=None)
        heads = await self.cache.remote_heads(plan.url, runner, [plan.base, plan.write])
        wanted = [plan.write] if plan.write in heads else [plan.base]
        tips = await self.fetch_branches(plan.url, runner, wanted)
        return _Tip(start=tips[wanted[0]], lease=heads.get(plan.write, ""))

    async def fetch_branches(self, url: str, runner: GitRunner, branches: list[str]) -> dict[str, str]:
        """Fetch `branches` into the cache (branch → tip); a missing branch is named in the error."""
        try:
            return await self.cache.fetch(url, runner, branches)
        except GitError as err:
            if "couldn't find remote ref" in str(err):
                raise GitError(
                    f"branch {branches[0]!r} does not exist in {git_auth.redact_url(url)}"
                ) from err
            raise

    async def _stage(self, tree: Path, plan: _Plan, runner: GitRunner) -> str:
        """Apply the edits and stage them; the staged diff ("" when nothing changed)."""
        # Planning and editing parse repository files (up to 4 MiB each): off the event loop, so a
        # large file delays only its own write, never the other Applications' work.
        changed = await asyncio.to_thread(lambda: apply_edits(tree, resolve_edits(tree, plan.edits)))
        if not changed:
            return ""
        # An exact path list on stdin: no pathspec matching (which is files × pathspecs), no argv limit.
        paths = "".join(f"{path}\0" for path in changed)
        await runner.run("update-index", "--add", "--remove", "-z", "--stdin", cwd=tree, stdin=paths)
        diff = ("diff", "--cached", "--no-color", "--no-ext-diff", "--no-textconv")
        return (await runner.run(*diff, cwd=tree)).stdout

    async def _push(self, tree: Path, plan: _Plan, runner: GitRunner, tip: _Tip) -> bool:
        """True when pushed; False when the branch moved (retry); GitError when refused."""
        ref = f"refs/heads/{plan.write}"
        lease = [f"--force-with-lease={ref}:{tip.lease}"] if plan.forced else []
        out = await runner.run("push", "--porcelain", *lease, "origin", f"HEAD:{ref}", cwd=tree, check=False)
        status = next((ln for ln in out.stdout.splitlines() if ln[1:2] == "\t" and f":{ref}\t" in ln), None)
        if status is not None and status[0] in " +*=":
            return True
        if status is not None and status[0] == "!" and any(c in status + out.stderr for c in _CONFLICTS):
            return False
        remote = [
            ln.removeprefix("remote:").strip() for ln in out.stderr.splitlines() if ln.startswith("remote:")
        ]
        reason = "; ".join(r for r in remote if r) or runner.describe("push", out)
        summary = status.split("\t")[-1] if status else "failed"
        raise runner.error(f"push to {plan.url} branch {plan.write!r} {summary}: {reason}", out)
