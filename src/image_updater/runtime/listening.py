"""The controller's listening side while it runs: the probe and metrics servers, the webhook
server and the stop signals.

Each is a context manager entered before the first cycle and left after the last. A port that
cannot be bound stops the start with a `ConfigError` naming it; port 0 means no server.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Iterator

from image_updater.errors import ConfigError
from image_updater.runtime import servers
from image_updater.runtime.metrics import Metrics
from image_updater.runtime.webhook_server import OnPush, WebhookSettings, build_webhook_app, serve_webhooks


@contextlib.asynccontextmanager
async def probes_and_metrics(
    *, health_port: int, metrics_port: int, metrics: Metrics, health: servers.Health
) -> AsyncIterator[None]:
    """`/healthz`, `/readyz` and `/metrics`, on one server when both ports are equal."""
    ports = {port for port in (health_port, metrics_port) if port > 0}
    runners = []
    try:
        for port in sorted(ports):
            app = servers.build_app(
                metrics=metrics if port == metrics_port else None,
                health=health if port == health_port else None,
            )
            try:
                runners.append(await servers.serve(app, host="0.0.0.0", port=port))  # noqa: S104 - probes come from outside
            except OSError as err:
                raise ConfigError(f"cannot listen on port {port}: {err.strerror or err}") from err
        yield
    finally:
        for runner in runners:
            await runner.cleanup()


@contextlib.asynccontextmanager
async def webhooks(
    settings: WebhookSettings | None, metrics: Metrics, *, on_push: OnPush
) -> AsyncIterator[None]:
    """The webhook server, when configured; `on_push` is the dispatcher's."""
    if settings is None:
        yield
        return
    app = build_webhook_app(settings, on_push=on_push, metrics=metrics)
    try:
        runner = await serve_webhooks(settings, app=app)
    except OSError as err:
        raise ConfigError(f"cannot listen on webhook port {settings.port}: {err.strerror or err}") from err
    try:
        yield
    finally:
        await runner.cleanup()


@contextlib.contextmanager
def stop_signals(stop: asyncio.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop` (the cycle in progress, and so any write, then finishes)."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
