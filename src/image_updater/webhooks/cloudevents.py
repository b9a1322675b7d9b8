"""CloudEvents 1.0 in structured JSON mode (`cloudevents`): AWS ECR pushes forwarded by an
EventBridge input transformer, and generic container-registry events. Pure.

The secret is `?secret=`, else the `X-Webhook-Secret` header (CloudEvents defines no
authentication), as upstream checks it. `specversion` and `type` are required.
- `com.amazon.ecr.*`: `data.repositoryName`, `data.imageTag`; the registry is
  `<data.registryId or the account of source>.dkr.ecr.<region>.amazonaws.com`, from a `source`
  of `urn:aws:ecr:<region>:<account>:…` (or `arn:`).
- a type containing `container` or `image`: `data.repository(Name)`, `data.(image)tag`, the
  registry from `data.registryUrl`/`data.registry`, else the host of `source`.
`subject` `repo:tag` fills in what `data` lacks. Any other type is refused, as upstream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from image_updater.errors import InvalidWebhook
from image_updater.webhooks.events import RegistryPush
from image_updater.webhooks.provider import WebhookType
from image_updater.webhooks.requests import WebhookRequest, load_json, obj, registry_push, text
from image_updater.webhooks.secrets import query_secret


def parse(request: WebhookRequest) -> tuple[RegistryPush, ...]:
    event = load_json(request)
    kind = text(event, "type")
    if not text(event, "specversion") or not kind:
        raise InvalidWebhook(f"webhook type {request.type}: the event has no specversion or type")
    data = obj(event, "data")
    subject_repository, _, subject_tag = text(event, "subject").partition(":")
    if kind.startswith("com.amazon.ecr."):
        repository, tag = text(data, "repositoryName"), text(data, "imageTag")
        registry = _ecr_registry(text(event, "source"), data)
    elif "container" in kind or "image" in kind:
        repository = text(data, "repositoryName") or text(data, "repository")
        tag = text(data, "imageTag") or text(data, "tag")
        registry = text(data, "registryUrl") or text(data, "registry") or _source_host(text(event, "source"))
    else:
        raise InvalidWebhook(f"webhook type {request.type}: unsupported CloudEvents type {kind[:100]!r}")
    repository, tag = repository or subject_repository, tag or subject_tag
    if not repository or not tag or not registry:
        raise InvalidWebhook(f"webhook type {request.type}: the event names no repository, tag or registry")
    where = f"webhook type {request.type}: event {text(event, 'id')[:80]!r}"
    return (registry_push(registry=registry, repository=repository, tag=tag, where=where),)


def _ecr_registry(source: str, data: Mapping[str, Any]) -> str:
    parts = source.split(":")
    if len(parts) < 5 or parts[0] not in ("urn", "arn") or parts[1:3] != ["aws", "ecr"]:
        return ""
    account = text(data, "registryId") or parts[4]
    return f"{account}.dkr.ecr.{parts[3]}.amazonaws.com"


def _source_host(source: str) -> str:
    rest = source.removeprefix("https://").removeprefix("http://")
    host = rest.partition("/")[0]
    return host if "." in host else ""


CLOUDEVENTS = WebhookType(
    name="cloudevents",
    secret_name="cloudevents",
    authenticate=lambda request, secret, _: query_secret(request, secret, header="x-webhook-secret"),
    parse=parse,
)
