"""Running `git`: one subprocess per command via asyncio, isolated config, scrubbed errors.

Each command gets a clean environment: no system or global git config (so a host's settings
cannot change what we commit), no terminal prompts, no automatic gc (several commands may share
one object store), and the credential entries from `git_auth.auth_environment`. `GitTrace` counts
network operations (fetch, push, ls-remote) and can record every argv, for benchmarks and for
tests that prove no secret is ever passed as an argument.

Ambient credentials (`ambient_credential_config`): when no Secret applies, git may use what the
machine's user set up, as upstream's git does: the `credential.*` entries of the system and global
config (helpers such as `store`, `cache`, `osxkeychain`, `!gh auth git-credential`) are copied into
the command's environment, nothing else of those files (no hooks, aliases, `url.*.insteadOf`,
`core.*`), and never a repository's own config. SSH keeps its agent (`SSH_AUTH_SOCK`) and the
default keys in `~/.ssh`. A failure that looks like refused or missing credentials is a
`GitAuthError`, so the caller can say which Secrets it looked for.

Repository content is not trusted, and neither is whatever config may have reached a clone, so
every command pins (`_PINNED`) each setting that can run a program or send data elsewhere: hooks,
fsmonitor, signing programs, submodule recursion; transports limited to https, http, ssh and file
(no `ext`, `fd` or `git://`, so an annotation cannot make git run a command); HTTP redirects not
followed, so a credential goes to the configured origin only. `-c` outranks repository config.
Git never searches above the directory it runs in (`GIT_CEILING_DIRECTORIES`): a damaged clone
fails instead of finding some enclosing repository. `git_repo` checks that the clone's own
config is the one it wrote.
"""

from __future__ import annotations

import asyncio
import collections
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from image_updater.errors import GitAuthError, GitError
from image_updater.writeback.git_auth import scrub
from image_updater.writeback.git_proxy import proxy_environment

NETWORK_COMMANDS = frozenset({"fetch", "push", "ls-remote"})
_PINNED = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.protectNTFS=true",  # git itself refuses to check out `.git` spellings (see tree_files)
    "core.protectHFS=true",
    "gpg.program=gpg",
    "gpg.ssh.program=ssh-keygen",
    "gpg.x509.program=gpgsm",
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "protocol.allow=never",
    "protocol.https.allow=always",
    "protocol.http.allow=always",
    "protocol.ssh.allow=always",
    "protocol.file.allow=always",
    "http.followRedirects=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "advice.detachedHead=false",
)
_COMMON = [arg for setting in _PINNED for arg in ("-c", setting)]
_PASSTHROUGH = ("PATH", "HOME", "LANG", "TMPDIR", "GNUPGHOME", "SSH_AUTH_SOCK")  # proxies: git_proxy
_CONFIG_TIMEOUT = 10.0  # seconds for reading the credential helpers from the git config
# What git and ssh print when credentials were refused or would have been needed (lower case).
_AUTH_FAILURES = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission denied (publickey",
    "the requested url returned error: 401",
    "the requested url returned error: 403",
)


@dataclass
class GitTrace:
    """Counts git commands by subcommand; with `record_argv`, keeps every argv as passed."""

    record_argv: bool = False
    counts: collections.Counter[str] = field(default_factory=collections.Counter)
    argv: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def network_operations(self) -> int:
        return sum(self.counts[name] for name in NETWORK_COMMANDS)


@dataclass(frozen=True, slots=True)
class GitOutput:
    returncode: int
    stdout: str
    stderr: str


@dataclass(frozen=True, slots=True)
class GitRunner:
    """Runs git with `env` added to a clean base environment; errors scrubbed of `secrets`."""

    trace: GitTrace
    env: Mapping[str, str]
    secrets: tuple[str, ...] = ()
    timeout: float = 120.0

    async def run(self, *args: str, cwd: Path, stdin: str | None = None, check: bool = True) -> GitOutput:
        argv = ("git", *_COMMON, *args)
        subcommand = next(a for a in args if not a.startswith("-") and "=" not in a)
        self.trace.counts[subcommand] += 1
        if self.trace.record_argv:
            self.trace.argv.append(argv)
        try:
            out = await self._exec(argv, cwd=cwd, stdin=stdin)
        except TimeoutError as err:
            raise GitError(f"git {subcommand} timed out after {self.timeout:g}s") from err
        if check and out.returncode != 0:
            raise self.error(self.describe(subcommand, out), out)
        return out

    def describe(self, subcommand: str, out: GitOutput) -> str:
        """A one-line, secret-free summary of a failed command."""
        lines = [ln.strip() for ln in (out.stderr or out.stdout).splitlines() if ln.strip()]
        detail = "; ".join(lines[-4:]) or f"exit status {out.returncode}"
        if re.search(r"returned error: 30[1-8]\b", detail):
            detail += (
                " (a redirect: not followed, so credentials stay with this origin; use the URL it points to)"
            )
        return scrub(f"git {subcommand} failed: {detail}", self.secrets)

    def error(self, message: str, out: GitOutput) -> GitError:
        """`GitAuthError` when `out` shows refused or missing credentials, else `GitError`."""
        stderr = out.stderr.lower()
        kind = GitAuthError if any(sign in stderr for sign in _AUTH_FAILURES) else GitError
        return kind(scrub(message, self.secrets))

    async def _exec(self, argv: tuple[str, ...], *, cwd: Path, stdin: str | None) -> GitOutput:
        env = {k: v for k, v in os.environ.items() if k in _PASSTHROUGH or k.startswith("LC_")}
        env.update(proxy_environment(os.environ))
        env.update(
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_TERMINAL_PROMPT="0",
            GIT_ASKPASS="true",
            GIT_CEILING_DIRECTORIES=str(cwd.parent),
            GIT_ATTR_NOSYSTEM="1",
        )
        env.update(self.env)
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            data = stdin.encode() if stdin is not None else None
            stdout, stderr = await asyncio.wait_for(proc.communicate(data), self.timeout)
        except BaseException:
            if proc.returncode is None:
                proc.kill()
            await proc.communicate()  # reap the process and drain its pipes so nothing leaks
            raise
        return GitOutput(
            proc.returncode or 0, stdout.decode(errors="replace"), stderr.decode(errors="replace")
        )


async def ambient_credential_config() -> dict[str, str]:
    """The `credential.*` entries of the system and global git config, in git's order (system
    first), as `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_<n>`/`GIT_CONFIG_VALUE_<n>` environment entries."""
    entries: list[tuple[str, str]] = []
    scopes = ("--global",) if os.environ.get("GIT_CONFIG_NOSYSTEM") else ("--system", "--global")
    for scope in scopes:
        entries += await _credential_entries(scope)
    env = {"GIT_CONFIG_COUNT": str(len(entries))} if entries else {}
    for index, (key, value) in enumerate(entries):
        env[f"GIT_CONFIG_KEY_{index}"], env[f"GIT_CONFIG_VALUE_{index}"] = key, value
    return env


async def _credential_entries(scope: str) -> list[tuple[str, str]]:
    # cwd "/": no repository is near, so no `includeIf "gitdir:..."` can pick one up
    argv = ("git", "config", scope, "--includes", "-z", "--get-regexp", r"^credential\.")
    proc = await asyncio.create_subprocess_exec(
        *argv,
        cwd="/",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        stdout, _ = await asyncio.wait_for(proc.communicate(), _CONFIG_TIMEOUT)
    except BaseException as err:
        proc.kill()
        await proc.communicate()
        if isinstance(err, TimeoutError):
            raise GitError(f"git config {scope} timed out after {_CONFIG_TIMEOUT:g}s") from err
        raise
    if proc.returncode != 0:  # 1: no such entries; other: no such file
        return []
    pairs = (item.partition("\n") for item in stdout.decode(errors="replace").split("\0") if item)
    return [(key, value if newline else "true") for key, newline, value in pairs]  # bare key: true
