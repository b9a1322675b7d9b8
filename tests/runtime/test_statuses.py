"""After a cycle: outcomes grouped per ImageUpdater, upstream's per-CR metric series (exported in the
same families as the v0.x series), removed when the resource is no longer listed or is forgotten,
a failing sink that stops neither the others nor the cycle, and the cluster sink on the strict
fake API server (one write per change, transition times kept from what is stored)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kubernetes_asyncio.client import ApiClient, Configuration
from prometheus_client import generate_latest

from image_updater.errors import ConfigError
from image_updater.kube import Api
from image_updater.resources import assigning
from image_updater.resources.model import ImageUpdaterStatus
from image_updater.resources.status import ImageOutcome
from image_updater.runtime.metrics import Metrics
from image_updater.runtime.outcomes import CycleReport
from image_updater.runtime.statuses import Build, ClusterStatus, Target, per_resource, publish
from tests.kube.fakeapi import FakeKube

NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
CR = 'image_updater_cr_name="{name}",image_updater_cr_namespace="argocd"'


def manifest(name: str, pattern: str, *, generation: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": name, "namespace": "argocd", "generation": generation},
        "spec": {"applicationRefs": [{"namePattern": pattern, "useAnnotations": True}]},
    }


def report(*names: str, refused: bool = False) -> CycleReport:
    manifests = [manifest(name, f"{name}-*") for name in names]
    if refused:
        manifests.append({**manifest("broken", "x", generation=4), "spec": {}})
    resources = assigning.load(manifests, default_namespace="argocd")
    done = CycleReport(resources=resources.items, refused=resources.refused)
    for name in names:
        done.selected_by[f"argocd/{name}-app"] = (f"argocd/{name}",)
        done.outcomes += [
            ImageOutcome(
                app=f"argocd/{name}-app", alias="a", image="r/a", reason="Updated", message="", new="2"
            ),
            ImageOutcome(
                app=f"argocd/{name}-app", alias="b", image="r/b", reason="RegistryError", message="503"
            ),
        ]
    done.outcomes.append(
        ImageOutcome(app="argocd/annotated", alias="c", image="r/c", reason="UpToDate", message="")
    )
    return done


class Collect:
    def __init__(self) -> None:
        self.seen: dict[str, ImageUpdaterStatus] = {}

    async def publish(self, target: Target, build: Build) -> None:
        self.seen[target.key] = build(target.listed)


class Broken:
    async def publish(self, target: Target, build: Build) -> None:
        raise ConfigError(f"cannot write {target.key}")


class Buggy:
    async def publish(self, target: Target, build: Build) -> None:
        raise KeyError("a bug of ours")


def test_outcomes_are_grouped_by_the_resource_that_selected_the_application() -> None:
    grouped = {target.key: outcome for target, outcome in per_resource(report("web", "api", refused=True))}
    assert sorted(grouped) == ["argocd/api", "argocd/broken", "argocd/web"]
    web = grouped["argocd/web"]
    assert web.applications == ("argocd/web-app",)
    assert [o.alias for o in web.outcomes] == ["a", "b"]  # not the annotated Application's image
    assert (web.generation, len(web.updated), web.errors) == (1, 1, 1)
    broken = grouped["argocd/broken"]
    assert broken.generation == 4
    assert broken.failure is not None
    assert broken.failure.startswith("imageupdater argocd/broken: spec.applicationRefs: Required value")


async def test_every_sink_gets_every_resource_even_after_one_fails() -> None:
    collect = Collect()
    await publish(
        report("web", refused=True), sinks=[Broken(), Buggy(), collect], metrics=Metrics(), now=lambda: NOW
    )
    assert sorted(collect.seen) == ["argocd/broken", "argocd/web"]
    ready = {c.type: c.reason for c in collect.seen["argocd/broken"].conditions or ()}["Ready"]
    assert ready == "ReconcileFailed"


async def test_per_resource_series_and_their_removal() -> None:
    metrics = Metrics()
    metrics.applications_watched.set(3)
    metrics.images_watched.labels(application="web-app").set(2)
    await publish(report("web", "api"), sinks=[], metrics=metrics, now=lambda: NOW)
    await publish(report("web", "api"), sinks=[], metrics=metrics, now=lambda: NOW)
    text = generate_latest(metrics.registry).decode()
    web = CR.format(name="web")
    assert f"argocd_image_updater_applications_watched_total{{{web}}} 1.0" in text
    assert f"argocd_image_updater_images_watched_total{{{web}}} 2.0" in text
    assert f"argocd_image_updater_images_updated_total{{{web}}} 2.0" in text  # counters grow per cycle
    assert f"argocd_image_updater_images_errors_total{{{web}}} 2.0" in text
    assert "argocd_image_updater_applications_watched_total 3.0" in text  # the v0.x series stay
    assert 'argocd_image_updater_images_watched_total{application="web-app"} 2.0' in text

    await publish(report("web"), sinks=[], metrics=metrics, now=lambda: NOW)  # api is no longer listed
    text = generate_latest(metrics.registry).decode()
    assert 'image_updater_cr_name="api"' not in text
    assert web in text

    metrics.resources.forget_resource("argocd", "web")  # the finalizer's hook
    metrics.resources.forget_resource("argocd", "never-seen")
    assert "image_updater_cr_name" not in generate_latest(metrics.registry).decode()


async def test_the_cluster_sink_writes_once_and_keeps_transition_times() -> None:
    fake = FakeKube()
    iu = ("argocd-image-updater.argoproj.io/v1alpha1", "imageupdaters")
    fake.put(*iu, manifest("web", "web-*"))
    async with fake.serve(), ApiClient(configuration=Configuration(host=fake.url)) as client:
        sink = ClusterStatus(Api(client))
        await publish(report("web"), sinks=[sink], metrics=Metrics(), now=lambda: NOW)
        stored = fake.get(*iu, "argocd", "web")["status"]
        assert stored["applicationsMatched"] == 1
        assert ready_of(stored)["reason"] == "ReconcileCompletedWithErrors"
        await publish(report("web"), sinks=[sink], metrics=Metrics(), now=lambda: NOW)
        assert len(fake.writes("PUT")) == 1  # the same status again: nothing written

        later = NOW + timedelta(minutes=2)
        await publish(report("web"), sinks=[sink], metrics=Metrics(), now=lambda: later)
        again = fake.get(*iu, "argocd", "web")["status"]
        assert again["lastCheckedAt"] == "2026-12-08T02:02:00Z"
        assert ready_of(again)["lastTransitionTime"] == ready_of(stored)["lastTransitionTime"]
        assert fake.get(*iu, "argocd", "web")["metadata"]["generation"] == 1


def ready_of(status: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in status["conditions"] if c["type"] == "Ready")


def test_an_application_two_resources_select_is_reported_by_both() -> None:
    done = report("web", "api")
    done.selected_by["argocd/shared"] = ("argocd/api", "argocd/web")
    message = "application argocd/shared: selected by imageupdater argocd/api and imageupdater argocd/web"
    done.outcomes.append(ImageOutcome(app="argocd/shared", reason="ConfigError", message=message))
    grouped = {target.key: outcome for target, outcome in per_resource(done)}
    for key in ("argocd/api", "argocd/web"):
        assert "argocd/shared" in grouped[key].applications
        assert [o.message for o in grouped[key].outcomes if o.reason == "ConfigError"] == [message]
