"""What a write-back target holds now for an image: the tag (and digest) about to be replaced.

Pure, best effort: used to name the old tag in commit messages and logs when Argo CD's status
cannot tell (directory mode). A file that is absent or does not parse, or an image it does not
mention, gives None; the write itself validates the file and reports problems.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from typing import Any

from image_updater.errors import ConfigError, WriteBackError
from image_updater.writeback import helmvalues, paths
from image_updater.writeback import yamltext as yt
from image_updater.writeback.argocd_source import entry_name
from image_updater.writeback.git_edits import Reader
from image_updater.writeback.model import KUSTOMIZATION_NAMES, ManifestImage, same_image_name
from image_updater.writeback.planning import AppTarget


def current_tag(read: Reader, app: AppTarget, image: ManifestImage) -> str | None:
    """`tag` or `tag@digest` that `app`'s target holds for `image` now, if it can tell."""
    try:
        if app.target.kind == "kustomization":
            return _kustomization(read, app, image)
        if app.target.kind == "helmvalues":
            return _helm_value(
                _load(read(paths.helm_values_path(app.target, source_path=app.source_path))), image
            )
        return _argocd_source(_load(read(app.argocd_source_path())), image)
    except ConfigError:
        return None


def _kustomization(read: Reader, app: AppTarget, image: ManifestImage) -> str | None:
    directory = paths.kustomization_dir(app.target, source_path=app.source_path)
    present = [n for n in KUSTOMIZATION_NAMES if read(posixpath.join(directory, n)) is not None]
    data = _load(read(paths.find_kustomization(directory, existing=present)))  # the file the edit writes
    wanted = image.kustomize_name or image.image.name
    for entry in data.get("images") or []:
        if isinstance(entry, Mapping) and same_image_name(str(entry.get("name", "")), wanted):
            return _join(entry.get("newTag"), entry.get("digest"))
    return None


def _helm_value(data: Mapping[str, Any], image: ManifestImage) -> str | None:
    if image.helm.spec:
        spec = _at(data, image.helm.spec)
        return _tag_of_reference(spec) if spec else None
    return _at(data, image.helm.tag)


def _argocd_source(data: Mapping[str, Any], image: ManifestImage) -> str | None:
    for entry in (data.get("kustomize") or {}).get("images") or []:
        text = str(entry)
        if same_image_name(entry_name(text), image.kustomize_name or image.image.name):
            return _tag_of_reference(text.split("=", 1)[-1])
    wanted = image.helm.spec or image.helm.tag
    for param in (data.get("helm") or {}).get("parameters") or []:
        if isinstance(param, Mapping) and param.get("name") == wanted:
            value = str(param.get("value", ""))
            return _tag_of_reference(value) if image.helm.spec else value or None
    return None


def _at(data: Mapping[str, Any], dotted: str) -> str | None:
    if dotted in data:
        return _scalar(data[dotted])
    node: Any = data
    for step in helmvalues.dotted_path(dotted):  # a malformed path raises ConfigError: no answer
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and step < len(node) else None
        else:
            node = node.get(step) if isinstance(node, Mapping) else None
    return _scalar(node)


def _tag_of_reference(reference: str) -> str | None:
    name, at, digest = reference.partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    tag = name[colon + 1 :] if colon > slash else None
    return _join(tag, digest if at else None)


def _join(tag: object, digest: object) -> str | None:
    if tag is None and digest is None:
        return None
    return f"{tag or ''}@{digest}" if digest else str(tag)


def _scalar(value: object) -> str | None:
    return None if value is None or isinstance(value, (Mapping, list)) else str(value)


def _load(text: str | None) -> Mapping[str, Any]:
    if not text:
        return {}
    try:
        documents = yt.compose_documents(text, path="")  # bounded: a YAML bomb gives no answer
    except WriteBackError:
        return {}
    data = yt.plain(documents[0]) if len(documents) == 1 else None
    return data if isinstance(data, Mapping) else {}
