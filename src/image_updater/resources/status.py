"""An `ImageUpdater`'s status from what one cycle did for the Applications it selects. Pure.

Upstream's fields and conditions (internal/controller/status.go): `observedGeneration`,
`lastCheckedAt`, `applicationsMatched`, `imagesManaged`; `lastUpdatedAt` and `recentUpdates`
(aggregated by alias and new version) only when something was updated, else kept from before;
`Reconciling` False/`Idle` after the check; `Ready`/`Error` by upstream's reasons and messages
(`ReconcileSucceeded`/`NoErrors`, `ReconcileCompletedWithErrors`/`PartialErrors`,
`ReconcileFailed`/`ReconcileError`). A condition keeps its `lastTransitionTime` while its status
stays (`meta.SetStatusCondition`). Beyond upstream, `imageResults` says per image what happened
and why (the cycle's own words), failures first, at most `MAX_IMAGE_RESULTS` entries.

Times are UTC whole seconds (RFC 3339, as `metav1.Time`): a status computed twice from the same
outcomes within a second is equal, so writers can skip a write that changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from image_updater.errors import (
    ConfigError,
    DeadlineExceeded,
    ImageUpdaterError,
    NoMatchingTag,
    RegistryAuthError,
    RegistryError,
    WriteBackError,
)
from image_updater.resources.model import (
    MAX_IMAGE_RESULTS,
    Condition,
    ImageResult,
    ImageUpdaterStatus,
    RecentUpdate,
)
from image_updater.text import printable

# `ImageResult.reason`, from the most to the least in need of attention (the order of the list).
FAILURES = ("ConfigError", "RegistryAuthFailed", "RegistryError", "WriteBackFailed", "TimedOut", "Failed")
NOT_UPDATED = ("NotLive", "NoMatchingTag", "Held", "Pinned", "DryRun")
DONE = ("Updated", "UpToDate")
_RANK = {reason: rank for rank, reason in enumerate((*FAILURES, *NOT_UPDATED, *DONE))}
MAX_MESSAGE = 1024

Wanted = tuple[str, Literal["True", "False", "Unknown"], str, str]
"""A condition to set: (type, status, reason, message)."""


@dataclass(frozen=True, slots=True)
class ImageOutcome:
    """What a cycle did with one image of one Application (`app` is `namespace/name`).

    `alias`/`image` are None for an Application that failed before its images were checked;
    `old`/`new` are the versions of an update."""

    app: str
    reason: str
    message: str
    alias: str | None = None
    image: str | None = None
    old: str = ""
    new: str = ""


@dataclass(frozen=True, slots=True)
class ResourceOutcome:
    """One resource's share of a cycle: the Applications it selected and their outcomes.

    `failure` is set when the resource itself could not be used (it did not parse)."""

    generation: int | None
    applications: tuple[str, ...] = ()
    outcomes: tuple[ImageOutcome, ...] = ()
    failure: str | None = None

    @property
    def updated(self) -> tuple[ImageOutcome, ...]:
        return tuple(o for o in self.outcomes if o.reason == "Updated")

    @property
    def errors(self) -> int:
        return sum(o.reason in FAILURES for o in self.outcomes)

    @property
    def images(self) -> int:
        return sum(o.image is not None for o in self.outcomes)


def reason_for(err: ImageUpdaterError) -> str:
    """The `ImageResult.reason` of an error met while checking or writing an image."""
    kinds: tuple[tuple[type[ImageUpdaterError], str], ...] = (
        (RegistryAuthError, "RegistryAuthFailed"),
        (RegistryError, "RegistryError"),
        (NoMatchingTag, "NoMatchingTag"),
        (WriteBackError, "WriteBackFailed"),
        (DeadlineExceeded, "TimedOut"),
        (ConfigError, "ConfigError"),
    )
    return next((reason for kind, reason in kinds if isinstance(err, kind)), "Failed")


def compute(
    outcome: ResourceOutcome, *, previous: ImageUpdaterStatus | None, now: datetime
) -> ImageUpdaterStatus:
    """The status after a cycle; `previous` is the status as stored (None: never written)."""
    now = now.astimezone(UTC).replace(microsecond=0)
    before = previous or ImageUpdaterStatus()
    updated = outcome.updated
    return ImageUpdaterStatus(
        observed_generation=outcome.generation,
        last_checked_at=now,
        last_updated_at=now if updated else before.last_updated_at,
        applications_matched=len(outcome.applications),
        images_managed=outcome.images,
        recent_updates=recent_updates(updated, now) if updated else before.recent_updates,
        conditions=set_conditions(
            before.conditions or (), _conditions(outcome), now=now, generation=outcome.generation
        ),
        image_results=image_results(outcome.outcomes) or None,
    )


def recent_updates(updated: Sequence[ImageOutcome], now: datetime) -> tuple[RecentUpdate, ...]:
    """Upstream's `buildRecentUpdates`: one entry per (alias, new version), counting Applications."""
    found: dict[tuple[str, str], RecentUpdate] = {}
    for item in updated:
        alias = item.alias or item.image or ""
        key = (alias, item.new)
        if key in found:
            entry = found[key]
            found[key] = entry.model_copy(update={"applications_updated": entry.applications_updated + 1})
            continue
        found[key] = RecentUpdate(
            alias=alias,
            image=item.image or "",
            new_version=item.new,
            applications_updated=1,
            updated_at=now,
            message=f"Updated from {item.old} to {item.new}.",
        )
    return tuple(found.values())


def image_results(outcomes: Iterable[ImageOutcome]) -> tuple[ImageResult, ...]:
    """Failures first, then what was not updated, then the rest; by Application and alias."""
    ordered = sorted(outcomes, key=lambda o: (_RANK.get(o.reason, 0), o.app, o.alias or "", o.image or ""))
    return tuple(
        ImageResult(
            application=o.app,
            alias=o.alias,
            image=o.image,
            reason=o.reason,
            message=_short(o.message),
        )
        for o in ordered[:MAX_IMAGE_RESULTS]
    )


def _conditions(outcome: ResourceOutcome) -> tuple[Wanted, ...]:
    """(type, status, reason, message) as upstream's `setCompletionConditions` sets them."""
    apps, errors, updated = len(outcome.applications), outcome.errors, len(outcome.updated)
    idle: Wanted = ("Reconciling", "False", "Idle", "Last check completed. Awaiting next cycle.")
    if outcome.failure is not None:
        failure = _short(outcome.failure)
        return (
            idle,
            ("Error", "True", "ReconcileError", failure),
            ("Ready", "False", "ReconcileFailed", f"Reconciliation failed: {failure}"),
        )
    if errors:
        return (
            idle,
            ("Error", "True", "PartialErrors", f"{errors} error(s) occurred during image update checks."),
            (
                "Ready",
                "True",
                "ReconcileCompletedWithErrors",
                f"Reconciled {apps} applications with {errors} errors, {updated} images updated.",
            ),
        )
    return (
        idle,
        ("Error", "False", "NoErrors", "No errors during last reconciliation."),
        ("Ready", "True", "ReconcileSucceeded", f"Reconciled {apps} applications, {updated} images updated."),
    )


def set_conditions(
    current: Sequence[Condition],
    wanted: Iterable[Wanted],
    *,
    now: datetime,
    generation: int | None,
) -> tuple[Condition, ...]:
    """`meta.SetStatusCondition` for each wanted condition; others are kept, order is kept."""
    by_type: dict[str, Condition] = {c.type: c for c in current}
    for type_, status, reason, message in wanted:
        old = by_type.get(type_)
        since = old.last_transition_time if old is not None and old.status == status else now
        by_type[type_] = Condition(
            type=type_,
            status=status,
            observed_generation=generation,
            last_transition_time=since,
            reason=reason,
            message=message,
        )
    return tuple(by_type.values())


def as_json(status: ImageUpdaterStatus) -> dict[str, object]:
    """The status as the API server stores it (camelCase, RFC 3339 times, unset fields absent)."""
    return status.model_dump(by_alias=True, mode="json", exclude_none=True)


def summary(key: str, status: ImageUpdaterStatus) -> str:
    """A few lines for a terminal: the Ready condition, counts, then one line per image result.

    Each line is made printable: in directory mode a resource's name (a refused one's too) is
    whatever the manifest says, escape sequences and newlines included."""
    ready = next((c for c in status.conditions or () if c.type == "Ready"), None)
    head = f"imageupdater {key}: Ready={ready.status} {ready.reason}: {ready.message}" if ready else key
    lines = [head, f"  applications matched: {status.applications_matched}, images: {status.images_managed}"]
    for result in status.image_results or ():
        what = f"{result.alias or '-'} ({result.image})" if result.image else "(application)"
        lines.append(f"  {result.application} {what}: {result.reason}: {result.message}")
    return "\n".join(printable(line, limit=4 * MAX_MESSAGE) for line in lines)


def _short(text: str) -> str:
    """One line of printable characters (messages quote registry answers), at most MAX_MESSAGE."""
    text = printable(" ".join(text.split()), limit=MAX_MESSAGE)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."
