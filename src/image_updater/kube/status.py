"""Writes an `ImageUpdater`'s status through its status subresource, as a controller must.

`write_status` reads the resource, asks `build` for the status it should have given the status
stored now, and writes it with a PUT to `…/status` carrying the `resourceVersion` it read: a
concurrent writer makes it fail with 409, and it starts over from a fresh read (`build` runs
again, so conditions keep their transition times against what is really stored). When the
status wanted is the one stored, nothing is written (no watch event, no churn). A status write
never changes `spec` or `generation`, so a watch on generation is not retriggered by it. A
resource deleted meanwhile is not an error: there is nothing left to report on. Statuses are
plain JSON dicts here; `resources.status` computes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubernetes_asyncio.client import CustomObjectsApi
from kubernetes_asyncio.client.exceptions import ApiException

from image_updater.errors import TransientError
from image_updater.kube.calling import Api, Resource, call

GROUP, VERSION, PLURAL = "argocd-image-updater.argoproj.io", "v1alpha1", "imageupdaters"
CONFLICT, NOT_FOUND = 409, 404

Build = Callable[[Resource | None], Resource]
"""The stored status (None when there is none) → the status to store."""


async def write_status(
    api: Api, namespace: str, name: str, build: Build, *, retries: int = 5, current: Resource | None = None
) -> bool:
    """Store `build`'s status; True when written, False when unchanged or the resource is gone.

    `current`, the resource as just listed, saves the first read (a stale one gets a 409 and the
    next attempt reads afresh). TransientError when every attempt conflicted."""
    for _ in range(retries):
        try:
            current = current if current is not None else await _get(api, namespace, name)
        except ApiException:  # only a 404 passes through
            return False
        stored = current.get("status")
        wanted = build(stored if isinstance(stored, dict) else None)
        if wanted == stored:
            return False
        try:
            await _put(api, namespace, name, {**current, "status": wanted})
            return True
        except ApiException as err:
            if err.status == NOT_FOUND:
                return False
            current = None  # a 409: someone wrote first
    raise TransientError(
        f"cannot write the status of imageupdater {namespace}/{name}: {retries} writes conflicted; "
        "will retry next cycle",
        delay=1.0,
    )


async def _get(api: Api, namespace: str, name: str) -> Resource:
    request = CustomObjectsApi(api.client).get_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, name
    )
    found: Any = await call(
        api, request, action=f"get imageupdater {namespace}/{name}", passthrough=(NOT_FOUND,)
    )
    if not isinstance(found, dict) or not isinstance(found.get("metadata"), dict):
        raise TransientError(
            f"the API server sent imageupdater {namespace}/{name} without metadata", delay=1.0
        )
    return found


async def _put(api: Api, namespace: str, name: str, body: Resource) -> None:
    request = CustomObjectsApi(api.client).replace_namespaced_custom_object_status(
        GROUP, VERSION, namespace, PLURAL, name, body
    )
    await call(
        api,
        request,
        action=f"write the status of imageupdater {namespace}/{name}",
        passthrough=(CONFLICT, NOT_FOUND),
    )
