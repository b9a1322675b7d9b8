"""Which listed Applications are managed, and how: manifests → (Application, AppSettings).

Each Application is parsed on its own: a broken manifest, a bad setting or a write-back target
that cannot work (checked now, not when the next release arrives) fails that Application only,
with one line naming it, and the others go on. Settings come from the ImageUpdater resource that
selects the Application, else from its annotations (`--config-source` says which generations
count). A bug of ours is an `InternalError` for that manifest, never the cycle's end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from image_updater import applications
from image_updater.annotations import AppSettings, AppTrust
from image_updater.applications import Application
from image_updater.errors import ImageUpdaterError, InternalError
from image_updater.resources import assigning
from image_updater.resources.matching import Match
from image_updater.resources.model import ImageUpdater
from image_updater.runtime import outcomes
from image_updater.runtime.appsources import Listing
from image_updater.runtime.metrics import Metrics
from image_updater.runtime.outcomes import CycleReport

log = structlog.get_logger("image_updater.cycle")


class ErrorSink(Protocol):
    """Where a problem goes: the cycle's report and log (or nowhere, in a targeted run)."""

    def __call__(self, report: CycleReport, message: str, *, app: Application | None) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    trust: AppTrust  # what annotations may reference
    source: assigning.ConfigSource  # which generations configure Applications
    status_known: bool  # in a cluster: an Application without status runs nothing yet
    quiet: bool  # a targeted run: the polling cycle reports warnings and counts errors


def parse(
    listing: Listing,
    *,
    report: CycleReport,
    options: Options,
    validate: Callable[[Application, AppSettings], None],
    metrics: Metrics,
    error: ErrorSink,
) -> list[tuple[Application, AppSettings]]:
    """The managed Applications of `listing`, with their settings; problems go to `error`."""
    manifests = listing.image_updaters if options.source != "annotations" else ()
    resources = assigning.load(manifests, default_namespace=applications.DEFAULT_NAMESPACE)
    for problem in (*listing.problems, *resources.problems):
        error(report, problem, app=None)
    report.resources, report.refused = resources.items, resources.refused
    parsed: list[tuple[Application, AppSettings]] = []
    for manifest in listing.applications:
        try:
            app = applications.from_manifest(manifest, status_known=options.status_known)
        except ImageUpdaterError as err:
            error(report, str(err), app=None)
            continue
        except Exception as err:  # a bug of ours: it fails this manifest, never the cycle
            log.debug("internal error", exc_info=True)
            error(report, str(InternalError("an Application manifest", err)), app=None)
            continue
        settings = _settings(app, resources.items, report, options, validate, metrics, error)
        if settings is None:
            continue
        for warning in () if options.quiet else settings.warnings:
            log.warning(warning, app=app.key)
        metrics.images_watched.labels(application=app.name).set(len(settings.images))
        parsed.append((app, settings))
    report.applications = len(parsed)
    metrics.applications_watched.set(len(parsed))
    return parsed


def _settings(
    app: Application,
    resources: tuple[ImageUpdater, ...],
    report: CycleReport,
    options: Options,
    validate: Callable[[Application, AppSettings], None],
    metrics: Metrics,
    error: ErrorSink,
) -> AppSettings | None:
    """`app`'s settings; None when it is not managed, or when it failed (then reported)."""
    selected: tuple[tuple[ImageUpdater, Match], ...] = ()
    try:
        selected = assigning.selecting(app, resources)
        settings = assigning.settings_from(app, selected, trust=options.trust, source=options.source)
        if settings is None:
            return None
        report.selected_by[app.key] = tuple(resource.key for resource, _ in selected)
        validate(app, settings)
    except Exception as err:  # ImageUpdaterError, or a bug of ours: this Application only
        if not isinstance(err, ImageUpdaterError):
            log.debug("internal error", app=app.key, exc_info=True)
            err = InternalError(f"application {app.key}", err)
        # counted as an update error, so the article's ImageUpdaterUpdateFailed alert fires
        if not options.quiet:
            metrics.images_updated_errors.inc()
        if selected:  # each resource that selects it reports the failure
            report.selected_by[app.key] = tuple(resource.key for resource, _ in selected)
        report.outcomes.append(outcomes.failed_app(app, err))
        error(report, str(err), app=app)
        return None
    return settings
