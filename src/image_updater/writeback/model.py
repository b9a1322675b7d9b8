"""What a write-back target is told to write, and where: pure value types and the target parser.

No I/O here. `parse_write_back_target` turns the `write-back-target` annotation into a `WriteTarget`
and rejects what argocd-image-updater would silently misread; `choose_source` and
`values_reference` say which of an Application's sources receives the write; `AppTarget` is all a
target needs to know of one Application; `paths` resolves the target to a file, `targets` gives
the module that writes it. `Reader` is the only window the target layer has on a repository.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from image_updater.applications import Application, AppSource
from image_updater.errors import InvalidWriteBackConfig
from image_updater.refs import ImageRef, is_docker_hub

SourceKind = Literal["helm", "kustomize"]
TargetKind = Literal["argocd-source", "kustomization", "helmvalues"]

# Repository-relative path -> the file's text, None when absent (the git adapter confines it to the tree).
Reader: TypeAlias = Callable[[str], str | None]

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_FORMS = "kustomization, kustomization:<dir>, helmvalues, helmvalues:<file> or a path ending in .yaml"


@dataclass(frozen=True, slots=True)
class HelmParams:
    """The Helm value paths that receive one image (`<alias>.helm.image-name/-tag/-spec`)."""

    name: str = "image.name"
    tag: str = "image.tag"
    spec: str | None = None  # when set, the full `repo:tag[@digest]` goes here and name/tag are unused


@dataclass(frozen=True, slots=True)
class ManifestImage:
    """One image to write: the new reference and where it goes in Helm values or a kustomization.

    `image` is the new image (name, tag, optional digest). `kustomize_name` is the original image
    name of `<alias>.kustomize.image-name` (the `name:` kustomize matches), None when not configured.
    """

    alias: str | None
    image: ImageRef
    kustomize_name: str | None = None
    helm: HelmParams = field(default_factory=HelmParams)


@dataclass(frozen=True, slots=True)
class WriteTarget:
    """A parsed `write-back-target`.

    `path` is as written after the prefix (a directory for kustomization, a file for helmvalues),
    None for the bare forms. A leading `/` means the repository root, anything else is relative to
    the Application's source path; a bare `*.yaml` target is repository-root relative, as upstream.
    """

    kind: TargetKind
    path: str | None = None


@dataclass(frozen=True, slots=True)
class AppTarget:
    """Where one Application's images go: its target, source path and (maybe unknown) type."""

    app_name: str
    app_namespace: str
    controller_namespace: str
    target: WriteTarget
    source_path: str
    kind: SourceKind | None  # None: detect from the files at the source path
    images: tuple[ManifestImage, ...]


def parse_write_back_target(text: str | None) -> WriteTarget:
    """Parse the `write-back-target` annotation value; None or blank means `.argocd-source-<app>.yaml`."""
    value = (text or "").strip()
    if not value:
        return WriteTarget(kind="argocd-source")
    for kind in ("kustomization", "helmvalues"):
        if value == kind:
            return WriteTarget(kind=kind)
        if value.startswith(kind + ":"):
            return WriteTarget(kind=kind, path=_checked_path(value[len(kind) + 1 :], kind=kind))
    return _bare_path_target(value)


def _bare_path_target(value: str) -> WriteTarget:
    prefix, colon, _ = value.partition(":")
    if colon and "/" not in prefix:
        raise InvalidWriteBackConfig(
            f"write-back-target {value!r} has an unknown prefix; use one of: {_FORMS}"
        )
    base = posixpath.basename(value)
    if base in KUSTOMIZATION_NAMES:
        directory = posixpath.dirname(value) or "."
        raise InvalidWriteBackConfig(
            f"write-back-target {value!r} names a kustomization file; use kustomization:{directory}"
        )
    if base.startswith(".argocd-source"):
        raise InvalidWriteBackConfig(
            f"write-back-target {value!r} names an .argocd-source file; remove write-back-target to write it"
        )
    if not base.endswith((".yaml", ".yml")):
        raise InvalidWriteBackConfig(f"write-back-target {value!r} is not one of: {_FORMS}")
    path = _checked_path(value, kind="helmvalues")
    return WriteTarget(kind="helmvalues", path=path if path.startswith("/") else "/" + path)


def _checked_path(path: str, *, kind: str) -> str:
    if not path.strip():
        raise InvalidWriteBackConfig(f"write-back-target {kind}: needs a path after the colon, or use {kind}")
    return path.strip()


def normal_image_name(name: str) -> str:
    """An image name in the form used to compare names: Docker Hub spelled out or implied is the
    same registry (`nginx` = `docker.io/library/nginx`), so both normalise to `nginx`."""
    first, _, rest = name.partition("/")
    registry, path = (
        (first, rest) if rest and ("." in first or ":" in first or first == "localhost") else ("", name)
    )
    if is_docker_hub(registry):
        return path.removeprefix("library/") if path.count("/") == 1 else path
    return f"{registry}/{path}"


def same_image_name(left: str, right: str) -> bool:
    """True when both names denote the same repository (see `normal_image_name`)."""
    return normal_image_name(left) == normal_image_name(right)


def choose_source(app: Application, *, target: WriteTarget | None) -> AppSource:
    """The source to write, as upstream: an explicit target's type wins, else the first Helm or
    Kustomize source, else the first source."""
    wanted = {"helmvalues": "helm", "kustomization": "kustomize"}.get(target.kind if target else "")
    kinds = (wanted,) if wanted else ("helm", "kustomize")
    ranked = sorted(app.sources, key=lambda s: not s.explicit)  # an explicit block beats a status type
    return next((s for s in ranked if s.kind in kinds), app.sources[0])


def values_reference(
    app: Application, target: WriteTarget, source: AppSource
) -> tuple[WriteTarget, AppSource]:
    """Resolve a Helm values file that lives in another source of a multi-source Application.

    `helmvalues:$values/envs/prod.yaml` (or a bare `helmvalues` on a chart whose first value file
    is `$values/...`) means the file `envs/prod.yaml` at the root of the source with `ref: values`,
    as Argo CD reads it; that source's repository and revision are where the commit goes.
    """
    if target.kind != "helmvalues":
        return target, source
    path = target.path or next(iter(source.value_files), None) if source.kind == "helm" else target.path
    if not path or not path.startswith("$"):
        return target, source
    ref, _, rest = path[1:].partition("/")
    holder = next((s for s in app.sources if s.ref == ref), None)
    if holder is None or not rest:
        raise InvalidWriteBackConfig(f"values file {path!r} names ref {ref!r}, but no source has ref: {ref}")
    return WriteTarget(kind="helmvalues", path="/" + rest), holder
