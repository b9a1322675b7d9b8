"""Pins: which Application overrides pin an image, under each write-back method, and the record
the argocd method keeps of what it wrote (and what a hostile edit of it can do: only pin or
unpin the same Application)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from image_updater import annotations
from image_updater.applications import from_manifest
from image_updater.refs import parse_image
from image_updater.runtime import pinning
from image_updater.writeback.model import HelmParams, ManifestImage

P = annotations.PREFIX
IMAGE = "registry.example/org/api"
RECORD = pinning.RECORD_ANNOTATION


def manifest(
    *,
    method: str,
    source: dict[str, Any],
    record: dict[str, str] | str | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    notes = {P + "image-list": f"api={IMAGE}", P + "write-back-method": method, **(extra or {})}
    if record is not None:
        notes[RECORD] = record if isinstance(record, str) else json.dumps(record)
    return {
        "metadata": {"name": "web", "namespace": "team-a", "annotations": notes},
        "spec": {"source": {"repoURL": "https://git.example/a.git", "path": "web", **source}},
    }


def reason(obj: dict[str, Any]) -> str | None:
    app = from_manifest(obj)
    settings = annotations.parse(app.annotations, app=app.key, namespace=app.namespace)
    return pinning.pinned(app, settings, settings.images[0])


HELM_TAG = {"helm": {"parameters": [{"name": "image.tag", "value": "v1.4.0", "forceString": True}]}}
KUSTOMIZE = {"kustomize": {"images": [f"{IMAGE}:v1.4.0"]}}
OTHER_PARAM = {"helm": {"parameters": [{"name": "replicas", "value": "3"}]}}
OTHER_IMAGE = {"kustomize": {"images": ["registry.example/org/worker:2.0.0"]}}


@pytest.mark.parametrize(
    ("method", "source", "record", "pinned_by"),
    [
        pytest.param(
            "git", HELM_TAG, None, "spec.source.helm.parameters image.tag=v1.4.0", id="git-helm-override"
        ),
        pytest.param(
            "git", KUSTOMIZE, None, f"spec.source.kustomize.images={IMAGE}:v1.4.0", id="git-kustomize"
        ),
        pytest.param(
            "git", HELM_TAG, {"0/helm/image.tag": "v1.4.0"}, "image.tag=v1.4.0", id="git-even-our-own"
        ),
        pytest.param("git", OTHER_PARAM, None, None, id="git-other-parameter"),
        pytest.param("git", OTHER_IMAGE, None, None, id="git-other-image"),
        pytest.param(
            "argocd", HELM_TAG, {"0/helm/image.tag": "v1.5.0"}, "image.tag=v1.4.0", id="argocd-changed"
        ),
        pytest.param("argocd", HELM_TAG, {"0/helm/image.tag": "v1.4.0"}, None, id="argocd-as-we-wrote"),
        pytest.param("argocd", HELM_TAG, None, None, id="argocd-no-record-adopted"),
        pytest.param("argocd", HELM_TAG, "{not json", None, id="argocd-garbage-record-is-none"),
        pytest.param("argocd", HELM_TAG, '["a list"]', None, id="argocd-record-not-a-mapping"),
        pytest.param(
            "argocd",
            KUSTOMIZE,
            {f"0/kustomize/{IMAGE}": f"{IMAGE}:v1.5.0"},
            "kustomize.images",
            id="argocd-kustomize-changed",
        ),
    ],
)
def test_overrides_pin(method: str, source: dict[str, Any], record: Any, pinned_by: str | None) -> None:
    found = reason(manifest(method=method, source=source, record=record))
    if pinned_by is None:
        assert found is None
    else:
        assert found is not None
        assert found.startswith("pinned by ")
        assert pinned_by in found
        assert "remove the override to resume" in found


def test_the_pin_annotation_pins_whatever_the_method() -> None:
    found = reason(manifest(method="argocd", source={}, extra={P + "api.pin": "v1.4.0"}))
    assert found is not None
    assert f"{P}api.pin" in found
    assert "v1.4.0" in found


def test_multi_source_overrides_are_found_in_every_source() -> None:
    obj = manifest(method="git", source={})
    obj["spec"] = {
        "sources": [{"repoURL": "https://charts.example", "chart": "web"}, {**HELM_TAG, "repoURL": "x"}]
    }
    found = reason(obj)
    assert found is not None
    assert "spec.sources[1].helm.parameters image.tag=v1.4.0" in found


def test_with_record_keeps_the_other_entries_and_annotations() -> None:
    obj = manifest(method="argocd", source={}, record={"1/helm/other": "x"})
    image = ManifestImage(alias="api", image=parse_image(f"{IMAGE}:v1.5.0"), helm=HelmParams())
    out = pinning.with_record(obj, source_index=0, kind="helm", images=[image])
    assert json.loads(out["metadata"]["annotations"][RECORD]) == {
        "1/helm/other": "x",
        "0/helm/image.name": IMAGE,
        "0/helm/image.tag": "v1.5.0",
    }
    assert out["metadata"]["annotations"][P + "image-list"] == f"api={IMAGE}"


@pytest.mark.parametrize(
    ("param", "pins"),
    [
        pytest.param("image.full", True, id="the-spec-parameter"),
        pytest.param("image.tag", False, id="not-managed"),
    ],
)
def test_with_helm_image_spec_only_that_parameter_is_managed(param: str, pins: bool) -> None:
    source = {"helm": {"parameters": [{"name": param, "value": f"{IMAGE}:v1.4.0"}]}}
    obj = manifest(method="git", source=source, extra={P + "api.helm.image-spec": "image.full"})
    assert (reason(obj) is not None) is pins
