"""`image-updater run` in a cluster with ImageUpdater resources: the controller against the fake
Kubernetes API server and the real registry. Both generations in one process, `--config-source`
leaving one out, upstream's finalizer, and a spec change applied at once by the watches (the
interval is an hour: only a watch can start the second cycle)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest
import structlog

from devtools import oci
from devtools.registry import LocalRegistry
from image_updater.kube.imageupdaters import FINALIZER
from image_updater.resources.assigning import ConfigSource
from image_updater.runtime import controller
from tests.conftest import CREATED
from tests.kube.conftest import IMAGE_UPDATERS
from tests.runtime.conftest import Cluster, application


@pytest.fixture(scope="module")
def image(registry: LocalRegistry) -> str:
    """`<registry>/t/cluster-resources` with tags 1.0.0 and 1.1.0 (read-only for the tests)."""
    for tag in ("1.0.0", "1.1.0"):
        oci.push_image(registry.url, "t/cluster-resources", tag, created=CREATED)
    return f"{registry.host}/t/cluster-resources"


def kustomize_app(name: str, image: str, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    source = {"repoURL": "https://git.example/apps.git", "path": name, "kustomize": {"namePrefix": "p-"}}
    return application(name, annotations=annotations or {}, source=source, running=[f"{image}:1.0.0"])


def updater(image: str, pattern: str) -> dict[str, Any]:
    """An ImageUpdater of upstream's shape: one ref, one image, the default (argocd) write-back."""
    ref = {"namePattern": pattern, "images": [{"alias": "x", "imageName": f"{image}:^1.0"}]}
    return {"metadata": {"name": "web", "namespace": "argocd"}, "spec": {"applicationRefs": [ref]}}


def kustomize_images(cluster: Cluster, name: str) -> list[str]:
    return list(cluster.app(name)["spec"]["source"]["kustomize"].get("images", []))


@pytest.mark.parametrize(
    ("config_source", "patched"),
    [
        pytest.param("both", ["argocd/annotated", "argocd/web-1"], id="both"),
        pytest.param("annotations", ["argocd/annotated"], id="annotations"),
        pytest.param("resources", ["argocd/web-1"], id="resources"),
    ],
)
async def test_both_generations_in_one_process(
    cluster: Cluster, image: str, config_source: ConfigSource, patched: list[str]
) -> None:
    cluster.put(kustomize_app("annotated", image, {"image-list": f"x={image}:^1.0"}))
    cluster.put(kustomize_app("web-1", image))
    cluster.fake.put(*IMAGE_UPDATERS, updater(image, "web-*"))

    status, _ = await cluster.run(config_source=config_source)

    assert status == 0
    assert sorted(cluster.patches()) == patched
    for key in patched:
        assert kustomize_images(cluster, key.split("/")[1]) == [f"{image}:1.1.0"]
    finalizers = cluster.fake.get(*IMAGE_UPDATERS, "argocd", "web")["metadata"].get("finalizers")
    assert finalizers == (None if config_source == "annotations" else [FINALIZER])


async def test_dry_run_adds_no_finalizer(cluster: Cluster, image: str) -> None:
    cluster.put(kustomize_app("web-1", image))
    cluster.fake.put(*IMAGE_UPDATERS, updater(image, "web-*"))
    status, logs = await cluster.run(dry_run=True)
    assert status == 0
    # only the status is written in a dry run (as upstream): no finalizer, no Application patch
    assert [r.path.rsplit("/", 2)[1:] for r in cluster.fake.writes()] == [["web", "status"]]
    assert "finalizers" not in cluster.fake.get(*IMAGE_UPDATERS, "argocd", "web")["metadata"]
    assert [e["app"] for e in logs if e["event"] == "would update"] == ["argocd/web-1"]


async def test_a_resource_being_deleted_configures_nothing_and_is_released(
    cluster: Cluster, image: str
) -> None:
    cluster.put(kustomize_app("web-1", image))
    resource = updater(image, "web-*")
    resource["metadata"]["finalizers"] = [FINALIZER]
    cluster.fake.put(*IMAGE_UPDATERS, resource)
    cluster.fake.delete(*IMAGE_UPDATERS, "argocd", "web")

    status, _ = await cluster.run()

    assert status == 0
    assert cluster.patches() == []
    assert (*IMAGE_UPDATERS, "argocd", "web") not in cluster.fake.objects


@contextlib.asynccontextmanager
async def running(cluster: Cluster) -> AsyncIterator[asyncio.Task[int]]:
    """The controller, polling once an hour, until the block ends (then SIGTERM, as a pod gets)."""
    settings = replace(cluster.settings, once=False, interval=3600)
    task = asyncio.create_task(controller.run(settings), name="controller-under-test")
    try:
        yield task
        os.kill(os.getpid(), signal.SIGTERM)  # the loop only ends on a signal
        assert await asyncio.wait_for(task, timeout=30) == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(30):  # a bound for a stuck test, not a timing assertion
        while not condition():
            await asyncio.sleep(0.02)


async def test_a_spec_change_and_a_deletion_are_applied_at_once(cluster: Cluster, image: str) -> None:
    cluster.put(kustomize_app("web-1", image))
    cluster.fake.put(*IMAGE_UPDATERS, updater(image, "none-*"))
    fake = cluster.fake

    def watching(plural: str) -> bool:
        return any(r.query.get("watch") and r.path.endswith(plural) for r in fake.requests)

    def released() -> bool:
        return (*IMAGE_UPDATERS, "argocd", "web") not in fake.objects

    with structlog.testing.capture_logs() as logs:
        await _spec_change_then_deletion(cluster, image, watching, released)
    assert cluster.patches() == ["argocd/web-1"]
    told = [c for e in logs if e["event"] == "configuration changed; cycle starts now" for c in e["changes"]]
    # the spec change and the deletion mark; never our finalizer or status writes (each cycle's)
    assert told.count("ImageUpdaters argocd/web changed") == 2
    assert set(told) <= {"ImageUpdaters argocd/web changed", "Applications argocd/web-1 changed"}


async def _spec_change_then_deletion(
    cluster: Cluster, image: str, watching: Callable[[str], bool], released: Callable[[], bool]
) -> None:
    fake = cluster.fake
    async with running(cluster):
        # the first cycle has listed the resource (and finalized it); the watches are up
        await until(lambda: bool(fake.get(*IMAGE_UPDATERS, "argocd", "web")["metadata"].get("finalizers")))
        await until(lambda: watching("/imageupdaters") and watching("/applications"))
        assert cluster.patches() == []

        fake.modify(
            *IMAGE_UPDATERS,
            "argocd",
            "web",
            lambda obj: obj["spec"]["applicationRefs"][0].update(namePattern="web-*"),
        )
        await until(lambda: bool(cluster.patches()))
        assert kustomize_images(cluster, "web-1") == [f"{image}:1.1.0"]

        fake.delete(*IMAGE_UPDATERS, "argocd", "web")  # held by our finalizer until a cycle releases it
        await until(released)
