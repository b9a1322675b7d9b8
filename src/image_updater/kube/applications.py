"""Reads and writes Argo CD `Application` custom resources (`argoproj.io/v1alpha1`).

Every write is a JSON merge patch sent by `patch_application`: kubernetes_asyncio sends a dict
patch as a JSON patch unless told otherwise, which the API server rejects for custom resources.
`update_with_retry` is the read-mutate-write loop with optimistic concurrency: the patch carries
the `resourceVersion` it was computed from, so a concurrent writer makes it fail with 409 and we
start over from a fresh read. Applications are plain JSON dicts; this module does not interpret them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from kubernetes_asyncio.client import CustomObjectsApi
from kubernetes_asyncio.client.exceptions import ApiException

from image_updater.errors import ConfigError, TransientError
from image_updater.kube.calling import Api, Resource, call

GROUP, VERSION, PLURAL = "argoproj.io", "v1alpha1", "applications"
API_VERSION, KIND = f"{GROUP}/{VERSION}", "Application"
MERGE_PATCH = "application/merge-patch+json"
CONFLICT = 409

Mutation = Callable[[Resource], Resource | None]


async def list_applications(
    api: Api, *, namespaces: Sequence[str] = (), label_selector: str | None = None
) -> list[Resource]:
    """Applications in `namespaces` (every namespace when empty), optionally filtered by labels."""
    custom, selector = CustomObjectsApi(api.client), _selector(label_selector)
    if not namespaces:
        request = custom.list_cluster_custom_object(GROUP, VERSION, PLURAL, **selector)
        return _items(await call(api, request, action="list Applications in all namespaces"))
    found: list[Resource] = []
    for namespace in namespaces:
        request = custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, **selector)
        found += _items(await call(api, request, action=f"list Applications in namespace {namespace}"))
    return found


async def get_application(api: Api, namespace: str, name: str) -> Resource:
    """One Application; ConfigError when it does not exist."""
    request = CustomObjectsApi(api.client).get_namespaced_custom_object(
        GROUP, VERSION, namespace, PLURAL, name
    )
    return _resource(await call(api, request, action=f"get Application {namespace}/{name}"))


async def patch_application(api: Api, namespace: str, name: str, patch: Resource) -> Resource:
    """Apply an RFC 7386 merge patch; returns the Application as stored afterwards.

    A `metadata.resourceVersion` in `patch` makes the write conditional (409 if it moved on).
    """
    return _resource(await _send_patch(api, namespace, name, patch, passthrough=()))


async def update_with_retry(
    api: Api,
    namespace: str,
    name: str,
    mutate: Mutation,
    *,
    retries: int = 5,
    current: Resource | None = None,
) -> Resource | None:
    """Read, `mutate` a deep copy, write the difference; on a conflict, read again and retry.

    `mutate` returns the desired Application, or None when there is nothing to do; it may run
    several times and must not have side effects. Returns the stored Application after the write,
    or None when nothing was written. TransientError when every attempt conflicted. `current`, an
    Application as just listed (with its resourceVersion), saves the first read: if it is stale,
    the write gets a 409 and the next attempt reads afresh.
    """
    for _ in range(retries):
        current = current if current is not None else await get_application(api, namespace, name)
        desired = mutate(copy.deepcopy(current))
        patch = merge_diff(current, desired) if desired is not None else {}
        if not patch:
            return None
        patch.setdefault("metadata", {})["resourceVersion"] = current["metadata"]["resourceVersion"]
        try:
            return _resource(await _send_patch(api, namespace, name, patch, passthrough=(CONFLICT,)))
        except ApiException:  # only a 409 passes through: someone else wrote first
            current = None
            continue
    raise TransientError(
        f"Application {namespace}/{name} kept changing under us: {retries} writes conflicted; will retry",
        delay=1.0,
    )


def merge_diff(old: Resource, new: Resource) -> Resource:
    """The RFC 7386 merge patch that turns `old` into `new` (null deletes a key; lists are replaced)."""
    patch: Resource = {key: None for key in old if key not in new}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, dict) and isinstance(before, dict):
            if nested := merge_diff(before, value):
                patch[key] = nested
        elif key not in old or before != value:
            patch[key] = value
    return patch


async def _send_patch(
    api: Api, namespace: str, name: str, patch: Resource, *, passthrough: tuple[int, ...]
) -> Any:
    # The stubs omit `_content_type`, which the client accepts; without it a dict goes out as a JSON patch.
    send: Any = CustomObjectsApi(api.client).patch_namespaced_custom_object
    request = send(GROUP, VERSION, namespace, PLURAL, name, patch, _content_type=MERGE_PATCH)
    return await call(api, request, action=f"patch Application {namespace}/{name}", passthrough=passthrough)


def _selector(label_selector: str | None) -> dict[str, Any]:
    return {"label_selector": label_selector} if label_selector else {}


def _items(listing: Any) -> list[Resource]:
    items = listing.get("items") if isinstance(listing, dict) else None
    if not isinstance(items, list):
        raise ConfigError("the API server's Application list has no items; is the Argo CD CRD installed?")
    return [_resource(item) for item in items]


def _resource(obj: Any) -> Resource:
    if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
        raise ConfigError(
            "the API server sent an Application without metadata; is the Argo CD CRD installed?"
        )
    return obj
