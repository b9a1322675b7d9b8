"""Registry webhooks end to end, every part real: Debian's `docker-registry` notifies our webhook
(`?type=distribution`, its endpoint's `Authorization: Bearer` header as the secret), the
controller (`run --enable-webhook` and the standalone `webhook` command, directory mode) runs a
targeted update, and the commit lands on the smart-HTTP git server. A push through the registry
API reaches Git with the pushed tag; a valid payload naming a tag the registry does not have
changes nothing; a notification with the wrong secret is refused and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import structlog

from devtools import oci
from devtools.registry import LocalRegistry, Notify, start_registry
from image_updater.runtime import controller
from image_updater.runtime.controller import RunSettings
from image_updater.runtime.webhook_server import WebhookSettings
from tests.runtime.dispatching import CREATED, gitops

SECRET = "registry-notification-s3cret"
WAIT = 60.0  # seconds a condition may take on a loaded machine before the test fails


@dataclass
class Running:
    registry: LocalRegistry
    bare: Path
    webhook_url: str
    logs: list[dict[str, Any]]

    def git(self, *args: str) -> str:
        import subprocess

        return subprocess.run(
            ["git", "--git-dir", str(self.bare), *args], capture_output=True, text=True, check=True
        ).stdout

    def tag_of(self, app: str) -> str:
        return self.git("show", f"main:apps/{app}/kustomization.yaml").rsplit("newTag: ", 1)[1].strip()

    def commits(self) -> list[str]:
        return self.git("log", "--format=%s", "main").splitlines()

    logs_before: int = 0  # what was logged before the test acted

    def runs_done(self) -> list[dict[str, Any]]:
        """The webhook runs finished since the test acted."""
        return [e for e in self.logs[self.logs_before :] if e["event"] == "webhook run done"]

    def repositories_run(self) -> set[str]:
        done = [e for e in self.logs if e["event"] == "webhook run done"]
        return {name.split("/", 1)[1] for e in done for name in e["repositories"].split(", ")}

    async def until(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT):
            while not condition():
                await asyncio.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def running(tmp_path: Path, *, polling: bool, secret: str = SECRET) -> AsyncIterator[Running]:
    """The registry notifying a controller that watches `t/a` (a1) and `t/b` (b1)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}/webhook?type=distribution"
    with (
        start_registry(tmp_path / "registry", notify=Notify(url, secret)) as registry,
        gitops(registry, tmp_path, {"a1": "t/a", "b1": "t/b"}) as (bare, apps),
    ):
        settings = RunSettings(
            interval=3600.0,
            health_port=0,
            metrics_port=0,
            applications_dir=apps,
            git_workdir=tmp_path / "work",
            leader_election=False,
            polling=polling,
            webhook=WebhookSettings(port=port, secrets={"distribution": SECRET}, tls=None),
        )
        with structlog.testing.capture_logs() as logs:
            task = asyncio.ensure_future(controller.run(replace(settings)))
            state = Running(registry, bare, url, logs)
            try:
                await state.until(lambda: _answers(logs) or task.done())
                if polling:  # the first cycle ran (and found nothing new) before any push
                    await state.until(lambda: any(e["event"] == "cycle done" for e in logs))
                if secret == SECRET:  # the notifications of the 1.0.0 pushes came (and changed nothing)
                    await state.until(lambda: state.repositories_run() >= {"t/a", "t/b"})
                state.logs_before = len(logs)
                yield state
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)


def _answers(logs: list[dict[str, Any]]) -> bool:
    return any("webhook server" in e["event"] for e in logs)


@pytest.mark.parametrize(
    "polling", [pytest.param(True, id="run-enable-webhook"), pytest.param(False, id="webhook-command")]
)
async def test_a_push_to_the_registry_lands_in_git_with_its_tag(tmp_path: Path, polling: bool) -> None:
    async with running(tmp_path, polling=polling) as state:
        before = state.commits()
        await asyncio.to_thread(oci.push_image, state.registry.url, "t/a", "1.1.0", created=CREATED)
        await state.until(lambda: len(state.runs_done()) == 1)
        assert state.tag_of("a1") == "1.1.0"
        assert state.tag_of("b1") == "1.0.0"
        assert len(state.commits()) == len(before) + 1
        assert "1.1.0" in state.git("log", "-1", "--format=%B", "main")
        assert [e["updated"] for e in state.runs_done()] == [1]


def _envelope(host: str, repository: str, tag: str) -> bytes:
    event = {
        "id": "e2e-1",
        "timestamp": "2026-12-08T00:00:00Z",
        "action": "push",
        "target": {
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + "0" * 64,
            "repository": repository,
            "tag": tag,
        },
        "request": {"host": host, "method": "PUT"},
    }
    return json.dumps({"events": [event]}).encode()


async def test_a_payload_naming_a_tag_the_registry_does_not_have_changes_nothing(tmp_path: Path) -> None:
    async with running(tmp_path, polling=False) as state, aiohttp.ClientSession() as http:
        before = state.commits()
        headers = {"Authorization": f"Bearer {SECRET}", "Content-Type": "application/json"}
        body = _envelope(state.registry.host, "t/a", "9.9.9")
        async with http.post(state.webhook_url, data=body, headers=headers) as answer:
            assert answer.status == 200
        await state.until(lambda: len(state.runs_done()) == 1)
        assert state.runs_done()[0]["updated"] == 0
        assert state.commits() == before
        assert state.tag_of("a1") == "1.0.0"


async def test_a_notification_with_the_wrong_secret_changes_nothing(tmp_path: Path) -> None:
    async with running(tmp_path, polling=False, secret="not-the-secret") as state:
        before = state.commits()
        await asyncio.to_thread(oci.push_image, state.registry.url, "t/a", "1.1.0", created=CREATED)
        # the registry retries a refused notification, in order, forever: two refusals after the push
        await state.until(lambda: sum("refused" in str(e) for e in state.logs[state.logs_before :]) >= 2)
        assert not any(e["event"] == "webhook accepted" for e in state.logs)
        assert state.runs_done() == []
        assert state.commits() == before
