"""The webhook server: `POST /webhook?type=<t>` (or header `X-Registry-Type`) and `GET /healthz`,
over TLS unless `--disable-tls` (runtime/webhook_tls.py).

A request is checked in this order, each refusal a one-line answer and a count in
`argocd_image_updater_webhook_events_total{type,outcome}`: the sender's source address within
`--webhook-ratelimit-allowed` requests per hour (429), each field a type or secret is read from
given at most once, and `?type=` and `X-Registry-Type` not naming different types (400: a proxy
that reads the last of two `Authorization` headers or `?secret=`, or the header type, would
judge another request than we do), a known type (400), the type's secret (401) when its proof
is not over the body, a body of at most MAX_BODY bytes (413) delivered within BODY_TIMEOUT
seconds (408; at most MAX_READING bodies are read at once, the others wait within that time),
GitHub's signature of the body (401), a payload of that type (400). So a sender without the
secret makes us hold no body, except of the type that signs bodies, and that only MAX_READING at
a time. Then the pushes go to `on_push` and the answer is 200 `Webhook received
and processing`, whatever they name: the answer never says whether a repository is watched, and
`on_push` runs after it (an awaitable it returns is run as a task, awaited at shutdown; its errors
are logged).

The rate limit is a token bucket per source address (the TCP peer; behind an Ingress that is the
Ingress, so set the limit there too), MAX_SOURCES addresses tracked, the least recent forgotten
first. Connections idle, or slow to deliver their headers, for IDLE_TIMEOUT are closed
(runtime/servers.py).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import structlog
from aiohttp import web

from image_updater.errors import InvalidWebhook, WebhookAuthError, WebhookError
from image_updater.runtime import servers
from image_updater.runtime.metrics import Metrics
from image_updater.runtime.webhook_tls import TlsSettings, server_context
from image_updater.webhooks.events import RegistryPush
from image_updater.webhooks.receiving import TYPES, authenticate, receive, webhook_type
from image_updater.webhooks.requests import WebhookRequest
from image_updater.webhooks.secrets import ReplayGuard

log = structlog.get_logger("image_updater.webhook")

OnPush = Callable[[Sequence[RegistryPush]], Awaitable[None] | None]
MAX_BODY = 1 << 20  # 1 MiB, upstream's bound; every provider's payload is a few KiB
BODY_TIMEOUT = 10.0  # seconds to deliver the body once the headers are in
MAX_SOURCES = 10_000
MAX_READING = 32  # bodies read at once: at most 32 MiB held for requests not yet authenticated
ACCEPTED = "Webhook received and processing"
# what `type`, the secrets and the payload's registry are read from (webhooks/secrets.py)
ONCE_QUERY = ("type", "secret", "registry_url")
ONCE_HEADERS = (
    "x-registry-type",
    "authorization",
    "x-hub-signature-256",
    "x-webhook-secret",
    "x-github-event",
)


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    """The webhook flags of `run`. `secrets` maps a type name (`docker.io`, `distribution`) to
    its secret; `tls` None serves plain HTTP."""

    port: int = 8082
    secrets: Mapping[str, str] = field(default_factory=dict)
    require_secret: bool = True
    ratelimit_allowed: int = 0  # per source address and hour; 0 = no limit
    tls: TlsSettings | None = field(default_factory=TlsSettings)


@dataclass(slots=True)
class SourceLimiter:
    """A token bucket of `per_hour` requests per source address, refilled continuously."""

    per_hour: int
    capacity: int = MAX_SOURCES
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    def allow(self, source: str, now: float) -> bool:
        if self.per_hour <= 0:
            return True
        tokens, last = self._buckets.pop(source, (float(self.per_hour), now))
        tokens = min(float(self.per_hour), tokens + (now - last) * self.per_hour / 3600.0)
        allowed = tokens >= 1.0
        self._buckets[source] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > self.capacity:
            self._buckets.popitem(last=False)
        return allowed


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


_STATUS: tuple[tuple[type[WebhookError], int], ...] = ((WebhookAuthError, 401), (InvalidWebhook, 400))


@dataclass(slots=True)
class _Receiver:
    settings: WebhookSettings
    on_push: OnPush
    metrics: Metrics
    clock: Callable[[], float]
    limiter: SourceLimiter
    body_timeout: float
    replays: ReplayGuard = field(default_factory=ReplayGuard)
    reading: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(MAX_READING))
    tasks: set[asyncio.Future[None]] = field(default_factory=set)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        kind = request.query.get("type") or request.headers.get("X-Registry-Type") or ""
        label = kind if kind in TYPES else "unknown"
        self._count(label, "received")
        try:
            pushes = await self._receive(request, kind)
        except _Refused as refused:
            self._count(label, "refused")
            if refused.status != 429:  # a flood of 429s is what the limit exists to keep quiet
                log.warning("webhook refused", type=label, source=request.remote, error=str(refused))
            return web.Response(status=refused.status, text=str(refused))
        self._count(label, "accepted" if pushes else "ignored")
        if pushes:
            log.info("webhook accepted", type=label, pushes=", ".join(_shown(p) for p in pushes[:10]))
            self._hand_over(pushes)
        return web.Response(text=ACCEPTED)

    async def _receive(self, request: web.Request, kind: str) -> tuple[RegistryPush, ...]:
        if not self.limiter.allow(request.remote or "", self.clock()):
            raise _Refused(429, "too many webhook requests from this address; retry later")
        _given_once(request)
        hook = WebhookRequest(
            type=kind,
            body=b"",
            query={key: request.query[key] for key in request.query},
            headers={name.lower(): request.headers[name] for name in request.headers},
            received_at=self.clock(),
        )
        secrets, required = self.settings.secrets, self.settings.require_secret
        try:
            # no body is read for an unknown type, nor for a sender without the secret, unless
            # the type has a secret whose proof is over the body; MAX_READING bodies at once
            if not webhook_type(kind).signs_body or not secrets.get(kind):
                authenticate(hook, secrets=secrets, require_secret=required, replays=self.replays)
            async with asyncio.timeout(self.body_timeout), self.reading:
                hook = replace(hook, body=await _body(request))
            return receive(hook, secrets=secrets, require_secret=required, replays=self.replays)
        except TimeoutError:
            raise _Refused(408, f"the body took longer than {self.body_timeout:g}s to arrive") from None
        except WebhookError as err:
            raise _Refused(next(s for cls, s in _STATUS if isinstance(err, cls)), str(err)) from err

    def _hand_over(self, pushes: tuple[RegistryPush, ...]) -> None:
        try:
            result = self.on_push(pushes)
        except Exception as err:  # the sender gets 200 regardless: errors are ours to log
            log.error("handling webhook pushes failed", error=f"{type(err).__name__}: {err}")
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            self.tasks.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Future[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            log.error("handling webhook pushes failed", error=f"{type(err).__name__}: {err}")

    def _count(self, kind: str, outcome: str) -> None:
        self.metrics.webhook_events.labels(type=kind, outcome=outcome).inc()

    async def close(self, _: web.Application) -> None:
        await asyncio.gather(*self.tasks, return_exceptions=True)


def _given_once(request: web.Request) -> None:
    repeated = [f"?{key}=" for key in ONCE_QUERY if len(request.query.getall(key, ())) > 1]
    repeated += [f"header {name}" for name in ONCE_HEADERS if len(request.headers.getall(name, ())) > 1]
    if repeated:
        raise _Refused(400, f"{repeated[0]} is given more than once")
    named = {request.query.get("type"), request.headers.get("X-Registry-Type")} - {None, ""}
    if len(named) > 1:
        raise _Refused(400, "?type= and header X-Registry-Type name different types")


async def _body(request: web.Request) -> bytes:
    if (request.content_length or 0) > MAX_BODY:  # refused before a byte of it is waited for
        raise _Refused(413, f"the body is larger than {MAX_BODY} bytes")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:  # a chunked body that grew past the bound
        raise _Refused(413, f"the body is larger than {MAX_BODY} bytes") from None


def _shown(push: RegistryPush) -> str:
    return f"{push.registry}/{push.repository}" + (f":{push.tag}" if push.tag else "")


def build_webhook_app(
    settings: WebhookSettings,
    *,
    on_push: OnPush,
    metrics: Metrics,
    clock: Callable[[], float] = time.monotonic,
    body_timeout: float = BODY_TIMEOUT,
) -> web.Application:
    """The webhook endpoints as an aiohttp application (serve it with `serve_webhooks`)."""
    receiver = _Receiver(
        settings=settings,
        on_push=on_push,
        metrics=metrics,
        clock=clock,
        limiter=SourceLimiter(settings.ratelimit_allowed),
        body_timeout=body_timeout,
    )
    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post("/webhook", receiver.handle)
    app.router.add_get("/healthz", _healthz)
    app.on_cleanup.append(receiver.close)
    return app


async def _healthz(_: web.Request) -> web.StreamResponse:
    return web.Response(text="OK")


async def serve_webhooks(
    settings: WebhookSettings,
    *,
    app: web.Application,
    host: str = "0.0.0.0",  # noqa: S104 - registries are outside
    idle_timeout: float = servers.IDLE_TIMEOUT,
) -> web.AppRunner:
    """Serve `app` on `settings.port` (TLS unless `settings.tls` is None); the caller cleans up."""
    context = None
    if settings.tls is not None:
        context, origin = await server_context(settings.tls)
        log.info("webhook server uses TLS", certificate=origin)
    else:
        log.warning("webhook server runs plain HTTP (--disable-tls)")
    return await servers.serve(
        app, host=host, port=settings.port, idle_timeout=idle_timeout, ssl_context=context
    )
