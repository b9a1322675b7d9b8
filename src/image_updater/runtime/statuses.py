"""After each cycle: every `ImageUpdater`'s status, to where statuses go, and its per-resource metrics.

The cycle's report says which resources selected each Application and what happened to each image;
this groups that per resource (`per_resource`), records upstream's per-CR metrics (and drops the
series of resources no longer listed), and hands each resource's status to the sinks: the cluster
(the status subresource, `kube.status`), `--status-dir` files, and, with `--once`, a short block
on standard output. A sink gets a builder rather than a status, so it computes the status from the
one it has stored (condition transition times, `lastUpdatedAt` kept when nothing was updated).
A sink that fails is logged for that resource; the others and the cycle go on.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import structlog
from pydantic import ValidationError

from image_updater.errors import ImageUpdaterError, InternalError
from image_updater.resources import status
from image_updater.resources.model import ImageUpdaterStatus
from image_updater.resources.status import ResourceOutcome
from image_updater.runtime.metrics import Metrics
from image_updater.sources import status_files
from image_updater.yamlsafe import DEFAULT_LIMITS, YamlLimits

if TYPE_CHECKING:
    from image_updater.kube.calling import Api
    from image_updater.runtime.outcomes import CycleReport

log = structlog.get_logger("image_updater.status")

Build = Callable[[ImageUpdaterStatus | None], ImageUpdaterStatus]
"""The stored status (None: none) → the status after this cycle."""


@dataclass(frozen=True, slots=True)
class Target:
    """A resource whose status is written, with the status it had when listed."""

    namespace: str
    name: str
    listed: ImageUpdaterStatus | None = None

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"


class StatusSink(Protocol):
    """Somewhere statuses go."""

    async def publish(self, target: Target, build: Build) -> None: ...


def per_resource(report: CycleReport) -> list[tuple[Target, ResourceOutcome]]:
    """Each resource of the cycle with its share of the outcomes; refused resources with their error.

    A key appears once: a broken manifest reusing a resource's namespace/name (directory mode) must
    not replace that resource's status or metrics with its own failure."""
    apps_of: dict[str, list[str]] = {}
    for app, keys in report.selected_by.items():
        for key in keys:
            apps_of.setdefault(key, []).append(app)
    by_app: dict[str, list[status.ImageOutcome]] = {}
    for item in report.outcomes:
        by_app.setdefault(item.app, []).append(item)
    found: list[tuple[Target, ResourceOutcome]] = []
    for resource in report.resources:
        apps = sorted(apps_of.get(resource.key, ()))
        outcome = ResourceOutcome(
            generation=resource.generation,
            applications=tuple(apps),
            outcomes=tuple(o for app in apps for o in by_app.get(app, ())),
        )
        found.append((Target(resource.namespace, resource.name, resource.status), outcome))
    reported = {target.key for target, _ in found}
    for refused in report.refused:
        target = Target(refused.namespace, refused.name)
        if target.key in reported:  # a second definition (directory mode): the one used reports
            continue
        reported.add(target.key)
        found.append((target, ResourceOutcome(generation=refused.generation, failure=refused.problem)))
    return found


async def publish(
    report: CycleReport,
    *,
    sinks: Sequence[StatusSink],
    metrics: Metrics,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    """Metrics and statuses of every resource of the cycle."""
    items, when = per_resource(report), now()
    for target, outcome in items:
        metrics.resources.record(
            target.namespace,
            target.name,
            applications=len(outcome.applications),
            images=outcome.images,
            updated=len(outcome.updated),
            errors=outcome.errors + (outcome.failure is not None),
        )
        for sink in sinks:
            try:
                await sink.publish(target, _builder(outcome, when))
            except Exception as err:  # ImageUpdaterError, or a bug of ours: this status only
                if not isinstance(err, ImageUpdaterError):
                    log.debug("internal error", imageupdater=target.key, exc_info=True)
                    err = InternalError(f"the status of imageupdater {target.key}", err)
                log.warning("cannot write status", imageupdater=target.key, error=str(err))
    metrics.resources.keep_resources({(target.namespace, target.name) for target, _ in items})


def _builder(outcome: ResourceOutcome, when: datetime) -> Build:
    return lambda previous: status.compute(outcome, previous=previous, now=when)


class ClusterStatus:
    """The status subresource of the resource in the cluster."""

    def __init__(self, api: Api) -> None:
        self._api = api

    async def publish(self, target: Target, build: Build) -> None:
        from image_updater.kube import status as kube_status

        def build_json(stored: dict[str, Any] | None) -> dict[str, Any]:
            return status.as_json(build(stored_status(stored)))

        await kube_status.write_status(self._api, target.namespace, target.name, build_json)


class StatusFiles:
    """`--status-dir`: one file per resource, starting from what the previous run stored there."""

    def __init__(self, directory: Path, *, limits: YamlLimits = DEFAULT_LIMITS) -> None:
        self._directory, self._limits = directory, limits

    async def publish(self, target: Target, build: Build) -> None:
        where = {"namespace": target.namespace, "name": target.name}
        stored = await asyncio.to_thread(
            status_files.read_status, self._directory, **where, limits=self._limits
        )
        new = build(stored_status(stored) or target.listed)
        await asyncio.to_thread(
            status_files.write_status, self._directory, **where, status=status.as_json(new)
        )


class PrintedStatus:
    """A short block per resource on standard output (`run --once`)."""

    async def publish(self, target: Target, build: Build) -> None:
        sys.stdout.write(status.summary(target.key, build(target.listed)) + "\n")


def stored_status(stored: Mapping[str, Any] | None) -> ImageUpdaterStatus | None:
    """A stored status as the model, or None when there is none or it does not fit the schema
    (it is then replaced as a whole)."""
    if stored is None:
        return None
    try:
        return ImageUpdaterStatus.model_validate(stored)
    except ValidationError:
        return None
