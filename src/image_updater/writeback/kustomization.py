"""`write-back-target: kustomization[:<dir>]`: set images in a kustomization file as
`kustomize edit set image` would, changing only the lines whose values change.

Pure text transform, no I/O. Each image updates the `images:` entry whose `name` is its
`kustomize.image-name` (or its own name); failing that, the entry whose `newName` already is the
image (so an aliased entry is never duplicated, upstream #208/#312); failing that, a new entry is
appended, creating `images:` at the end of the file if needed. Within an entry: `newName` only when
it differs from `name`, `newTag` for a tag, `digest` for a digest; a stale `newTag` or `digest` is
removed when the new image has none, as kustomize does for the `name:tag` and `name@digest` forms.
Single-document files only. The images of every Application writing the file are planned
against one parse (each seeing what the ones before it wrote) and spliced and verified once.
"""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from image_updater.errors import ConfigError, InvalidWriteBackConfig, WriteBackError
from image_updater.writeback import paths, yamledit
from image_updater.writeback import yamltext as yt
from image_updater.writeback.edits import AppendEntry, DeleteKey, Edit, SetValue
from image_updater.writeback.model import (
    KUSTOMIZATION_NAMES,
    AppTarget,
    ManifestImage,
    Reader,
    same_image_name,
)
from image_updater.writeback.reading import joined

Entry = dict[str, str]


def locate(app: AppTarget, read: Reader) -> KustomizationFile:
    """The kustomization file of the target's directory, picked among those present as kustomize does."""
    directory = paths.kustomization_dir(app.target, source_path=app.source_path)
    # kustomize takes the first of its names present: the others need not be looked for
    present = (n for n in KUSTOMIZATION_NAMES if read(posixpath.join(directory, n)) is not None)
    return KustomizationFile(paths.find_kustomization(directory, existing=list(itertools.islice(present, 1))))


@dataclass(frozen=True, slots=True)
class KustomizationFile:
    path: str

    def load(self, text: str | None) -> Kustomization:
        return Kustomization(self.path, None if text is None else yt.Composed.of(text, path=self.path))


@dataclass(frozen=True, slots=True)
class Kustomization:
    """One parse of a kustomization file (None: there is no file)."""

    path: str
    parsed: yt.Composed | None

    def current(self, image: ManifestImage) -> str | None:
        """The `newTag[@digest]` of the entry whose `name` is the image's (the one the edit updates)."""
        try:
            entries = _entries(self.parsed.documents(), path=self.path) if self.parsed else []
        except (ConfigError, WriteBackError):
            return None
        wanted = image.kustomize_name or image.image.name
        found = (e for e in entries if same_image_name(e.get("name", ""), wanted))
        entry = next(found, None)
        return None if entry is None else joined(entry.get("newTag"), entry.get("digest"))

    def apply(self, images: Sequence[ManifestImage]) -> str:
        if self.parsed is None:
            raise InvalidWriteBackConfig(
                f"{self.path} does not exist; point kustomization:<dir> at an existing kustomization"
            )
        docs = self.parsed.documents()
        plan = _Plan(docs, path=self.path)
        for image in images:
            plan.add(image)
        return yamledit.apply(self.parsed.text, plan.edits(), path=self.path, loose=True, documents=docs)


def apply(text: str | None, images: Sequence[ManifestImage], *, path: str = "kustomization.yaml") -> str:
    """`text` with every image set; the same text when nothing changes. None (no file) is refused."""
    return KustomizationFile(path).load(text).apply(images)


class _Plan:
    """The `images:` entries as the edits so far leave them, and those edits: one per key of an
    entry already in the file (the last), new entries whole. Each image is matched against what
    the images before it wrote, as if each were applied on its own, yet the file is edited once."""

    def __init__(self, docs: list[Node | None], *, path: str) -> None:
        nodes = _entry_nodes(docs, path=path)
        self.entries = [_fields(item) for item in nodes]
        self.keys = [_keys(item) for item in nodes]
        self.original = len(nodes)
        self.changes: dict[yt.Path, Edit] = {}

    def add(self, image: ManifestImage) -> None:
        for edit in _edits(self.entries, image):
            if isinstance(edit, AppendEntry):
                self.entries.append(dict(edit.entry))
                self.keys.append(set(self.entries[-1]))
            elif self._changes_entry(edit) and int(edit.path[1]) < self.original:
                self.changes[edit.path] = edit

    def _changes_entry(self, edit: SetValue | DeleteKey) -> bool:
        """Apply `edit` to the entry it names; False when it is a no-op (removing an absent key)."""
        index, key = int(edit.path[1]), str(edit.path[2])
        if isinstance(edit, SetValue):
            self.entries[index][key] = edit.value
            self.keys[index].add(key)
            return True
        if key not in self.keys[index]:
            return False
        self.entries[index].pop(key, None)
        self.keys[index].discard(key)
        return True

    def edits(self) -> list[Edit]:
        added = [
            AppendEntry(("images",), tuple((k, entry[k]) for k in _ORDER if k in entry))
            for entry in self.entries[self.original :]
        ]
        return [*self.changes.values(), *added]


def _entries(docs: list[Node | None], *, path: str) -> list[Entry]:
    """The string fields of each `images:` entry, in order."""
    return [_fields(item) for item in _entry_nodes(docs, path=path)]


def _entry_nodes(docs: list[Node | None], *, path: str) -> list[Node]:
    if len(docs) > 1:
        raise WriteBackError(f"{path} holds {len(docs)} YAML documents; a kustomization is a single document")
    root = docs[0] if docs else None
    pair = yt.find_pair(root, "images") if isinstance(root, MappingNode) else None
    if pair is None or (isinstance(pair[1], ScalarNode) and yt.tag_of(pair[1]) == yt.NULL_TAG):
        return []
    if not isinstance(pair[1], SequenceNode):
        raise WriteBackError(f"{path}: images is not a list; fix the file by hand")
    return yt.items(pair[1])


def _fields(item: object) -> Entry:
    if not isinstance(item, MappingNode):
        return {}
    return {str(k.value): str(v.value) for k, v in yt.pairs(item) if isinstance(v, ScalarNode)}


def _keys(item: object) -> set[str]:
    return {str(k.value) for k, _ in yt.pairs(item)} if isinstance(item, MappingNode) else set()


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
