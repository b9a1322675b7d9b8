"""Which images of an Application to check, what runs now, and whether a chosen tag is a change.

Pure. Upstream only updates images it sees running (`status.summary.images`); so do we, with
`force-update` to override, but every skipped image gets a reason that says what to do. Image
names are compared with Docker Hub's spellings treated as one (`nginx` = `docker.io/library/nginx`),
which removes upstream's most confusing "not live" case. An Application without status (read
from a directory) counts every image as live, with the current tag unknown: the write-back
target then decides whether anything changes. A pinned image (runtime/pinning.py) is skipped
before anything else, so it costs no registry request.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from image_updater import refs
from image_updater.annotations import PREFIX, AppSettings, ImageSettings
from image_updater.applications import Application
from image_updater.changes import Change
from image_updater.errors import ConfigError
from image_updater.refs import Digest, ImageRef, Tag
from image_updater.runtime import pinning
from image_updater.selection.digest import DigestPolicy
from image_updater.selection.gates import Promotion
from image_updater.selection.types import TagInfo


@dataclass(frozen=True, slots=True)
class ImageCheck:
    """One configured image of one Application, with what it runs now (None = unknown)."""

    app: Application
    image: ImageSettings
    current: ImageRef | None
    promotion: Promotion | None = None  # what the `promote-from` Application offers (runtime/promotion.py)


@dataclass(frozen=True, slots=True)
class Skip:
    """An image not checked, and why, in words for the log."""

    app: str
    image: str
    reason: str
    alias: str | None = None
    outcome: str = "NotLive"  # the ImageUpdater status reason: NotLive or Pinned


def images_to_check(app: Application, settings: AppSettings) -> tuple[list[ImageCheck], list[Skip]]:
    """Split the configured images into those to check and those skipped (with reasons)."""
    checks: list[ImageCheck] = []
    skips: list[Skip] = []
    for image in settings.images:
        if (why := pinning.pinned(app, settings, image)) is not None:
            skips.append(
                Skip(
                    app=app.key,
                    image=image.spec.image.name,
                    reason=why,
                    alias=image.spec.alias,
                    outcome="Pinned",
                )
            )
            continue
        if app.live_images is None:
            checks.append(ImageCheck(app=app, image=image, current=None))
            continue
        live = live_match(image, app.live_images)
        if live is not None or image.force_update:
            checks.append(ImageCheck(app=app, image=image, current=live))
        else:
            skip = Skip(
                app=app.key, image=image.spec.image.name, reason=_not_live(image, app), alias=image.spec.alias
            )
            skips.append(skip)
    return checks, skips


def decide(check: ImageCheck, chosen: TagInfo) -> Change | None:
    """The change `chosen` means for `check`, or None when the image is already there."""
    spec_image = check.image.spec.image
    current = check.current
    if check.image.policy.needs_digest:
        new = replace(
            spec_image, tag=Tag(chosen.name), digest=Digest(chosen.digest) if chosen.digest else None
        )
        if current is not None and current.digest is not None and current.digest == new.digest:
            return None
    else:
        new = replace(spec_image, tag=Tag(chosen.name), digest=None)
        if current is not None and current.tag == chosen.name:
            return None
    old = current if current is not None else spec_image
    return Change(alias=check.image.spec.alias, old=old, new=new)


def live_match(image: ImageSettings, live: Sequence[ImageRef]) -> ImageRef | None:
    """What of `live` is `image` (by its name or kustomize name; a tracked tag preferred)."""
    names = [image.spec.image]
    if image.kustomize_name:
        # the kustomize name is validated where it is written; here it only helps matching
        with contextlib.suppress(ConfigError):
            names.insert(0, refs.parse_image(image.kustomize_name))
    matches = [running for running in live for name in names if refs.same_image(running, name)]
    if not matches:
        return None
    tracked = image.policy.tracked if isinstance(image.policy, DigestPolicy) else None
    return next((m for m in matches if tracked and m.tag == tracked), matches[0])


def _not_live(image: ImageSettings, app: Application) -> str:
    running = ", ".join(str(i) for i in app.live_images or ()) or "nothing"
    return (
        f"not running in this Application (Argo CD reports: {running}); "
        f'set {PREFIX}{image.spec.annotation_key}.force-update: "true" to update it anyway'
    )
