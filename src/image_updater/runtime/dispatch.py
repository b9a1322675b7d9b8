"""What a valid registry webhook does: a targeted run over exactly the pushed repositories.

The webhook server hands `submit` the pushes of each authenticated request; `submit` never
blocks and never says whether a repository is watched. Each push is reduced to its repository
(`runtime/pushes.py`) and waits in a pending set; a batch takes every pending repository that
no running batch is working on and runs `Cycle.run(only=...)` for them: one Application listing,
one fresh tag list per repository (the payload's tag and digest are never used), selection and
write-back for the images of those repositories only, one commit per (git repository, branch).

Coalescing: while a batch works on a repository, later pushes for it wait for one follow-up
batch, however many arrive. Different repositories go in parallel, up to `max_batches` batches
at a time; their registry requests share the per-registry rate limits of `RegistryPool`, and
their writes are ordered with the polling cycle's per Application (`runtime/writeorder.py`),
so neither starves the other and an older decision never overwrites a newer one. Polling goes
on: a push lost on the way is caught by the next cycle.

Pushes act only inside `active()`, which the controller enters while this process leads (a
standby replica drops them: only the leader writes). Leaving it drops what waits and lets the
running batches finish, since a write is never interrupted.

Limits: pending repositories are bounded (`MAX_PENDING`); pushes beyond it are dropped with one
warning, for the polling cycle to catch. At most `MAX_ARRIVALS` arrival times are kept per waiting
repository, so a flood of pushes for one repository costs constant memory (the latency metric
then observes the first `MAX_ARRIVALS` of them).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

import structlog

from image_updater.errors import ImageUpdaterError, InternalError
from image_updater.runtime.cycle import Cycle
from image_updater.runtime.metrics import Metrics
from image_updater.runtime.outcomes import CycleReport
from image_updater.runtime.pushes import RepositoryFilter, RepositoryKey, image_keys, push_key
from image_updater.settings.registries import RegistryConfig
from image_updater.webhooks.events import RegistryPush

log = structlog.get_logger("image_updater.dispatch")

DEFAULT_BATCHES = 2  # targeted runs at once: each lists the Applications once
MAX_PENDING = 10_000  # repositories waiting for a run; a flood beyond it is left to polling
MAX_ARRIVALS = 100  # arrival times kept per waiting repository (for the latency metric); the rest coalesce

_Batch = Mapping[RepositoryKey, Sequence[float]]  # repository → when each of its pushes arrived


class Dispatcher:
    """Turns pushes into targeted runs; see the module docstring. One per process, one event loop."""

    def __init__(
        self,
        *,
        cycle: Cycle,
        registries: RegistryConfig,
        metrics: Metrics,
        max_batches: int = DEFAULT_BATCHES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cycle, self._registries, self._metrics = cycle, registries, metrics
        self._max_batches, self._clock = max_batches, clock
        self._pending: dict[RepositoryKey, list[float]] = {}
        self._running: dict[asyncio.Task[None], frozenset[RepositoryKey]] = {}
        self._active = False

    def submit(self, pushes: Sequence[RegistryPush]) -> None:
        """Queue `pushes` for targeted runs and start what can start; returns at once."""
        if not self._active:
            log.debug("webhook pushes ignored: this process is not leading", pushes=len(pushes))
            return
        now = self._clock()
        for push in pushes:
            key = push_key(push)
            if key in self._pending:
                self._metrics.webhook_events_coalesced.inc()
            elif len(self._pending) >= MAX_PENDING:
                log.warning("webhook push dropped: too many repositories pending", repository=str(key))
                continue
            arrivals = self._pending.setdefault(key, [])
            if len(arrivals) < MAX_ARRIVALS:  # a flood for one repository must not grow memory
                arrivals.append(now)
        self._start()

    @contextlib.asynccontextmanager
    async def active(self) -> AsyncIterator[None]:
        """Act on pushes inside the block; `close` when it ends."""
        self._active = True
        try:
            yield
        finally:
            await self.close()

    async def close(self) -> None:
        """Start nothing more; wait for the running batches (their writes finish)."""
        self._active = False
        self._pending.clear()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def wait_idle(self) -> None:
        """Return once nothing runs or waits (follow-ups included)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    @property
    def batches(self) -> list[frozenset[RepositoryKey]]:
        """The repositories of each batch running now."""
        return list(self._running.values())

    def _start(self) -> None:
        busy = frozenset().union(*self._running.values())
        ready = {key: times for key, times in self._pending.items() if key not in busy}
        if not self._active or not ready or len(self._running) >= self._max_batches:
            return
        for key in ready:
            del self._pending[key]
        task = asyncio.ensure_future(self._batch(ready))
        self._running[task] = frozenset(ready)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        del self._running[task]
        self._start()  # the follow-ups of its repositories, or what waited for a free batch

    async def _batch(self, batch: _Batch) -> None:
        only = RepositoryFilter.of(batch)
        try:
            report = await self._cycle.run(only=only)
        except ImageUpdaterError as err:
            log.error("webhook run failed", repositories=str(only), error=str(err))
            return
        except Exception as err:  # a bug of ours: this batch only; polling goes on
            log.debug("internal error", exc_info=True)
            log.error(
                "webhook run failed", repositories=str(only), error=str(InternalError("a webhook run", err))
            )
            return
        self._observe(batch, report)
        log.info(
            "webhook run done",
            repositories=str(only),
            pushes=sum(len(times) for times in batch.values()),
            images=report.images_checked,
            updated=sum(len(w.changes) for w in report.updated),
            errors=len(report.errors),
            seconds=round(report.seconds, 2),
        )

    def _observe(self, batch: _Batch, report: CycleReport) -> None:
        """Event-to-commit latency of each push whose repository this batch wrote an update for."""
        done = self._clock()
        written = {
            key
            for w in report.updated
            for change in w.changes
            for key in image_keys(change.new, self._registries)
        }
        for key, times in batch.items():
            if key in written:
                for received in times:
                    self._metrics.webhook_event_to_commit_seconds.observe(done - received)
