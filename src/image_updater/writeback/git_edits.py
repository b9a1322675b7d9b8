"""Applying file edits inside a working tree, confined to it (through `tree_files`: never a link).

An edit is `Callable[[str | None], str | None]`: it receives the file's text (None when the file
does not exist) and returns the new text, or None for "the file should not exist". Returning the
input unchanged is a no-op. Edits must be idempotent: after a push conflict they are re-applied
to the new remote tip. Text is read and written as UTF-8 bytes, so line endings are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import TypeAlias

from image_updater.errors import InvalidWriteBackConfig, WriteBackError
from image_updater.writeback import tree_files
from image_updater.writeback.model import Reader
from image_updater.yamlsafe import DEFAULT_LIMITS

Edit: TypeAlias = Callable[[str | None], str | None]
# Edits that depend on what else is in the tree (which kustomization file exists, whether a source
# is Kustomize or Helm): called with a reader of the fetched tip, again after every push conflict.
EditPlanner: TypeAlias = Callable[[Reader], Mapping[str, Edit]]


def check_paths(paths: Iterable[str]) -> None:
    """Refuse paths that are absolute, climb out with `..`, or name a `.git` at any depth, in any
    spelling git would honour (before any I/O)."""
    for path in paths:
        parts = PurePosixPath(path).parts
        if not path or path.startswith("/") or "\\" in path or ".." in parts or not parts or "\0" in path:
            raise InvalidWriteBackConfig(f"write-back path {path!r} must be relative to the repository root")
        if any(tree_files.is_git_name(part) for part in parts):
            raise InvalidWriteBackConfig(f"write-back path {path!r} points into .git")


def chain_edits(*edits: Edit) -> Edit:
    """One edit that applies `edits` in order, for several Applications writing the same file."""

    def chained(text: str | None) -> str | None:
        for edit in edits:
            text = edit(text)
        return text

    return chained


def merge_edits(groups: Iterable[Mapping[str, Edit]]) -> dict[str, Edit]:
    """Merge per-Application edit maps for one commit; edits of the same path are chained."""
    merged: dict[str, list[Edit]] = {}
    for group in groups:
        for path, edit in group.items():
            merged.setdefault(path, []).append(edit)
    return {path: edits[0] if len(edits) == 1 else chain_edits(*edits) for path, edits in merged.items()}


def reader(tree: Path) -> Reader:
    """Read repository-relative files of `tree` (None when absent), confined to it."""

    def read(path: str) -> str | None:
        check_paths([path])
        return _decode(tree_files.read_file(tree, path, max_bytes=DEFAULT_LIMITS.max_bytes), path)

    return read


def resolve_edits(tree: Path, edits: Mapping[str, Edit] | EditPlanner) -> Mapping[str, Edit]:
    """`edits` as a map: a planner is asked now, against `tree`; its paths are checked like any."""
    if not callable(edits):
        return edits
    planned = edits(reader(tree))
    check_paths(planned)
    return planned


def apply_edits(tree: Path, edits: Mapping[str, Edit]) -> list[str]:
    """Run every edit against its file under `tree`, writing only what changed; the changed paths."""
    check_paths(edits)
    changed = []
    for path in sorted(edits):
        old = _decode(tree_files.read_file(tree, path, max_bytes=DEFAULT_LIMITS.max_bytes), path)
        new = edits[path](old)
        if new == old:
            continue
        if new is None:
            tree_files.remove_file(tree, path)
        else:
            tree_files.write_file(tree, path, new.encode())
        changed.append(path)
    return changed


def _decode(data: bytes | None, path: str) -> str | None:
    try:
        return None if data is None else data.decode()
    except UnicodeDecodeError as err:
        raise WriteBackError(f"write-back path {path!r} is not UTF-8 text") from err
