"""The `argocd` write-back method: the Application's own parameter overrides. Pure.

Mutates a copy of the Application manifest the way Argo CD's `argocd app set` would: for a Helm
source, `helm.parameters` entries `{name, value, forceString: true}` are upserted by name; for a
Kustomize source, `kustomize.images` override strings replace the entry for the same image (see
`argocd_source.merge_images`; an entry written before `kustomize.image-name` was set counts, as in
upstream's `SetKustomizeImage`) or are appended. Multi-source Applications get the edit on
`spec.sources[index]`. The Kubernetes adapter sends the difference as a merge patch.

`parameters_diff` shows such an edit to people (`plan`): a unified diff of the chosen source's
`helm.parameters` or `kustomize.images` before and after, one entry a line.

Limits: an override made this way is lost when the Application itself is re-applied from Git
(e.g. by an ApplicationSet); the git method is the durable one.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from image_updater.errors import WriteBackError
from image_updater.writeback.argocd_source import helm_values, merge_images
from image_updater.writeback.model import ManifestImage, SourceKind


def updated_application(
    manifest: Mapping[str, Any],
    *,
    source_index: int,
    multi_source: bool,
    kind: SourceKind,
    images: Sequence[ManifestImage],
) -> dict[str, Any] | None:
    """A copy of `manifest` with `images` written into the chosen source; None if nothing changes."""
    new = copy.deepcopy(dict(manifest))
    source = _source(new, source_index=source_index, multi_source=multi_source)
    if kind == "helm":
        _upsert(_list(source, "helm", "parameters"), images)
    else:
        merge_images(_list(source, "kustomize", "images"), images)
    return None if new == manifest else new


def parameters_diff(
    old: Mapping[str, Any], new: Mapping[str, Any], *, source_index: int, multi_source: bool, kind: SourceKind
) -> str:
    """The unified diff of the chosen source's overrides from `old` to `new` (manifests), headed by
    where they are (`spec.source.helm.parameters`, `spec.sources[1].kustomize.images`), one entry a
    line: a string as it is, anything else as JSON. Raises WriteBackError as `updated_application`."""
    block, key = ("helm", "parameters") if kind == "helm" else ("kustomize", "images")
    where = f"{f'spec.sources[{source_index}]' if multi_source else 'spec.source'}.{block}.{key}"

    def lines(manifest: Mapping[str, Any]) -> list[str]:
        source = _source(copy.deepcopy(dict(manifest)), source_index=source_index, multi_source=multi_source)
        return [e if isinstance(e, str) else json.dumps(e, sort_keys=True) for e in _list(source, block, key)]

    diff = difflib.unified_diff(lines(old), lines(new), f"a/{where}", f"b/{where}", lineterm="")
    return "".join(f"{line}\n" for line in diff)


def _source(app: dict[str, Any], *, source_index: int, multi_source: bool) -> dict[str, Any]:
    spec = app.get("spec")
    if not isinstance(spec, dict):
        raise WriteBackError("the Application has no spec")
    sources = spec.get("sources")
    if multi_source and (not isinstance(sources, list) or source_index >= len(sources)):
        raise WriteBackError("the Application's spec.sources changed since it was read; retried next cycle")
    source = sources[source_index] if multi_source and isinstance(sources, list) else spec.get("source")
    if not isinstance(source, dict):
        raise WriteBackError("the Application has no source to write the images to")
    return source


def _list(source: dict[str, Any], block: str, key: str) -> list[Any]:
    section = source.setdefault(block, {}) or {}
    source[block] = section
    items = section.setdefault(key, []) or []
    section[key] = items
    return items


def _upsert(params: list[Any], images: Sequence[ManifestImage]) -> None:
    wanted = {name: value for image in images for name, value in helm_values(image)}
    for name, value in wanted.items():
        entry = {"name": name, "value": value, "forceString": True}
        index = next((i for i, p in enumerate(params) if isinstance(p, dict) and p.get("name") == name), None)
        if index is None:
            params.append(entry)
        else:
            params[index] = {**params[index], **entry}
