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
kept, each scalar as written (quoting and spelling: `1.10`, `'yes'`, `~`; an alias becomes a copy,
a collection block style); a leading comment block and `---` are kept as written; comments
elsewhere are not. New strings get Go-yaml's double quotes when they would not read back as
strings plain. A file that does not parse raises WriteBackError: it is never silently replaced.
The file is composed once with libyaml (bounded; the values `current` reads) and the new file is
emitted from those nodes by libyaml: no second parse, no pure-Python YAML.

Also owns the one decision that needs the tree: the source type when neither the spec nor Argo
CD's status says it (`kustomization.yaml`/`.yml`/`Kustomization` → kustomize, `Chart.yaml` → helm).
"""

from __future__ import annotations

import bisect
import posixpath
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

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
        root = _root(self.body.documents(), path=path)
        if self.file.kind == "helm":
            _upsert_parameters(_list_at(root, "helm", "parameters", path=path), images, path=path)
        else:
            entries = _list_at(root, "kustomize", "images", path=path)
            kept = [_Kept(node) for node in entries.value]
            merge_images(kept, images, keep_equal=True)
            entries.value = [entry.node if isinstance(entry, _Kept) else _string(entry) for entry in kept]
        return (self.header + _emit(root)).replace("\n", yt.newline_of(self.text))


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


def _root(documents: list[Node | None], *, path: str) -> MappingNode:
    """The document as a tree of fresh nodes (an alias becomes a copy, as the file means it)."""
    if len(documents) > 1:
        raise WriteBackError(f"{path} holds {len(documents)} YAML documents; fix or delete it")
    root = _tree(documents[0]) if documents else None
    if root is None or (isinstance(root, ScalarNode) and yt.tag_of(root) == yt.NULL_TAG):
        return MappingNode(_MAP, [])
    if not isinstance(root, MappingNode):
        raise WriteBackError(f"{path} does not hold a mapping; fix or delete it")
    return root


def _tree(node: Node | None) -> Node | None:
    """A copy of a composed graph (bounded by `compose_documents`), every collection in block style."""
    if isinstance(node, MappingNode):
        pairs = [(_tree(key), _tree(value)) for key, value in yt.pairs(node)]
        return MappingNode(node.tag, pairs, flow_style=False)
    if isinstance(node, SequenceNode):
        return SequenceNode(node.tag, [_tree(item) for item in yt.items(node)], flow_style=False)
    return None if node is None else ScalarNode(node.tag, node.value, style=getattr(node, "style", None))


def _list_at(root: MappingNode, section: str, key: str, *, path: str) -> SequenceNode:
    block = _child(root, section, MappingNode(_MAP, []))
    if not isinstance(block, MappingNode):
        raise WriteBackError(f"{path}: {section} is not a mapping; fix or delete the file")
    found = _child(block, key, SequenceNode(_SEQ, []))
    if not isinstance(found, SequenceNode):
        raise WriteBackError(f"{path}: {section}.{key} is not a list; fix or delete the file")
    return found


def _child(node: MappingNode, key: str, empty: Node) -> Node:
    """The value of `key`, made `empty` when absent or null."""
    pair = yt.find_pair(node, key)
    if pair is not None and not (isinstance(pair[1], ScalarNode) and yt.tag_of(pair[1]) == yt.NULL_TAG):
        return pair[1]
    if pair is None:
        node.value.append((_string(key), empty))
    else:
        node.value[node.value.index(pair)] = (pair[0], empty)
    return empty


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


def _upsert_parameters(params: SequenceNode, images: Sequence[ManifestImage], *, path: str) -> None:
    found = [yt.find_pair(p, "name") if isinstance(p, MappingNode) else None for p in yt.items(params)]
    if None in found:
        raise WriteBackError(f"{path}: every helm.parameters entry needs a name; fix or delete the file")
    wanted = {name: value for image in images for name, value in helm_values(image)}
    names = [str(yt.plain(pair[1])) for pair in found if pair is not None]
    in_order = names == sorted(names)
    entries = yt.items(params)  # the node's own list: edited in place
    for name, value in wanted.items():
        entry = MappingNode(
            _MAP, [(_string("name"), _string(name)), (_string("value"), _string(value)), _forcestring()]
        )
        if name in names:
            entries[names.index(name)] = entry
            continue
        at = bisect.bisect(names, name) if in_order else len(names)
        names.insert(at, name)
        entries.insert(at, entry)


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


_MAP, _SEQ, _BOOL = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:bool"


class _Kept(str):
    """An override string read from the file, with its node: kept as written when merged unchanged."""

    __slots__ = ("node",)

    def __new__(cls, node: Node) -> _Kept:
        kept = super().__new__(cls, yt.plain(node) if isinstance(node, ScalarNode) else str(yt.plain(node)))
        kept.node = node
        return kept

    node: Node


def _forcestring() -> tuple[ScalarNode, ScalarNode]:
    return ScalarNode(yt.STR_TAG, "forcestring"), ScalarNode(_BOOL, "true")  # new nodes: no anchors


def _string(value: str) -> ScalarNode:
    """A new string, in Go-yaml's double quotes when it would not read back as a string plain."""
    return ScalarNode(yt.STR_TAG, value, style=None if yt.is_plain_string(value) else '"')


def _emit(root: MappingNode) -> str:
    """argocd-image-updater's layout: indent 2, `- ` at its parent key's indentation, no folding."""
    return yaml.serialize(root, Dumper=yaml.CSafeDumper, indent=2, width=4096, allow_unicode=True)
