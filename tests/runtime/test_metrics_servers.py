"""The controller's HTTP endpoints and shutdown, through `controller.run` on real ports.

The controller runs in a background task with a short interval against the fake API server; the
fake holds the Application list request until the test opens its gate, so "before the first
cycle" and "during a cycle" are states the test controls, not races it hopes to win.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import os
import signal
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from devtools import oci
from devtools.registry import LocalRegistry
from image_updater.runtime import controller
from image_updater.runtime.controller import RunSettings
from tests.conftest import CREATED
from tests.kube.fakeapi import FakeKube
from tests.runtime.conftest import APPS, application, write_kubeconfig

UPSTREAM_NAMES = (
    "argocd_image_updater_applications_watched_total",
    "argocd_image_updater_images_watched_total",
    "argocd_image_updater_images_updated_total",
    "argocd_image_updater_images_errors_total",
    "argocd_image_updater_registry_requests_total",
    "argocd_image_updater_registry_requests_failed_total",
    "argocd_image_updater_k8s_api_requests_total",
    "argocd_image_updater_images_checked_total",
    "argocd_image_updater_images_updated_errors_total",
    "argocd_image_updater_cycle_duration_seconds",
)


class GatedKube(FakeKube):
    """The fake API server, holding every Application list request while `gate` is closed."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()
        self.held = 0  # list requests that reached the gate

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method == "GET" and request.path.endswith("/applications"):
            self.held += 1
            await self.gate.wait()
        return await super()._middleware(request, handler)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


LEASES = ("coordination.k8s.io/v1", "leases")


def lease(holder: str) -> dict[str, Any]:
    renewed = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    spec = {"holderIdentity": holder, "leaseDurationSeconds": 15, "renewTime": renewed}
    return {"metadata": {"name": "argocd-image-updater-leader", "namespace": "argocd"}, "spec": spec}


@dataclass
class Running:
    fake: GatedKube
    task: asyncio.Task[int]
    http: aiohttp.ClientSession
    health: str
    metrics: str

    async def get(self, url: str) -> tuple[int, str]:
        async with self.http.get(url) as response:
            return response.status, await response.text()


async def eventually(check: Callable[[], bool | Awaitable[bool]], *, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not await _result(check()):
            await asyncio.sleep(0.02)


async def _result(value: bool | Awaitable[bool]) -> bool:
    return await value if inspect.isawaitable(value) else value


@pytest.fixture(scope="module")
def image(registry: LocalRegistry) -> str:
    for tag in ("1.0.0", "1.1.0"):
        oci.push_image(registry.url, "t/metrics-servers", tag, created=CREATED)
    return f"{registry.host}/t/metrics-servers"


@pytest.fixture
async def running(request: pytest.FixtureRequest, tmp_path: Path, image: str) -> AsyncIterator[Running]:
    """The controller in a background task; `indirect` params: `leader_election`, `dry_run`,
    `same_port` (metrics and probes on one port), `lease_holder` (another replica holding a fresh
    leader Lease)."""
    options = getattr(request, "param", {})
    fake = GatedKube()
    async with fake.serve(), aiohttp.ClientSession() as http:
        if holder := options.get("lease_holder"):
            fake.put(*LEASES, lease(holder))
        fake.put(
            *APPS,
            application(
                "web",
                annotations={"image-list": f"x={image}:^1.0"},
                source={"repoURL": "https://git.example/a.git", "path": "web", "kustomize": {}},
                running=[f"{image}:1.0.0"],
            ),
        )
        fake.put(
            *APPS,
            application(
                "broken",
                annotations={"image-list": f"x={image}-missing"},
                source={"repoURL": "https://git.example/a.git", "path": "b", "kustomize": {}},
                running=[f"{image}-missing:1.0.0"],
            ),
        )
        health = free_port()
        metrics = health if options.get("same_port") else free_port()
        settings = RunSettings(
            interval=0.2,
            health_port=health,
            metrics_port=metrics,
            kubeconfig=write_kubeconfig(tmp_path / "kubeconfig", fake.url),
            git_workdir=tmp_path / "git-work",
            leader_election=options.get("leader_election", False),
            dry_run=options.get("dry_run", False),
        )
        task = asyncio.create_task(controller.run(settings), name="controller-under-test")
        try:
            yield Running(fake, task, http, f"http://127.0.0.1:{health}", f"http://127.0.0.1:{metrics}")
        finally:
            fake.gate.set()
            if not task.done():
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def test_probes_and_metrics(running: Running) -> None:
    async def serving() -> bool:
        with contextlib.suppress(aiohttp.ClientConnectionError):
            return (await running.get(running.health + "/healthz"))[0] == 200
        return False

    await eventually(serving)
    await eventually(lambda: running.fake.held > 0)
    assert await running.get(running.health + "/readyz") == (503, "not ready")  # first cycle not done

    running.fake.gate.set()

    async def ready() -> bool:
        return (await running.get(running.health + "/readyz"))[0] == 200

    await eventually(ready)
    status, text = await running.get(running.metrics + "/metrics")
    assert status == 200
    for name in UPSTREAM_NAMES:
        assert f"# TYPE {name} " in text, name
    samples = dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert samples["argocd_image_updater_applications_watched_total"] == "2.0"
    assert samples['argocd_image_updater_images_watched_total{application="web"}'] == "1.0"
    assert samples['argocd_image_updater_images_updated_total{application="web"}'] == "1.0"
    assert samples['argocd_image_updater_images_held{application="web"}'] == "0.0"  # argocd method
    assert float(samples["argocd_image_updater_images_checked_total"]) >= 1
    assert float(samples["argocd_image_updater_k8s_api_requests_total"]) >= 3  # list, get, patch
    assert float(samples["argocd_image_updater_cycle_duration_seconds_count"]) >= 1
    host = running.fake.get(*APPS, "argocd", "web")["spec"]["source"]["kustomize"]["images"][0].split("/")[0]
    assert float(samples[f'argocd_image_updater_registry_requests_total{{registry="{host}"}}']) >= 1
    assert float(samples[f'argocd_image_updater_registry_requests_failed_total{{registry="{host}"}}']) >= 1
    assert float(samples['argocd_image_updater_images_errors_total{application="broken"}']) >= 1
    assert float(samples["argocd_image_updater_images_updated_errors_total"]) >= 1
    assert 'argocd_image_updater_images_errors_total{application="web"}' not in samples
    assert (await running.get(running.metrics + "/healthz"))[0] == 404  # probes live on the health port


async def test_sigterm_lets_the_cycle_in_progress_finish_then_exits_cleanly(running: Running) -> None:
    running.fake.gate.set()

    async def ready() -> bool:
        with contextlib.suppress(aiohttp.ClientConnectionError):
            return (await running.get(running.health + "/readyz"))[0] == 200
        return False

    await eventually(ready)
    running.fake.gate.clear()
    held = running.fake.held
    await eventually(lambda: running.fake.held > held)  # the next cycle is listing Applications
    running.fake.modify(*APPS, "argocd", "web", lambda app: app["spec"]["source"].update(kustomize={}))
    patches = len(running.fake.writes("PATCH"))

    # The handler is installed: `_Loop.run` is past its first cycle and has not returned, and this
    # coroutine has not yielded since checking. So SIGTERM reaches the controller, not pytest.
    assert not running.task.done()
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.sleep(0.3)
    assert not running.task.done()  # the cycle is still waiting for its Applications
    running.fake.gate.set()

    assert await asyncio.wait_for(running.task, timeout=10) == 0
    assert len(running.fake.writes("PATCH")) == patches + 1  # the interrupted cycle's write landed
    assert running.fake.get(*APPS, "argocd", "web")["spec"]["source"]["kustomize"]["images"]
    assert running.fake.held == held + 1  # and no further cycle started
    with pytest.raises(aiohttp.ClientConnectionError):
        await running.get(running.health + "/healthz")
    with pytest.raises(aiohttp.ClientConnectionError):
        await running.get(running.metrics + "/metrics")


@pytest.mark.parametrize("running", [pytest.param({"leader_election": True}, id="leader")], indirect=True)
async def test_the_leader_releases_its_lease_on_sigterm(running: Running) -> None:
    running.fake.gate.set()
    await eventually(lambda: bool(running.fake.writes("PATCH")))  # leading, and inside a cycle
    held = running.fake.get(*LEASES, "argocd", "argocd-image-updater-leader")["spec"]
    assert held["holderIdentity"]

    os.kill(os.getpid(), signal.SIGTERM)

    assert await asyncio.wait_for(running.task, timeout=10) == 0
    released = running.fake.get(*LEASES, "argocd", "argocd-image-updater-leader")["spec"]
    assert released["holderIdentity"] is None


@pytest.mark.parametrize(
    "running",
    [pytest.param({"leader_election": True, "lease_holder": "updater-1"}, id="standby")],
    indirect=True,
)
async def test_a_standby_replica_is_ready(running: Running) -> None:
    # else a rolling update would wait forever for the new pod, a standby while the old one leads
    running.fake.gate.set()

    async def serving() -> bool:
        with contextlib.suppress(aiohttp.ClientConnectionError):
            return (await running.get(running.health + "/healthz"))[0] == 200
        return False

    await eventually(serving)
    await eventually(lambda: len([r for r in running.fake.requests if "/leases/" in r.path]) >= 1)

    assert (await running.get(running.health + "/readyz"))[0] == 200
    assert running.fake.writes("PATCH") == []


@pytest.mark.parametrize("running", [pytest.param({"dry_run": True}, id="dry-run")], indirect=True)
async def test_a_dry_run_counts_checks_but_no_updates(running: Running) -> None:
    running.fake.gate.set()

    async def cycled_twice() -> bool:
        with contextlib.suppress(aiohttp.ClientConnectionError):
            text = (await running.get(running.metrics + "/metrics"))[1]
            return "argocd_image_updater_cycle_duration_seconds_count 2.0" in text
        return False

    await eventually(cycled_twice)
    text = (await running.get(running.metrics + "/metrics"))[1]
    assert 'argocd_image_updater_images_watched_total{application="web"} 1.0' in text
    assert "argocd_image_updater_images_updated_total{" not in text
    assert running.fake.writes("PATCH") == []


@pytest.mark.parametrize("running", [pytest.param({"leader_election": True}, id="leader")], indirect=True)
async def test_the_leader_is_not_ready_before_its_first_cycle(running: Running) -> None:
    await eventually(lambda: running.fake.held > 0)  # leading, first cycle waiting for Applications

    assert (await running.get(running.health + "/readyz"))[0] == 503
    running.fake.gate.set()

    async def ready() -> bool:
        return (await running.get(running.health + "/readyz"))[0] == 200

    await eventually(ready)


@pytest.mark.parametrize("running", [pytest.param({"same_port": True}, id="same-port")], indirect=True)
async def test_metrics_and_probes_can_share_a_port(running: Running) -> None:
    running.fake.gate.set()

    async def ready() -> bool:
        with contextlib.suppress(aiohttp.ClientConnectionError):
            return (await running.get(running.health + "/readyz"))[0] == 200
        return False

    await eventually(ready)
    assert running.health == running.metrics
    assert (await running.get(running.health + "/healthz"))[0] == 200
    status, text = await running.get(running.metrics + "/metrics")
    assert status == 200
    assert "argocd_image_updater_applications_watched_total 2.0" in text
