"""A typed, read-only view of an Argo CD Application manifest. Pure.

Owns: which sources an Application has (single `spec.source` or multi `spec.sources`), their
type (from the spec's `helm`/`kustomize`/`plugin` blocks, else `status.sourceTypes`, else what
the caller detected from files), and which images run (`status.summary.images`; None when
the Application has no status, e.g. a manifest read from a directory — then every image counts
as live). Malformed manifests raise `InvalidAnnotation`-family errors naming the Application.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from image_updater import refs
from image_updater.credentials import K8S_NAME, K8S_NAMESPACE
from image_updater.errors import ConfigError, InvalidAnnotation
from image_updater.refs import ImageRef
from image_updater.text import printable
from image_updater.yamlsafe import type_name

SourceKind = Literal["helm", "kustomize", "plugin", "directory", ""]
KINDS: tuple[SourceKind, ...] = ("helm", "kustomize", "plugin", "directory")
DEFAULT_NAMESPACE = "argocd"  # of a manifest that names none (directory mode)


@dataclass(frozen=True, slots=True)
class AppSource:
    """One source of an Application. `index` is its position in `spec.sources` (0 if single)."""

    index: int
    repo_url: str
    path: str
    target_revision: str
    kind: SourceKind
    explicit: bool = False  # the kind comes from a helm:/kustomize:/plugin: block, not from status
    chart: str = ""
    ref: str = ""  # multi-source `ref:` name, used by `$ref/values.yaml` value files
    value_files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Application:
    """What image-updater needs to know about one Application."""

    namespace: str
    name: str
    annotations: Mapping[str, str]
    sources: tuple[AppSource, ...]
    multi_source: bool
    live_images: tuple[ImageRef, ...] | None
    manifest: Mapping[str, Any]

    @property
    def key(self) -> str:
        """`namespace/name`, how logs and errors name the Application."""
        return f"{self.namespace}/{self.name}"

    @property
    def labels(self) -> Mapping[str, str]:
        """`metadata.labels`, as strings (what ImageUpdater label selectors match)."""
        labels = _mapping(_mapping(self.manifest.get("metadata")).get("labels"))
        return {str(k): str(v) for k, v in labels.items()}


def from_manifest(
    obj: Mapping[str, Any], *, default_namespace: str = DEFAULT_NAMESPACE, status_known: bool = False
) -> Application:
    """Build the view; raises ConfigError naming the Application when the manifest is unusable.

    `status_known`: the manifest comes from the cluster, where Argo CD omits `summary.images` when
    nothing runs, so a missing list means "nothing is live" rather than "unknown, all live".
    """
    manifest = "an Application manifest"
    meta = _typed(obj, "metadata", Mapping, where=manifest) or {}
    name = _typed(meta, "name", str, where=manifest, at="metadata.") or ""
    if not name:
        raise InvalidAnnotation("an Application manifest has no metadata.name")
    namespace = (
        _typed(meta, "namespace", str, where=f"application {name}", at="metadata.") or default_namespace
    )
    key = f"{namespace}/{name}"
    where = f"application {key}"
    # Kubernetes refuses other names; a directory-mode manifest must not bring one (a `/` or `..`
    # in the name would move its `.argocd-source-<name>.yaml` elsewhere in the repository)
    if not (K8S_NAME.fullmatch(name) and K8S_NAMESPACE.fullmatch(namespace)):
        raise InvalidAnnotation(
            f"application {printable(key, limit=300)}: metadata.name must be a DNS-1123 subdomain, "
            "metadata.namespace a DNS-1123 label (lower-case letters, digits, '-', '.'), as Kubernetes wants"
        )
    spec = _typed(obj, "spec", Mapping, where=where) or {}
    status = _mapping(obj.get("status"))
    types = [str(t).lower() for t in status.get("sourceTypes") or []]
    if many := _typed(spec, "sources", list, where=where, at="spec."):
        raw_sources, multi = [_item(s, f"spec.sources[{i}]", where=where) for i, s in enumerate(many)], True
    elif (single := _typed(spec, "source", Mapping, where=where, at="spec.")) is not None:
        raw_sources, multi = [single], False
        types = types or ([str(status["sourceType"]).lower()] if status.get("sourceType") else [])
    else:
        raise InvalidAnnotation(f"{where}: spec has neither source nor sources")
    sources = tuple(
        _source(
            i,
            raw,
            types[i] if i < len(types) else "",
            where=where,
            at=f"spec.sources[{i}]." if multi else "spec.source.",
        )
        for i, raw in enumerate(raw_sources)
    )
    return Application(
        namespace=namespace,
        name=name,
        annotations=_annotations(meta, where=where),
        sources=sources,
        multi_source=multi,
        live_images=_live_images(status, key=key, status_known=status_known),
        manifest=obj,
    )


def _source(index: int, raw: Mapping[str, Any], status_type: str, *, where: str, at: str) -> AppSource:
    blocks = [k for k in KINDS if k != "directory" and isinstance(raw.get(k), Mapping)]
    kind: SourceKind = blocks[0] if blocks else next((k for k in KINDS if k == status_type), "")
    helm = _typed(raw, "helm", Mapping, where=where, at=at) or {}
    value_files = _typed(helm, "valueFiles", list, where=where, at=f"{at}helm.") or []

    def text(key: str) -> str:
        return _typed(raw, key, str, where=where, at=at) or ""

    return AppSource(
        index=index,
        repo_url=text("repoURL"),
        path=text("path"),
        target_revision=text("targetRevision"),
        kind=kind,
        explicit=bool(blocks),
        chart=text("chart"),
        ref=text("ref"),
        value_files=tuple(
            _item(v, f"{at}helm.valueFiles[{i}]", where=where, expected=str)
            for i, v in enumerate(value_files)
        ),
    )


def _typed(parent: Mapping[str, Any], key: str, expected: type, *, where: str, at: str = "") -> Any:
    """`parent[key]`, None when absent or null; InvalidAnnotation naming `at + key` when it has
    another type."""
    value = parent.get(key)
    return None if value is None else _item(value, at + key, where=where, expected=expected)


def _item(value: object, what: str, *, where: str, expected: type = Mapping) -> Any:
    if not isinstance(value, expected):
        raise InvalidAnnotation(f"{where}: {what} must be {_TYPE_NAMES[expected]}, got {type_name(value)}")
    return value


def _annotations(meta: Mapping[str, Any], *, where: str) -> dict[str, str]:
    found = _typed(meta, "annotations", Mapping, where=where, at="metadata.") or {}
    for key, value in found.items():
        if not isinstance(key, str) or not isinstance(value, str):
            shown = repr(key) if isinstance(key, str) else type_name(key)
            raise InvalidAnnotation(
                f"{where}: metadata.annotations[{shown}] must be a string, got {type_name(value)} (quote it)"
            )
    return dict(found)


_TYPE_NAMES: dict[type, str] = {str: "a string", Mapping: "a mapping", list: "a list"}


def _live_images(status: Mapping[str, Any], *, key: str, status_known: bool) -> tuple[ImageRef, ...] | None:
    summary = status.get("summary")
    if not isinstance(summary, Mapping) or "images" not in summary:
        return () if status_known else None
    images: list[ImageRef] = []
    for text in summary.get("images") or []:
        try:
            images.append(refs.parse_image(str(text)))
        except ConfigError:
            continue  # Argo CD reports what runs; an odd entry must not break the Application
    return tuple(images)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
