"""The default git write-back target: `.argocd-source-<app>.yaml`, Argo CD's parameter-override file.

Pure text transform, no I/O. The file is machine-written, so it is re-emitted whole in the format
argocd-image-updater writes (indent 2, `- ` at its parent key's indentation, `forcestring`):

    helm:                                  kustomize:
      parameters:                            images:
      - name: image.name                     - registry.example.com/team/app:1.2.3
        value: registry.example.com/app      - quay.io/argoproj/argocd=ghcr.io/argoproj/argocd:v2@sha256:...
        forcestring: true
      - name: image.tag
        value: 1.2.3
        forcestring: true

Helm parameters are upserted by name in place; a new one goes to its place by name when the list is
sorted (as upstream writes it, so the result is upstream's), else after the others (a file written
in another order, e.g. by upstream before v1.2, is not reshuffled). Kustomize images replace the
entry for the same image (see `merge_images`) or are appended. Entries and keys we do not manage are
kept; a leading comment block and `---` are kept as written; comments elsewhere are not. A file
that does not parse raises WriteBackError: it is never silently replaced. The file is composed
once (bounds, and the values `current` reads) and loaded for re-emitting only when written.

Also owns the one decision that needs the tree: the source type when neither the spec nor Argo
CD's status says it (`kustomization.yaml`/`.yml`/`Kustomization` → kustomize, `Chart.yaml` → helm).
"""

from __future__ import annotations

import bisect
import io
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

from image_updater.errors import InvalidWriteBackConfig, WriteBackError
from image_updater.writeback import paths
from image_updater.writeback import yamltext as yt
from image_updater.writeback.model import (
    KUSTOMIZATION_NAMES,
    AppTarget,
    ManifestImage,
    Reader,
    SourceKind,
    same_image_name,
)
from image_updater.writeback.reading import tag_of_reference


def locate(app: AppTarget, read: Reader) -> ArgocdSourceFile:
    """`.argocd-source-<app>.yaml` in the source path, written as the source's (maybe detected) type."""
    path = paths.argocd_source_path(
        source_path=app.source_path,
        app_name=app.app_name,
        app_namespace=app.app_namespace,
        controller_namespace=app.controller_namespace,
    )
    return ArgocdSourceFile(path, kind=app.kind or detect_kind(read, app.source_path))


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


@dataclass(frozen=True, slots=True)
class ArgocdSourceFile:
    path: str
    kind: SourceKind

    def load(self, text: str | None) -> ArgocdSource:
        header, body = _split_header(text or "")
        return ArgocdSource(self, text or "", header, yt.Composed.of(body, path=self.path))


@dataclass(frozen=True, slots=True)
class ArgocdSource:
    """One parse of an `.argocd-source` file: its kept header and its composed body."""

    file: ArgocdSourceFile
    text: str
    header: str
    body: yt.Composed

    def current(self, image: ManifestImage) -> str | None:
        """The tag of the image's kustomize override or Helm parameter (spec or tag)."""
        documents = () if self.body.problem else self.body.nodes
        data = yt.plain(documents[0]) if len(documents) == 1 else None
        if not isinstance(data, Mapping):
            return None
        for entry in _section(data, "kustomize", "images"):
            if same_image_name(entry_name(str(entry)), image.kustomize_name or image.image.name):
                return tag_of_reference(str(entry).split("=", 1)[-1])
        wanted = image.helm.spec or image.helm.tag
        for param in _section(data, "helm", "parameters"):
            if isinstance(param, Mapping) and param.get("name") == wanted:
                value = str(param.get("value", ""))
                return tag_of_reference(value) if image.helm.spec else value or None
        return None

    def apply(self, images: Sequence[ManifestImage]) -> str:
        """The file with `images` written as `kind` (helm or kustomize) overrides."""
        path = self.file.path
        self.body.documents()  # the bounds (size, depth, aliases) before the full load
        data = _load(self.body.text, path=path)
        if self.file.kind == "helm":
            _upsert_parameters(_list_at(data, "helm", "parameters", path=path), images, path=path)
        else:
            merge_images(_list_at(data, "kustomize", "images", path=path), images, keep_equal=True)
        return (self.header + _dump(data)).replace("\n", yt.newline_of(self.text))


def apply(
    text: str | None, images: Sequence[ManifestImage], *, kind: SourceKind, path: str = ".argocd-source.yaml"
) -> str:
    """`text` (None: no file yet) with `images` written as `kind` (helm or kustomize) overrides."""
    return ArgocdSourceFile(path, kind=kind).load(text).apply(images)


def _section(data: Mapping[str, Any], section: str, key: str) -> list[Any]:
    block = data.get(section)
    found = block.get(key) if isinstance(block, Mapping) else None
    return found if isinstance(found, list) else []


def _split_header(text: str) -> tuple[str, str]:
    """Leading comment/blank lines, through a `---` line that follows them, kept verbatim."""
    lines = text.replace("\r\n", "\n").splitlines(keepends=True)
    count = 0
    while count < len(lines) and (not lines[count].strip() or lines[count].lstrip().startswith("#")):
        count += 1
    if count < len(lines) and lines[count].rstrip() == "---":
        count += 1
    return "".join(lines[:count]), "".join(lines[count:])


def _load(body: str, *, path: str) -> dict[str, Any]:
    try:
        yaml = YAML(typ="rt")
        yaml.preserve_quotes = True
        data = yaml.load(body)
    except YAMLError as err:
        raise WriteBackError(f"{path} is not valid YAML ({yt.yaml_problem(err)}); fix or delete it") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise WriteBackError(f"{path} does not hold a mapping; fix or delete it")
    return cast(dict[str, Any], data)


def _list_at(data: dict[str, Any], section: str, key: str, *, path: str) -> list[Any]:
    block = data.setdefault(section, {})
    if block is None:
        block = data[section] = {}
    if not isinstance(block, dict):
        raise WriteBackError(f"{path}: {section} is not a mapping; fix or delete the file")
    found = block.setdefault(key, [])
    if found is None:
        found = block[key] = []
    if not isinstance(found, list):
        raise WriteBackError(f"{path}: {section}.{key} is not a list; fix or delete the file")
    return found


def helm_values(image: ManifestImage) -> list[tuple[str, str]]:
    """(parameter, value) pairs: spec `repo:tag[@digest]`, else name = repository with registry and
    tag = `tag[@digest]` (no tag, no tag parameter)."""
    ref = image.image
    if image.helm.spec:
        return [(image.helm.spec, str(ref))]
    values = [(image.helm.name, ref.name)]
    if ref.tag:
        values.append((image.helm.tag, f"{ref.tag}@{ref.digest}" if ref.digest else ref.tag))
    return values


def _upsert_parameters(params: list[Any], images: Sequence[ManifestImage], *, path: str) -> None:
    if not all(isinstance(p, dict) and "name" in p for p in params):
        raise WriteBackError(f"{path}: every helm.parameters entry needs a name; fix or delete the file")
    wanted = {name: value for image in images for name, value in helm_values(image)}
    names = [str(p["name"]) for p in params]
    in_order = names == sorted(names)
    for name, value in wanted.items():
        entry = {"name": name, "value": value, "forcestring": True}
        if name in names:
            params[names.index(name)] = entry
            continue
        at = bisect.bisect(names, name) if in_order else len(names)
        names.insert(at, name)
        params.insert(at, entry)


def kustomize_entry(image: ManifestImage) -> str:
    return f"{image.kustomize_name}={image.image}" if image.kustomize_name else str(image.image)


def entry_name(entry: str) -> str:
    """The image an override string is for: `orig` of `orig=new:tag`, else the name before tag/digest."""
    if "=" in entry:
        return entry.split("=", 1)[0]
    name = entry.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def merge_images(entries: list[Any], images: Sequence[ManifestImage], *, keep_equal: bool = False) -> None:
    """Replace the override string for the same image in place, else append; later strings for that
    image are stale duplicates and go.

    An entry is for the same image when it names the same original (Docker Hub spelled out or not:
    the part before `=`, else the image name), or when it is an entry without `=` for the very
    image written (what was written before `kustomize.image-name` was set, as upstream's
    `SetKustomizeImage` replaces). With `keep_equal` (the `.argocd-source` merge, as upstream's
    `mergeKustomizeOverride`), an entry with the same original that says as much is kept as
    written: the new one has no tag nor digest, or the same digest, or no digests and the same tag
    (`nginx:latest@sha256:…` stays, not `nginx@sha256:…`; `nginx:foo` stays for `nginx`).
    """
    for image in images:
        new = kustomize_entry(image)
        found = [i for i, entry in enumerate(entries) if _for_same_image(str(entry), new, image)]
        if not found:
            entries.append(new)
            continue
        first, *stale = found
        if not (keep_equal and _says_as_much(str(entries[first]), new)):
            entries[first] = new
        for index in reversed(stale):
            del entries[index]


def _for_same_image(entry: str, new: str, image: ManifestImage) -> bool:
    if same_image_name(entry_name(entry), entry_name(new)):
        return True
    return "=" not in entry and same_image_name(entry_name(entry), image.image.name)


def _says_as_much(old: str, new: str) -> bool:
    """`old` overrides the same original as `new` and holds every tag/digest fact `new` holds."""
    (old_key, old_tag, old_digest), (new_key, new_tag, new_digest) = _parts(old), _parts(new)
    if not same_image_name(old_key, new_key) or not (old_tag or old_digest):
        return False
    if not (new_tag or new_digest):
        return True
    return old_digest == new_digest if old_digest or new_digest else old_tag == new_tag


def _parts(entry: str) -> tuple[str, str, str]:
    """(original name, tag, digest) of an override string; "" for what it does not hold."""
    original = entry_name(entry)
    target = entry.split("=", 1)[-1]
    name, _, digest = target.partition("@")
    colon = name.rfind(":")
    tag = name[colon + 1 :] if colon > name.rfind("/") else ""
    return original, tag, digest


def _quoted(value: Any) -> Any:
    """Strings that would not read back as strings get Go-yaml's double quotes; values read from
    the file keep their own spelling (ruamel's round-trip types: `1.10` stays `1.10`)."""
    if isinstance(value, dict):
        return {key: _quoted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_quoted(item) for item in value]
    if isinstance(value, str) and not isinstance(value, ScalarString) and not yt.is_plain_string(value):
        return DoubleQuotedScalarString(value)
    return value


def _dump(data: dict[str, Any]) -> str:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.width = 4096
    stream = io.StringIO()
    yaml.dump(_quoted(data), stream)
    return stream.getvalue()
