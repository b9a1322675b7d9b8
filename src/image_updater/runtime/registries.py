"""Registry clients for the controller: one per (endpoint, credentials), kept across cycles.

Owns the long-lived pieces (HTTP session, metadata cache, request counter, one rate limiter per
registry shared by all its clients, so `limit` holds whatever credentials are used) and, per
cycle, `CycleTags`: each repository's tag list is fetched once per cycle however many
Applications watch it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

import aiohttp

from image_updater.credentials import CredentialRef
from image_updater.registry.cache import MetadataCache
from image_updater.registry.client import RegistryClient
from image_updater.registry.counting import RequestCounter
from image_updater.registry.credentials import CredentialResolver
from image_updater.registry.limits import RequestLimiter
from image_updater.registry.manifests import Manifest
from image_updater.selection.types import Platform, TagInfo
from image_updater.settings.proxies import DIRECT, ProxyRules
from image_updater.settings.registries import Endpoint


@dataclass(slots=True)
class RegistryPool:
    """Creates and keeps clients; see the module docstring."""

    session: aiohttp.ClientSession
    resolver: CredentialResolver
    counter: RequestCounter = field(default_factory=RequestCounter)
    cache: MetadataCache = field(default_factory=MetadataCache)
    proxies: ProxyRules = DIRECT
    _clients: dict[tuple[str, str], RegistryClient] = field(default_factory=dict)
    _limiters: dict[str, RequestLimiter] = field(default_factory=dict)

    def client(self, endpoint: Endpoint, credentials: CredentialRef | None) -> RegistryClient:
        """The client for `endpoint` with `credentials` (an image's pull secret, else the endpoint's)."""
        key = (endpoint.api_url, str(credentials) if credentials else "")
        if key not in self._clients:
            limiter = self._limiters.setdefault(endpoint.api_url, RequestLimiter(limit=endpoint.limit))
            provider = (
                self.resolver.provider(credentials, endpoint, cached=False)
                if credentials is not None
                else self.resolver.for_endpoint(endpoint)
            )
            self._clients[key] = RegistryClient(
                session=self.session,
                endpoint=endpoint,
                credentials=provider,
                counter=self.counter,
                limiter=limiter,
                cache=self.cache,
                proxies=self.proxies,
                identity=key[1] or f"endpoint {endpoint.credentials or 'anonymous'}",
            )
        return self._clients[key]


class CycleTags:
    """A `TagSource` over one client that lists each repository's tags, and resolves each tracked
    tag's digest, at most once per cycle."""

    def __init__(self, client: RegistryClient) -> None:
        self._client = client
        self._lists: dict[str, asyncio.Future[list[str]]] = {}
        self._digests: dict[tuple[str, str], asyncio.Future[str]] = {}

    async def list_tags(self, repository: str) -> list[str]:
        if repository not in self._lists:
            self._lists[repository] = asyncio.ensure_future(self._client.list_tags(repository))
        return list(await asyncio.shield(self._lists[repository]))

    async def manifest_digest(self, repository: str, reference: str) -> str:
        """One HEAD per (repository, tag) per cycle, however many images track it."""
        key = (repository, reference)
        if key not in self._digests:
            self._digests[key] = asyncio.ensure_future(self._client.manifest_digest(repository, reference))
        return await asyncio.shield(self._digests[key])

    async def fetch_manifest(self, repository: str, reference: str) -> Manifest:
        return await self._client.fetch_manifest(repository, reference)  # cached by digest in the client

    def first_seen(self, repository: str, digest: str, *, now: datetime) -> datetime:
        return self._client.first_seen(repository, digest, now=now)

    async def tag_info(
        self,
        repository: str,
        tag: str,
        *,
        platforms: tuple[Platform, ...] = (),
        need_created: bool,
        trust_for: float = 0.0,
    ) -> TagInfo:
        return await self._client.tag_info(
            repository, tag, platforms=platforms, need_created=need_created, trust_for=trust_for
        )
