"""After an edit, check the result means what the edits say: no more, no less.

Pure, no I/O. Both texts are composed and flattened to leaves (path → tag and value); the original
leaves with the edits applied must equal the result's leaves. An anchored scalar changed at its
definition changes every alias of it too, which is what the anchor expresses.
"""

from __future__ import annotations

from collections.abc import Sequence

from yaml.nodes import Node, ScalarNode

from image_updater.errors import WriteBackError
from image_updater.writeback import yamltext as yt
from image_updater.writeback.edits import AppendEntry, DeleteKey, Edit
from image_updater.writeback.yamltext import STR_TAG


def verify(
    before: list[Node | None], after: list[Node | None], edits: Sequence[Edit], *, path: str, loose: bool
) -> None:
    expected = _leaves(before)
    shared = _shared_paths(before)
    for edit in edits:
        _expect(expected, edit, shared=shared, loose=loose)
    if _leaves(after) != expected:
        raise WriteBackError(
            f"{path}: the edit did not produce the intended YAML; left unchanged, edit it by hand"
        )


Leaves = dict[tuple[int | str, ...], tuple[str, str]]


def _leaves(docs: list[Node | None]) -> Leaves:
    found: Leaves = {}
    for index, doc in enumerate(docs):
        for leaf_path, node in yt.walk(doc):
            found[(index, *leaf_path)] = (
                yt.tag_of(node),
                str(node.value) if isinstance(node, ScalarNode) else "",
            )
    return found


def _shared_paths(docs: list[Node | None]) -> dict[tuple[int | str, ...], list[tuple[int | str, ...]]]:
    """Anchored leaves of the first document: the defining path (first in document order) mapped
    to every path that shows the same node through an alias; changing the definition changes all."""
    by_node: dict[int, list[tuple[int | str, ...]]] = {}
    for leaf_path, node in yt.walk(docs[0] if docs else None):
        by_node.setdefault(id(node), []).append((0, *leaf_path))
    return {paths[0]: paths for paths in by_node.values() if len(paths) > 1}


def _expect(
    expected: Leaves,
    edit: Edit,
    *,
    shared: dict[tuple[int | str, ...], list[tuple[int | str, ...]]],
    loose: bool,
) -> None:
    target = (0, *edit.path)
    if isinstance(edit, DeleteKey):
        for leaf in [p for p in expected if p[: len(target)] == target]:
            del expected[leaf]
    elif isinstance(edit, AppendEntry):
        count = len({p[len(target)] for p in expected if p[: len(target)] == target and len(p) > len(target)})
        expected.pop(target, None)
        for prefix in [target[:n] for n in range(1, len(target))]:
            expected.pop(prefix, None)
        expected.update({(*target, count, key): (STR_TAG, value) for key, value in edit.entry})
    else:
        old = expected.get(target)
        if old is not None and old[1] == edit.value and (loose or old[0] == STR_TAG):
            return
        for prefix in [target[:n] for n in range(1, len(target))]:
            expected.pop(prefix, None)
        for leaf in shared.get(target, [target]):
            expected[leaf] = (STR_TAG, edit.value)
