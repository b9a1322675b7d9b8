"""Kubernetes adapter: Argo CD Applications, ImageUpdaters, Secrets, Events and the leader Lease.

Async, on kubernetes_asyncio, with the client injected as an `Api` (client + request counter)
that `connecting.connect` builds. Every request goes through `calling.call`, which counts it and
translates client exceptions into `image_updater.errors`. This package does not decide what to
update, does not interpret Applications beyond their metadata, and imports no other adapter.
"""

from image_updater.kube.applications import (
    get_application,
    list_applications,
    merge_diff,
    patch_application,
    update_with_retry,
)
from image_updater.kube.calling import Api, ApiCounter, Resource
from image_updater.kube.connecting import connect
from image_updater.kube.events import IMAGES_UPDATED, change_annotations, emit_event, emit_images_updated
from image_updater.kube.leader import LeaseTerms, run_as_leader
from image_updater.kube.secrets import ClusterSecrets, RepositorySecret
from image_updater.kube.watching import APPLICATIONS, CustomKind, Snapshot, WatchEvent, snapshot, watch

__all__ = [
    "APPLICATIONS",
    "IMAGES_UPDATED",
    "Api",
    "ApiCounter",
    "ClusterSecrets",
    "CustomKind",
    "LeaseTerms",
    "RepositorySecret",
    "Resource",
    "Snapshot",
    "WatchEvent",
    "change_annotations",
    "connect",
    "emit_event",
    "emit_images_updated",
    "get_application",
    "list_applications",
    "merge_diff",
    "patch_application",
    "run_as_leader",
    "snapshot",
    "update_with_retry",
    "watch",
]
