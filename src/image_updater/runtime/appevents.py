"""Kubernetes Events on Applications for what a cycle did: `ImagesUpdated` after each write,
`ImageUpdateFailed` (Warning) for each failure, `ImageHeld` for each update a revert-aware hold
kept back. `api` None (directory mode, or
`--disable-kube-events`) records nothing; an Event the API refuses is logged, never fails the cycle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import structlog

from image_updater.applications import Application
from image_updater.changes import Change
from image_updater.errors import ImageUpdaterError
from image_updater.holds import Hold

if TYPE_CHECKING:  # the Kubernetes client is imported only when a cluster is used
    from image_updater.kube.calling import Api

log = structlog.get_logger("image_updater.cycle")


async def images_updated(api: Api | None, app: Application, changes: Sequence[Change]) -> None:
    if api is None:
        return
    from image_updater.kube import events

    try:
        await events.emit_images_updated(api, application=dict(app.manifest), changes=changes)
    except ImageUpdaterError as err:
        log.warning("cannot record event", app=app.key, error=str(err))


async def update_failed(api: Api | None, failures: Sequence[tuple[Application, str]]) -> None:
    if api is None:
        return
    from image_updater.kube import events

    for app, message in failures:
        try:
            await events.emit_event(
                api,
                application=dict(app.manifest),
                reason="ImageUpdateFailed",
                message=message,
                type_="Warning",
                annotations={},
            )
        except ImageUpdaterError as err:
            log.warning("cannot record event", app=app.key, error=str(err))


async def held(api: Api | None, holds: Sequence[tuple[Application, Hold]]) -> None:
    """`ImageHeld` (Normal) on each Application whose update a hold kept back (docs/rollback.md)."""
    if api is None:
        return
    from image_updater.kube import events

    for app, hold in holds:
        try:
            await events.emit_event(
                api,
                application=dict(app.manifest),
                reason="ImageHeld",
                message=f"image {hold.image}: {hold.reason}",
                type_="Normal",
                annotations={},
            )
        except ImageUpdaterError as err:
            log.warning("cannot record event", app=app.key, error=str(err))
