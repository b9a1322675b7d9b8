"""`write-back-target: kustomization[:<dir>]`: set images in a kustomization file as
`kustomize edit set image` would, changing only the lines whose values change.

Pure text transform, no I/O. Each image updates the `images:` entry whose `name` is its
`kustomize.image-name` (or its own name); failing that, the entry whose `newName` already is the
image (so an aliased entry is never duplicated, upstream #208/#312); failing that, a new entry is
appended, creating `images:` at the end of the file if needed. Within an entry: `newName` only when
it differs from `name`, `newTag` for a tag, `digest` for a digest; a stale `newTag` or `digest` is
removed when the new image has none, as kustomize does for the `name:tag` and `name@digest` forms.
Single-document files only.
"""

from __future__ import annotations

from collections.abc import Sequence

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from image_updater.errors import InvalidWriteBackConfig, WriteBackError
from image_updater.writeback import yamledit
from image_updater.writeback import yamltext as yt
from image_updater.writeback.edits import AppendEntry, DeleteKey, Edit, SetValue
from image_updater.writeback.model import ManifestImage, same_image_name

Entry = dict[str, str]


def apply(text: str | None, images: Sequence[ManifestImage], *, path: str = "kustomization.yaml") -> str:
    """`text` with every image set; the same text when nothing changes. None (no file) is refused."""
    if text is None:
        raise InvalidWriteBackConfig(
            f"{path} does not exist; point kustomization:<dir> at an existing kustomization"
        )
    result = text
    for image in images:
        docs = yt.compose_documents(result, path=path)
        edits = _edits(_entries(docs, path=path), image)
        result = yamledit.apply(result, edits, path=path, loose=True, documents=docs)
    return result


def _entries(docs: list[Node | None], *, path: str) -> list[Entry]:
    """The string fields of each `images:` entry, in order."""
    if len(docs) > 1:
        raise WriteBackError(f"{path} holds {len(docs)} YAML documents; a kustomization is a single document")
    root = docs[0] if docs else None
    pair = yt.find_pair(root, "images") if isinstance(root, MappingNode) else None
    if pair is None or (isinstance(pair[1], ScalarNode) and yt.tag_of(pair[1]) == yt.NULL_TAG):
        return []
    if not isinstance(pair[1], SequenceNode):
        raise WriteBackError(f"{path}: images is not a list; fix the file by hand")
    return [_fields(item) for item in yt.items(pair[1])]


def _fields(item: object) -> Entry:
    if not isinstance(item, MappingNode):
        return {}
    return {str(k.value): str(v.value) for k, v in yt.pairs(item) if isinstance(v, ScalarNode)}


def _edits(entries: list[Entry], image: ManifestImage) -> list[Edit]:
    ref = image.image
    name = image.kustomize_name or ref.name
    by_name = [i for i, e in enumerate(entries) if same_image_name(e.get("name", ""), name)]
    by_new = [i for i, e in enumerate(entries) if same_image_name(e.get("newName", "\0"), ref.name)]
    wanted: dict[str, str | None] = {"newName": None if same_image_name(ref.name, name) else ref.name}
    if ref.tag or ref.digest:  # `name=newName` alone leaves tag and digest as they are
        wanted |= {"newTag": ref.tag, "digest": ref.digest}
    if by_name:
        return _update(by_name[0], entries[by_name[0]], wanted)
    if by_new:
        return _update(by_new[0], entries[by_new[0]], {**wanted, "newName": entries[by_new[0]]["newName"]})
    fields = [("name", name), *((k, v) for k, v in wanted.items() if v is not None)]
    return [AppendEntry(("images",), tuple(fields))]


_ORDER = ("name", "newName", "newTag", "digest")


def _update(index: int, entry: Entry, wanted: dict[str, str | None]) -> list[Edit]:
    edits: list[Edit] = []
    for key, value in wanted.items():
        path = ("images", index, key)
        if value is None:
            edits.append(DeleteKey(path))
        elif not (key == "newName" and same_image_name(entry.get(key, "\0"), value)):
            edits.append(SetValue(path, value, after=_ORDER[: _ORDER.index(key)]))
    return edits
