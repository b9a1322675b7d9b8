"""Per-image outcomes of a cycle, in the words its log lines use, for `ImageUpdater` status.

The cycle records one `ImageOutcome` per configured image of every Application it handled (and one
per Application that failed before its images were checked); `runtime.statuses` groups them by the
resource that selected the Application. Pure: builders only.
"""

from __future__ import annotations

from collections.abc import Iterator

from image_updater.applications import Application
from image_updater.changes import Change
from image_updater.errors import ImageUpdaterError
from image_updater.refs import ImageRef
from image_updater.resources.status import ImageOutcome, reason_for
from image_updater.runtime.planning import ImageCheck, Skip
from image_updater.runtime.writing import Written


def failed_app(app: Application, err: ImageUpdaterError) -> ImageOutcome:
    """The Application's configuration failed: none of its images was checked."""
    return ImageOutcome(app=app.key, reason=reason_for(err), message=str(err))


def skipped(skip: Skip) -> ImageOutcome:
    return ImageOutcome(
        app=skip.app, alias=skip.alias, image=skip.image, reason="NotLive", message=skip.reason
    )


def of_check(check: ImageCheck, *, reason: str, message: str) -> ImageOutcome:
    spec = check.image.spec
    return ImageOutcome(
        app=check.app.key, alias=spec.alias, image=spec.image.name, reason=reason, message=message
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


def of_written(written: Written, *, dry_run: bool) -> Iterator[ImageOutcome]:
    """Each change of one Application after the write-back ran (or was skipped: dry run)."""
    for change in written.changes:
        old, new = _version(change.old) or "(unknown)", _version(change.new)
        if written.error is not None:
            yield of_change(
                written.app, change, reason="WriteBackFailed", message=f"write-back failed: {written.error}"
            )
        elif dry_run:
            yield of_change(
                written.app, change, reason="DryRun", message=f"dry run: would update {old} to {new}"
            )
        elif written.commit or written.patched:
            where = f"commit {written.commit[:12]}" if written.commit else "the Application"
            yield of_change(
                written.app, change, reason="Updated", message=f"updated {old} to {new} ({where})"
            )
        else:
            yield of_change(written.app, change, reason="UpToDate", message=f"{new} is already written")


def _version(ref: ImageRef) -> str:
    text = str(ref.tag or "")
    return text + (f"@{ref.digest}" if ref.digest else "")
