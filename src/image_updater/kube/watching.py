"""Lists Applications with their resourceVersion and watches the changes that follow it.

The usual informer loop, left to the caller: `snapshot_applications`, then `watch_applications`
from the snapshot's `resource_version`, and start over with a fresh snapshot when the watch
raises TransientError (the server forgot that version: 410 Expired) or ends (its timeout).
Each watch is one request with a server-side timeout, so the client never reconnects on its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from kubernetes_asyncio.client import CustomObjectsApi
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.watch import Watch

from image_updater.errors import TransientError
from image_updater.kube.applications import GROUP, PLURAL, VERSION
from image_updater.kube.calling import RETRY_DELAY, Api, Resource, call, translate

EventType = Literal["ADDED", "MODIFIED", "DELETED"]
EXPIRED = 410


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Applications as of `resource_version`, the point a watch resumes from."""

    applications: tuple[Resource, ...]
    resource_version: str


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: EventType
    application: Resource


async def snapshot_applications(
    api: Api, *, namespace: str | None = None, label_selector: str | None = None
) -> Snapshot:
    """Applications of one namespace (every namespace when None) and the list's resourceVersion."""
    func, args = _lister(api, namespace)
    request = func(*args, **_selector(label_selector))
    listing = await call(api, request, action=f"list Applications in {_scope(namespace)}")
    items, version = listing.get("items") or [], (listing.get("metadata") or {}).get("resourceVersion")
    return Snapshot(tuple(items), str(version or ""))


async def watch_applications(
    api: Api,
    *,
    resource_version: str,
    namespace: str | None = None,
    label_selector: str | None = None,
    timeout_seconds: int = 300,
) -> AsyncIterator[WatchEvent]:
    """Changes after `resource_version` until the server ends the watch after `timeout_seconds`."""
    func, args = _lister(api, namespace)
    action = f"watch Applications in {_scope(namespace)}"
    api.counter.requests += 1
    async with Watch() as watch:
        stream = watch.stream(
            func,
            *args,
            resource_version=resource_version,
            timeout_seconds=timeout_seconds,
            **_selector(label_selector),
        )
        try:
            async for event in stream:
                if event["type"] in ("ADDED", "MODIFIED", "DELETED"):
                    yield WatchEvent(event["type"], event["raw_object"])
        except ApiException as exc:
            api.counter.errors += 1
            if exc.status == EXPIRED:
                raise TransientError(
                    f"cannot {action}: resourceVersion {resource_version} expired; list again"
                ) from exc
            raise translate(exc, action=action) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            api.counter.errors += 1
            raise TransientError(
                f"cannot {action}: the Kubernetes API is unreachable", delay=RETRY_DELAY
            ) from exc


def _lister(api: Api, namespace: str | None) -> tuple[Any, tuple[str, ...]]:
    custom = CustomObjectsApi(api.client)
    if namespace is None:
        return custom.list_cluster_custom_object, (GROUP, VERSION, PLURAL)
    return custom.list_namespaced_custom_object, (GROUP, VERSION, namespace, PLURAL)


def _selector(label_selector: str | None) -> dict[str, Any]:
    return {"label_selector": label_selector} if label_selector else {}


def _scope(namespace: str | None) -> str:
    return "all namespaces" if namespace is None else f"namespace {namespace}"
