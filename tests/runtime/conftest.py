"""Fixtures for the runtime tests: a fake API server reached through a kubeconfig file, Application
manifests shaped as Argo CD stores them, and a `Cluster` that runs the controller against both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiohttp import web

from image_updater.runtime import controller
from image_updater.runtime.controller import RunSettings
from tests.kube.fakeapi import FakeKube, Recorded, status_body

P = "argocd-image-updater.argoproj.io/"
APPS = ("argoproj.io/v1alpha1", "applications")
EVENTS = ("v1", "events")


def application(
    name: str,
    *,
    annotations: Mapping[str, str],
    namespace: str = "argocd",
    source: Mapping[str, Any] | None = None,
    sources: Sequence[Mapping[str, Any]] | None = None,
    running: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    source_types: Sequence[str] | None = None,
) -> dict[str, Any]:
    """An Argo CD Application: `annotations` without the prefix, `running` = status.summary.images."""
    spec: dict[str, Any] = {"project": "default", "destination": {"namespace": "apps"}}
    if sources is not None:
        spec["sources"] = [dict(s) for s in sources]
    else:
        spec["source"] = dict(source or {"repoURL": "https://git.example/apps.git", "path": name})
    status: dict[str, Any] = {}
    if running is not None:
        status["summary"] = {"images": list(running)}
    if source_types is not None:
        status["sourceTypes"] = list(source_types)
    return {
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(labels or {}),
            "annotations": {P + key: value for key, value in annotations.items()},
        },
        "spec": spec,
        "status": status,
    }


def write_kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: fake\n  cluster:\n    server: {server}\n"
        "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: u\n"
        "current-context: fake\nusers:\n- name: u\n  user:\n    token: not-a-real-token\n"
    )
    return path


@dataclass(frozen=True)
class Cluster:
    """The fake API server, a kubeconfig for it, and the settings of a `run --once` against it."""

    fake: RefusingKube
    settings: RunSettings

    def put(self, app: dict[str, Any]) -> dict[str, Any]:
        return self.fake.put(*APPS, app)

    def app(self, name: str, namespace: str = "argocd") -> dict[str, Any]:
        return self.fake.get(*APPS, namespace, name)

    def events(self) -> list[dict[str, Any]]:
        return [obj for key, obj in sorted(self.fake.objects.items()) if key[:2] == EVENTS]

    def patches(self) -> list[str]:
        """`namespace/name` of each Application PATCH request, in the order sent."""
        paths = [r.path.split("/") for r in self.fake.writes("PATCH") if "/applications/" in r.path]
        return [f"{parts[-3]}/{parts[-1]}" for parts in paths]

    async def run(self, **changes: Any) -> tuple[int, list[dict[str, Any]]]:
        """One `run --once`; its exit status and the log events it emitted."""
        with structlog.testing.capture_logs() as logs:
            status = await controller.run(replace(self.settings, **changes))
        return status, logs


class RefusingKube(FakeKube):
    """The fake API server, plus standing refusals: `refuse("POST", "/events", 403)` answers every
    matching request with that status (as RBAC would), for as long as the test runs."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals: list[tuple[str, str, int, str]] = []

    def refuse(self, method: str, fragment: str, code: int, reason: str = "Forbidden") -> None:
        self.refusals.append((method, fragment, code, reason))

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        for method, fragment, code, reason in self.refusals:
            if request.method == method and fragment in request.path:
                content_type = request.headers.get("Content-Type", "")
                self.requests.append(
                    Recorded(request.method, request.path, dict(request.query), content_type)
                )
                message = f"{request.method} {request.path} is refused by the test"
                return web.json_response(status_body(code, reason, message), status=code)
        return await super()._middleware(request, handler)


@pytest.fixture(autouse=True)
def _structlog_defaults() -> Iterator[None]:
    """Logs are asserted on: undo what a CLI test configured (its level filter and its stream)."""
    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture
async def fake() -> AsyncIterator[RefusingKube]:
    kube = RefusingKube()
    async with kube.serve():
        yield kube


@pytest.fixture
def cluster(fake: RefusingKube, tmp_path: Path) -> Cluster:
    settings = RunSettings(
        once=True,
        interval=0,
        health_port=0,
        metrics_port=0,
        kubeconfig=write_kubeconfig(tmp_path / "kubeconfig", fake.url),
        git_workdir=tmp_path / "git-work",
        leader_election=False,
    )
    return Cluster(fake, settings)
