"""What a cycle reports (`CycleReport`), and its per-image outcomes in the words its log lines use,
for `ImageUpdater` status and `plan`.

The cycle records one `ImageOutcome` per configured image of every Application it handled (and one
per Application that failed before its images were checked); `runtime.statuses` groups them by the
resource that selected the Application. Pure: builders only.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from image_updater.applications import Application
from image_updater.changes import Change
from image_updater.errors import ImageUpdaterError
from image_updater.holds import Hold
from image_updater.refs import ImageRef
from image_updater.resources.assigning import Refused
from image_updater.resources.model import ImageUpdater
from image_updater.resources.status import ImageOutcome, reason_for
from image_updater.runtime.planning import ImageCheck, Skip
from image_updater.runtime.writing import PendingApp, Written


@dataclass(slots=True)
class CycleReport:
    """What one cycle did, for logs, tests and the demo."""

    applications: int = 0
    images_checked: int = 0
    written: list[Written] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed_apps: list[tuple[Application, str]] = field(default_factory=list)
    held: list[tuple[Application, Hold]] = field(default_factory=list)  # holds that kept an update back
    seconds: float = 0.0
    # for ImageUpdater status: the resources read, which of them select each Application, and
    # what happened to each image (runtime.statuses groups these per resource)
    resources: tuple[ImageUpdater, ...] = ()
    refused: tuple[Refused, ...] = ()
    selected_by: dict[str, tuple[str, ...]] = field(default_factory=dict)
    outcomes: list[ImageOutcome] = field(default_factory=list)

    @property
    def updated(self) -> list[Written]:
        return [w for w in self.written if w.error is None and (w.commit or w.patched)]


def failed_app(app: Application, err: ImageUpdaterError) -> ImageOutcome:
    """The Application's configuration failed: none of its images was checked."""
    return ImageOutcome(app=app.key, reason=reason_for(err), message=str(err))


def skipped(skip: Skip) -> ImageOutcome:
    return ImageOutcome(
        app=skip.app, alias=skip.alias, image=skip.image, reason=skip.outcome, message=skip.reason
    )


def of_check(check: ImageCheck, *, reason: str, message: str, chosen: str = "") -> ImageOutcome:
    """The outcome of a checked image, with what it runs (when known) and the tag chosen (if any)."""
    spec = check.image.spec
    return ImageOutcome(
        app=check.app.key,
        alias=spec.alias,
        image=spec.image.name,
        reason=reason,
        message=message,
        old=_version(check.current) if check.current is not None else "",
        new=chosen,
    )


def failed_check(check: ImageCheck, err: ImageUpdaterError) -> ImageOutcome:
    return of_check(check, reason=reason_for(err), message=str(err))


def of_change(app: Application, change: Change, *, reason: str, message: str) -> ImageOutcome:
    return ImageOutcome(
        app=app.key,
        alias=change.alias,
        image=change.new.name,
        reason=reason,
        message=message,
        old=_version(change.old),
        new=_version(change.new),
    )


def after_write(
    pending: Sequence[PendingApp], written: Sequence[Written], *, dry_run: bool
) -> Iterator[ImageOutcome]:
    """Each change decided for an Application, once the write-back ran (or was skipped: dry run).

    A change the writer did not report was already in the target (nothing to write)."""
    by_app = {w.app.key: w for w in written}
    for item in pending:
        done = by_app.get(item.app.key)
        # the writer reports a change with what the target held before (`old`), so match on the rest
        reported = {(c.alias, c.new): c for c in done.changes} if done is not None else {}
        for _, decided in item.changes:
            change = reported.get((decided.alias, decided.new), decided)
            old, new = _version(change.old) or "(unknown)", _version(change.new)
            if done is None or done.error is not None:
                error = done.error if done is not None else "not attempted"
                yield of_change(
                    item.app, change, reason="WriteBackFailed", message=f"write-back failed: {error}"
                )
            elif (decided.alias, decided.new) not in reported:
                yield _already_written(item.app, change)
            elif dry_run:
                yield of_change(
                    item.app, change, reason="DryRun", message=f"dry run: would update {old} to {new}"
                )
            elif done.commit or done.patched:
                where = f"commit {done.commit[:12]}" if done.commit else "the Application"
                yield of_change(
                    item.app, change, reason="Updated", message=f"updated {old} to {new} ({where})"
                )
            else:
                yield _already_written(item.app, change)


def _already_written(app: Application, change: Change) -> ImageOutcome:
    """The target holds the new version already: that is also what it runs now."""
    held = replace(change, old=change.new)
    return of_change(app, held, reason="UpToDate", message=f"{_version(change.new)} is already written")


def _version(ref: ImageRef) -> str:
    text = str(ref.tag or "")
    return text + (f"@{ref.digest}" if ref.digest else "")
