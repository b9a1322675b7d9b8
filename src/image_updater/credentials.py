"""Credential references and the Secrets interface. Pure: no I/O.

Syntax `[<registry>=]<type>:<definition>`: `pullsecret:<ns>/<name>`, `secret:<ns>/<name>#<field>`,
`env:<VAR>`, `ext:<absolute path>`. Secret-backed references resolve through `SecretSource`, which
the runtime implements from the cluster or from Secret manifests on disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Credentials:
    """A username and password. `repr` hides the password so it cannot reach a log by accident."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"


class SecretSource(Protocol):
    """Reads a Kubernetes-style Secret: its decoded `data` fields, by namespace and name.

    Raises `image_updater.errors.CredentialError` when the Secret does not exist.
    """

    async def get_secret(self, namespace: str, name: str) -> dict[str, bytes]: ...
