"""The gates in a cluster, end to end: the controller against the strict fake API server and the
real registry. A manual `argocd app set --helm-set image.tag=…` (or `--kustomize-image`) after
our write keeps its value under the argocd write-back method until it is removed; a promotion
gate waits for the source Application's soak time (injected clock); the release age waits for
the image's creation time plus min-age."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from devtools import oci
from devtools.registry import LocalRegistry
from image_updater.runtime.pinning import RECORD_ANNOTATION
from tests.runtime.conftest import APPS, Cluster, application

NOW = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def image(registry: LocalRegistry) -> str:
    """1.0.0 (ten days old), 1.1.0 (three days old), 2.0.0 (one hour old)."""
    ages = {"1.0.0": dt.timedelta(days=10), "1.1.0": dt.timedelta(days=3), "2.0.0": dt.timedelta(hours=1)}
    for tag, age in ages.items():
        oci.push_image(registry.url, "t/gates-cluster", tag, created=NOW - age)
    return f"{registry.host}/t/gates-cluster"


def helm_app(name: str, image: str, **notes: str) -> dict[str, Any]:
    return application(
        name,
        annotations={"image-list": f"x={image}", **notes},
        source={"repoURL": "https://charts.example", "chart": "web", "targetRevision": "1.2.3", "helm": {}},
        running=[f"{image}:1.0.0"],
    )


def kustomize_app(name: str, image: str) -> dict[str, Any]:
    return application(
        name,
        annotations={"image-list": f"x={image}"},
        source={"repoURL": "https://git.example/a.git", "path": name, "kustomize": {}},
        running=[f"{image}:1.0.0"],
    )


def params(cluster: Cluster, name: str) -> dict[str, str]:
    source = cluster.app(name)["spec"]["source"]
    return {p["name"]: p["value"] for p in source["helm"].get("parameters", [])}


def set_param(cluster: Cluster, name: str, param: str, value: str | None) -> None:
    """`argocd app set NAME --helm-set param=value` (None: `argocd app unset NAME -p param`)."""

    def edit(app: dict[str, Any]) -> None:
        helm = app["spec"]["source"]["helm"]
        kept = [p for p in helm.get("parameters", []) if p["name"] != param]
        helm["parameters"] = kept + ([{"name": param, "value": value}] if value is not None else [])

    cluster.fake.modify(*APPS, "argocd", name, edit)


def skips(logs: list[dict[str, Any]]) -> dict[str, str]:
    return {e["app"]: e["reason"] for e in logs if e["event"] == "skipping image"}


async def test_a_manual_helm_override_keeps_its_value_until_removed(cluster: Cluster, image: str) -> None:
    cluster.put(helm_app("api", image))
    assert (await cluster.run())[0] == 0
    assert params(cluster, "api")["image.tag"] == "2.0.0"
    assert (
        json.loads(cluster.app("api")["metadata"]["annotations"][RECORD_ANNOTATION])["0/helm/image.tag"]
        == "2.0.0"
    )

    set_param(cluster, "api", "image.tag", "1.1.0")  # the seed's rollback: argocd app set --helm-set
    patches = len(cluster.patches())
    status, logs = await cluster.run()
    assert status == 0
    assert len(cluster.patches()) == patches
    assert params(cluster, "api")["image.tag"] == "1.1.0"
    assert skips(logs)["argocd/api"].startswith(
        "pinned by spec.source.helm.parameters image.tag=1.1.0 (not written by image-updater)"
    )

    set_param(cluster, "api", "image.tag", None)  # remove the override: image-updater resumes
    assert (await cluster.run())[0] == 0
    assert params(cluster, "api")["image.tag"] == "2.0.0"


async def test_a_manual_kustomize_override_keeps_its_value(cluster: Cluster, image: str) -> None:
    cluster.put(kustomize_app("web", image))
    assert (await cluster.run())[0] == 0

    def pin(app: dict[str, Any]) -> None:
        app["spec"]["source"]["kustomize"]["images"] = [f"{image}:1.1.0"]

    cluster.fake.modify(*APPS, "argocd", "web", pin)
    status, logs = await cluster.run()
    assert status == 0
    assert cluster.app("web")["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.1.0"]
    assert "spec.source.kustomize.images" in skips(logs)["argocd/web"]


async def test_the_pin_annotation_stops_updates_without_a_registry_request(
    cluster: Cluster, image: str
) -> None:
    cluster.put(helm_app("api", image, **{"x.pin": "1.0.0"}))
    status, logs = await cluster.run()
    assert status == 0
    assert cluster.patches() == []
    assert "x.pin" in skips(logs)["argocd/api"]


async def test_a_forged_record_can_only_unpin_its_own_application(cluster: Cluster, image: str) -> None:
    """Whoever edits an Application can claim any record for it: that moves only its own image."""
    forged = helm_app("api", image)
    forged["spec"]["source"]["helm"]["parameters"] = [{"name": "image.tag", "value": "1.1.0"}]
    forged["metadata"]["annotations"][RECORD_ANNOTATION] = json.dumps({"0/helm/image.tag": "1.1.0"})
    cluster.put(forged)
    cluster.put(helm_app("other", image))
    other = dict(cluster.app("other"))
    other["spec"]["source"]["helm"]["parameters"] = [{"name": "image.tag", "value": "1.0.0"}]
    other["metadata"]["annotations"][RECORD_ANNOTATION] = json.dumps({"0/helm/image.tag": "1.0.1"})
    cluster.put(other)
    status, logs = await cluster.run()
    assert status == 0
    assert params(cluster, "api")["image.tag"] == "2.0.0"  # its own override, "adopted" by its own claim
    assert params(cluster, "other")["image.tag"] == "1.0.0"  # untouched: pinned
    assert "argocd/other" in skips(logs)


def staging(image: str, *, tag: str, deployed: dt.datetime, sync: str = "Synced") -> dict[str, Any]:
    app = application(
        "staging",
        annotations={},
        source={"repoURL": "https://git.example/a.git", "path": "staging", "kustomize": {}},
        running=[f"{image}:{tag}"],
    )
    app["status"] |= {
        "sync": {"status": sync},
        "health": {"status": "Healthy"},
        "history": [{"id": 1, "revision": "abc", "deployedAt": deployed.strftime("%Y-%m-%dT%H:%M:%SZ")}],
    }
    return app


@pytest.mark.parametrize(
    ("minutes", "sync", "written"),
    [
        pytest.param(10, "Synced", None, id="soaking"),
        pytest.param(31, "OutOfSync", None, id="soaked-but-out-of-sync"),
        pytest.param(31, "Synced", "1.1.0", id="soaked"),
    ],
)
async def test_a_promotion_waits_for_the_source_soak_time(
    cluster: Cluster, image: str, minutes: int, sync: str, written: str | None
) -> None:
    cluster.put(staging(image, tag="1.1.0", deployed=NOW, sync=sync))
    cluster.put(helm_app("prod", image, **{"x.promote-from": "argocd/staging", "x.promote-after": "30m"}))
    status, logs = await cluster.run(clock=lambda: NOW + dt.timedelta(minutes=minutes))
    assert status == 0
    assert params(cluster, "prod").get("image.tag") == written  # 1.1.0, never the newer 2.0.0
    if written is None:  # 1.0.0, which prod runs, stays: a gate never moves an image back
        (line,) = [e for e in logs if e["event"] == "held back"]
        assert line["chosen"] == "1.0.0"
        assert " is waiting for promotion from argocd/staging (" in line["reason"]


async def test_promoting_from_another_namespace_is_refused(cluster: Cluster, image: str) -> None:
    cluster.put(helm_app("prod", image, **{"x.promote-from": "team-b/staging"}))
    _, logs = await cluster.run()
    assert cluster.patches() == []
    (error,) = [e["event"] for e in logs if e["log_level"] == "error"]
    assert "x.promote-from: Application team-b/staging is not in the Application's namespace" in error


@pytest.mark.parametrize(
    ("hours", "written"),
    [pytest.param(0, "1.1.0", id="2.0.0-too-young"), pytest.param(25, "2.0.0", id="2.0.0-old-enough")],
)
async def test_min_age_waits_for_the_image_to_age(
    cluster: Cluster, image: str, hours: int, written: str
) -> None:
    cluster.put(helm_app("api", image, **{"min-age": "24h"}))
    status, logs = await cluster.run(clock=lambda: NOW + dt.timedelta(hours=hours))
    assert status == 0
    assert params(cluster, "api")["image.tag"] == written
    if written == "1.1.0":
        (line,) = [e for e in logs if e["event"] == "held back"]
        assert line["reason"].startswith("2.0.0 is too young (created 2026-12-08T11:00:00Z, eligible at ")
