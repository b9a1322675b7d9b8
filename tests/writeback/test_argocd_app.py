"""The `argocd` write-back method's edit of the Application manifest: Helm parameters and Kustomize
images upserted into the chosen source, None when nothing changes; the diff of the overrides
before and after, as `plan` shows it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from image_updater.errors import WriteBackError
from image_updater.refs import Digest, ImageRef, Tag
from image_updater.writeback.argocd_app import parameters_diff, updated_application
from image_updater.writeback.model import HelmParams, ManifestImage

DIGEST = "sha256:" + "c" * 64
WEB = ImageRef("quay.io", "org/web", Tag("1.1.0"))


def image(ref: ImageRef = WEB, **extra: Any) -> ManifestImage:
    return ManifestImage(alias="web", image=ref, **extra)


def manifest(source: dict[str, Any]) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": "argocd", "resourceVersion": "7"},
        "spec": {"project": "default", "source": source},
    }


def param(name: str, value: str) -> dict[str, Any]:
    return {"name": name, "value": value, "forceString": True}


@pytest.mark.parametrize(
    ("helm", "images", "parameters"),
    [
        pytest.param(
            None,
            [image()],
            [param("image.name", "quay.io/org/web"), param("image.tag", "1.1.0")],
            id="no-helm-block",
        ),
        pytest.param(
            {"parameters": [{"name": "replicas", "value": "2"}]},
            [image()],
            [
                {"name": "replicas", "value": "2"},
                param("image.name", "quay.io/org/web"),
                param("image.tag", "1.1.0"),
            ],
            id="appended-after-others",
        ),
        pytest.param(
            {"parameters": [{"name": "image.tag", "value": "1.0.0"}, {"name": "replicas", "value": "2"}]},
            [image()],
            [
                param("image.tag", "1.1.0"),
                {"name": "replicas", "value": "2"},
                param("image.name", "quay.io/org/web"),
            ],
            id="replaced-in-place",
        ),
        pytest.param(
            {"parameters": [{"name": "image.tag", "value": "1.0.0", "forceString": False}]},
            [image()],
            [param("image.tag", "1.1.0"), param("image.name", "quay.io/org/web")],
            id="force-string-set",
        ),
        pytest.param(
            None,
            [image(helm=HelmParams(name="web.repository", tag="web.tag"))],
            [param("web.repository", "quay.io/org/web"), param("web.tag", "1.1.0")],
            id="custom-names",
        ),
        pytest.param(
            None,
            [image(helm=HelmParams(spec="web.image"))],
            [param("web.image", "quay.io/org/web:1.1.0")],
            id="image-spec",
        ),
        pytest.param(
            None,
            [image(ImageRef("quay.io", "org/web", Tag("stable"), Digest(DIGEST)))],
            [param("image.name", "quay.io/org/web"), param("image.tag", f"stable@{DIGEST}")],
            id="digest-in-tag",
        ),
        pytest.param(
            None,
            [image(ImageRef("quay.io", "org/web", None, Digest(DIGEST)))],
            [param("image.name", "quay.io/org/web")],
            id="no-tag-no-tag-parameter",
        ),
        pytest.param(
            None,
            [
                image(helm=HelmParams(name="a.repo", tag="a.tag")),
                ManifestImage(
                    alias="b",
                    image=ImageRef("", "redis", Tag("7.2")),
                    helm=HelmParams(name="b.repo", tag="b.tag"),
                ),
            ],
            [
                param("a.repo", "quay.io/org/web"),
                param("a.tag", "1.1.0"),
                param("b.repo", "redis"),
                param("b.tag", "7.2"),
            ],
            id="two-images",
        ),
    ],
)
def test_helm_parameters(
    helm: dict[str, Any] | None, images: list[ManifestImage], parameters: list[dict[str, Any]]
) -> None:
    source = {"repoURL": "https://charts.example", "chart": "web"} | ({"helm": helm} if helm else {})
    before = manifest(source)
    pristine = copy.deepcopy(before)

    after = updated_application(before, source_index=0, multi_source=False, kind="helm", images=images)

    assert after is not None
    assert after["spec"]["source"]["helm"]["parameters"] == parameters
    assert before == pristine  # the input is never mutated


@pytest.mark.parametrize(
    ("existing", "images", "expected"),
    [
        pytest.param(None, [image()], ["quay.io/org/web:1.1.0"], id="no-kustomize-images"),
        pytest.param(
            ["quay.io/org/api:2.0", "quay.io/org/web:1.0.0"],
            [image()],
            ["quay.io/org/api:2.0", "quay.io/org/web:1.1.0"],
            id="replaced-in-place",
        ),
        pytest.param(
            ["quay.io/org/api:2.0"],
            [image()],
            ["quay.io/org/api:2.0", "quay.io/org/web:1.1.0"],
            id="appended",
        ),
        pytest.param(
            ["docker.io/library/nginx:1.25"],
            [image(ImageRef("", "nginx", Tag("1.26")))],
            ["nginx:1.26"],
            id="docker-hub-spellings-are-one-image",
        ),
        pytest.param(
            [f"quay.io/org/web@{DIGEST}"],
            [image(ImageRef("quay.io", "org/web", Tag("stable"), Digest(DIGEST)))],
            [f"quay.io/org/web:stable@{DIGEST}"],
            id="digest-entry-replaced",
        ),
        pytest.param(
            ["old/web:1.0"],
            [image(kustomize_name="old/web")],
            ["old/web=quay.io/org/web:1.1.0"],
            id="kustomize-name-replaces-original",
        ),
        pytest.param(
            ["old/web=quay.io/org/web:1.0.0", "quay.io/org/web:0.9"],
            [image(kustomize_name="old/web")],
            ["old/web=quay.io/org/web:1.1.0"],
            id="kustomize-name-keyed-by-original-stale-unaliased-entry-goes",
        ),
        # upstream pkg/argocd/argocd_test.go Test_SetKustomizeImage
        pytest.param(
            ["jannfis/foobar:1.0.0"],
            [image(ImageRef("", "jannfis/foobar", Tag("1.0.1")), kustomize_name="foobar")],
            ["foobar=jannfis/foobar:1.0.1"],
            id="upstream-alias-name-on-kustomize-app-with-param-already-set",
        ),
        pytest.param(
            ["service-a=jannfis/foobar:tag-a", "service-b=jannfis/foobar:tag-b"],
            [
                image(
                    ImageRef("", "jannfis/foobar", Tag("tag-a"), Digest(DIGEST)), kustomize_name="service-a"
                ),
                image(
                    ImageRef("", "jannfis/foobar", Tag("tag-b"), Digest(DIGEST)), kustomize_name="service-b"
                ),
            ],
            [f"service-a=jannfis/foobar:tag-a@{DIGEST}", f"service-b=jannfis/foobar:tag-b@{DIGEST}"],
            id="upstream-two-aliases-sharing-the-same-image-name-do-not-collide",
        ),
        pytest.param(
            ["jannfis/foobar:1.0.0"],
            [image(ImageRef("", "jannfis/foobar", Tag("1.0.1")))],
            ["jannfis/foobar:1.0.1"],
            id="upstream-kustomize-app-with-param-already-set",
        ),
        pytest.param(
            [f"quay.io/org/web:latest@{DIGEST}"],
            [image(ImageRef("quay.io", "org/web", None, Digest(DIGEST)))],
            [f"quay.io/org/web@{DIGEST}"],
            id="argocd-method-always-writes-the-new-string-as-argo-cds-merge-image",
        ),
    ],
)
def test_kustomize_images(
    existing: list[str] | None, images: list[ManifestImage], expected: list[str]
) -> None:
    kustomize: dict[str, Any] = {"namePrefix": "p-"} | ({"images": existing} if existing is not None else {})
    before = manifest({"repoURL": "https://git.example/a.git", "path": "web", "kustomize": kustomize})

    after = updated_application(before, source_index=0, multi_source=False, kind="kustomize", images=images)

    assert after is not None
    assert after["spec"]["source"]["kustomize"] == {"namePrefix": "p-", "images": expected}


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        pytest.param("kustomize", {"kustomize": {"images": ["quay.io/org/web:1.1.0"]}}, id="kustomize"),
        pytest.param(
            "helm",
            {"helm": {"parameters": [param("image.name", "quay.io/org/web"), param("image.tag", "1.1.0")]}},
            id="helm",
        ),
        pytest.param(
            "helm",
            {
                "helm": {
                    "parameters": [
                        {"name": "image.tag", "value": "1.1.0", "forceString": True},
                        {"name": "image.name", "value": "quay.io/org/web", "forceString": True},
                    ]
                }
            },
            id="helm-other-order",
        ),
    ],
)
def test_nothing_to_change_gives_none(kind: Any, source: dict[str, Any]) -> None:
    before = manifest({"repoURL": "https://git.example/a.git", **source})
    assert (
        updated_application(before, source_index=0, multi_source=False, kind=kind, images=[image()]) is None
    )


def test_multi_source_edits_the_source_at_the_index() -> None:
    chart = {"repoURL": "https://charts.example", "chart": "web", "helm": {"valueFiles": ["$values/v.yaml"]}}
    values = {"repoURL": "https://git.example/values.git", "ref": "values"}
    before = {"metadata": {"name": "web"}, "spec": {"sources": [values, chart]}}

    after = updated_application(before, source_index=1, multi_source=True, kind="helm", images=[image()])

    assert after is not None
    assert after["spec"]["sources"][0] == values
    assert after["spec"]["sources"][1]["helm"] == {
        "valueFiles": ["$values/v.yaml"],
        "parameters": [param("image.name", "quay.io/org/web"), param("image.tag", "1.1.0")],
    }
    assert "source" not in after["spec"]


@pytest.mark.parametrize(
    ("app", "multi_source", "index"),
    [
        pytest.param({"metadata": {"name": "web"}}, False, 0, id="no-spec"),
        pytest.param({"metadata": {"name": "web"}, "spec": {"project": "x"}}, False, 0, id="no-source"),
    ],
)
def test_an_application_without_a_source_is_a_write_back_error(
    app: dict[str, Any], multi_source: bool, index: int
) -> None:
    with pytest.raises(WriteBackError):
        updated_application(app, source_index=index, multi_source=multi_source, kind="helm", images=[image()])


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param({"source": {"repoURL": "https://git.example/a.git"}}, id="became-single-source"),
        pytest.param({"sources": [{"repoURL": "https://git.example/a.git"}]}, id="fewer-sources"),
    ],
)
def test_sources_that_changed_since_listing_are_a_write_back_error(spec: dict[str, Any]) -> None:
    with pytest.raises(WriteBackError):
        updated_application(
            {"metadata": {"name": "web"}, "spec": spec},
            source_index=1,
            multi_source=True,
            kind="helm",
            images=[image()],
        )


@pytest.mark.parametrize(
    ("before", "multi_source", "kind", "diff"),
    [
        pytest.param(
            {"helm": {"parameters": [param("image.tag", "1.0.0"), param("replicas", "2")]}},
            False,
            "helm",
            "--- a/spec.source.helm.parameters\n+++ b/spec.source.helm.parameters\n@@ -1,2 +1,3 @@\n"
            '-{"forceString": true, "name": "image.tag", "value": "1.0.0"}\n'
            '+{"forceString": true, "name": "image.tag", "value": "1.1.0"}\n'
            ' {"forceString": true, "name": "replicas", "value": "2"}\n'
            '+{"forceString": true, "name": "image.name", "value": "quay.io/org/web"}\n',
            id="helm-changed-and-added",
        ),
        pytest.param(
            {"kustomize": {"images": ["quay.io/org/web:1.0.0"]}},
            True,
            "kustomize",
            "--- a/spec.sources[0].kustomize.images\n+++ b/spec.sources[0].kustomize.images\n"
            "@@ -1 +1 @@\n-quay.io/org/web:1.0.0\n+quay.io/org/web:1.1.0\n",
            id="kustomize-multi-source",
        ),
        pytest.param({}, False, "kustomize", "", id="nothing-changed-no-diff"),
    ],
)
def test_parameters_diff_shows_the_overrides_before_and_after(
    before: dict[str, Any], multi_source: bool, kind: Any, diff: str
) -> None:
    old = manifest({"repoURL": "https://git.example/a.git", **before})
    if multi_source:
        old["spec"]["sources"] = [old["spec"].pop("source")]
    images = [image()] if diff else []
    new = updated_application(old, source_index=0, multi_source=multi_source, kind=kind, images=images) or old

    assert parameters_diff(old, new, source_index=0, multi_source=multi_source, kind=kind) == diff
