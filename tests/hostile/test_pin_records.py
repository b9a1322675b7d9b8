"""Hostile Application content where pins are read: the argocd write-back's record and the
override lists. Whatever an Application holds, reading its pins never raises (which would stop
every Application's cycle) and a broken record counts as none."""

from __future__ import annotations

import json
from typing import Any

import pytest

from image_updater import annotations
from image_updater.applications import from_manifest
from image_updater.runtime import pinning, planning

P = annotations.PREFIX
IMAGE = "registry.example/org/api"


def app(*, record: str | None = None, source: dict[str, Any] | None = None) -> dict[str, Any]:
    notes = {P + "image-list": f"api={IMAGE}", P + "write-back-method": "argocd"}
    if record is not None:
        notes[pinning.RECORD_ANNOTATION] = record
    tag = {"helm": {"parameters": [{"name": "image.tag", "value": "v1.4.0"}]}}
    return {
        "metadata": {"name": "web", "namespace": "a", "annotations": notes},
        "spec": {"source": source or tag},
    }


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(app(record="[" * 100_000 + "]" * 100_000), id="record-nested-deeper-than-the-parser"),
        pytest.param(app(record=json.dumps({"0/helm/image.tag": "x" * 70_000})), id="record-over-64-KiB"),
        pytest.param(
            app(record=json.dumps({"0/helm/image.tag": ["not", "a", "string"]})), id="record-wrong-type"
        ),
        pytest.param(app(record="null"), id="record-null"),
        pytest.param(
            app(source={"helm": {"parameters": [{"name": {"a": 1}}, {"name": ["x"]}, "text", None]}}),
            id="unhashable-parameter-names",
        ),
        pytest.param(
            app(source={"helm": {"parameters": [{"name": "image.tag", "value": {"nested": [1]}}]}}),
            id="parameter-value-not-a-scalar",
        ),
        pytest.param(
            app(source={"kustomize": {"images": [{"name": "x"}, 3, None]}}), id="kustomize-entries-wrong-type"
        ),
    ],
)
def test_reading_pins_never_raises(obj: dict[str, Any]) -> None:
    application = from_manifest(obj)
    settings = annotations.parse(application.annotations, app=application.key, namespace="a")
    checks, skips = planning.images_to_check(application, settings)
    assert len(checks) + len(skips) == 1
    for skip in skips:
        assert skip.reason.startswith("pinned by ")
