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
from image_updater.errors import ConfigError, InvalidAnnotation
from image_updater.refs import ImageRef

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
    meta = _mapping(obj.get("metadata"))
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or default_namespace)
    if not name:
        raise InvalidAnnotation("an Application manifest has no metadata.name")
    key = f"{namespace}/{name}"
    spec, status = _mapping(obj.get("spec")), _mapping(obj.get("status"))
    types = [str(t).lower() for t in status.get("sourceTypes") or []]
    if isinstance(spec.get("sources"), list) and spec["sources"]:
        raw_sources, multi = list(spec["sources"]), True
    elif isinstance(spec.get("source"), Mapping):
        raw_sources, multi = [spec["source"]], False
        types = types or ([str(status["sourceType"]).lower()] if status.get("sourceType") else [])
    else:
        raise InvalidAnnotation(f"application {key}: spec has neither source nor sources")
    sources = tuple(
        _source(i, _mapping(s), types[i] if i < len(types) else "") for i, s in enumerate(raw_sources)
    )
    return Application(
        namespace=namespace,
        name=name,
        annotations={str(k): str(v) for k, v in _mapping(meta.get("annotations")).items()},
        sources=sources,
        multi_source=multi,
        live_images=_live_images(status, key=key, status_known=status_known),
        manifest=obj,
    )


def _source(index: int, raw: Mapping[str, Any], status_type: str) -> AppSource:
    blocks = [k for k in KINDS if k != "directory" and isinstance(raw.get(k), Mapping)]
    kind: SourceKind = blocks[0] if blocks else next((k for k in KINDS if k == status_type), "")
    helm = _mapping(raw.get("helm"))
    return AppSource(
        index=index,
        repo_url=str(raw.get("repoURL") or ""),
        path=str(raw.get("path") or ""),
        target_revision=str(raw.get("targetRevision") or ""),
        kind=kind,
        explicit=bool(blocks),
        chart=str(raw.get("chart") or ""),
        ref=str(raw.get("ref") or ""),
        value_files=tuple(str(v) for v in helm.get("valueFiles") or []),
    )


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
