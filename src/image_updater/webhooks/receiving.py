"""Every webhook type keyed by its `type` query value, and the one function that authenticates a
request and parses its payload. Pure.

Secrets are required by default, as argocd-image-updater 1.x does (`--webhook-require-secret`): a
type with no configured secret refuses every request. With `require_secret=False` such a type
accepts unauthenticated requests; a configured secret is always checked.
"""

from __future__ import annotations

from collections.abc import Mapping

from image_updater.errors import InvalidWebhook, WebhookAuthError
from image_updater.webhooks import cloudevents, distribution, github, harbor, hubs
from image_updater.webhooks.events import RegistryPush
from image_updater.webhooks.provider import WebhookType
from image_updater.webhooks.requests import WebhookRequest
from image_updater.webhooks.secrets import ReplayGuard

TYPES: Mapping[str, WebhookType] = {
    kind.name: kind
    for kind in (
        hubs.DOCKER_HUB,
        github.GHCR,
        hubs.QUAY,
        harbor.HARBOR,
        hubs.ALIYUN_ACR,
        cloudevents.CLOUDEVENTS,
        distribution.ACR,
        distribution.DISTRIBUTION,
        distribution.GITLAB,
    )
}


def receive(
    request: WebhookRequest, *, secrets: Mapping[str, str], require_secret: bool, replays: ReplayGuard
) -> tuple[RegistryPush, ...]:
    """The pushes `request` reports; `secrets` maps a type name to its secret.

    Raises WebhookAuthError (not proven to come from the provider) or InvalidWebhook.
    """
    authenticate(request, secrets=secrets, require_secret=require_secret, replays=replays)
    return webhook_type(request.type).parse(request)


def authenticate(
    request: WebhookRequest, *, secrets: Mapping[str, str], require_secret: bool, replays: ReplayGuard
) -> None:
    """WebhookAuthError unless `request` proves it comes from its type's provider. A type that does
    not sign its body (`WebhookType.signs_body`) can be checked before the body is read."""
    kind = webhook_type(request.type)
    secret = secrets.get(kind.name, "")
    if secret:
        kind.authenticate(request, secret, replays)
    elif require_secret:
        raise WebhookAuthError(
            f"webhook type {kind.name}: no secret is configured; set {kind.secret_flag} "
            f"({kind.secret_env}), or --webhook-require-secret=false to accept unauthenticated requests"
        )


def webhook_type(name: str) -> WebhookType:
    """The type called `name`; InvalidWebhook naming the known ones otherwise."""
    kind = TYPES.get(name)
    if kind is None:
        known = ", ".join(sorted(TYPES))
        raise InvalidWebhook(f"unknown webhook type {name[:40]!r}; use ?type= one of {known}")
    return kind
