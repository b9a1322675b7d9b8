"""HTTP endpoints of the controller: `/metrics` on the metrics port, `/healthz` and `/readyz` on
the health port (the same server when both ports are equal). Port 0 disables a server.

`/readyz` answers 200 once the first cycle has finished, so a rollout waits for a warm cache.

Whoever reaches these ports is untrusted: a connection is closed once it has been idle, or has
taken to deliver its request, IDLE_TIMEOUT seconds (aiohttp's default keeps one for an hour, so
idle or trickling connections could use up the file descriptors the registry and git clients need).
aiohttp caps request lines and headers (8 KiB each, 128 headers). A request its parser refuses
(malformed, smuggling-shaped, oversized) gets aiohttp's 400 and is one debug line, never a
traceback: anyone who reaches a port can send one, so it must neither flood nor forge the log
(`PeerErrorLog`). Not bounded: how many connections are open at once; firewall the ports to the
scrapers and probes.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from image_updater.runtime.metrics import Metrics

IDLE_TIMEOUT = 10.0  # seconds; scrapers and probes send their request at once

log = structlog.get_logger("image_updater.http")
_aiohttp = logging.getLogger("aiohttp.server")


@dataclass(slots=True)
class Health:
    """Mutable readiness, written by the cycle loop, read by `/readyz`. `/healthz` answers 200
    whenever the server answers at all: a wedged event loop is what liveness catches."""

    ready: bool = False


def build_app(*, metrics: Metrics | None, health: Health | None) -> web.Application:
    """An aiohttp application serving the endpoints that are not None."""
    app = web.Application()
    if metrics is not None:
        app.router.add_get("/metrics", _metrics_handler(metrics))
    if health is not None:
        app.router.add_get("/healthz", _probe(lambda: True, "alive"))
        app.router.add_get("/readyz", _probe(lambda: health.ready, "ready"))
    return app


async def serve(
    app: web.Application,
    *,
    host: str,
    port: int,
    idle_timeout: float = IDLE_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> web.AppRunner:
    """Start serving `app` (over TLS with `ssl_context`); the caller cleans up the returned runner."""
    # lingering_time: how long the rest of a refused request's body is read before closing
    runner = web.AppRunner(
        app,
        access_log=None,
        logger=PeerErrorLog(),
        keepalive_timeout=idle_timeout,
        lingering_time=idle_timeout,
    )
    await runner.setup()
    await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
    return runner


class PeerErrorLog:
    """aiohttp's server logger (its request handler's `logger`): an error is one line with the
    peer and the error on one line, its traceback at debug level only. A request the parser
    refused is the sender's doing, so it is a debug line; anything else is a bug of ours, an error."""

    def debug(self, message: str, *args: object, **kwargs: Any) -> None:
        _aiohttp.debug(message, *args, **kwargs)

    def exception(self, message: str, *args: object, exc_info: BaseException | None = None, **_: Any) -> None:
        _aiohttp.debug(message, *args, exc_info=exc_info)
        error = " ".join(f"{type(exc_info).__name__}: {exc_info}".split())[:300]
        refused = isinstance(exc_info, HttpProcessingError)
        (log.debug if refused else log.error)(message % args if args else message, error=error)


def _metrics_handler(metrics: Metrics) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(_: web.Request) -> web.StreamResponse:
        body = generate_latest(metrics.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handler


def _probe(check: Callable[[], bool], word: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(_: web.Request) -> web.StreamResponse:
        ok = check()
        return web.Response(status=200 if ok else 503, text=word if ok else f"not {word}")

    return handler
