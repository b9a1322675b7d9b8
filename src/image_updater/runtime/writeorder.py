"""Write-backs of overlapping runs, ordered per Application: the newer observation wins.

Polling cycles and webhook-targeted runs run at the same time over the same Applications. Each
decides its changes from tags it listed at some moment, then writes. Without care, a polling
cycle that listed tags before a push could write its older choice after a targeted run wrote the
pushed tag, rolling the Application back until the next cycle. So a run holds a lock per
Application it writes (taken in key order, so two runs never wait on each other in a circle),
and, under those locks, drops each change of an (Application, image) that a run which started
later has already written: its decision is stale. What it drops is decided again by the next run.

Limits: one process (the git workdir lock keeps a second one out); the record holds one float per
(Application, image) ever written, which is bounded by what is configured.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import replace

from image_updater.changes import Change
from image_updater.runtime.writing import PendingApp, WriteBack, Written
from image_updater.writeback.keylocks import KeyedLocks


class WriteOrder:
    """Per-Application write locks and the observation time of each (Application, image) written."""

    def __init__(self) -> None:
        self._locks: KeyedLocks[str] = KeyedLocks()
        self._written: dict[tuple[str, str], float] = {}

    async def write(
        self, writer: WriteBack, pending: Sequence[PendingApp], *, observed: float
    ) -> list[Written]:
        """`writer.write_all(pending)` without what a later-started run already wrote; `observed` is
        when this run started (before it listed anything)."""
        async with self._holding(sorted({item.app.key for item in pending})):
            current = [fresh for item in pending if (fresh := self._fresh(item, observed)) is not None]
            written = await writer.write_all(current)
            for result in written:
                if result.error is None and (result.commit or result.patched):
                    for change in result.changes:
                        key = (result.app.key, _image(change))
                        self._written[key] = max(observed, self._written.get(key, observed))
        return written

    def _fresh(self, item: PendingApp, observed: float) -> PendingApp | None:
        kept = tuple(
            (image, change)
            for image, change in item.changes
            if self._written.get((item.app.key, _image(change)), observed) <= observed
        )
        return replace(item, changes=kept) if kept else None

    @contextlib.asynccontextmanager
    async def _holding(self, keys: Iterable[str]) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for key in keys:  # in sorted order: no two runs wait for each other's locks
                await stack.enter_async_context(self._locks.hold(key))
            yield


def _image(change: Change) -> str:
    """An image of an Application: its alias when it has one, else its name."""
    return change.alias or change.new.name
