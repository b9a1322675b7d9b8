"""Which configured images a registry push concerns. Pure.

A push names a registry host and a repository as the provider spells them; an image is
configured as written in an annotation or ImageUpdater resource (`nginx`, `docker.io/nginx`,
`127.0.0.1:5000/org/api`) and is read from the endpoint registries.conf resolves it to. Both
sides are reduced to one `RepositoryKey`: the host lower-cased with every Docker Hub spelling
folded into `docker.io`, and the repository path with Docker Hub's `library/` (or the endpoint's
`defaultns`) added. An image matches a push when the key of its written name, or the key of the
endpoint it is read from, is the push's key. The payload only chooses which images are looked
at again: their tags are always read from the configured endpoint, never from a URL it sends.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from image_updater import refs
from image_updater.refs import ImageRef
from image_updater.settings.registries import RegistryConfig, api_repository
from image_updater.webhooks.events import RegistryPush


@dataclass(frozen=True, slots=True, order=True)
class RepositoryKey:
    """One repository of one registry, in its canonical spelling (`docker.io`, `library/nginx`)."""

    registry: str
    repository: str

    def __str__(self) -> str:
        return f"{self.registry}/{self.repository}"


def push_key(push: RegistryPush) -> RepositoryKey:
    """The repository `push` names."""
    return _key(push.registry, ImageRef(registry=push.registry, repository=push.repository))


def image_keys(image: ImageRef, registries: RegistryConfig) -> frozenset[RepositoryKey]:
    """Every key under which a push concerns `image`: as written, and as its endpoint reads it."""
    endpoint = registries.resolve(image)
    host = urlsplit(endpoint.api_url).netloc
    keys = {RepositoryKey(_host(host), api_repository(endpoint, image))}
    if image.registry:
        keys.add(_key(image.registry, image))
    return frozenset(keys)


@dataclass(frozen=True, slots=True)
class RepositoryFilter:
    """The repositories a targeted run looks at; an image outside them is not checked."""

    keys: frozenset[RepositoryKey]

    @classmethod
    def of(cls, keys: Iterable[RepositoryKey]) -> RepositoryFilter:
        return cls(frozenset(keys))

    def matches(self, image: ImageRef, registries: RegistryConfig) -> bool:
        return not self.keys.isdisjoint(image_keys(image, registries))

    def __str__(self) -> str:
        return ", ".join(str(key) for key in sorted(self.keys))


def _key(host: str, image: ImageRef) -> RepositoryKey:
    registry = _host(host)
    return RepositoryKey(
        registry, refs.registry_path(image, default_ns="library" if registry == "docker.io" else "")
    )


def _host(host: str) -> str:
    lowered = host.lower()
    return "docker.io" if refs.is_docker_hub(lowered) else lowered
