"""Registries whose webhooks carry their secret in the URL (`?secret=`), as upstream checks them:
Docker Hub (`docker.io`), Quay (`quay.io`) and Aliyun ACR (`aliyun-acr`). Pure.

None of them signs its requests: the secret is the URL's, so keep that URL out of logs and
screenshots. Each payload names one repository and the tag pushed (Quay: the first of
`updated_tags`), and a payload without a tag is refused, as upstream.
"""

from __future__ import annotations

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
)
from image_updater.webhooks.secrets import query_secret


def _required(request: WebhookRequest, value: str, what: str) -> str:
    if not value:
        raise InvalidWebhook(f"webhook type {request.type}: the payload names no {what}")
    return value


def parse_docker_hub(request: WebhookRequest) -> tuple[RegistryPush, ...]:
    """`repository.repo_name` (else `namespace/name`) and `push_data.tag`, on `docker.io`."""
    doc = load_json(request)
    repository = _required(
        request, repository_name(obj(doc, "repository"), full_key="repo_name"), "repository"
    )
    tag = _required(request, text(doc, "push_data", "tag"), "push_data.tag")
    return (registry_push(registry="docker.io", repository=repository, tag=tag, where=_where(request)),)


def parse_quay(request: WebhookRequest) -> tuple[RegistryPush, ...]:
    """`repository` and the first of `updated_tags`, on the host of `docker_url` (else quay.io)."""
    doc = load_json(request)
    repository = _required(request, text(doc, "repository"), "repository")
    tags = doc.get("updated_tags")
    if not isinstance(tags, list) or not tags or not isinstance(tags[0], str):
        raise InvalidWebhook(f"webhook type {request.type}: the payload has no updated_tags")
    docker_url = text(doc, "docker_url").removeprefix("https://").removeprefix("http://")
    host = docker_url.partition("/")[0] if "/" in docker_url else "quay.io"
    return (registry_push(registry=host, repository=repository, tag=tags[0], where=_where(request)),)


def parse_aliyun(request: WebhookRequest) -> tuple[RegistryPush, ...]:
    """`repository.repo_full_name` (else `namespace/name`), lower-cased as references are, and
    `push_data.tag`; the registry is `?registry_url=` (Enterprise Edition instances), else
    `registry.<repository.region>.aliyuncs.com`."""
    doc = load_json(request)
    repository = _required(
        request, repository_name(obj(doc, "repository"), full_key="repo_full_name"), "repository"
    )
    tag = _required(request, text(doc, "push_data", "tag"), "push_data.tag")
    region = text(doc, "repository", "region")
    registry = request.query.get("registry_url", "") or (f"registry.{region}.aliyuncs.com" if region else "")
    _required(request, registry, "repository.region (or set ?registry_url=)")
    return (registry_push(registry=registry, repository=repository.lower(), tag=tag, where=_where(request)),)


def _where(request: WebhookRequest) -> str:
    return f"webhook type {request.type}"


DOCKER_HUB = WebhookType(
    name="docker.io",
    secret_name="docker",
    authenticate=lambda request, secret, _: query_secret(request, secret),
    parse=parse_docker_hub,
)
QUAY = WebhookType(
    name="quay.io",
    secret_name="quay",
    authenticate=lambda request, secret, _: query_secret(request, secret),
    parse=parse_quay,
)
ALIYUN_ACR = WebhookType(
    name="aliyun-acr",
    secret_name="aliyun-acr",
    authenticate=lambda request, secret, _: query_secret(request, secret),
    parse=parse_aliyun,
)
