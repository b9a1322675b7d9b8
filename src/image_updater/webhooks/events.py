"""The one thing a webhook tells the runtime: a repository of a registry had a push. Pure data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RegistryPush:
    """A push a provider reported. `registry` is the host[:port] as image references spell it
    (`docker.io` for Docker Hub), `repository` the path within it (`library/nginx`). `tag` is the
    payload's claim, kept only for logs: selection always reads the registry's own tag list."""

    registry: str
    repository: str
    tag: str | None = None
