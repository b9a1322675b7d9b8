"""Fixtures: a fresh fake API server per test and a real kubernetes_asyncio client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from kubernetes_asyncio.client import ApiClient, Configuration

from image_updater.kube import Api
from tests.kube.fakeapi import FakeKube

APPS = ("argoproj.io/v1alpha1", "applications")


@pytest.fixture
async def fake() -> AsyncIterator[FakeKube]:
    kube = FakeKube()
    async with kube.serve():
        yield kube


@pytest.fixture
async def api(fake: FakeKube) -> AsyncIterator[Api]:
    configuration = Configuration(host=fake.url)
    async with ApiClient(configuration=configuration) as client:
        yield Api(client)


def application(
    namespace: str, name: str, *, labels: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    """A minimal Argo CD Application for the fake's store."""
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"project": "default", "source": {"repoURL": "https://git.example/x.git", **spec}},
    }


IMAGE_UPDATERS = ("argocd-image-updater.argoproj.io/v1alpha1", "imageupdaters")


def image_updater(
    namespace: str, name: str, *, pattern: str = "*", finalizers: list[str] | None = None
) -> dict[str, Any]:
    """A minimal valid ImageUpdater for the fake's store."""
    ref = {"namePattern": pattern, "images": [{"alias": "web", "imageName": "nginx:1.x"}]}
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if finalizers is not None:
        meta["finalizers"] = finalizers
    return {"metadata": meta, "spec": {"applicationRefs": [ref]}}
