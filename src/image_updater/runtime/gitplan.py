"""One git group's write planned against one fetched tip: every target file read, parsed, edited
and verified once, for all the Applications of the group that write it.

Pure but for `read` (the tip; cached here, so each file is read once whoever asks). An
Application's changes that its file already holds are dropped (the old tag an unknown status
lacks is taken from that same parse); the others' images are applied in group order in one pass
per file. When that pass fails, the file's Applications are applied one at a time on the text the
ones before left, so the failure is pinned on its Application alone and the others still write.
Errors are returned per Application, never raised.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

import structlog

from image_updater.changes import Change
from image_updater.errors import ImageUpdaterError, InternalError
from image_updater.refs import Digest, Tag
from image_updater.writeback import targets
from image_updater.writeback.git_edits import Edit
from image_updater.writeback.model import AppTarget, Reader
from image_updater.writeback.reading import as_written
from image_updater.writeback.targets import TargetFile, TargetText

log = structlog.get_logger("image_updater.writing")

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AppWrite:
    """One Application's part of a group: its target and the changes for its images, in order."""

    subject: str  # "application <namespace>/<name>", what its errors name
    target: AppTarget
    changes: tuple[Change, ...]


@dataclass(frozen=True, slots=True)
class GroupPlan:
    """A group's write planned against one tip: the edits (path → new text), the changes each
    Application still needs (by position in the group), and the Applications that cannot be written."""

    edits: dict[str, Edit]
    changes: dict[int, tuple[Change, ...]]
    failures: dict[int, ImageUpdaterError]


def plan_group(writes: Sequence[AppWrite], read: Reader) -> GroupPlan:
    """Plan every Application of the group; see the module docstring. Files are planned one at a
    time and each parse is dropped before the next file's, so memory is bounded by the largest
    file, not by the group (10,000 Applications on one branch held all their parses at once)."""
    read = functools.cache(read)
    plan = GroupPlan({}, {}, {})
    located: dict[str, dict[int, TargetFile]] = {}
    for index, write in enumerate(writes):
        try:
            file = targets.locate(write.target, read)
        except Exception as err:  # ImageUpdaterError, or a bug of ours: this Application only
            plan.failures[index] = as_error(err, write.subject)
            continue
        located.setdefault(file.path, {})[index] = file
    edits: dict[tuple[int, str], Edit] = {}
    for path, candidates in located.items():
        writers = _needing(candidates, writes, read, plan)
        if writers:
            edits[min(writers), path] = _constant(_write_file(writers, writes, read, plan))
    plan.edits.update((path, edit) for (_, path), edit in sorted(edits.items()))
    _in_group_order(plan.changes)
    _in_group_order(plan.failures)
    return plan


def _in_group_order(by_index: dict[int, T]) -> None:
    """`by_index` ordered as the Applications came, whatever order their files were planned in."""
    ordered = sorted(by_index.items())
    by_index.clear()
    by_index.update(ordered)


def _needing(
    candidates: dict[int, TargetFile], writes: Sequence[AppWrite], read: Reader, plan: GroupPlan
) -> dict[int, tuple[TargetFile, TargetText]]:
    """The writers of one file that still need changes, each with the file's one parse."""
    loaded: dict[TargetFile, TargetText] = {}
    writers: dict[int, tuple[TargetFile, TargetText]] = {}
    for index, file in candidates.items():
        try:
            if file not in loaded:
                loaded[file] = file.load(read(file.path))
            needed = _needed(writes[index], loaded[file])
        except Exception as err:  # ImageUpdaterError, or a bug of ours: this Application only
            plan.failures[index] = as_error(err, writes[index].subject)
            continue
        if needed:
            plan.changes[index] = needed
            writers[index] = (file, loaded[file])
    return writers


def _needed(write: AppWrite, text: TargetText) -> tuple[Change, ...]:
    """The changes the file does not hold yet, an unknown old tag (no Argo CD status) filled in."""
    pending = []
    for change, image in zip(write.changes, write.target.images, strict=True):
        current = text.current(image)
        if current is not None and current == as_written(change.new):
            continue  # already written (Argo CD has not synced it yet, or another writer did)
        if change.old.tag is None and change.old.digest is None:
            tag, _, digest = (current or "").partition("@")
            old = replace(
                change.old, tag=Tag(tag) if tag else None, digest=Digest(digest) if digest else None
            )
            change = replace(change, old=old)
        pending.append(change)
    return tuple(pending)


def _write_file(
    writers: dict[int, tuple[TargetFile, TargetText]],
    writes: Sequence[AppWrite],
    read: Reader,
    plan: GroupPlan,
) -> str | None:
    """The file with every writer's images, in one pass over its one parse when the writers agree
    on how it is written (they nearly always do) and that pass succeeds; else one at a time."""
    kinds = {file for file, _ in writers.values()}
    if len(kinds) == 1:
        images = [image for index in writers for image in writes[index].target.images]
        try:
            return next(iter(writers.values()))[1].apply(images)
        except Exception:  # noqa: S110 - `_one_at_a_time` pins the failure on its Application
            pass
    return _one_at_a_time({index: file for index, (file, _) in writers.items()}, writes, read, plan)


def _one_at_a_time(
    writers: dict[int, TargetFile], writes: Sequence[AppWrite], read: Reader, plan: GroupPlan
) -> str | None:
    """Each writer's images applied to the text the writers before it left; a failing writer
    becomes a failure of its Application and leaves the text as it was."""
    path = next(iter(writers.values())).path
    text = read(path)
    for index, file in writers.items():
        try:
            text = file.load(text).apply(writes[index].target.images)
        except Exception as err:  # ImageUpdaterError, or a bug of ours: this Application only
            plan.failures[index] = as_error(err, writes[index].subject)
            del plan.changes[index]
    return text


def _constant(text: str | None) -> Edit:
    def edit(_: str | None) -> str | None:
        return text

    return edit


def as_error(err: Exception, subject: str) -> ImageUpdaterError:
    """`err` itself when it is one of ours, else an InternalError for `subject` (traceback at debug)."""
    if isinstance(err, ImageUpdaterError):
        return err
    log.debug("internal error", subject=subject, exc_info=err)
    return InternalError(subject, err)
