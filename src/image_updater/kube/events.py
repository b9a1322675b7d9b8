"""Records Kubernetes Events on Applications (core v1), as argocd-image-updater does after a write.

Events are best-effort notices for humans (`kubectl describe application`); the runtime decides
whether a failure to record one matters. Event names follow client-go: `<object>.<hex nanos>`.
The message and annotation values carry registry and repository text (tags, error messages):
they pass `text.printable` here, the one place an Event is built, so no control character or
bidi override reaches `kubectl`, and the message is cut to client-go's 1,024 characters.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from kubernetes_asyncio.client import CoreV1Api

from image_updater.changes import Change
from image_updater.kube.calling import Api, Resource, as_body, call
from image_updater.text import printable

COMPONENT = "argocd-image-updater"
IMAGES_UPDATED = "ImagesUpdated"
MESSAGE_LIMIT = 1024  # client-go's recorder truncates messages to this length
ANNOTATION_LIMIT = 512
EventType = Literal["Normal", "Warning"]
Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def emit_event(
    api: Api,
    *,
    application: Resource,
    reason: str,
    message: str,
    type_: EventType,
    annotations: Mapping[str, str],
    clock: Clock = _utc_now,
) -> Resource:
    """Create an Event about `application` in its namespace; returns the Event as stored."""
    body = _event(
        application, reason=reason, message=message, type_=type_, annotations=annotations, now=clock()
    )
    meta = application["metadata"]
    request = CoreV1Api(api.client).create_namespaced_event(meta["namespace"], as_body(body))
    created = await call(
        api, request, action=f"record an event on Application {meta['namespace']}/{meta['name']}"
    )
    return api.to_json(created)


async def emit_images_updated(
    api: Api, *, application: Resource, changes: Sequence[Change], clock: Clock = _utc_now
) -> Resource:
    """The upstream success event: reason `ImagesUpdated`, one annotation group per changed image."""
    return await emit_event(
        api,
        application=application,
        reason=IMAGES_UPDATED,
        message=f"Successfully updated application '{application['metadata']['name']}'",
        type_="Normal",
        annotations=change_annotations(changes),
        clock=clock,
    )


def change_annotations(changes: Sequence[Change]) -> dict[str, str]:
    """`argocd-image-updater.image-<i>/{full-image-name,image-name,old-tag,new-tag}` per change."""
    annotations: dict[str, str] = {}
    for index, change in enumerate(changes):
        prefix = f"argocd-image-updater.image-{index}/"
        annotations[prefix + "full-image-name"] = change.new.name
        annotations[prefix + "image-name"] = change.new.repository
        annotations[prefix + "old-tag"] = change.old.tag or change.old.digest or ""
        annotations[prefix + "new-tag"] = change.new.tag or change.new.digest or ""
    return annotations


def _event(
    application: Resource,
    *,
    reason: str,
    message: str,
    type_: EventType,
    annotations: Mapping[str, str],
    now: dt.datetime,
) -> Resource:
    meta = application["metadata"]
    timestamp = now.astimezone(dt.UTC)
    nanos = int(timestamp.timestamp()) * 10**9 + timestamp.microsecond * 1000
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta['name']}.{nanos:x}",
            "namespace": meta["namespace"],
            "annotations": {k: printable(v, limit=ANNOTATION_LIMIT) for k, v in annotations.items()},
        },
        "involvedObject": {
            "apiVersion": application.get("apiVersion", "argoproj.io/v1alpha1"),
            "kind": application.get("kind", "Application"),
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
        },
        "reason": reason,
        "message": printable(message, limit=MESSAGE_LIMIT),
        "type": type_,
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "firstTimestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "lastTimestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "count": 1,
    }
