"""An async OCI Distribution v2 client for one registry endpoint, on an injected aiohttp session.

Reads only: ping, tag lists (paginated by `Link`), manifest digests (HEAD), manifests, image
configs, and `TagInfo` for the update strategies. Authentication is learnt from the registry's
401 challenge on first use (`ping` is optional: there is no call order). Every request goes
through `Transport` (limiter, counter, timeout, retries). Repository names are full paths in the
registry (`library/nginx`): default namespaces are the caller's business.

Caching (`MetadataCache`, shared): manifests and configs by digest, and the digest each tag had,
so `tag_info` on a known tag costs one HEAD when the tag has not moved. `fetch_manifest` by digest
and `fetch_config` answer from that cache without asking the registry again. Tag lists are asked
every time, revalidated with `If-None-Match` where the registry sent an ETag (a 304 reuses the
list kept for this endpoint, repository and credential identity).

Trust: every body fetched by digest, and every body whose answer announces a
`Docker-Content-Digest`, is hashed and compared (`manifests.verify`); only sha256/sha512 digests
are accepted, from headers and documents alike. A digest from a HEAD alone is unverified: callers
that write it confirm it with `fetch_manifest(repository, digest)` (see `scanning`). Redirects
and `Link` pages are followed only to well-formed http(s) URLs, `Link` pages only on the
registry's own origin. TLS: `endpoint.insecure` skips verification of the registry's own certificate;
`endpoint.ca_file` adds a CA to the system trust store. Limits: no writes, no schema1 manifests.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from urllib.parse import quote, urlsplit

import aiohttp

from image_updater import refs
from image_updater.errors import RegistryNotFound, RegistryProtocolError
from image_updater.registry import auth, tagging
from image_updater.registry.authenticating import MAX_TOKEN_BODY, Authenticator, CredentialsProvider, denied
from image_updater.registry.cache import MetadataCache, TagList
from image_updater.registry.counting import RequestCounter, RequestKind
from image_updater.registry.limits import RequestLimiter
from image_updater.registry.manifests import (
    ACCEPT,
    ImageConfig,
    Manifest,
    parse_config,
    parse_manifest,
    sha256_digest,
    verify,
)
from image_updater.registry.transport import Response, Transport, origin, resolve, tls_context
from image_updater.selection.types import Platform, TagInfo
from image_updater.settings.proxies import DIRECT, ProxyRules
from image_updater.settings.registries import Endpoint

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=30)
PAGE_SIZE = 1000
MAX_PAGES = 1000
MAX_TAGS = 200_000
MAX_TAGS_BODY = 16 << 20
MAX_MANIFEST_BODY = 4 << 20  # distribution's own limit for manifests
MAX_CONFIG_BODY = 8 << 20
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})


class RegistryClient:
    """Talks to one registry endpoint with one set of credentials, fetched when a challenge needs them.

    `retries` (>= 0) is how many times a transient failure is retried; `clock` and `sleep` drive
    token expiry and backoff (inject fakes in tests). `identity` names the credentials (a client
    per identity): tag lists kept for revalidation are never shared between identities. Safe for
    concurrent use on one event loop.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        endpoint: Endpoint,
        credentials: CredentialsProvider | None,
        counter: RequestCounter,
        limiter: RequestLimiter,
        cache: MetadataCache,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retries: int = 3,
        proxies: ProxyRules = DIRECT,
        identity: str = "",
    ) -> None:
        self._api = endpoint.api_url.rstrip("/")
        self._identity = identity
        self._registry = urlsplit(self._api).netloc
        self._cache = cache
        self._clock = clock
        self._configs_in_flight: dict[str, asyncio.Future[ImageConfig]] = {}
        ssl_context = tls_context(
            name=endpoint.name, ca_file=endpoint.ca_file, insecure=endpoint.insecure, ca_data=endpoint.ca_data
        )
        self._transport = Transport(
            session=session,
            api_url=self._api,
            counter=counter,
            limiter=limiter,
            timeout=timeout,
            retries=retries,
            sleep=sleep,
            insecure=endpoint.insecure,
            ssl_context=ssl_context,
            proxies=proxies,
        )
        self._auth = Authenticator(
            registry=self._registry,
            https=self._api.startswith("https://"),
            transport=self._transport,
            credentials=credentials,
            clock=clock,
        )

    @property
    def registry(self) -> str:
        """The registry's host[:port]: the key for the counter, the caches and error messages."""
        return self._registry

    async def ping(self) -> auth.Challenge | None:
        """GET /v2/ and remember the auth challenge; None means the registry wants no authentication."""
        response = await self._transport.send(
            kind="ping",
            method="GET",
            url=f"{self._api}/v2/",
            headers={},
            max_bytes=MAX_TOKEN_BODY,
            what=self.registry,
        )
        if response.status == 401:
            return self._auth.learn(response, repository=None)
        self._expect_ok(response, repository=None, thing="the /v2/ endpoint")
        return None

    async def list_tags(self, repository: str) -> list[str]:
        """Every tag of `repository`, following `Link: <...>; rel="next"` pages, in registry order.

        A tag listed twice is kept once (its first place): repeats would cost a metadata request each.
        A one-page list sent with an `ETag` is kept (see `cache`); the next listing asks
        `If-None-Match` with it, and a 304 answers with the kept list.
        """
        first = f"{self._api}/v2/{_path(repository)}/tags/list?n={PAGE_SIZE}"
        kept = self._cache.tag_list(api_url=self._api, repository=repository, identity=self._identity)
        url: str | None = first
        seen: set[str] = set()
        tags: list[str] = []
        while url is not None:
            if url in seen:
                raise RegistryProtocolError(
                    f"{self._where(repository)}: tag list pagination loops back to a seen page"
                )
            if len(seen) >= MAX_PAGES:
                raise RegistryProtocolError(
                    f"{self._where(repository)}: tag list has more than {MAX_PAGES} pages"
                )
            seen.add(url)
            revalidate = {"If-None-Match": kept.etag} if kept is not None and url == first else {}
            headers = {"Accept": "application/json", **revalidate}
            response = await self._request("tags", "GET", url, repository, headers, MAX_TAGS_BODY)
            if response.status == 304 and revalidate:
                return list(kept.tags) if kept is not None else []
            self._expect_ok(response, repository=repository, thing="repository")
            tags.extend(tagging.page_tags(response.body, where=self._where(repository)))
            if len(tags) > MAX_TAGS:
                raise RegistryProtocolError(f"{self._where(repository)}: more than {MAX_TAGS} tags")
            url = tagging.next_link(
                response.headers.getall("Link", []), base=url, where=self._where(repository)
            )
        listed = list(dict.fromkeys(tags))
        if len(seen) == 1 and "ETag" in response.headers:
            self._keep_tag_list(repository, response.headers["ETag"], listed)
        return listed

    def _keep_tag_list(self, repository: str, etag: str, tags: list[str]) -> None:
        """Keep a one-page list under its ETag (one outside the grammar, or a list longer than a
        page, is not kept). A list kept earlier stays: a 304 to its ETag still vouches for it."""
        tag_list = TagList.checked(etag.strip(), tags)
        if tag_list is not None:
            self._cache.put_tag_list(
                api_url=self._api, repository=repository, identity=self._identity, tag_list=tag_list
            )

    def first_seen(self, repository: str, digest: str, *, now: datetime) -> datetime:
        """When this process (or its disk cache) first saw `digest` in `repository`; `now` if never."""
        seen = self._cache.first_seen(
            registry=self.registry, repository=repository, digest=digest, now=now.timestamp()
        )
        return datetime.fromtimestamp(seen, UTC)

    async def manifest_digest(self, repository: str, reference: str) -> str:
        """The digest of the manifest `reference` (tag or digest) names: HEAD, or GET if no digest header."""
        url = f"{self._api}/v2/{_path(repository)}/manifests/{_ref(reference)}"
        response = await self._request("manifest_head", "HEAD", url, repository, {"Accept": ACCEPT}, 0)
        self._expect_ok(response, repository=repository, thing=f"manifest {reference!r}")
        digest = response.headers.get("Docker-Content-Digest", "").strip()
        if not digest:
            return (await self.fetch_manifest(repository, reference)).digest
        if not refs.is_content_digest(digest):
            raise RegistryProtocolError(
                f"{self._where(repository)}: malformed Docker-Content-Digest header for {reference!r} "
                "(not a sha256/sha512 digest)"
            )
        return digest

    async def fetch_manifest(self, repository: str, reference: str) -> Manifest:
        """GET and parse a manifest; by digest it is verified, and served from the cache when known.

        By tag, the body is verified against the announced `Docker-Content-Digest`, and without
        one its own sha256 is its digest. A reference with `:` is a digest (no tag holds one).
        """
        by_digest = ":" in reference
        cached = self._cache.manifest(registry=self.registry, digest=reference) if by_digest else None
        if cached is not None:
            return cached
        url = f"{self._api}/v2/{_path(repository)}/manifests/{_ref(reference)}"
        response = await self._request(
            "manifest_get", "GET", url, repository, {"Accept": ACCEPT}, MAX_MANIFEST_BODY
        )
        self._expect_ok(response, repository=repository, thing=f"manifest {reference!r}")
        header = response.headers.get("Docker-Content-Digest", "").strip()
        digest = reference if by_digest else header or sha256_digest(response.body)
        for claimed in dict.fromkeys(d for d in (digest, header) if d):
            verify(response.body, claimed, where=f"{self._where(repository)} manifest {reference}")
        manifest = parse_manifest(
            response.body,
            digest=digest,
            content_type=response.headers.get("Content-Type", ""),
            where=self._where(repository),
        )
        self._cache.put_manifest(registry=self.registry, manifest=manifest)
        return manifest

    async def fetch_config(self, repository: str, digest: str) -> ImageConfig:
        """GET, verify and parse an image configuration blob (following redirects to blob storage); cached.

        Concurrent calls for one digest (several tags of one image, scanned at once) share one GET.
        """
        cached = self._cache.config(registry=self.registry, digest=digest)
        if cached is not None:
            return cached
        pending = self._configs_in_flight.get(digest)
        if pending is None:
            pending = asyncio.ensure_future(self._get_config(repository, digest))
            self._configs_in_flight[digest] = pending
            pending.add_done_callback(lambda _: self._configs_in_flight.pop(digest, None))
        return await asyncio.shield(pending)

    async def _get_config(self, repository: str, digest: str) -> ImageConfig:
        url = f"{self._api}/v2/{_path(repository)}/blobs/{_ref(digest)}"
        response = await self._request("blob_get", "GET", url, repository, {}, MAX_CONFIG_BODY)
        self._expect_ok(response, repository=repository, thing=f"config blob {digest}")
        verify(response.body, digest, where=f"{self._where(repository)} config blob")
        config = parse_config(response.body, digest=digest, where=self._where(repository))
        self._cache.put_config(registry=self.registry, digest=digest, config=config)
        return config

    async def tag_info(
        self,
        repository: str,
        tag: str,
        *,
        platforms: tuple[Platform, ...] = (),
        need_created: bool,
        trust_for: float = 0.0,
    ) -> TagInfo:
        """What the update strategies need to know about `tag`; see `tagging.describe` for the rules.

        `trust_for` (seconds): a tag confirmed that recently is taken as unmoved without asking the
        registry. Each tag's window is shortened by up to 20%, fixed per tag name, so the
        revalidations of tags first seen together spread over later cycles instead of bunching.
        """
        manifest = await self._tag_manifest(repository, tag, trust_for=trust_for)
        return await tagging.describe(
            manifest,
            tag=tag,
            platforms=platforms,
            need_created=need_created,
            config_of=self._config_for(repository),
        )

    async def _tag_manifest(self, repository: str, tag: str, *, trust_for: float) -> Manifest:
        # A tag seen before is revalidated with a HEAD (Docker Hub does not count it as a pull)
        # once its trust window has passed; a new tag costs one GET, whose digest the memo keeps.
        now = self._clock()
        memo = self._cache.tag_memo(registry=self.registry, repository=repository, tag=tag)
        if memo is None:
            manifest = await self.fetch_manifest(repository, tag)
        else:
            digest, confirmed_at = memo
            if now - confirmed_at < _trust_window(tag, trust_for):
                return await self.fetch_manifest(repository, digest)
            manifest = await self.fetch_manifest(repository, await self.manifest_digest(repository, tag))
        self._cache.put_tag_digest(
            registry=self.registry, repository=repository, tag=tag, digest=manifest.digest, confirmed_at=now
        )
        return manifest

    def _config_for(self, repository: str) -> tagging.ConfigOf:
        async def config_of(manifest: Manifest | str) -> ImageConfig | None:
            if isinstance(manifest, str):
                manifest = await self.fetch_manifest(repository, manifest)
            if manifest.config_digest is None:
                return None
            return await self.fetch_config(repository, manifest.config_digest)

        return config_of

    async def _request(
        self,
        kind: RequestKind,
        method: str,
        url: str,
        repository: str,
        headers: dict[str, str],
        max_bytes: int,
    ) -> Response:
        """Send with authentication; on a 401 learn the challenge, get fresh authorization, retry once."""
        authorization = await self._auth.authorization(repository=repository)
        response = await self._follow(kind, method, url, headers, authorization, max_bytes, repository)
        if response.status != 401 or origin(response.url) != origin(self._api):
            return response  # a 401 from blob storage is no challenge of ours: `_expect_ok` reports it
        self._auth.learn(response, repository=repository)
        authorization = await self._auth.authorization(repository=repository, rejected=authorization)
        response = await self._follow(kind, method, url, headers, authorization, max_bytes, repository)
        if response.status == 401:
            raise denied(self.registry, 401, repository)
        return response

    async def _follow(
        self,
        kind: RequestKind,
        method: str,
        url: str,
        headers: dict[str, str],
        authorization: str | None,
        max_bytes: int,
        repository: str,
    ) -> Response:
        """Send, following redirects ourselves: our Authorization goes to the registry's own origin only."""
        for _ in range(MAX_REDIRECTS + 1):
            sent = dict(headers)
            if authorization is not None and origin(url) == origin(self._api):
                sent["Authorization"] = authorization
            response = await self._transport.send(
                kind=kind,
                method=method,
                url=url,
                headers=sent,
                max_bytes=max_bytes,
                what=self._where(repository),
            )
            location = response.headers.get("Location")
            if response.status not in _REDIRECTS:
                return response
            if not location:
                raise RegistryProtocolError(f"{self._where(repository)}: redirect without a Location header")
            url = resolve(url, location, what=self._where(repository))
        raise RegistryProtocolError(f"{self._where(repository)}: more than {MAX_REDIRECTS} redirects")

    def _expect_ok(self, response: Response, *, repository: str | None, thing: str) -> None:
        if 200 <= response.status < 300:
            return
        where = self._where(repository) if repository else self.registry
        if response.status == 404:
            raise RegistryNotFound(f"{where}: {thing} not found (HTTP 404)")
        if response.status in (401, 403):
            raise denied(self.registry, response.status, repository or "")
        raise RegistryProtocolError(f"{where}: unexpected HTTP {response.status} for {thing}")

    def _where(self, repository: str | None) -> str:
        return f"{self.registry}/{repository}" if repository else self.registry


def _trust_window(tag: str, trust_for: float) -> float:
    """`trust_for` shortened by up to 20%, fixed per tag name (see `RegistryClient.tag_info`)."""
    return trust_for * (0.8 + 0.2 * (zlib.crc32(tag.encode()) % 1000) / 1000)


def _path(repository: str) -> str:
    return quote(repository.strip("/"), safe="/")


def _ref(reference: str) -> str:
    return quote(reference, safe=":")
