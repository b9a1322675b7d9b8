"""Behaviour of the write-back targets beyond the golden corpus: errors, edge shapes, new files."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from image_updater.errors import InvalidWriteBackConfig, WriteBackError
from image_updater.refs import Digest, ImageRef, Tag
from image_updater.writeback import argocd_source, helmvalues, kustomization, yamltext
from image_updater.writeback.model import HelmParams, ManifestImage

API = ManifestImage(alias="api", image=ImageRef("ghcr.io", "org/api", Tag("v1.5.0")))
REPO = HelmParams(name="image.repository")
API_HELM = ManifestImage(alias="api", image=ImageRef("ghcr.io", "org/api", Tag("v1.5.0")), helm=REPO)
BROKEN = "images:\n  - name: [unclosed\n"

TARGETS = {
    "kustomization": lambda text: kustomization.apply(text, [API], path="apps/api/kustomization.yaml"),
    "helmvalues": lambda text: helmvalues.apply(text, [API_HELM], path="apps/api/kustomization.yaml"),
    "argocd-source-helm": lambda text: argocd_source.apply(
        text, [API], kind="helm", path="apps/api/kustomization.yaml"
    ),
    "argocd-source-kustomize": lambda text: argocd_source.apply(
        text, [API], kind="kustomize", path="apps/api/kustomization.yaml"
    ),
}


@pytest.mark.parametrize("target", TARGETS.values(), ids=TARGETS.keys())
def test_malformed_yaml_is_an_error_naming_the_file(target: Callable[[str], str]) -> None:
    with pytest.raises(WriteBackError, match=r"apps/api/kustomization\.yaml is not valid YAML"):
        target(BROKEN)


ERRORS = {
    "kustomization-absent": (
        lambda: kustomization.apply(None, [API]),
        InvalidWriteBackConfig,
        "does not exist",
    ),
    "kustomization-two-documents": (
        lambda: kustomization.apply("images: []\n---\nimages: []\n", [API]),
        WriteBackError,
        "2 YAML documents",
    ),
    "kustomization-images-not-a-list": (
        lambda: kustomization.apply("images: {name: x}\n", [API]),
        WriteBackError,
        "images is not a list",
    ),
    "kustomization-duplicate-key": (
        lambda: kustomization.apply("images: []\nimages: []\n", [API]),
        WriteBackError,
        "key 'images' twice",
    ),
    "helm-path-through-scalar": (
        lambda: helmvalues.apply("image: nginx:1.0\n", [API_HELM]),
        WriteBackError,
        "image is not a mapping",
    ),
    "helm-target-is-a-mapping": (
        lambda: helmvalues.apply("image:\n  tag:\n    value: x\n", [API_HELM]),
        WriteBackError,
        r"image\.tag is not a single value",
    ),
    "helm-list-index-missing": (
        lambda: helmvalues.apply(
            "images:\n- tag: v1\n",
            [ManifestImage(alias="a", image=API.image, helm=HelmParams(spec="images[1].tag"))],
        ),
        WriteBackError,
        r"has no images\[1\]",
    ),
    "helm-bad-parameter-name": (
        lambda: helmvalues.apply(
            "a: 1\n", [ManifestImage(alias="a", image=API.image, helm=HelmParams(spec="image..tag"))]
        ),
        InvalidWriteBackConfig,
        "not a dotted path",
    ),
    "helm-root-is-a-list": (
        lambda: helmvalues.apply("- a\n", [API_HELM]),
        WriteBackError,
        "block mapping at the top",
    ),
    "helm-empty-first-document": (
        lambda: helmvalues.apply("---\n---\na: 1\n", [API_HELM]),
        WriteBackError,
        "first YAML document is empty",
    ),
    "helm-anchored-mapping-is-not-grown": (
        lambda: helmvalues.apply("image: &img\n  repository: ghcr.io/org/api\nother: *img\n", [API_HELM]),
        WriteBackError,
        r"image is anchored \(&img\); change it by hand",
    ),
    "argocd-source-not-a-mapping": (
        lambda: argocd_source.apply("- a\n", [API], kind="helm"),
        WriteBackError,
        "does not hold a mapping",
    ),
    "argocd-source-parameters-not-a-list": (
        lambda: argocd_source.apply("helm:\n  parameters: x\n", [API], kind="helm"),
        WriteBackError,
        r"helm\.parameters is not a list",
    ),
}


@pytest.mark.parametrize(("call", "error", "message"), ERRORS.values(), ids=ERRORS.keys())
def test_errors_say_what_to_fix(call: Callable[[], str], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        call()


HELM_EDGES = {
    "block-scalar-tag": (
        "image:\n  tag: |\n    v1\n  pullPolicy: Always\n",
        "image:\n  tag: v1.5.0\n  pullPolicy: Always\n  repository: ghcr.io/org/api\n",
    ),
    "empty-tag": ("image:\n  tag:\n", "image:\n  tag: v1.5.0\n  repository: ghcr.io/org/api\n"),
    "null-tag-keeps-comment": (
        "image:\n  tag: ~ # none\n",
        "image:\n  tag: v1.5.0 # none\n  repository: ghcr.io/org/api\n",
    ),
    "no-final-newline": ("image:\n  tag: v1", "image:\n  tag: v1.5.0\n  repository: ghcr.io/org/api\n"),
    "tagged-scalar": (
        "image:\n  tag: !!str 1.0\n",
        "image:\n  tag: !!str v1.5.0\n  repository: ghcr.io/org/api\n",
    ),
    "flow-mapping": ("image: {tag: v1}\n", "image: {tag: v1.5.0, repository: ghcr.io/org/api}\n"),
    "empty-flow-mapping": ("image: {}\n", "image:\n  repository: ghcr.io/org/api\n  tag: v1.5.0\n"),
    "merge-key-gets-a-local-override": (
        "base: &b\n  tag: v1\nimage:\n  <<: *b\n",
        "base: &b\n  tag: v1\nimage:\n  <<: *b\n  repository: ghcr.io/org/api\n  tag: v1.5.0\n",
    ),
    "alias-use-is-replaced-not-its-anchor": (
        "v: &v v1\nimage:\n  tag: *v\n",
        "v: &v v1\nimage:\n  tag: v1.5.0\n  repository: ghcr.io/org/api\n",
    ),
    "comment-only-file": ("# values\n", "# values\nimage:\n  repository: ghcr.io/org/api\n  tag: v1.5.0\n"),
}


@pytest.mark.parametrize(("before", "after"), HELM_EDGES.values(), ids=HELM_EDGES.keys())
def test_helm_value_shapes(before: str, after: str) -> None:
    assert helmvalues.apply(before, [API_HELM]) == after


def test_helm_new_file_gets_the_header() -> None:
    assert helmvalues.apply(None, [API_HELM]) == (
        "# auto generated by image-updater\nimage:\n  repository: ghcr.io/org/api\n  tag: v1.5.0\n"
    )


def test_helm_tag_with_digest_and_without_tag() -> None:
    digest = Digest("sha256:" + "a" * 64)
    with_tag = ManifestImage(alias="a", image=ImageRef("", "nginx", Tag("1.25"), digest), helm=REPO)
    only_digest = ManifestImage(alias="a", image=ImageRef("", "nginx", None, digest), helm=REPO)
    assert helmvalues.apply("image:\n  repository: nginx\n  tag: x\n", [with_tag]) == (
        f"image:\n  repository: nginx\n  tag: 1.25@{digest}\n"
    )
    assert helmvalues.apply("image:\n  repository: nginx\n  tag: x\n", [only_digest]) == (
        "image:\n  repository: nginx\n  tag: x\n"
    )


def test_kustomize_equal_unquoted_tag_is_left_alone() -> None:
    text = "images:\n- name: nginx\n  newTag: 1.10\n"
    image = ManifestImage(alias=None, image=ImageRef("", "nginx", Tag("1.10")))
    assert kustomization.apply(text, [image]) == text


def test_kustomize_stale_new_name_is_removed_when_the_image_is_its_own_name() -> None:
    text = "images:\n- name: nginx\n  newName: mirror.example.com/nginx # old mirror\n  newTag: 1.0\n"
    image = ManifestImage(alias=None, image=ImageRef("", "nginx", Tag("1.1")))
    assert kustomization.apply(text, [image]) == 'images:\n- name: nginx\n  newTag: "1.1"\n'


def test_kustomize_entry_with_new_tag_first() -> None:
    text = "images:\n- newTag: v1\n  name: nginx\n"
    image = ManifestImage(alias=None, image=ImageRef("", "nginx", None, Digest("sha256:" + "b" * 64)))
    assert kustomization.apply(text, [image]) == f"images:\n- name: nginx\n  digest: sha256:{'b' * 64}\n"


def test_argocd_source_new_files() -> None:
    tagged = ManifestImage(alias=None, image=ImageRef("registry.example.com", "team/app", Tag("1.2.3")))
    assert argocd_source.apply(None, [tagged], kind="helm") == (
        "helm:\n  parameters:\n"
        "  - name: image.name\n    value: registry.example.com/team/app\n    forcestring: true\n"
        "  - name: image.tag\n    value: 1.2.3\n    forcestring: true\n"
    )
    assert argocd_source.apply("", [tagged], kind="kustomize") == (
        "kustomize:\n  images:\n  - registry.example.com/team/app:1.2.3\n"
    )


def test_argocd_source_keeps_unmanaged_keys_and_header() -> None:
    text = "# keep me\n\n---\nhelm:\n  valueFiles:\n  - prod.yaml\n"
    assert argocd_source.apply(text, [API], kind="helm") == (
        "# keep me\n\n---\nhelm:\n  valueFiles:\n  - prod.yaml\n  parameters:\n"
        "  - name: image.name\n    value: ghcr.io/org/api\n    forcestring: true\n"
        "  - name: image.tag\n    value: v1.5.0\n    forcestring: true\n"
    )


def test_argocd_source_crlf_and_spec_parameter() -> None:
    spec = ManifestImage(alias=None, image=API.image, helm=HelmParams(spec="api.image"))
    assert argocd_source.apply("helm: {}\r\n", [spec], kind="helm") == (
        "helm:\r\n  parameters:\r\n  - name: api.image\r\n    value: ghcr.io/org/api:v1.5.0\r\n"
        "    forcestring: true\r\n"
    )


SCALARS = {
    "version": ("1.2.3", "1.2.3"),
    "float-looking": ("1.10", '"1.10"'),
    "int-looking": ("20240101", '"20240101"'),
    "yaml11-bool": ("yes", '"yes"'),
    "yaml12-null": ("null", '"null"'),
    "date": ("2024-01-01", '"2024-01-01"'),
    "sexagesimal": ("1:20", '"1:20"'),
    "digest": ("sha256:" + "c" * 64, "sha256:" + "c" * 64),
    "spec": ("ghcr.io/org/api:v1@sha256:ab", "ghcr.io/org/api:v1@sha256:ab"),
    "port": ("localhost:5000/app", "localhost:5000/app"),
    "space-and-hash": ("a #b", '"a #b"'),
    "leading-star": ("*x", '"*x"'),
    "quote-inside": ('a"b', '"a\\"b"'),
    "empty": ("", '""'),
    "yaml11-bool-capitals": ("OFF", '"OFF"'),
    "yaml11-bool-one-letter": ("y", '"y"'),
    "yaml12-null-capitals": ("NULL", '"NULL"'),
    "letter-first-tag": ("v1.10", "v1.10"),
    "letter-first-word": ("yesterday", "yesterday"),
}


@pytest.mark.parametrize(("value", "rendered"), SCALARS.values(), ids=SCALARS.keys())
def test_render_scalar_stays_a_string(value: str, rendered: str) -> None:
    assert yamltext.render_scalar(value) == rendered


def test_render_scalar_keeps_single_quotes() -> None:
    assert yamltext.render_scalar("it's", style="'") == "'it''s'"


def test_helm_two_images_on_one_parameter_last_wins() -> None:
    first = ManifestImage(alias="a", image=ImageRef("ghcr.io", "org/a", Tag("1.0.0")), helm=REPO)
    second = ManifestImage(alias="b", image=ImageRef("ghcr.io", "org/b", Tag("2.0.0")), helm=REPO)
    text = "image:\n  repository: ghcr.io/org/x\n  tag: v0\n"
    assert helmvalues.apply(text, [first, second]) == "image:\n  repository: ghcr.io/org/b\n  tag: 2.0.0\n"


def test_helm_creates_a_missing_parent_once_for_two_keys() -> None:
    text = "replicaCount: 1\n"
    assert helmvalues.apply(text, [API_HELM]) == (
        "replicaCount: 1\nimage:\n  repository: ghcr.io/org/api\n  tag: v1.5.0\n"
    )


def test_argocd_source_keeps_the_spelling_of_unmanaged_values() -> None:
    text = (
        "helm:\n  parameters:\n  - name: a\n    value: 1.10\n  - name: b\n    value: 'yes'\n"
        "  - name: image.tag\n    value: v1\n    forcestring: true\n"
    )
    assert argocd_source.apply(text, [API], kind="helm") == (
        "helm:\n  parameters:\n  - name: a\n    value: 1.10\n  - name: b\n    value: 'yes'\n"
        "  - name: image.name\n    value: ghcr.io/org/api\n    forcestring: true\n"
        "  - name: image.tag\n    value: v1.5.0\n    forcestring: true\n"
    )


def test_empty_flow_root_is_replaced() -> None:
    assert helmvalues.apply("{}\n", [API_HELM]) == "image:\n  repository: ghcr.io/org/api\n  tag: v1.5.0\n"
    assert (
        kustomization.apply("# k\n{}\n", [API]) == "# k\nimages:\n- name: ghcr.io/org/api\n  newTag: v1.5.0\n"
    )


def test_kustomize_image_without_tag_or_digest_only_renames() -> None:
    text = "images:\n- name: nginx\n  newTag: 1.0 # pinned\n"
    image = ManifestImage(alias=None, image=ImageRef("ghcr.io", "mirror/nginx"), kustomize_name="nginx")
    assert kustomization.apply(text, [image]) == (
        "images:\n- name: nginx\n  newName: ghcr.io/mirror/nginx\n  newTag: 1.0 # pinned\n"
    )
