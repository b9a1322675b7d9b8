"""Git credentials: what they are, where they come from, and how they reach `git` without leaking.

HTTPS: an `Authorization: Basic` header handed to git through `GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_0`/
`GIT_CONFIG_VALUE_0` in the child's environment — never in the URL, `.git/config` or the argv that
`ps` shows. SSH: the key lives in an anonymous in-memory file (memfd, Linux) for the duration of one
write, named in `GIT_SSH_COMMAND` through `/proc/<pid>/fd/<n>` with `IdentitiesOnly=yes`; it never
touches a filesystem, so no exit (kill -9 included) can leave it on disk. ssh gets that key only
(`IdentitiesOnly=yes`, `IdentityAgent=none`): with a Secret, the agent and `~/.ssh` keys of whoever
runs the controller are never a fallback (without one, they are what git uses; see `git_cli`).

Host keys: with `known_hosts` set (Argo CD's ssh-known-hosts data), `StrictHostKeyChecking=yes`.
Without it, `accept-new` against a known_hosts file kept in the repo cache: the first connection
trusts whatever key the server shows (a man-in-the-middle on that first contact would win), later
changes of the key are refused. Supply `known_hosts` where that trade-off is not acceptable.

Every message that leaves this package goes through `scrub` first.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shlex
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeAlias
from urllib.parse import urlsplit

from image_updater.credentials import SecretSource
from image_updater.errors import CredentialError, InvalidWriteBackConfig


@dataclass(frozen=True, slots=True)
class HttpsAuth:
    """Username and password (or token) for an HTTPS remote. `repr` hides the password; equality and
    hash cover it, so a value is the credential's identity (what git jobs are grouped by)."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"HttpsAuth(username={self.username!r}, password=<hidden>)"


@dataclass(frozen=True, slots=True)
class SshKeyAuth:
    """A private key (OpenSSH/PEM bytes) for an SSH remote; `known_hosts` pins host keys when set.
    Like `HttpsAuth`, equality and hash cover the key while `repr` hides it."""

    private_key: bytes
    known_hosts: str | None = None

    def __repr__(self) -> str:
        return f"SshKeyAuth(private_key=<hidden>, known_hosts={'set' if self.known_hosts else 'accept-new'})"


GitAuth: TypeAlias = HttpsAuth | SshKeyAuth


class RepoCredsSource(Protocol):
    """Lists Argo CD repository Secrets (labelled `argocd.argoproj.io/secret-type` `repository` or
    `repo-creds`) as decoded `data`: `url`, and `username`/`password` or `sshPrivateKey`.
    `looked_in` says where, for messages."""

    @property
    def looked_in(self) -> str: ...

    async def list_repository_secrets(self) -> list[dict[str, bytes]]: ...


def is_ssh_url(url: str) -> bool:
    """`ssh://...` or scp-like `user@host:path`."""
    return url.startswith("ssh://") or bool(re.match(r"^[\w.-]+@[\w.-]+:", url))


def check_repo_url(url: str, *, local: bool = True) -> None:
    """Refuse URLs git could read as an option or a transport we do not allow (see `git_cli`),
    and URLs that carry a password: it would end up in `.git/config` and in process args.
    `local=False` also refuses `file://` (in a cluster, a repository on the controller's own disk,
    its clone cache included, belongs to nobody who may annotate an Application)."""
    if not local and url.lower().startswith("file:"):
        raise InvalidWriteBackConfig(
            f"git repository URL {url!r}: local repositories are refused in a cluster (they would be the "
            "controller's own files); use an https://, http://, ssh:// or user@host:path URL"
        )
    if (
        not re.match(r"^(https?|ssh)://[^\s/]|^file:///|^\w[\w.-]*@[\w.-]+:", url)
        or re.search(r"[\x00-\x20\x7f]|://-|@-", url)  # `-` opening a host or user: an option to ssh
    ):
        raise InvalidWriteBackConfig(
            f"git repository URL {redact_url(url)!r}: "
            "use an https://, http://, ssh://, file:/// or user@host:path URL"
        )
    if re.match(r"^[a-z][a-z0-9+.-]*://[^/@]*:[^/@]*@", url, re.IGNORECASE):
        raise InvalidWriteBackConfig(
            f"git repository URL {redact_url(url)} contains a password; put it in a secret instead"
        )


def redact_url(url: str) -> str:
    """Hide the password part of `scheme://user:password@host` (the user name stays readable)."""
    return re.sub(r"(://[^/@:\s]*):[^/@\s]*@", r"\1:***@", url)


async def resolve_git_credentials(
    method: str,
    *,
    repo_url: str,
    secrets: SecretSource,
    app_namespace: str,
    repo_creds: RepoCredsSource | None = None,
) -> GitAuth | None:
    """Credentials for a write-back `method`: `git`/`git:repocreds` or `git:secret:[<ns>/]<name>`.

    None means "no Secret applies": git then uses the machine's own credentials (helpers, SSH agent
    and keys), as upstream does for a repository without one; never a failure.
    """
    if method in ("git", "git:repocreds"):
        if repo_creds is None:
            raise CredentialError(f"{method}: no Argo CD repository credentials source is configured")
        return _from_repo_creds(await repo_creds.list_repository_secrets(), repo_url)
    if not method.startswith("git:secret:"):
        raise InvalidWriteBackConfig(
            f"write-back method {method!r} is not git, git:repocreds or git:secret:<namespace>/<name>"
        )
    ref = method.removeprefix("git:secret:")
    namespace, _, name = ref.rpartition("/")
    if not name or "/" in namespace:
        raise InvalidWriteBackConfig(f"write-back method {method!r}: expected git:secret:<namespace>/<name>")
    data = await secrets.get_secret(namespace or app_namespace, name)
    return _from_fields(data, repo_url, f"secret {namespace or app_namespace}/{name}")


def no_secret_hint(repo_url: str, *, looked_in: str) -> str:
    """What to do when git, without a Secret, was refused: where we looked, and how to add one."""
    return (
        f"no repository Secret matched {redact_url(repo_url)} ({looked_in}), so git used this "
        "machine's own credentials; add a Secret labelled argocd.argoproj.io/secret-type=repository "
        "with url and username/password (or sshPrivateKey), or use write-back-method "
        "git:secret:<namespace>/<name>"
    )


def _from_fields(data: Mapping[str, bytes], repo_url: str, where: str) -> GitAuth:
    if is_ssh_url(repo_url):
        if "sshPrivateKey" not in data:
            raise CredentialError(f"{where} has no 'sshPrivateKey' field, needed for SSH URL {repo_url}")
        return SshKeyAuth(private_key=data["sshPrivateKey"])
    if "githubAppPrivateKey" in data:
        raise CredentialError(f"{where}: GitHub App credentials are not supported; use username/password")
    if "username" not in data or "password" not in data:
        raise CredentialError(f"{where} needs 'username' and 'password' fields for {redact_url(repo_url)}")
    return HttpsAuth(username=data["username"].decode(), password=data["password"].decode())


def _normalise(url: str) -> str:
    return url.strip().lower().removesuffix("/").removesuffix(".git")


def _origin(url: str) -> str:
    """`scheme://host[:port]`, or `user@host` of an scp-like SSH URL: where a credential goes."""
    if "://" not in url:
        return url.partition(":")[0]
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _from_repo_creds(entries: list[dict[str, bytes]], repo_url: str) -> GitAuth | None:
    """An exact URL match (a `repository` Secret) wins; else the longest URL-prefix match on the
    same origin (a `repo-creds` prefix `https://git.example.com` must not hand its credentials to
    `https://git.example.com.evil.org/`, a URL any annotator can put in `git-repository`)."""
    wanted = _normalise(repo_url)
    best: tuple[int, dict[str, bytes]] | None = None
    for entry in entries:
        url = entry.get("url", b"").decode().strip().lower()
        if not url:
            continue
        prefix = wanted.startswith(url) and _origin(url) == _origin(wanted)
        score = 1 << 30 if _normalise(url) == wanted else (len(url) if prefix else -1)
        if score >= 0 and (best is None or score > best[0]):
            best = (score, entry)
    if best is None:
        return None
    return _from_fields(best[1], repo_url, f"Argo CD repository credentials for {redact_url(repo_url)}")


@contextmanager
def auth_environment(
    auth: GitAuth | None, *, repo_url: str, known_hosts_file: Path
) -> Iterator[dict[str, str]]:
    """Environment entries that hand `auth` to git; an SSH key is readable only inside the block.

    The Basic header is scoped to the repository's origin (`http.<scheme://host/>.extraHeader`),
    so a redirect to another host does not carry it along.
    """
    if isinstance(auth, HttpsAuth):
        token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
        origin = urlsplit(repo_url)
        yield {
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": f"http.{origin.scheme}://{origin.netloc}/.extraHeader",
            "GIT_CONFIG_VALUE_0": f"Authorization: Basic {token}",
        }
        return
    with contextlib.ExitStack() as files:
        yield {"GIT_SSH_COMMAND": _ssh_command(auth, files, known_hosts_file)}


def _ssh_command(auth: SshKeyAuth | None, files: contextlib.ExitStack, known_hosts_file: Path) -> str:
    # The operator's ssh config (chart `config.sshConfig`, mounted in the image user's home) applies,
    # as upstream's; nothing a repository or an Application controls reaches it. Our -o options win.
    args = ["ssh", "-o", "BatchMode=yes"]
    if auth is not None:  # exactly the job's own key: no agent's or ~/.ssh key as a fallback
        key = files.enter_context(_in_memory("image-updater-ssh-key", auth.private_key.rstrip(b"\n") + b"\n"))
        args += ["-i", key, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"]
    if auth is not None and auth.known_hosts:
        pinned = files.enter_context(_in_memory("image-updater-known-hosts", auth.known_hosts.encode()))
        args += ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={pinned}"]
    else:
        args += ["-o", "StrictHostKeyChecking=accept-new", "-o", f"UserKnownHostsFile={known_hosts_file}"]
    return shlex.join(args)


@contextmanager
def _in_memory(name: str, data: bytes) -> Iterator[str]:
    """A path to `data` held only in this process's memory (a 0600 memfd), gone when the block
    ends or the process dies, however it dies: nothing is ever written to a filesystem.

    The path names our own descriptor table (`/proc/<pid>/fd/<n>`), not `/dev/fd/<n>`, because
    ssh closes every inherited descriptor at start-up; it opens the path anew, as the same user.
    """
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    try:
        os.fchmod(fd, 0o600)  # ssh refuses a key file that others could read
        with open(fd, "wb", closefd=False) as out:
            out.write(data)
        yield f"/proc/{os.getpid()}/fd/{fd}"
    finally:
        os.close(fd)


def secrets_of(auth: GitAuth | None) -> tuple[str, ...]:
    """The strings that must never appear in a message (the password, its header form, the key)."""
    if isinstance(auth, HttpsAuth):
        token = base64.b64encode(f"{auth.username}:{auth.password}".encode()).decode()
        return tuple(s for s in (auth.password, token) if s)
    if isinstance(auth, SshKeyAuth):
        return tuple(line for line in auth.private_key.decode(errors="replace").splitlines() if len(line) > 8)
    return ()


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Remove known secrets, URL userinfo, Authorization headers and key blocks from `text`."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = re.sub(r"(?i)(authorization:\s*)\S+(\s+\S+)?", r"\1***", text)
    text = re.sub(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", "***", text, flags=re.S
    )
    return redact_url(text)
