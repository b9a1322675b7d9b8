"""Pins: an image whose value a person fixed is reported and left alone until they unfix it. Pure.

Three kinds of pin, each named in the skip reason:
- `<alias>.pin: <tag>` (annotation or ImageUpdater field): declarative, never written.
- An Application override of the image's value (`argocd app set --helm-set image.tag=v1.4.0`, i.e.
  `spec.source(s).helm.parameters`, or a `kustomize.images` entry for the image). With git
  write-back every such override pins: Argo CD renders the override, not Git, so our commit would
  not take effect anyway.
- With argocd write-back we write those very fields ourselves. Each patch records what it wrote
  in the annotation `<prefix>written-overrides` (JSON: `<source>/helm/<param>` or
  `<source>/kustomize/<image>` → value), in the same patch; a field whose value differs from the
  record was set by someone else and pins. A field without a record is adopted (upstream wrote
  those fields without one, and stopping every migrated Application would be worse).

Trust: the record lives on the Application, so whoever may edit the Application may edit it; the
most they can do is pin or unpin their own Application's images, which they could do anyway. A
record that does not parse (or is over 64 KiB) counts as no record; fields of the wrong type are
no override.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from image_updater.annotations import PREFIX, RECORD_KEY, AppSettings, ImageSettings
from image_updater.applications import Application
from image_updater.text import printable
from image_updater.writeback.argocd_source import entry_name, helm_values, kustomize_entry
from image_updater.writeback.model import HelmParams, ManifestImage, normal_image_name, same_image_name

RECORD_ANNOTATION = PREFIX + RECORD_KEY
MAX_RECORD = 64 * 1024  # a record of a few images is a few hundred bytes
Override = tuple[str, str, str]  # (record key, where it is in the manifest, value)


def pinned(app: Application, settings: AppSettings, image: ImageSettings) -> str | None:
    """Why `image` must not be written (`pinned by …`), or None."""
    if image.gates.pin is not None:
        key = f"{PREFIX}{image.spec.annotation_key}.pin"
        return f"pinned by {key} or the ImageUpdater's pin field (at {image.gates.pin}); remove it to resume"
    ours = record(app.manifest) if settings.write_back_method == "argocd" else {}
    for key, where, value in overrides(app.manifest, image):
        found = f"pinned by {where}={printable(value, limit=200)}"
        if ours.get(key, value) != value:
            return f"{found} (not written by image-updater); {_hint(app)}"
        if settings.write_back_method != "argocd":
            return f"{found} (an override in the Application wins over Git); {_hint(app)}"
    return None


def overrides(manifest: Mapping[str, Any], image: ImageSettings) -> Iterator[Override]:
    """The Application's overrides of `image`'s fields, in every source."""
    helm = _target(image).helm
    params = {helm.spec} if helm.spec else {helm.name, helm.tag}
    for index, at, source in _sources(manifest):
        for entry in _list(source, "helm", "parameters"):
            name = entry.get("name") if isinstance(entry, Mapping) else None
            value = entry.get("value", "") if isinstance(entry, Mapping) else None
            if isinstance(name, str) and name in params and isinstance(value, str | int | float | bool):
                yield f"{index}/helm/{name}", f"{at}.helm.parameters {name}", str(value)
        for entry in _list(source, "kustomize", "images"):
            if isinstance(entry, str) and _same_image(entry, image):
                key = f"{index}/kustomize/{normal_image_name(entry_name(entry))}"
                yield key, f"{at}.kustomize.images", entry


def record(manifest: Mapping[str, Any]) -> dict[str, str]:
    """What our argocd write-back last wrote; {} when there is no (usable) record."""
    meta = manifest.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    text = annotations.get(RECORD_ANNOTATION) if isinstance(annotations, Mapping) else None
    if not isinstance(text, str) or len(text) > MAX_RECORD:
        return {}
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser recurses
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)}


def with_record(
    manifest: dict[str, Any], *, source_index: int, kind: str, images: Sequence[ManifestImage]
) -> dict[str, Any]:
    """`manifest` (a copy we are about to send) with the record updated for what it now holds."""
    written = dict(record(manifest))
    for image in images:
        if kind == "helm":
            written |= {f"{source_index}/helm/{name}": value for name, value in helm_values(image)}
        else:
            entry = kustomize_entry(image)
            written[f"{source_index}/kustomize/{normal_image_name(entry_name(entry))}"] = entry
    meta = manifest.setdefault("metadata", {})
    meta["annotations"] = {**(meta.get("annotations") or {}), RECORD_ANNOTATION: json.dumps(written)}
    return manifest


def _target(image: ImageSettings) -> ManifestImage:
    helm = HelmParams(
        name=image.helm_name or "image.name", tag=image.helm_tag or "image.tag", spec=image.helm_spec
    )
    return ManifestImage(
        alias=image.spec.alias, image=image.spec.image, kustomize_name=image.kustomize_name, helm=helm
    )


def _same_image(entry: str, image: ImageSettings) -> bool:
    names = [image.spec.image.name, *([image.kustomize_name] if image.kustomize_name else [])]
    return any(same_image_name(entry_name(entry), name) for name in names)


def _sources(manifest: Mapping[str, Any]) -> Iterator[tuple[int, str, Mapping[str, Any]]]:
    spec = manifest.get("spec")
    if not isinstance(spec, Mapping):
        return
    many = spec.get("sources")
    if isinstance(many, list) and many:
        yield from ((i, f"spec.sources[{i}]", s) for i, s in enumerate(many) if isinstance(s, Mapping))
    elif isinstance(spec.get("source"), Mapping):
        yield 0, "spec.source", spec["source"]


def _list(source: Mapping[str, Any], block: str, key: str) -> list[Any]:
    section = source.get(block)
    items = section.get(key) if isinstance(section, Mapping) else None
    return items if isinstance(items, list) else []


def _hint(app: Application) -> str:
    return f"remove the override to resume (argocd app unset {app.name} -p <parameter>, or --kustomize-image)"
