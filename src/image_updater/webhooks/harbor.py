"""Harbor (`harbor`): its `PUSH_ARTIFACT` events. Pure.

The secret is the whole `Authorization` header (Harbor's "auth header" of a webhook policy), as
upstream checks it. Other event types are answered and ignored. Each resource names the pushed
artifact as `resource_url` (`host/project/repo:tag` or `@digest`); its host is the registry. A tag
that is not one (Harbor sends the digest for untagged pushes) is left out.
"""

from __future__ import annotations

from collections.abc import Mapping

from image_updater import refs
from image_updater.errors import InvalidWebhook
from image_updater.webhooks.events import RegistryPush
from image_updater.webhooks.provider import WebhookType
from image_updater.webhooks.requests import (
    WebhookRequest,
    load_json,
    obj,
    registry_push,
    repository_name,
    text,
    unique,
)
from image_updater.webhooks.secrets import header_secret


def parse(request: WebhookRequest) -> tuple[RegistryPush, ...]:
    doc = load_json(request)
    if text(doc, "type") != "PUSH_ARTIFACT":
        return ()
    data = obj(doc, "event_data")
    repository = repository_name(obj(data, "repository"), full_key="repo_full_name")
    resources = data.get("resources")
    if not repository or not isinstance(resources, list) or not resources:
        raise InvalidWebhook(f"webhook type {request.type}: the event names no repository or resources")
    pushes = [_push(request, repository, resource) for resource in resources if isinstance(resource, Mapping)]
    return unique(pushes)


def _push(request: WebhookRequest, repository: str, resource: Mapping[str, object]) -> RegistryPush:
    url = text(resource, "resource_url").removeprefix("https://").removeprefix("http://")
    tag = text(resource, "tag")
    return registry_push(
        registry=url.partition("/")[0] if "/" in url else "",
        repository=repository,
        tag=tag if refs.is_tag(tag) else "",
        where=f"webhook type {request.type}: resource {url[:200]!r}",
    )


HARBOR = WebhookType(
    name="harbor",
    secret_name="harbor",
    authenticate=lambda request, secret, _: header_secret(request, secret),
    parse=parse,
)
