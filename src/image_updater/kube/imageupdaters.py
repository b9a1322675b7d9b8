"""Reads `ImageUpdater` resources (`argocd-image-updater.argoproj.io/v1alpha1`) and keeps
upstream's finalizer on them. Never writes their spec or status.

The finalizer is upstream's (`resources-finalizer.argocd-image-updater.argoproj.io`), so a
resource upstream's controller finalized is released by us, and the other way round. Each write is
a JSON merge patch of `metadata.finalizers` carrying the resourceVersion it was computed from: a
concurrent writer makes it a 409 (TransientError), and the next listing tries again with fresh
data, so no other finalizer is ever dropped. Resources are plain JSON dicts; `resources.validation`
interprets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kubernetes_asyncio.client import CustomObjectsApi

from image_updater.kube.applications import MERGE_PATCH
from image_updater.kube.calling import Api, Resource, call
from image_updater.kube.watching import CustomKind, snapshot
from image_updater.resources import model

IMAGE_UPDATERS = CustomKind(model.GROUP, model.VERSION, "imageupdaters", "ImageUpdaters")
FINALIZER = "resources-finalizer.argocd-image-updater.argoproj.io"


async def list_image_updaters(api: Api, *, namespaces: Sequence[str] = ()) -> list[Resource]:
    """ImageUpdaters in `namespaces` (every namespace when empty); KindNotServed without the CRD."""
    found: list[Resource] = []
    for namespace in namespaces or (None,):
        found += (await snapshot(api, IMAGE_UPDATERS, namespace=namespace)).items
    return found


def is_deleting(resource: Resource) -> bool:
    """Whether a DELETE is waiting on the resource's finalizers (deletionTimestamp set)."""
    return bool(_meta(resource).get("deletionTimestamp"))


def has_finalizer(resource: Resource) -> bool:
    return FINALIZER in _finalizers(resource)


async def add_finalizer(api: Api, resource: Resource) -> Resource:
    """Our finalizer added (others kept); the resource as stored afterwards."""
    return await _patch_finalizers(api, resource, [*_finalizers(resource), FINALIZER])


async def remove_finalizer(api: Api, resource: Resource) -> Resource:
    """Our finalizer removed (others kept); when it was the last one, the API server deletes the
    resource. Returns the resource as the server answered."""
    kept = [name for name in _finalizers(resource) if name != FINALIZER]
    return await _patch_finalizers(api, resource, kept)


async def _patch_finalizers(api: Api, resource: Resource, finalizers: list[str]) -> Resource:
    meta = _meta(resource)
    namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
    patch = {"metadata": {"finalizers": finalizers, "resourceVersion": meta.get("resourceVersion")}}
    # The stubs omit `_content_type`, which the client accepts; without it a dict goes out as a JSON patch.
    send: Any = CustomObjectsApi(api.client).patch_namespaced_custom_object
    request = send(
        model.GROUP, model.VERSION, namespace, IMAGE_UPDATERS.plural, name, patch, _content_type=MERGE_PATCH
    )
    stored = await call(api, request, action=f"update the finalizers of ImageUpdater {namespace}/{name}")
    return stored if isinstance(stored, dict) else resource


def _meta(resource: Resource) -> dict[str, Any]:
    meta = resource.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _finalizers(resource: Resource) -> list[str]:
    found = _meta(resource).get("finalizers")
    return [str(name) for name in found] if isinstance(found, list) else []
