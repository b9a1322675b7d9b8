"""A webhook server on a loopback port for tests: `webhook_server` runs `build_webhook_app` with a
`Recorder` as `on_push` (unless given another) and yields its URL, recorder and metrics."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp

from image_updater.runtime.metrics import Metrics
from image_updater.runtime.webhook_server import OnPush, WebhookSettings, build_webhook_app, serve_webhooks
from image_updater.webhooks.events import RegistryPush
from tests.webhooks.helpers import SECRET

PLAIN = WebhookSettings(port=0, secrets={"distribution": SECRET}, tls=None)


@dataclass
class Recorder:
    """An `on_push` that records what it was handed."""

    pushes: list[RegistryPush] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, pushes: Sequence[RegistryPush]) -> None:
        self.pushes.extend(pushes)
        self.arrived.set()


@dataclass
class Running:
    url: str
    recorder: Recorder
    metrics: Metrics

    def count(self, kind: str, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "argocd_image_updater_webhook_events_total", {"type": kind, "outcome": outcome}
        )
        return value or 0.0


@asynccontextmanager
async def webhook_server(
    settings: WebhookSettings = PLAIN, on_push: OnPush | None = None, *, timeout: float = 10.0
) -> AsyncIterator[Running]:
    recorder, metrics = Recorder(), Metrics()
    app = build_webhook_app(settings, on_push=on_push or recorder, metrics=metrics, body_timeout=timeout)
    runner = await serve_webhooks(settings, app=app, host="127.0.0.1", idle_timeout=timeout)
    scheme = "http" if settings.tls is None else "https"
    try:
        yield Running(f"{scheme}://127.0.0.1:{runner.addresses[0][1]}", recorder, metrics)
    finally:
        await runner.cleanup()


async def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    data = io.BytesIO(body)  # aiohttp warns about large bytes bodies
    async with aiohttp.ClientSession() as session, session.post(url, data=data, headers=headers) as answer:
        return answer.status, await answer.text()
