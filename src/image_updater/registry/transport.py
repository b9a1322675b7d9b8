"""The one path every registry HTTP request takes: limiter → counter → timeout → retries.

`Transport.send` waits for a slot of the registry's `RequestLimiter`, counts the attempt in the
shared `RequestCounter`, sends it on the injected `aiohttp.ClientSession` with the timeout
(through the proxy `ProxyRules` picks for the URL, as Go's ProxyFromEnvironment would), reads
the body up to a size cap, and retries with exponential backoff and jitter on connection errors,
timeouts and 5xx (then `RegistryUnavailable`), and on 429 after honouring `Retry-After` (then
`RateLimited`). Every other answer, 4xx included, is returned for the caller to interpret. Redirects
are never followed here. aiohttp exceptions stop at this edge. Error messages carry neither URLs'
queries (signed storage URLs) nor headers.

Credentials never reach a proxy: `https://` requests go through a CONNECT tunnel (the proxy sees
the host and port only), and a plain `http://` request that carries `Authorization` is refused
when it would go through a proxy, since the proxy would read the header (InvalidProxyConfig).
"""

from __future__ import annotations

import random
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from image_updater.errors import (
    InvalidProxyConfig,
    InvalidRegistryConfig,
    RateLimited,
    RegistryProtocolError,
    RegistryUnavailable,
)
from image_updater.registry.counting import RequestCounter, RequestKind
from image_updater.registry.limits import RequestLimiter
from image_updater.settings.proxies import DIRECT, Proxy, ProxyRules

MAX_RETRY_AFTER = 60.0  # seconds; a registry asking for longer is reported as RateLimited instead
BACKOFF_BASE = 0.5
BACKOFF_CAP = 10.0


@dataclass(frozen=True, slots=True)
class Response:
    """A fully read answer. `url` is the URL requested (redirects are not followed)."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str


def tls_context(
    *, name: str, ca_file: str | None, insecure: bool, ca_data: str | None = None
) -> ssl.SSLContext | None:
    """The system trust store plus `ca_file` and/or `ca_data` (PEM), or None when the defaults apply
    (no extra CA, or insecure)."""
    if insecure or not (ca_file or ca_data):
        return None
    context = ssl.create_default_context()
    try:
        if ca_file:
            context.load_verify_locations(cafile=ca_file)
        if ca_data:
            context.load_verify_locations(cadata=ca_data)
    except (OSError, ssl.SSLError, ValueError) as exc:
        which = f"ca_file {ca_file!r}" if ca_file else "ca_data"
        raise InvalidRegistryConfig(f"registry {name!r}: {which} cannot be read as a PEM CA bundle") from exc
    return context


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports filled in: credentials are only sent to the same origin."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), parts.port or default)


def resolve(base: str, reference: str, *, what: str) -> str:
    """`reference` (a `Location` or `Link` target) resolved against `base`, as a URL we may request:
    http(s), a host, a valid port, no userinfo, printable ASCII only; else a RegistryProtocolError."""
    try:
        url = urljoin(base, reference.strip())
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
        valid = valid and parts.username is None  # credentials in a URL we are sent are not ours to use
    except ValueError:  # an unclosed IPv6 bracket, a port out of range
        valid = False
    if not valid or not url.isascii() or not url.isprintable() or " " in url:
        raise RegistryProtocolError(f"{what}: the registry sent an unusable URL to follow; refused")
    return url


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter (50-100 % of the step), capped at BACKOFF_CAP."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt) * (0.5 + random.random() / 2)


def retry_after(value: str | None, *, fallback: float, now: datetime | None = None) -> float:
    """Seconds to wait per `Retry-After` (delta-seconds or HTTP date), within [0, MAX_RETRY_AFTER].

    An HTTP date is compared with `now` (default: the wall clock, as the registry's is).
    """
    if not value:
        return fallback
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit also takes '²', which float() refuses
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return fallback
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - (now or datetime.now(UTC))).total_seconds()), MAX_RETRY_AFTER)


class Transport:
    """Sends requests for one registry; its host[:port], from `api_url`, keys the counter."""

    __slots__ = (
        "_api_origin",
        "_counter",
        "_insecure",
        "_limiter",
        "_proxies",
        "_registry",
        "_retries",
        "_session",
        "_sleep",
        "_ssl_context",
        "_timeout",
    )

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        api_url: str,
        counter: RequestCounter,
        limiter: RequestLimiter,
        timeout: aiohttp.ClientTimeout,
        retries: int,
        sleep: Callable[[float], Awaitable[None]],
        insecure: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        proxies: ProxyRules = DIRECT,
    ) -> None:
        self._session = session
        self._proxies = proxies
        self._api_origin = origin(api_url)
        self._registry = urlsplit(api_url).netloc
        self._counter = counter
        self._limiter = limiter
        self._timeout = timeout
        self._retries = retries
        self._sleep = sleep
        self._insecure = insecure
        self._ssl_context = ssl_context

    async def send(
        self,
        *,
        kind: RequestKind,
        method: str,
        url: str,
        headers: Mapping[str, str],
        max_bytes: int,
        what: str,
    ) -> Response:
        """Send one request, retrying transient failures; `what` names the repository for messages."""
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                response = await self._attempt(kind, method, url, headers, max_bytes, what)
            except (aiohttp.ClientError, TimeoutError) as exc:
                self._counter.record_failure(registry=self._registry)
                if isinstance(exc, aiohttp.ClientSSLError):
                    raise RegistryUnavailable(
                        f"TLS with {_about(url, what)} failed; check the registry's ca_file or insecure"
                    ) from exc
                if last:
                    reason = "timed out" if isinstance(exc, TimeoutError) else "could not be reached"
                    raise RegistryUnavailable(
                        f"{_about(url, what)}: {reason} after {attempt + 1} attempts",
                        delay=backoff(attempt + 1),
                    ) from exc
                await self._sleep(backoff(attempt))
                continue
            if response.status == 429:
                self._counter.record_rate_limited(registry=self._registry)
                delay = retry_after(response.headers.get("Retry-After"), fallback=backoff(attempt))
                if last:
                    raise RateLimited(
                        f"{_about(url, what)}: still rate-limited (HTTP 429) after {attempt + 1} attempts",
                        delay=delay,
                    )
                await self._sleep(delay)
                continue
            if response.status >= 500:
                self._counter.record_failure(registry=self._registry)
                if last:
                    raise RegistryUnavailable(
                        f"{_about(url, what)}: HTTP {response.status} after {attempt + 1} attempts",
                        delay=backoff(attempt + 1),
                    )
                await self._sleep(backoff(attempt))
                continue
            if response.status >= 400 and response.status != 401:
                self._counter.record_failure(registry=self._registry)
            return response
        raise AssertionError("unreachable: the loop returns or raises")

    async def _attempt(
        self, kind: RequestKind, method: str, url: str, headers: Mapping[str, str], max_bytes: int, what: str
    ) -> Response:
        proxy = self._proxy_for(url, headers, what)
        async with self._limiter.slot():
            self._counter.record_request(registry=self._registry, kind=kind)
            async with self._session.request(
                method,
                URL(url, encoded=True),
                headers=dict(headers),
                allow_redirects=False,
                timeout=self._timeout,
                ssl=self._ssl_for(url),
                proxy=proxy.url if proxy else None,
                proxy_headers={"Proxy-Authorization": proxy.authorization}
                if proxy and proxy.authorization
                else None,
            ) as resp:
                body = b"" if method == "HEAD" else await _read(resp, max_bytes=max_bytes, what=what)
                return Response(resp.status, resp.headers, body, url)

    def _proxy_for(self, url: str, headers: Mapping[str, str], what: str) -> Proxy | None:
        proxy = self._proxies.for_url(url)
        if proxy and url.startswith("http://") and any(k.lower() == "authorization" for k in headers):
            raise InvalidProxyConfig(
                f"{_about(url, what)}: plain-http request with credentials would go through the proxy "
                f"{_host(proxy.url)}, which could read them; add the host to NO_PROXY or use https"
            )
        return proxy

    def _ssl_for(self, url: str) -> ssl.SSLContext | bool:
        # `insecure` is about the registry's own certificate; redirect targets (blob storage) are verified.
        if self._insecure and origin(url) == self._api_origin:
            return False
        return self._ssl_context if self._ssl_context is not None else True


async def _read(resp: aiohttp.ClientResponse, *, max_bytes: int, what: str) -> bytes:
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise RegistryProtocolError(
            f"{_about(str(resp.url), what)}: answer of {resp.content_length} bytes exceeds {max_bytes}"
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > max_bytes:
            raise RegistryProtocolError(f"{_about(str(resp.url), what)}: answer exceeds {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _about(url: str, what: str) -> str:
    """`what` (registry/repository), plus the answering host if it differs (token service, storage)."""
    host = _host(url)
    return what if what == host or what.startswith(host + "/") else f"{what} (via {host})"


def _host(url: str) -> str:
    """host[:port] of a URL, for messages: never the query, which may carry signatures."""
    return urlsplit(url).netloc.rpartition("@")[2]
