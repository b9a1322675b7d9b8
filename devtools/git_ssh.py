"""A throwaway sshd serving git over SSH on 127.0.0.1, for tests and `make demo`. Not shipped.

Runs Debian's `/usr/sbin/sshd -D -e -f CONFIG` on a free loopback port with key-only auth for the
current user: generated host and user keys, `AuthorizedKeysFile` in a temporary directory,
`StrictModes no` (the temp dir is not owned the way sshd wants), `UsePAM no`. Repositories are
addressed by absolute path: `ssh://<user>@127.0.0.1:<port>/<abs path>`.
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class GitSshServer:
    """A running sshd; `user_key` is the private key (OpenSSH PEM) that may log in."""

    port: int
    user: str
    user_key: bytes
    host_public_key: str  # "ssh-ed25519 AAAA..."

    def url_for(self, bare_repo: Path) -> str:
        return f"ssh://{self.user}@127.0.0.1:{self.port}{bare_repo.resolve()}"

    @property
    def known_hosts(self) -> str:
        """A known_hosts line for this server, as Argo CD's ssh-known-hosts ConfigMap would hold it."""
        return f"[127.0.0.1]:{self.port} {self.host_public_key}\n"


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(state: Path, port: int, user: str) -> str:
    return "\n".join(
        [
            f"Port {port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {state / 'host_key'}",
            f"PidFile {state / 'sshd.pid'}",
            f"AuthorizedKeysFile {state / 'authorized_keys'}",
            f"AllowUsers {user}",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PubkeyAuthentication yes",
            "StrictModes no",
            "UsePAM no",
            "LogLevel ERROR",
            "",
        ]
    )


def _wait_ready(proc: subprocess.Popen[bytes], port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                if sock.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("sshd did not start in time")


@contextmanager
def serve(state: Path) -> Iterator[GitSshServer]:
    """Run sshd with its keys and config under `state` (an empty temp dir) until the block exits."""
    user, port = getpass.getuser(), _free_port()
    _keygen(state / "host_key")
    _keygen(state / "user_key")
    (state / "authorized_keys").write_bytes((state / "user_key.pub").read_bytes())
    (state / "sshd_config").write_text(_config(state, port, user))
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(state / "sshd_config")], stderr=subprocess.DEVNULL)
    try:
        _wait_ready(proc, port, time.monotonic() + 10)
        host_pub = (state / "host_key.pub").read_text().split()
        yield GitSshServer(
            port=port,
            user=user,
            user_key=(state / "user_key").read_bytes(),
            host_public_key=f"{host_pub[0]} {host_pub[1]}",
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
