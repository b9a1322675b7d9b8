"""Starts a cycle as soon as the configuration in the cluster changes: ImageUpdater resources and
Applications are watched, in the namespaces the cycle lists, beside the polling interval.

A change is an object created or deleted, or a new `fingerprint`: its spec, its labels, its
`argocd-image-updater.argoproj.io/*` annotations and its deletion mark. Status writes (ours, Argo
CD's) and bookkeeping in metadata (finalizers, Argo CD's refresh annotation) change none of these,
so they never start a cycle. The spec is compared rather than `metadata.generation`: Argo CD's
Application has no status subresource, so its generation moves on every status write.

Bursts are folded (runtime/wakeup.py), so a cycle starts within a second of a change. Each watch
resumes from the last resourceVersion it saw when the server ends it; when that version has
expired (410) it lists again, and what changed meanwhile counts as changes. A failed watch is
retried after a delay (a type the server does not serve, ImageUpdater without its CRD, every
`NOT_SERVED_RETRY`).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from image_updater.annotations import PREFIX
from image_updater.errors import ImageUpdaterError, InternalError, KindNotServed, TransientError
from image_updater.kube import watching
from image_updater.kube.calling import RETRY_DELAY, Api, Resource
from image_updater.kube.watching import APPLICATIONS, CustomKind, WatchEvent
from image_updater.runtime.appsources import AppFilter
from image_updater.runtime.wakeup import Wakeup

log = structlog.get_logger("image_updater.watches")

NOT_SERVED_RETRY = 60.0  # seconds between looks for a CRD that is not installed
WATCH_SECONDS = 300  # the server ends each watch after this; it resumes from the last version


def fingerprint(obj: Resource) -> bytes:
    """A digest of what, if it changes, may change what is updated (see the module docstring);
    16 bytes per object kept, however large its spec."""
    meta = _dict(obj.get("metadata"))
    labels, notes = _strings(meta.get("labels")), _strings(meta.get("annotations"))
    ours = {key: value for key, value in notes.items() if key.startswith(PREFIX)}
    # JSON values: json.dumps with sorted keys is one faithful rendering of each
    what = [obj.get("spec"), labels, ours, "deletionTimestamp" in meta]
    return hashlib.blake2b(json.dumps(what, sort_keys=True).encode(), digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Watched:
    """One informer: a kind in one namespace (every namespace when None), the objects the label
    selector (on the server) and `names` (here: `--match-application-name`) let through."""

    kind: CustomKind
    namespace: str | None = None
    label_selector: str | None = None
    names: Callable[[str], bool] = lambda _: True


async def watch_forever(
    api: Api, watched: Watched, wakeup: Wakeup, *, watch_seconds: int = WATCH_SECONDS
) -> None:
    """List, then watch, for ever (until cancelled), telling `wakeup` each change."""
    informer = _Informer(api, watched, wakeup, watch_seconds)
    while True:
        try:
            await informer.watch(await informer.relist())
        except KindNotServed as err:
            log.debug("not watched", reason=str(err))
            await asyncio.sleep(NOT_SERVED_RETRY)
        except TransientError as err:  # 410 Expired, or the API unreachable: list again
            log.debug("watch restarts", reason=str(err))
            await asyncio.sleep(err.delay)
        except Exception as err:  # ImageUpdaterError, or a bug of ours: this watch restarts later
            if not isinstance(err, ImageUpdaterError):
                log.debug("internal error", watch=watched.kind.plural, exc_info=True)
                err = InternalError(f"the watch of {watched.kind.title}", err)
            log.warning("cannot watch; changes wait for the next interval", error=str(err))
            await asyncio.sleep(RETRY_DELAY)


@dataclass(slots=True)
class _Informer:
    api: Api
    watched: Watched
    wakeup: Wakeup
    watch_seconds: int
    known: dict[str, bytes] | None = None  # fingerprints by namespace/name; None before a list

    async def relist(self) -> str:
        """List; tell what changed since the last list (none the first time). The list's version."""
        what = self.watched
        snap = await watching.snapshot(
            self.api, what.kind, namespace=what.namespace, label_selector=what.label_selector
        )
        listed = {_key(obj): fingerprint(obj) for obj in snap.items if what.names(_name(obj))}
        for change in _differences(self.known, listed, what.kind):
            self.wakeup.notify(change)
        self.known = listed
        return snap.resource_version

    async def watch(self, version: str) -> None:
        """Watch from `version`, resuming after each server timeout from the last version seen."""
        what, known = self.watched, self.known or {}
        while True:
            stream = watching.watch(
                self.api,
                what.kind,
                resource_version=version,
                namespace=what.namespace,
                label_selector=what.label_selector,
                timeout_seconds=self.watch_seconds,
            )
            async with contextlib.aclosing(stream):
                async for event in stream:
                    version = str(_dict(event.object.get("metadata")).get("resourceVersion") or version)
                    if what.names(_name(event.object)) and (change := _change(known, event, what.kind)):
                        self.wakeup.notify(change)
            # nothing is lost while waiting (the next watch replays from `version`); a server that
            # ends watches at once must not make this loop spin
            await asyncio.sleep(1.0)


def _differences(before: dict[str, bytes] | None, after: dict[str, bytes], kind: CustomKind) -> list[str]:
    if before is None:
        return []
    changed = sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
    what = {
        key: "created" if key not in before else "deleted" if key not in after else "changed"
        for key in changed
    }
    return [f"{kind.title} {key} {what[key]} (seen on a new list)" for key in changed]


def _change(known: dict[str, bytes], event: WatchEvent, kind: CustomKind) -> str | None:
    """The change an event makes to what is `known` (updated in place), None when none."""
    key = _key(event.object)
    if event.type == "DELETED":
        return f"{kind.title} {key} deleted" if known.pop(key, None) is not None else None
    before, known[key] = known.get(key), fingerprint(event.object)
    if before is None:
        return f"{kind.title} {key} created"
    return f"{kind.title} {key} changed" if before != known[key] else None


def _name(obj: Resource) -> str:
    return str(_dict(obj.get("metadata")).get("name", ""))


def _key(obj: Resource) -> str:
    meta = _dict(obj.get("metadata"))
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _strings(value: Any) -> Mapping[str, str]:
    return {str(k): str(v) for k, v in _dict(value).items()}


def targets(*, namespaces: Sequence[str], app_filter: AppFilter, resources: bool) -> tuple[Watched, ...]:
    """What to watch: the Applications the cycle lists, and (`resources`) the ImageUpdaters."""
    from image_updater.kube.imageupdaters import IMAGE_UPDATERS

    scopes: Sequence[str | None] = namespaces or (None,)
    apps = tuple(
        Watched(APPLICATIONS, scope, app_filter.label_selector, app_filter.names) for scope in scopes
    )
    return apps + (tuple(Watched(IMAGE_UPDATERS, scope) for scope in scopes) if resources else ())


@contextlib.asynccontextmanager
async def running(api: Api, watched: Sequence[Watched], wakeup: Wakeup) -> AsyncIterator[None]:
    """The informers of `watched` run (telling `wakeup`) while the block runs."""
    tasks = [
        asyncio.create_task(watch_forever(api, one, wakeup), name=f"watch {one.kind.plural} {one.namespace}")
        for one in watched
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
