"""Revert-aware holds for one cycle: read each write branch's history once, decide per image.

Before selection, every Application written back with git is located (repository, base branch,
credentials, target file); Applications sharing a (repository, branch, credentials) share one
history read (`writeback.git_history`: one fetch bounded by depth, one `git log`), which also
reads the value each image has in Git now. `holds.find_hold` decides; nothing is stored, so a
hold survives restarts and works the same in directory mode. Applications written with the
argocd method keep no history in Git and are never held.

A history that cannot be read (the repository is unreachable, the branch is missing, the
credentials are refused) fails its Applications closed: they are not updated this cycle, with the
error the write would have reported, since a hold cannot be ruled out (a write after a transient
failure would silently undo a revert). Applications whose git location cannot even be worked
out are left to the write-back, which reports that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import structlog

from image_updater.annotations import AppSettings
from image_updater.applications import Application
from image_updater.changes import Change
from image_updater.errors import ImageUpdaterError
from image_updater.holds import Commit, Hold, find_hold
from image_updater.runtime.gitplan import as_error
from image_updater.runtime.writing import PendingApp, WriteBack
from image_updater.writeback import git_history
from image_updater.writeback.git_auth import GitAuth
from image_updater.writeback.model import AppTarget, Reader
from image_updater.writeback.targets import current_tag

log = structlog.get_logger("image_updater.holding")

HeldKey = tuple[str, str]  # (Application key, image name)
_Member = tuple[Application, AppSettings, "_Location"]
READ_CONCURRENCY = 4  # branches read at once: each is a fetch and a log


@dataclass(frozen=True, slots=True)
class Holds:
    """The held images, by (Application key, image name), and the Applications whose history
    could not be read (by key), with why."""

    held: dict[HeldKey, Hold] = field(default_factory=dict)
    unreadable: dict[str, ImageUpdaterError] = field(default_factory=dict)


async def find_holds(
    writer: WriteBack, apps: Sequence[tuple[Application, AppSettings]], *, now: datetime
) -> Holds:
    """The held images of `apps` and the Applications that cannot be checked."""
    groups: dict[tuple[str, str, GitAuth | None], list[_Member]] = {}
    for app, settings in apps:
        if settings.write_back_method == "argocd":
            continue
        try:
            where = await _location(writer, app, settings)
        except Exception as err:  # the write reports it, with its context; nothing to hold here
            log.debug("no history to read", app=app.key, error=str(as_error(err, f"application {app.key}")))
            continue
        groups.setdefault((where.repo_url, where.branch, where.auth), []).append((app, settings, where))
    gate = asyncio.Semaphore(READ_CONCURRENCY)
    found = Holds()
    for part in await asyncio.gather(*(_group(writer, members, gate, now) for members in groups.values())):
        found.held.update(part.held)
        found.unreadable.update(part.unreadable)
    return found


@dataclass(frozen=True, slots=True)
class _Location:
    """An Application's git write-back: repository, base branch ("" = default), credentials, target."""

    repo_url: str
    branch: str
    auth: GitAuth | None
    target: AppTarget


async def _location(writer: WriteBack, app: Application, settings: AppSettings) -> _Location:
    """Where `app`'s images are written, as the write-back works it out (images unchanged)."""
    unchanged = tuple(
        (image, Change(alias=image.spec.alias, old=image.spec.image, new=image.spec.image))
        for image in settings.images
    )
    repo_url, branch, auth, target = await writer.write_location(
        PendingApp(app=app, settings=settings, changes=unchanged)
    )
    return _Location(repo_url, branch.base, auth, target)


async def _group(
    writer: WriteBack, members: Sequence[_Member], gate: asyncio.Semaphore, now: datetime
) -> Holds:
    where = members[0][2]
    try:
        async with gate:
            history, current = await git_history.read_history(
                writer.git,
                repo_url=where.repo_url,
                branch=where.branch,
                auth=where.auth,
                inspect=lambda read: _current_values(read, members),
            )
    except Exception as err:  # ImageUpdaterError, or a bug of ours: these Applications only
        error = writer.git_failure(
            as_error(err, "reading the write branch's history"), repo_url=where.repo_url, auth=where.auth
        )
        return Holds(unreadable={app.key: error for app, _, _ in members})
    return Holds(held=_decide(history, current, members, now))


def _current_values(read: Reader, members: Sequence[_Member]) -> dict[HeldKey, str | None]:
    return {
        (app.key, manifest.image.name): current_tag(read, where.target, manifest)
        for app, _, where in members
        for manifest in where.target.images
    }


def _decide(
    history: Sequence[Commit],
    current: Mapping[HeldKey, str | None],
    members: Sequence[_Member],
    now: datetime,
) -> dict[HeldKey, Hold]:
    held: dict[HeldKey, Hold] = {}
    for app, settings, _ in members:
        for image in settings.images:
            key = (app.key, image.spec.image.name)
            mode = image.hold_after_revert
            hold = find_hold(history, app=app.key, image=key[1], current=current.get(key), mode=mode, now=now)
            if hold is not None:
                held[key] = hold
    return held
