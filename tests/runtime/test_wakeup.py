"""The wake-up of the cycle loop: a burst of changes is one wake-up, a stop or the interval's end
is none, a change told during a cycle wakes the next wait at once, and early cycles keep their
spacing (when, computed from the times of a burst: no clock is read in the assertions)."""

from __future__ import annotations

import asyncio

import pytest

from image_updater.runtime.wakeup import MAX_TOLD, Wakeup, ready_at


async def test_a_burst_is_one_wake_up_with_every_change() -> None:
    wakeup = Wakeup(spacing=0)
    for change in ("a created", "a changed", "b deleted"):
        wakeup.notify(change)
    assert await wakeup.until(asyncio.Event(), 60) == ("a created", "a changed", "b deleted")
    wakeup.notify("c created")
    assert await wakeup.until(asyncio.Event(), 60) == ("c created",)


async def test_changes_told_while_waiting_end_the_wait() -> None:
    wakeup = Wakeup()
    waiting = asyncio.ensure_future(wakeup.until(asyncio.Event(), 60))
    await asyncio.sleep(0)  # the wait has started
    wakeup.notify("a changed")
    assert await waiting == ("a changed",)


async def test_the_interval_or_a_stop_ends_the_wait_without_changes() -> None:
    wakeup, stop = Wakeup(spacing=0), asyncio.Event()
    assert await wakeup.until(stop, 0) == ()
    stop.set()
    wakeup.notify("a changed")
    assert await wakeup.until(stop, 60) == ()  # stopping wins; the change is not lost to a next wait
    assert await wakeup.until(asyncio.Event(), 60) == ("a changed",)


async def test_a_flood_tells_its_first_changes_only() -> None:
    wakeup = Wakeup()
    for n in range(MAX_TOLD * 5):
        wakeup.notify(f"app-{n} changed")
    told = await wakeup.until(asyncio.Event(), 60)
    assert told == tuple(f"app-{n} changed" for n in range(MAX_TOLD))


# (id, first and last change of the burst, start of the previous early cycle, when the next starts)
READY = [
    ("one-change-waits-for-quiet", (100.0, 100.0), float("-inf"), 100.2),
    ("a-burst-waits-for-its-last-change", (100.0, 100.5), float("-inf"), 100.7),
    ("a-steady-stream-starts-within-a-second", (100.0, 100.95), float("-inf"), 101.0),
    ("soon-after-an-early-cycle-waits-for-the-spacing", (100.0, 100.0), 95.0, 105.0),
    ("long-after-an-early-cycle-does-not-wait", (100.0, 100.0), 50.0, 100.2),
]


@pytest.mark.parametrize(("burst", "woke", "expected"), [c[1:] for c in READY], ids=[c[0] for c in READY])
def test_when_a_burst_starts_a_cycle(burst: tuple[float, float], woke: float, expected: float) -> None:
    first, last = burst
    got = ready_at(first=first, last=last, woke=woke, quiet=0.2, most=1.0, spacing=10.0)
    assert got == pytest.approx(expected)


async def test_the_spacing_holds_a_second_early_cycle_until_the_interval_ends() -> None:
    wakeup = Wakeup(spacing=3600)
    wakeup.notify("a changed")
    assert await wakeup.until(asyncio.Event(), 60) == ("a changed",)
    wakeup.notify("a changed again")
    stop = asyncio.Event()
    asyncio.get_running_loop().call_soon(stop.set)  # the pod is told to stop while the change waits
    assert await wakeup.until(stop, 60) == ()
    # the interval's cycle comes first, and it sees the change
    assert await wakeup.until(asyncio.Event(), 0) == ("a changed again",)
