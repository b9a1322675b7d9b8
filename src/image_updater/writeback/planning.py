"""From an Application's write-back target to file edits, given a view of the checked-out tree.

Pure: `read(path)` (repository-relative; None when absent) is the only window on the repository,
so the git adapter can call this against whatever tip it fetched — again after a push conflict.
Owns two decisions that need the files: the source type when neither the spec nor Argo CD's
status says it (`kustomization.yaml`/`.yml`/`Kustomization` → kustomize, `Chart.yaml` → helm),
and which kustomization file a `kustomization[:<dir>]` target means.
"""

from __future__ import annotations

import functools
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from image_updater.errors import InvalidWriteBackConfig
from image_updater.writeback import argocd_source, helmvalues, kustomization, paths
from image_updater.writeback.git_edits import Edit, Reader
from image_updater.writeback.model import KUSTOMIZATION_NAMES, ManifestImage, SourceKind, WriteTarget


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

    def argocd_source_path(self) -> str:
        """The `.argocd-source-<app>.yaml` file of the default target, repository-relative."""
        return paths.argocd_source_path(
            source_path=self.source_path,
            app_name=self.app_name,
            app_namespace=self.app_namespace,
            controller_namespace=self.controller_namespace,
        )


def plan_edits(read: Reader, app: AppTarget) -> dict[str, Edit]:
    """The edit (path → text transform) that writes `app.images` into its target."""
    if app.target.kind == "kustomization":
        directory = paths.kustomization_dir(app.target, source_path=app.source_path)
        present = [n for n in KUSTOMIZATION_NAMES if read(posixpath.join(directory, n)) is not None]
        path = paths.find_kustomization(directory, existing=present)
        return {path: _edit(kustomization.apply, app.images, path)}
    if app.target.kind == "helmvalues":
        path = paths.helm_values_path(app.target, source_path=app.source_path)
        return {path: _edit(helmvalues.apply, app.images, path)}
    path = app.argocd_source_path()
    kind = app.kind or detect_kind(read, app.source_path)
    return {path: _edit(functools.partial(argocd_source.apply, kind=kind), app.images, path)}


def detect_kind(read: Reader, source_path: str) -> SourceKind:
    """kustomize or helm, from the files at `source_path`, as Argo CD itself decides."""
    directory = paths.resolve(".", source_path=source_path)
    if any(read(posixpath.join(directory, n)) is not None for n in KUSTOMIZATION_NAMES):
        return "kustomize"
    if read(posixpath.join(directory, "Chart.yaml")) is not None:
        return "helm"
    raise InvalidWriteBackConfig(
        f"cannot tell whether {directory!r} is Kustomize or Helm (no kustomization.yaml "
        "or Chart.yaml); add a kustomize: or helm: block to the source, or set write-back-target"
    )


def _edit(transform: Callable[..., str], images: Sequence[ManifestImage], path: str) -> Edit:
    def edit(text: str | None) -> str | None:
        return transform(text, images, path=path)

    return edit
