"""One update cycle: Applications → images → registries → changes → write-back → events, metrics.

The one place that maps errors to outcomes, with its two helpers: `runtime.managed` parses each
Application on its own (a broken one is reported: log line naming the app and key, error metric,
Warning event; the others go on), and `runtime.scans` shares registry work (one client per
(registry, credentials), one scan per distinct configuration, one tag list per repository per
cycle however many Applications watch it, metadata cached across cycles). Nothing below the
runtime logs; everything it learns is logged here, once, with the app, image and registry.

A cycle has a deadline (`CycleOptions.deadline`, `--cycle-timeout`): listing and registry checks
still running when it passes are cancelled, and each Application left unchecked is reported as
timed out in one line and not written. What was decided in time is then written: a write is
never interrupted (a half-done push could leave the clone or the branch between states), and
git's own timeouts bound it, so the next cycle starts at most that much late.

Every configured image ends the cycle with one outcome (`runtime.outcomes`), kept in the report
with the ImageUpdater resources that selected its Application; `runtime.statuses` turns them
into each resource's status and per-resource metrics at the end of the cycle.

`run(only=...)` is a targeted run (a registry webhook, `runtime/dispatch.py`): the same pipeline
for just the images of the given repositories, their tags listed afresh. It reports only what it
checks and writes; configuration problems and skipped images are the polling cycle's to report.
Writes of polling cycles and targeted runs are ordered per Application (`runtime/writeorder.py`).
A targeted run publishes no ImageUpdater status: its outcomes cover some images only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog

from image_updater import applications
from image_updater.annotations import AppSettings, AppTrust
from image_updater.applications import Application
from image_updater.changes import Change
from image_updater.errors import DeadlineExceeded, ImageUpdaterError
from image_updater.holds import Hold
from image_updater.registry.scanning import ScanResult
from image_updater.resources import assigning
from image_updater.runtime import (
    appevents,
    explaining,
    holding,
    managed,
    outcomes,
    planning,
    promotion,
    statuses,
)
from image_updater.runtime.appsources import ApplicationSource
from image_updater.runtime.metrics import Metrics
from image_updater.runtime.outcomes import CycleReport
from image_updater.runtime.planning import ImageCheck
from image_updater.runtime.pushes import RepositoryFilter
from image_updater.runtime.registries import RegistryPool
from image_updater.runtime.scans import Scans
from image_updater.runtime.statuses import StatusSink
from image_updater.runtime.writeorder import WriteOrder
from image_updater.runtime.writing import PendingApp, WriteBack
from image_updater.selection.gates import Promotion
from image_updater.settings.registries import RegistryConfig

if TYPE_CHECKING:  # the Kubernetes client is imported only when a cluster is used
    from image_updater.kube.calling import Api

log = structlog.get_logger("image_updater.cycle")


def wall_clock() -> datetime:
    """Now, zone-aware: the gates' clock outside tests."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class CycleOptions:
    """Knobs of a cycle."""

    max_concurrency: int = 10
    trust_tags_for: float = 1800.0  # seconds a tag's digest is trusted before a HEAD revalidates it
    dry_run: bool = False
    kube_events: bool = True
    app_trust: AppTrust = field(default_factory=AppTrust)  # what annotations may reference
    deadline: float = 600.0  # seconds a cycle may take before unfinished work is reported timed out
    clock: Callable[[], datetime] = field(default=lambda: wall_clock())  # for min-age, promotions
    history: promotion.History | None = None  # directory mode: since when a value is on a branch
    config_source: assigning.ConfigSource = "both"  # which generation configures Applications


class Cycle:
    """Runs cycles over long-lived clients; one instance per process."""

    def __init__(
        self,
        *,
        source: ApplicationSource,
        registries: RegistryConfig,
        pool: RegistryPool,
        writer: WriteBack,
        metrics: Metrics,
        options: CycleOptions,
        statuses: Sequence[StatusSink] = (),
    ) -> None:
        self._source, self._registries, self._pool = source, registries, pool
        self._writer, self._metrics, self._options = writer, metrics, options
        self._statuses = tuple(statuses)  # where ImageUpdater statuses go after each cycle
        self._order = WriteOrder()
        self._scans = Scans(
            registries=registries,
            pool=pool,
            max_concurrency=options.max_concurrency,
            trust_tags_for=options.trust_tags_for,
            clock=options.clock,
        )

    async def run(self, *, only: RepositoryFilter | None = None) -> CycleReport:
        """One full cycle, or with `only` a targeted run over those repositories' images.
        Raises only when Applications cannot be listed at all."""
        started = time.monotonic()
        deadline = started + self._options.deadline
        report = CycleReport()
        try:
            apps, listed = await asyncio.wait_for(
                self._parsed_apps(report, quiet=only is not None), self._options.deadline
            )
        except TimeoutError:
            raise DeadlineExceeded(
                f"listing Applications did not finish within the cycle deadline ({self._deadline_text})"
            ) from None
        checks = self._checks(apps, only, report)
        sources: dict[tuple[str, str, float], asyncio.Future[Promotion]] = {}  # one read per source and image
        checks = list(await asyncio.gather(*(self._with_promotion(c, listed, sources) for c in checks)))
        checked = {check.app.key for check in checks}  # a targeted run reads only its branches
        holds = await self._holds([a for a in apps if a[0].key in checked], checks, report)
        pending = await self._changes(apps, checks, report, holds, deadline=deadline)
        self._pool.cache.flush()  # what this cycle learnt survives a restart
        report.written = await self._order.write(self._writer, pending, observed=started)
        report.outcomes += outcomes.after_write(pending, report.written, dry_run=self._options.dry_run)
        await self._account_writes(report)
        await appevents.update_failed(self._events_api, report.failed_apps)
        await appevents.held(self._events_api, report.held)
        if only is None:  # a targeted run's outcomes cover some images only
            await statuses.publish(report, sinks=self._statuses, metrics=self._metrics)
        report.seconds = time.monotonic() - started
        if only is None:
            self._metrics.cycle_seconds.observe(report.seconds)
        return report

    def _checks(
        self,
        apps: Sequence[tuple[Application, AppSettings]],
        only: RepositoryFilter | None,
        report: CycleReport,
    ) -> list[ImageCheck]:
        checks: list[ImageCheck] = []
        for app, settings in apps:
            found, skipped = planning.images_to_check(app, settings)
            if only is not None:  # a targeted run: the polling cycle logs what is skipped
                checks += [c for c in found if only.matches(c.image.spec.image, self._registries)]
                continue
            checks += found
            for skip in skipped:
                log.info("skipping image", app=skip.app, image=skip.image, reason=skip.reason)
                report.outcomes.append(outcomes.skipped(skip))
        return checks

    async def _parsed_apps(
        self, report: CycleReport, *, quiet: bool
    ) -> tuple[list[tuple[Application, AppSettings]], dict[str, Mapping[str, Any]]]:
        """The managed Applications with their settings, and every listed manifest by `ns/name`
        (what promotion gates read); `quiet` leaves the problems unreported."""
        listing = await self._source.list()
        parsed = managed.parse(
            listing,
            report=report,
            options=managed.Options(
                trust=self._options.app_trust,
                source=self._options.config_source,
                status_known=self._api is not None,
                quiet=quiet,
            ),
            validate=self._writer.validate,
            metrics=self._metrics,
            error=_unreported if quiet else self._error,
        )
        return parsed, {_manifest_key(m): m for m in listing.applications}

    async def _with_promotion(
        self,
        check: ImageCheck,
        listed: Mapping[str, Mapping[str, Any]],
        sources: dict[tuple[str, str, float], asyncio.Future[Promotion]],
    ) -> ImageCheck:
        """`check` with what its `promote-from` Application offers (runtime/promotion.py)."""
        gates = check.image.gates
        if gates.promote_from is None:
            return check
        key = (gates.promote_from, check.image.spec.image.name, gates.promote_after)
        if key not in sources:
            sources[key] = asyncio.ensure_future(
                promotion.resolve(
                    check.image,
                    listed=listed,
                    api=self._api,
                    history=self._options.history,
                    app=check.app.key,
                )
            )
        return replace(check, promotion=await asyncio.shield(sources[key]))

    async def _holds(
        self, apps: Sequence[tuple[Application, AppSettings]], checks: list[ImageCheck], report: CycleReport
    ) -> dict[holding.HeldKey, Hold]:
        """Revert-aware holds, read from Git now (one history read per write branch). The checks
        of an Application whose history cannot be read are dropped: it fails, closed."""
        holds = await holding.find_holds(self._writer, apps, now=self._options.clock())
        for app, settings in apps:
            count = sum(1 for key in holds.held if key[0] == app.key)
            self._metrics.images_held.labels(application=app.name).set(count)
            if app.key in holds.unreadable:
                self._metrics.images_updated_errors.inc(len(settings.images))
                self._metrics.images_errors.labels(application=app.name).inc(len(settings.images))
                error = holds.unreadable[app.key]
                report.outcomes.append(outcomes.failed_app(app, error))
                self._error(report, f"application {app.key}: write-back failed: {error}", app=app)
        checks[:] = [check for check in checks if check.app.key not in holds.unreadable]
        for (app_key, image), hold in holds.held.items():
            log.info("held after revert", app=app_key, image=image, reason=hold.reason)
        return holds.held

    async def _changes(
        self,
        apps: Sequence[tuple[Application, AppSettings]],
        checks: Sequence[ImageCheck],
        report: CycleReport,
        holds: Mapping[holding.HeldKey, Hold],
        *,
        deadline: float,
    ) -> list[PendingApp]:
        results = await self._scans.run(checks, holds, deadline=deadline)
        report.images_checked = len(checks)
        self._metrics.images_checked.inc(len(checks))
        by_app: dict[str, PendingApp] = {}
        settings_of = {app.key: settings for app, settings in apps}
        late: dict[str, tuple[Application, list[str]]] = {}
        for check, result in zip(checks, results, strict=True):
            if result is None:
                late.setdefault(check.app.key, (check.app, []))[1].append(check.image.spec.image.name)
                late_by = f"the cycle deadline ({self._deadline_text}) passed first"
                report.outcomes.append(outcomes.of_check(check, reason="TimedOut", message=late_by))
                continue
            change = self._decide(
                check, result, report, holds.get((check.app.key, check.image.spec.image.name))
            )
            if change is None:
                continue
            app, settings = check.app, settings_of[check.app.key]
            previous = by_app.get(app.key)
            items = (*previous.changes, (check.image, change)) if previous else ((check.image, change),)
            by_app[app.key] = PendingApp(app=app, settings=settings, changes=items)
        self._timed_out(report, list(late.values()))
        for key in late.keys() & by_app.keys():  # decided in time, not written: its app timed out
            dropped = by_app[key]
            report.outcomes += (
                outcomes.of_change(
                    dropped.app, change, reason="TimedOut", message="not written: the Application timed out"
                )
                for _, change in dropped.changes
            )
        return [pending for key, pending in by_app.items() if key not in late]

    def _timed_out(self, report: CycleReport, apps: Sequence[tuple[Application, Sequence[str]]]) -> None:
        """One line per Application whose work the deadline cut short; none of it is written."""
        for app, images in apps:
            self._metrics.images_updated_errors.inc(len(images))
            self._metrics.images_errors.labels(application=app.name).inc(len(images))
            self._error(
                report,
                f"application {app.key}: timed out checking {', '.join(sorted(set(images)))}: the cycle "
                f"deadline ({self._deadline_text}) passed; tried again next cycle",
                app=app,
            )

    @property
    def _deadline_text(self) -> str:
        return f"{self._options.deadline:g}s, --cycle-timeout"

    def _decide(
        self,
        check: ImageCheck,
        result: ScanResult | ImageUpdaterError,
        report: CycleReport,
        hold: Hold | None,
    ) -> Change | None:
        image = check.image.spec.image.name
        if isinstance(result, ImageUpdaterError):
            self._image_error(report, check, str(result))
            report.outcomes.append(outcomes.failed_check(check, result))
            return None
        chosen = result.selection.chosen
        if (
            chosen is None
            and hold is not None
            and any(r.reason == hold.reason for r in result.selection.rejected)
        ):
            log.info("not updated", app=check.app.key, image=image, reason=hold.reason)
            report.held.append((check.app, hold))
            report.outcomes.append(outcomes.of_check(check, reason="Held", message=hold.reason))
            return None
        if chosen is None:
            reason = explaining.no_match(result.selection, listed=len(result.tags), image=image)
            log.info("no update", app=check.app.key, image=image, reason=reason)
            why = "Held" if explaining.held_back(result.selection) else "NoMatchingTag"
            report.outcomes.append(outcomes.of_check(check, reason=why, message=reason))
            return None
        if held := explaining.held_back(result.selection):
            log.info("held back", app=check.app.key, image=image, chosen=chosen.name, reason=held)
        change = planning.decide(check, chosen)
        if change is None:
            log.debug("up to date", app=check.app.key, image=image, tag=chosen.name)
            message = f"runs {chosen.name}, the newest tag allowed"
            outcome = outcomes.of_check(check, reason="UpToDate", message=message, chosen=chosen.name)
            if held:
                message = f"runs {chosen.name}; {held}"
                outcome = outcomes.of_check(check, reason="Held", message=message, chosen=chosen.name)
            report.outcomes.append(outcome)
        return change

    async def _account_writes(self, report: CycleReport) -> None:
        for written in report.written:
            app = written.app
            if written.error is not None:
                self._metrics.images_updated_errors.inc(len(written.changes))
                self._metrics.images_errors.labels(application=app.name).inc(len(written.changes))
                self._error(report, f"application {app.key}: write-back failed: {written.error}", app=app)
                continue
            done = "updated" if written.commit or written.patched else "already written"
            verb = "would update" if self._options.dry_run else done
            for change in written.changes:
                log.info(
                    verb,
                    app=app.key,
                    image=change.new.name,
                    old=str(change.old.tag or ""),
                    new=str(change.new.tag or "") + (f"@{change.new.digest}" if change.new.digest else ""),
                    commit=written.commit,
                )
            if self._options.dry_run and written.diff:
                log.info("dry run: would write", app=app.key, diff=written.diff)
            if written.commit or written.patched:
                self._metrics.images_updated.labels(application=app.name).inc(len(written.changes))
                await appevents.images_updated(self._events_api, app, written.changes)

    def _image_error(self, report: CycleReport, check: ImageCheck, message: str) -> None:
        self._metrics.images_errors.labels(application=check.app.name).inc()
        self._metrics.images_updated_errors.inc()
        self._error(report, f"application {check.app.key}: {message}", app=check.app)

    def _error(self, report: CycleReport, message: str, *, app: Application | None) -> None:
        report.errors.append(message)
        self._metrics.applications_errors.inc()
        log.error(message)
        if app is not None:
            report.failed_apps.append((app, message))

    @property
    def _api(self) -> Api | None:
        return self._source.api

    @property
    def _events_api(self) -> Api | None:
        """Where Kubernetes Events go: nowhere in directory mode or with --disable-kube-events."""
        return self._api if self._options.kube_events else None


def _manifest_key(manifest: Mapping[str, Any]) -> str:
    meta = manifest.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    return f"{meta.get('namespace') or applications.DEFAULT_NAMESPACE}/{meta.get('name')}"


def _unreported(report: CycleReport, message: str, *, app: Application | None) -> None:
    """Where a targeted run's configuration problems go: the polling cycle reports them."""
