"""Where a write-back target's file lives in the repository, resolved as argocd-image-updater does.

Pure: the caller says which files exist. Every result is a repository-root-relative POSIX path
without a leading `/` ("" never: the root itself is "."). A path that would leave the repository
raises InvalidWriteBackConfig.

Worked examples, for an Application whose `spec.source.path` is `apps/api` (users often expect
relative paths to start at the repository root: they start at the source path, see upstream #1518):

    write-back-target                       file written
    (none)                                  apps/api/.argocd-source-api.yaml
    kustomization                           apps/api/kustomization.yaml (or .yml, or Kustomization)
    kustomization:overlays/prod             apps/api/overlays/prod/kustomization.yaml
    kustomization:/base                     base/kustomization.yaml
    kustomization:../base                   apps/base/kustomization.yaml
    helmvalues                              apps/api/values.yaml
    helmvalues:values-prod.yaml             apps/api/values-prod.yaml
    helmvalues:/env/prod/values.yaml        env/prod/values.yaml
    env/prod/values.yaml  (bare path)       env/prod/values.yaml   (repository root, as upstream)
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection

from image_updater.errors import InvalidWriteBackConfig
from image_updater.writeback.model import KUSTOMIZATION_NAMES, WriteTarget


def resolve(path: str, *, source_path: str) -> str:
    """`path` relative to `source_path`, or to the repository root when it starts with `/`."""
    joined = path[1:] if path.startswith("/") else posixpath.join(source_path.strip("/"), path)
    normal = posixpath.normpath(joined or ".")
    if normal == ".." or normal.startswith("../") or posixpath.isabs(normal):
        raise InvalidWriteBackConfig(
            f"path {path!r} (source path {source_path!r}) leaves the repository; use a path inside it"
        )
    return normal


def argocd_source_filename(*, app_name: str, app_namespace: str, controller_namespace: str) -> str:
    """`.argocd-source-<app>.yaml`, or `.argocd-source-<namespace>_<app>.yaml` for an Application
    outside the controller's namespace (short name when either namespace is unknown or the
    controller's resolved to `default`, as upstream)."""
    qualified = app_namespace and controller_namespace not in ("", "default", app_namespace)
    return (
        f".argocd-source-{app_namespace}_{app_name}.yaml" if qualified else f".argocd-source-{app_name}.yaml"
    )


def argocd_source_path(
    *, source_path: str, app_name: str, app_namespace: str, controller_namespace: str
) -> str:
    """The parameter-override file Argo CD merges into the source at render time."""
    name = argocd_source_filename(
        app_name=app_name, app_namespace=app_namespace, controller_namespace=controller_namespace
    )
    return resolve(name, source_path=source_path)


def kustomization_dir(target: WriteTarget, *, source_path: str) -> str:
    """The directory holding the kustomization file of a `kustomization[:<dir>]` target."""
    if target.kind != "kustomization":
        raise InvalidWriteBackConfig(f"write-back-target is {target.kind}, not kustomization")
    return resolve(target.path or ".", source_path=source_path)


def find_kustomization(directory: str, *, existing: Collection[str]) -> str:
    """The kustomization file of `directory`, picked as kustomize does among the names in `existing`
    (base names of the files present in that directory)."""
    for name in KUSTOMIZATION_NAMES:
        if name in existing:
            return posixpath.normpath(posixpath.join(directory, name))
    raise InvalidWriteBackConfig(
        f"no kustomization.yaml, kustomization.yml or Kustomization in {directory!r}; "
        "point kustomization:<dir> at the directory that holds it"
    )


def helm_values_path(target: WriteTarget, *, source_path: str) -> str:
    """The values file of a `helmvalues[:<file>]` (or bare `*.yaml`) target."""
    if target.kind != "helmvalues":
        raise InvalidWriteBackConfig(f"write-back-target is {target.kind}, not helmvalues")
    return resolve(target.path or "values.yaml", source_path=source_path)
