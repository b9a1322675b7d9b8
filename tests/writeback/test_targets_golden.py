"""Golden tests for the write-back targets over a corpus of realistic files.

Each case is `corpus/<case>/before.yaml` → `after.yaml`: the exact result, the exact lines that
differ (so a change anywhere else fails), idempotence, and the same again with CRLF line endings.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from image_updater.refs import Digest, ImageRef, Tag
from image_updater.writeback import argocd_source, helmvalues, kustomization
from image_updater.writeback.model import HelmParams, ManifestImage

CORPUS = Path(__file__).parent / "corpus"
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64
D3 = "sha256:" + "3" * 64
D4 = "sha256:" + "4" * 64


def ref(text: str) -> ImageRef:
    """`[registry/]repo[:tag][@digest]` → ImageRef; a first component with a dot is a registry."""
    name, _, digest = text.partition("@")
    colon, slash = name.rfind(":"), name.rfind("/")
    tag = name[colon + 1 :] if colon > slash else None
    name = name[:colon] if colon > slash else name
    first, _, rest = name.partition("/")
    registry, repository = (first, rest) if rest and "." in first else ("", name)
    return ImageRef(registry, repository, Tag(tag) if tag else None, Digest(digest) if digest else None)


def img(text: str, *, kustomize: str | None = None, **helm: str) -> ManifestImage:
    return ManifestImage(alias=None, image=ref(text), kustomize_name=kustomize, helm=HelmParams(**helm))


Apply = Callable[[str | None, Sequence[ManifestImage]], str]


def kust(text: str | None, images: Sequence[ManifestImage]) -> str:
    return kustomization.apply(text, images)


def helm(text: str | None, images: Sequence[ManifestImage]) -> str:
    return helmvalues.apply(text, images)


def src_helm(text: str | None, images: Sequence[ManifestImage]) -> str:
    return argocd_source.apply(text, images, kind="helm")


def src_kust(text: str | None, images: Sequence[ManifestImage]) -> str:
    return argocd_source.apply(text, images, kind="kustomize")


@dataclass(frozen=True)
class Case:
    apply: Apply
    images: tuple[ManifestImage, ...]
    removed: tuple[str, ...] = ()  # the lines that must disappear, in order
    added: tuple[str, ...] = ()  # the lines that must appear, in order
    whole_file: bool = False  # the target re-emits the file: only the exact text is compared


REPO = {"name": "image.repository"}
WORKER = {"name": "worker.image.repository", "tag": "worker.image.tag"}
CASES: dict[str, Case] = {
    "kustomize-seed-add-images": Case(
        kust,
        (img("ghcr.io/org/api-service:v1.5.0"),),
        added=("images:", "- name: ghcr.io/org/api-service", "  newTag: v1.5.0"),
    ),
    "kustomize-comments-everywhere": Case(
        kust,
        (img("ghcr.io/org/api:v1.5.0"), img("envoyproxy/envoy:v1.29.1")),
        removed=("  newTag: v1.4.0 # bumped automatically",),
        added=("  newTag: v1.5.0 # bumped automatically",),
    ),
    "kustomize-indented-four-spaces": Case(
        kust,
        (img("ghcr.io/org/api:v1.5.0"), img("ghcr.io/org/cron:1.0.0")),
        removed=("        newTag: v1.4.0",),
        added=("        newTag: v1.5.0", "    -   name: ghcr.io/org/cron", "        newTag: 1.0.0"),
    ),
    "kustomize-quoted-tags": Case(
        kust,
        (img("ghcr.io/org/api:1.5.0"), img("ghcr.io/org/worker:0.10"), img("ghcr.io/org/cron:1.10")),
        removed=('    newTag: "1.4.0"', "    newTag: '0.9'", "    newTag: 1.9"),
        added=('    newTag: "1.5.0"', "    newTag: '0.10'", '    newTag: "1.10"'),
    ),
    "kustomize-anchors-directive": Case(
        kust,
        (img("ghcr.io/org/api:v1.5.0"), img("redis:7.2.4")),
        removed=("  newTag: v1.4.0",),
        added=("  newTag: v1.5.0", "- name: redis", "  newTag: 7.2.4"),
    ),
    "kustomize-newname-no-duplicate": Case(
        kust,
        (img("registry.example.com/mirror/nginx:1.25.4"),),
        removed=("  newTag: 1.25.3",),
        added=("  newTag: 1.25.4",),
    ),
    "kustomize-digest-forms": Case(
        kust,
        (
            img(f"ghcr.io/org/api:v1.5.0@{D2}"),
            img(f"ghcr.io/org/migrator:latest@{D3}"),
            img(f"ghcr.io/org/batch@{D4}"),
        ),
        removed=("  newTag: v1.4.0", f"  digest: {D1}", '  newTag: "1.0" # will become digest-only'),
        added=("  newTag: v1.5.0", f"  digest: {D2}", f"  digest: {D3}", f"  digest: {D4}"),
    ),
    "kustomize-override-name": Case(
        kust,
        (
            img("ghcr.io/argoproj/argocd:v2.9.3", kustomize="quay.io/argoproj/argocd"),
            img("registry.example.com/mirror/nginx:1.25.4", kustomize="nginx"),
        ),
        removed=("  newTag: v2.9.0",),
        added=(
            "  newTag: v2.9.3",
            "- name: nginx",
            "  newName: registry.example.com/mirror/nginx",
            "  newTag: 1.25.4",
        ),
    ),
    "kustomize-empty-indented-resources": Case(
        kust,
        (img("ghcr.io/org/api:v1.5.0"),),
        added=("images:", "  - name: ghcr.io/org/api", "    newTag: v1.5.0"),
    ),
    "kustomize-docker-hub-names": Case(
        kust,
        (img("nginx:1.25.4"), img("docker.io/bitnami/redis:7.2.4")),
        removed=("  newTag: 1.25.3", "  newTag: 7.2.3"),
        added=("  newTag: 1.25.4", "  newTag: 7.2.4"),
    ),
    "kustomize-flow-entries": Case(
        kust,
        (img("ghcr.io/org/api:v1.5.0"), img("ghcr.io/org/worker:1.10")),
        removed=("images: [{name: ghcr.io/org/api, newTag: v1.4.0}]",),
        added=(
            'images: [{name: ghcr.io/org/api, newTag: v1.5.0}, {name: ghcr.io/org/worker, newTag: "1.10"}]',
        ),
    ),
    "kustomize-unusual-images-null": Case(
        kust,
        (img("ghcr.io/org/api:v1.5.0"),),
        added=("  - name: ghcr.io/org/api", "    newTag: v1.5.0"),
    ),
    "helm-seed-repository-tag": Case(
        helm,
        (img("ghcr.io/org/api:v1.5.0", **REPO),),
        removed=("  tag: v1.4.0",),
        added=("  tag: v1.5.0",),
    ),
    "helm-comments-four-spaces": Case(
        helm,
        (img("ghcr.io/org/api:v1.5.0", **REPO),),
        removed=('    tag: "v1.4.0"  # set by image-updater',),
        added=('    tag: "v1.5.0"  # set by image-updater',),
    ),
    "helm-float-looking-tags": Case(
        helm,
        (img("ghcr.io/org/api:1.10", **REPO), img("ghcr.io/org/worker:2024.02", **WORKER)),
        removed=("  tag: 1.9", "    tag: '2024.01'"),
        added=('  tag: "1.10"', "    tag: '2024.02'"),
    ),
    "helm-list-indexes": Case(
        helm,
        (
            img(
                "prom/statsd-exporter:v0.27.0",
                name="sidecars[1].image.repository",
                tag="sidecars[1].image.tag",
            ),
        ),
        removed=("    tag: v0.26.0",),
        added=("    tag: v0.27.0",),
    ),
    "helm-literal-dotted-key": Case(
        helm,
        (img("ghcr.io/org/api:v1.5.0", **REPO),),
        removed=("image.tag: v1.4.0",),
        added=("image.tag: v1.5.0",),
    ),
    "helm-multi-document": Case(
        helm,
        (img("ghcr.io/org/api:v1.5.0", **REPO),),
        removed=("  tag: v1.4.0",),
        added=("  tag: v1.5.0",),
    ),
    "helm-anchors": Case(
        helm,
        (img("ghcr.io/org/api:v1.5.0", name="api.repository", tag="api.tag"),),
        removed=("  tag: &apiTag v1.4.0",),
        added=("  tag: &apiTag v1.5.0",),
    ),
    "helm-create-missing-keys": Case(
        helm,
        (
            img("ghcr.io/org/api:v1.5.0", **REPO),
            img("ghcr.io/org/cpu:1", name="resources.limits.image", tag="resources.requests.tag"),
        ),
        added=(
            "      image: ghcr.io/org/cpu",
            "   requests:",
            '      tag: "1"',
            "image:",
            "   repository: ghcr.io/org/api",
            "   tag: v1.5.0",
        ),
    ),
    "helm-short-repository": Case(
        helm,
        (
            img("ghcr.io/org/api:v1.5.0", **REPO),
            img("docker.io/library/nginx:1.25.4", name="nginx.image.repository", tag="nginx.image.tag"),
        ),
        removed=("  tag: v1.4.0", "    tag: 1.25.3"),
        added=("  tag: v1.5.0", "    tag: 1.25.4"),
    ),
    "helm-image-spec": Case(
        helm,
        (img(f"ghcr.io/org/api:v1.5.0@{D1}", spec="app.image"),),
        removed=("  image: ghcr.io/org/api:v1.4.0",),
        added=(f"  image: ghcr.io/org/api:v1.5.0@{D1}",),
    ),
    "helm-yaml11-directive": Case(
        helm,
        (img("ghcr.io/org/api:on", **REPO),),
        removed=("  tag: v1.4.0 # YAML 1.1 reader",),
        added=('  tag: "on" # YAML 1.1 reader',),
    ),
    "argocd-helm-merge": Case(
        src_helm,
        (
            img("ghcr.io/org/api:v1.5.0"),
            img("ghcr.io/org/worker:1.10", name="worker.image.name", tag="worker.image.tag"),
        ),
        whole_file=True,
    ),
    "argocd-kustomize-merge": Case(
        src_kust,
        (
            img("nginx:1.25.4"),
            img("ghcr.io/argoproj/argocd:v2.9.3", kustomize="quay.io/argoproj/argocd"),
            img(f"ghcr.io/org/new:v1@{D1}"),
        ),
        whole_file=True,
    ),
}


def read(case: str, name: str) -> str:
    with (CORPUS / case / name).open(encoding="utf-8", newline="") as stream:
        return stream.read()


def changes(before: str, after: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(removed lines, added lines) of a line diff, each in order."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return tuple(d[2:] for d in diff if d.startswith("- ")), tuple(d[2:] for d in diff if d.startswith("+ "))


def test_corpus_and_table_agree() -> None:
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str) -> None:
    spec, before, expected = CASES[case], read(case, "before.yaml"), read(case, "after.yaml")
    after = spec.apply(before, spec.images)
    assert after == expected
    if not spec.whole_file:
        assert changes(before, after) == (spec.removed, spec.added)


@pytest.mark.parametrize("case", sorted(CASES))
def test_idempotent(case: str) -> None:
    spec, expected = CASES[case], read(case, "after.yaml")
    assert spec.apply(expected, spec.images) == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_crlf_kept(case: str) -> None:
    spec = CASES[case]
    before, expected = (read(case, name).replace("\n", "\r\n") for name in ("before.yaml", "after.yaml"))
    assert spec.apply(before, spec.images) == expected
