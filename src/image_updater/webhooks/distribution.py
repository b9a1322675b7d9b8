"""The CNCF distribution registry's event family. Pure.

- `distribution`: the notification envelope (`{"events": [...]}`, media type
  `application/vnd.docker.distribution.events.v1+json`) a registry POSTs to each
  `notifications.endpoints` entry; the secret is that endpoint's `Authorization: Bearer <secret>`
  header.
- `gitlab`: GitLab's container registry sends the same envelope; its secret is the whole
  `Authorization` header (`registry_notification_secret`), as GitLab itself checks it.
- `acr`: Azure Container Registry sends one such event per request (no envelope); its secret is the
  whole `Authorization` header, set as a custom header on the ACR webhook (upstream's check).

An event counts when its action is `push` and its target names a repository and a tag (manifest
pushes; blob pushes, pulls and pushes by digest only are skipped). The registry is the event's
`request.host`, or the `registry_url` query value when set (the host image references use when it
differs from the one pushes arrive on).

A distribution registry retries a refused envelope forever and in order, so in an envelope an
event that does not name a valid image is skipped rather than refusing the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from image_updater.errors import InvalidWebhook
from image_updater.webhooks.events import RegistryPush
from image_updater.webhooks.provider import WebhookType
from image_updater.webhooks.requests import WebhookRequest, load_json, obj, registry_push, text, unique
from image_updater.webhooks.secrets import header_secret


def parse_envelope(request: WebhookRequest) -> tuple[RegistryPush, ...]:
    """The pushes of an envelope's events; invalid events skipped (see the module docstring)."""
    events = load_json(request).get("events")
    if not isinstance(events, list):
        raise InvalidWebhook(f"webhook type {request.type}: the body has no 'events' list")
    pushes: list[RegistryPush] = []
    for event in events:
        if not isinstance(event, Mapping):
            continue
        try:
            pushes.extend(_event_push(request, event))
        except InvalidWebhook:
            continue
    return unique(pushes)


def parse_acr(request: WebhookRequest) -> tuple[RegistryPush, ...]:
    """Azure ACR's single event; `ping` and deletes carry no push, a push without a repository is
    refused. A push by digest only (no tag) still names its repository."""
    event = load_json(request)
    if text(event, "action") != "push":
        return ()
    if not text(event, "target", "repository"):
        raise InvalidWebhook(f"webhook type {request.type}: the push names no target.repository")
    return _event_push(request, event, tag_required=False)


def _event_push(
    request: WebhookRequest, event: Mapping[str, Any], *, tag_required: bool = True
) -> tuple[RegistryPush, ...]:
    target = obj(event, "target")
    repository, tag = text(target, "repository"), text(target, "tag")
    if text(event, "action") != "push" or not repository or (tag_required and not tag):
        return ()
    registry = request.query.get("registry_url", "") or text(event, "request", "host")
    where = f"webhook type {request.type}: event {text(event, 'id')[:80]!r}"
    return (registry_push(registry=registry, repository=repository, tag=tag, where=where),)


DISTRIBUTION = WebhookType(
    name="distribution",
    secret_name="distribution",
    authenticate=lambda request, secret, _: header_secret(request, secret, prefix="Bearer "),
    parse=parse_envelope,
)
GITLAB = WebhookType(
    name="gitlab",
    secret_name="gitlab",
    authenticate=lambda request, secret, _: header_secret(request, secret),
    parse=parse_envelope,
)
ACR = WebhookType(
    name="acr",
    secret_name="acr",
    authenticate=lambda request, secret, _: header_secret(request, secret),
    parse=parse_acr,
)
