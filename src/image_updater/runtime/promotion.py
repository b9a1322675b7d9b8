"""Promotion gates: what the `promote-from` Application runs, and since when.

In a cluster the source Application's status says it: the tag is the live image of the same
repository in `status.summary.images`; it counts only while the source is `Synced` and `Healthy`;
and "since when" is the latest of the times its status gives: the last `status.history[]`
`deployedAt`, `operationState.finishedAt` of a succeeded sync, and `health.lastTransitionTime`
(Argo CD 2.11+). Each is a moment from which the live state has been what it is now (a sync
finished deploying it, or health became Healthy); the latest of them is therefore never earlier
than when the tag started running Synced and Healthy, so a gate never opens early. It may open
later than needed (an unrelated sync restarts the clock): the safe side. With none of them the
tag waits ("since when is unknown").

In directory mode there is no status: the tag is the value on the source Application's write
branch and "since when" the commit time of the oldest commit of the unbroken run of that value
(`history`, given by the runtime; see writeback/git_since.py).

Tenancy is checked where the setting is parsed (`annotations.check_promotion`): an Application
can observe only Applications its namespace, or the operator, allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog

from image_updater import refs
from image_updater.annotations import ImageSettings
from image_updater.errors import ConfigError, ImageUpdaterError, InternalError
from image_updater.selection.gates import Promotion

if TYPE_CHECKING:  # the Kubernetes client is imported only when a cluster is used
    from image_updater.kube.calling import Api

log = structlog.get_logger("image_updater.promotion")

# (source manifest, image) → (tag on the write branch, since when); directory mode only
History = Callable[[Mapping[str, Any], ImageSettings], Awaitable[tuple[str | None, datetime | None]]]


async def resolve(
    image: ImageSettings,
    *,
    listed: Mapping[str, Mapping[str, Any]],
    api: Api | None,
    history: History | None,
    app: str,
) -> Promotion:
    """What `image`'s `promote-from` Application offers it: from the listing (else, in a cluster, a
    GET), by its status in a cluster and by `history` in directory mode. Any failure to tell is a
    `problem`: the image waits, the cycle goes on."""
    key = image.gates.promote_from or ""
    try:
        manifest = listed.get(key)
        if manifest is None and api is not None:  # filtered out of the listing, or absent
            from image_updater.kube import applications as kube_apps

            namespace, _, name = key.partition("/")
            manifest = await kube_apps.get_application(api, namespace, name)
        if manifest is None:
            return missing(key, image)
        if api is not None or history is None:
            return from_status(manifest, image, key=key)
        tag, since = await history(manifest, image)
        return Promotion(source=key, tag=tag, since=since, after=image.gates.promote_after)
    except Exception as err:  # ImageUpdaterError, or a bug of ours: this image waits
        if not isinstance(err, ImageUpdaterError):
            log.debug("internal error", app=app, exc_info=True)
            err = InternalError(f"promotion source {key}", err)
        return replace(missing(key, image), problem=f"cannot read it: {err}")


def from_status(source: Mapping[str, Any], image: ImageSettings, *, key: str) -> Promotion:
    """The promotion `source` (an Application as the cluster stores it) offers `image`."""
    after = image.gates.promote_after
    status = _mapping(source.get("status"))
    tag = _live_tag(status, image)
    if tag is None:
        return Promotion(source=key, tag=None, since=None, after=after)
    sync = str(_mapping(status.get("sync")).get("status") or "unknown")
    health = str(_mapping(status.get("health")).get("status") or "unknown")
    if (sync, health) != ("Synced", "Healthy"):
        problem = f"it runs {tag} but is {sync} and {health}, not Synced and Healthy"
        return Promotion(source=key, tag=tag, since=None, after=after, problem=problem)
    return Promotion(source=key, tag=tag, since=_since(status), after=after)


def missing(key: str, image: ImageSettings) -> Promotion:
    return Promotion(
        source=key, tag=None, since=None, after=image.gates.promote_after, problem="no such Application"
    )


def _live_tag(status: Mapping[str, Any], image: ImageSettings) -> str | None:
    for text in _mapping(status.get("summary")).get("images") or []:
        try:
            running = refs.parse_image(str(text))
        except ConfigError:
            continue
        if refs.same_image(running, image.spec.image) and running.tag:
            return str(running.tag)
    return None


def _since(status: Mapping[str, Any]) -> datetime | None:
    history = status.get("history")
    last = history[-1] if isinstance(history, list) and history else {}
    operation = _mapping(status.get("operationState"))
    finished = operation.get("finishedAt") if operation.get("phase") == "Succeeded" else None
    times = [
        _time(_mapping(last).get("deployedAt")),
        _time(finished),
        _time(_mapping(status.get("health")).get("lastTransitionTime")),
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
