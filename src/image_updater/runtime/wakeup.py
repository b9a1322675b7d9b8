"""Folds the changes the watches notice into wake-ups of the cycle loop. No Kubernetes here.

A cycle starts `quiet` seconds after the last change of a burst, and at most `most` (1 s) after
its first, so a steady stream of changes still starts one within a second. A change noticed
during a cycle starts the next one as soon as that one ends (the cycle may have listed before
it). Early cycles start at least `spacing` (10 s) apart: whoever may edit one ImageUpdater or
Application must not be able to keep the controller cycling back to back, spending every
tenant's registry rate limits. Without watches (directory mode, `--once`) nothing notifies, and
the loop sleeps its interval.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

MAX_TOLD = 20
SPACING = 10.0  # seconds from one early cycle's start to the next one's


def ready_at(*, first: float, last: float, woke: float, quiet: float, most: float, spacing: float) -> float:
    """When a burst of changes (its `first` and `last`) starts a cycle, after the previous early
    cycle started at `woke`."""
    return max(min(last + quiet, first + most), woke + spacing)


@dataclass(slots=True)
class Wakeup:
    """Changes noticed since the last cycle started, folded into one wake-up per burst."""

    quiet: float = 0.2
    most: float = 1.0
    spacing: float = SPACING
    _pending: list[str] = field(default_factory=list)
    _event: asyncio.Event = field(default_factory=asyncio.Event)
    _first: float = 0.0
    _last: float = 0.0
    _woke: float = float("-inf")

    def notify(self, change: str) -> None:
        now = asyncio.get_running_loop().time()
        if not self._event.is_set():
            self._first = now
        if len(self._pending) < MAX_TOLD:  # a flood of changes is one wake-up: its first few are told
            self._pending.append(change)
        self._last = now
        self._event.set()

    async def until(self, stop: asyncio.Event, seconds: float) -> tuple[str, ...]:
        """Wait `seconds`, until `stop`, or until a burst of changes is over. The changes noticed
        (the interval's end with changes pending tells them too: that cycle sees them), else ()."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        if not await _first_of(stop, self._event, seconds):
            return ()
        # sleeps to a deadline that each change moves (up to `most`), bounded by the interval's
        while (wait := min(self._ready(), deadline) - loop.time()) > 0:
            if await _first_of(stop, stop, wait):
                return ()
        if stop.is_set():
            return ()
        self._woke = loop.time()
        changes, self._pending = tuple(self._pending), []
        self._event.clear()
        return changes

    def _ready(self) -> float:
        return ready_at(
            first=self._first,
            last=self._last,
            woke=self._woke,
            quiet=self.quiet,
            most=self.most,
            spacing=self.spacing,
        )


async def _first_of(stop: asyncio.Event, event: asyncio.Event, seconds: float) -> bool:
    """Whether `event` (or `stop`) was set within `seconds`."""
    waiters = {asyncio.ensure_future(stop.wait()), asyncio.ensure_future(event.wait())}
    try:
        await asyncio.wait(waiters, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return stop.is_set() or event.is_set()
