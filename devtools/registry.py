"""A real OCI registry (Debian's `docker-registry`, distribution 2.8.2) on a free 127.0.0.1 port.

Owns: writing the registry config (filesystem storage under the work dir, deletes enabled, quiet
logs), the htpasswd file (bcrypt, which is all distribution accepts), starting the process, waiting
until `/v2/` answers, and stopping it. Token auth needs a token server: see `devtools.tokenserver`
(`start_token_registry` wires both together).

Limits: distribution 2.8.2 ignores `?n=&last=` on tags/list and sends no `Link` header, and a
DELETE by tag answers 400 (delete by digest instead). One process per call; callers share it.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

import bcrypt

from devtools.tokenserver import DEFAULT_ISSUER, DEFAULT_SERVICE, TokenServer, start_token_server

AuthMode = Literal["none", "htpasswd", "token"]

_BINARY = "docker-registry"
_READY_TIMEOUT = 10.0
_START_ATTEMPTS = 3


@dataclass(frozen=True)
class Notify:
    """A `notifications.endpoints` entry: the registry POSTs each event to `url` with
    `Authorization: Bearer <secret>`, retrying quickly (tests wait for deliveries)."""

    url: str
    secret: str

    def config(self) -> str:
        return (
            "notifications:\n  endpoints:\n    - name: webhook\n"
            f"      url: {self.url}\n"
            f"      headers:\n        Authorization: [Bearer {self.secret}]\n"
            "      timeout: 2s\n      threshold: 3\n      backoff: 200ms\n"
        )


class RegistryStartError(RuntimeError):
    """The registry binary is missing or the process did not come up."""


@dataclass(eq=False)
class LocalRegistry:
    """A running registry. `url` is `http://127.0.0.1:PORT`, `host` is `127.0.0.1:PORT`, `root` is the
    storage root directory (what `devtools.oci.write_tags_on_disk` writes into)."""

    url: str
    host: str
    root: Path
    auth: AuthMode
    users: Mapping[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    token_server: TokenServer | None = None

    def stop(self) -> None:
        """Stop the registry (and its token server, when it owns one). Idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self.token_server is not None:
            self.token_server.stop()

    def __enter__(self) -> LocalRegistry:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_registry(
    workdir: Path,
    *,
    auth: AuthMode = "none",
    users: Mapping[str, str] | None = None,
    token_realm: str | None = None,
    token_cert: Path | None = None,
    token_service: str = DEFAULT_SERVICE,
    token_issuer: str = DEFAULT_ISSUER,
    notify: Notify | None = None,
) -> LocalRegistry:
    """Start a registry whose files all live under `workdir` and wait until it answers.

    `users` maps user names to passwords (htpasswd mode). Token mode needs `token_realm` (the token
    server's URL) and `token_cert` (the PEM certificate that signs its tokens). `notify` makes the
    registry POST its event envelope for every push and pull to a webhook.
    """
    binary = shutil.which(_BINARY)
    if binary is None:
        raise RegistryStartError(
            f"`{_BINARY}` is not installed: run `make test` or `apt-get install docker-registry`"
        )
    workdir.mkdir(parents=True, exist_ok=True)
    root = workdir / "storage"
    root.mkdir(exist_ok=True)
    auth_block = _auth_config(
        workdir, auth, users or {}, token_realm, token_cert, token_service, token_issuer
    ) + (notify.config() if notify else "")
    for _ in range(_START_ATTEMPTS):
        port = _free_port()
        config = workdir / "config.yml"
        config.write_text(_config_text(root, port, auth_block))
        log_path = workdir / "registry.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        registry = LocalRegistry(
            url=f"http://127.0.0.1:{port}",
            host=f"127.0.0.1:{port}",
            root=root,
            auth=auth,
            users=dict(users or {}),
            log_path=log_path,
            process=process,
        )
        if _wait_ready(registry):
            return registry
        registry.stop()  # most likely lost the port race: try another port
    raise RegistryStartError(f"docker-registry did not start; see {workdir / 'registry.log'}")


def start_token_registry(
    workdir: Path, *, users: Mapping[str, str], expires_in: int = 300, anonymous_pull: bool = True
) -> LocalRegistry:
    """Start a token server and a registry that trusts it; `stop()` stops both."""
    server = start_token_server(
        workdir / "tokens", users=users, expires_in=expires_in, anonymous_pull=anonymous_pull
    )
    try:
        registry = start_registry(
            workdir / "registry",
            auth="token",
            token_realm=server.realm,
            token_cert=server.cert_path,
            token_service=server.service,
            token_issuer=server.issuer,
        )
    except BaseException:
        server.stop()
        raise
    registry.users = dict(users)
    registry.token_server = server
    return registry


def _auth_config(
    workdir: Path,
    auth: AuthMode,
    users: Mapping[str, str],
    token_realm: str | None,
    token_cert: Path | None,
    token_service: str,
    token_issuer: str,
) -> str:
    if auth == "none":
        return ""
    if auth == "htpasswd":
        htpasswd = workdir / "htpasswd"
        htpasswd.write_text("".join(f"{user}:{_bcrypt(password)}\n" for user, password in users.items()))
        return f"auth:\n  htpasswd:\n    realm: local-registry\n    path: {htpasswd}\n"
    if token_realm is None or token_cert is None:
        raise ValueError("auth='token' needs token_realm and token_cert (see devtools.tokenserver)")
    return (
        "auth:\n  token:\n"
        f"    realm: {token_realm}\n    service: {token_service}\n"
        f"    issuer: {token_issuer}\n    rootcertbundle: {token_cert}\n"
    )


def _bcrypt(password: str) -> str:
    # Cost 4 (the minimum) keeps every authenticated request fast; the registry checks each one.
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


def _config_text(root: Path, port: int, auth_block: str) -> str:
    return (
        "version: 0.1\n"
        "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: local-test-secret\n"
        f"{auth_block}"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(registry: LocalRegistry) -> bool:
    deadline = time.monotonic() + _READY_TIMEOUT
    while time.monotonic() < deadline:
        if registry.process.poll() is not None:
            return False
        if _answers(registry.host):
            return True
        time.sleep(0.02)
    return False


def _answers(host: str) -> bool:
    # http.client rather than urllib: no proxy settings from the environment, any status is "up".
    connection = http.client.HTTPConnection(host, timeout=1)
    try:
        connection.request("GET", "/v2/")
        connection.getresponse().read()
        return True
    except OSError:
        return False
    finally:
        connection.close()
