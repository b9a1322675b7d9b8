"""Lists custom resources with their resourceVersion and watches the changes that follow it.

The usual informer loop, left to the caller: `snapshot`, then `watch` from the snapshot's
`resource_version`, and start over with a fresh snapshot when the watch raises TransientError
(the server forgot that version: 410 Expired) or ends (its timeout). Each watch is one request
with a server-side timeout, so the client never reconnects on its own. A 404 on a collection
means the type is not served (its CRD is not installed): KindNotServed, which a caller for whom
the type is optional can tell apart from other failures.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any, Literal

import aiohttp
from kubernetes_asyncio.client import CustomObjectsApi
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.watch import Watch

from image_updater.errors import KindNotServed, TransientError
from image_updater.kube import applications
from image_updater.kube.calling import RETRY_DELAY, Api, Resource, call, translate

EventType = Literal["ADDED", "MODIFIED", "DELETED"]
EXPIRED, NOT_FOUND = 410, 404


@dataclass(frozen=True, slots=True)
class CustomKind:
    """A custom resource type: where the API serves it, and its plural for messages."""

    group: str
    version: str
    plural: str
    title: str  # "Applications", as messages name them


APPLICATIONS = CustomKind(applications.GROUP, applications.VERSION, applications.PLURAL, "Applications")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Objects as of `resource_version`, the point a watch resumes from."""

    items: tuple[Resource, ...]
    resource_version: str


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: EventType
    object: Resource


async def snapshot(
    api: Api, kind: CustomKind, *, namespace: str | None = None, label_selector: str | None = None
) -> Snapshot:
    """Objects of one namespace (every namespace when None) and the list's resourceVersion."""
    func, args = _lister(api, kind, namespace)
    action = f"list {kind.title} in {_scope(namespace)}"
    try:
        request = func(*args, **_selector(label_selector))
        listing = await call(api, request, action=action, passthrough=(NOT_FOUND,))
    except ApiException as exc:
        raise _not_served(kind, action) from exc
    items, version = listing.get("items") or [], (listing.get("metadata") or {}).get("resourceVersion")
    return Snapshot(tuple(item for item in items if isinstance(item, dict)), str(version or ""))


async def watch(
    api: Api,
    kind: CustomKind,
    *,
    resource_version: str,
    namespace: str | None = None,
    label_selector: str | None = None,
    timeout_seconds: int = 300,
) -> AsyncGenerator[WatchEvent]:
    """Changes after `resource_version` until the server ends the watch after `timeout_seconds`."""
    func, args = _lister(api, kind, namespace)
    action = f"watch {kind.title} in {_scope(namespace)}"
    api.counter.requests += 1
    async with Watch() as stream_of:
        stream = stream_of.stream(
            func,
            *args,
            resource_version=resource_version,
            timeout_seconds=timeout_seconds,
            **_selector(label_selector),
        )
        try:
            async for event in stream:
                obj = event["raw_object"]
                if event["type"] in ("ADDED", "MODIFIED", "DELETED") and isinstance(obj, dict):
                    yield WatchEvent(event["type"], obj)
        except ApiException as exc:
            api.counter.errors += 1
            if exc.status == EXPIRED:
                raise TransientError(
                    f"cannot {action}: resourceVersion {resource_version} expired; list again"
                ) from exc
            if exc.status == NOT_FOUND:
                raise _not_served(kind, action) from exc
            raise translate(exc, action=action) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            api.counter.errors += 1
            raise TransientError(
                f"cannot {action}: the Kubernetes API is unreachable", delay=RETRY_DELAY
            ) from exc


def _not_served(kind: CustomKind, action: str) -> KindNotServed:
    return KindNotServed(
        f"cannot {action}: the API server does not serve {kind.plural}.{kind.group}/{kind.version}; "
        "is its CRD installed?"
    )


def _lister(api: Api, kind: CustomKind, namespace: str | None) -> tuple[Any, tuple[str, ...]]:
    custom = CustomObjectsApi(api.client)
    if namespace is None:
        return custom.list_cluster_custom_object, (kind.group, kind.version, kind.plural)
    return custom.list_namespaced_custom_object, (kind.group, kind.version, namespace, kind.plural)


def _selector(label_selector: str | None) -> dict[str, Any]:
    return {"label_selector": label_selector} if label_selector else {}


def _scope(namespace: str | None) -> str:
    return "all namespaces" if namespace is None else f"namespace {namespace}"
