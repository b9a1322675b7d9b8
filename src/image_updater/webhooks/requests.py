"""A webhook request as the parsers see it, and the helpers every parser shares. Pure.

`WebhookRequest` carries what the server read: the query, the headers (names lower-cased) and the
body, already bounded in size by the server. `load_json` bounds nesting depth too, so a payload of
`[[[[…` is a one-line `InvalidWebhook`, never a RecursionError. `registry_push` turns a payload's
registry and repository into a `RegistryPush` spelled as image references are (refs.py's grammar;
`docker.io` and `library/` for Docker Hub), refusing what an image reference could not name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from image_updater import refs
from image_updater.errors import InvalidImageReference, InvalidWebhook
from image_updater.webhooks.events import RegistryPush

MAX_DEPTH = 32  # every provider's payload nests less than 10 levels


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """One POST to `/webhook`. `type` is the `type` query value; `received_at` is the server's
    clock (seconds), used by replay checks."""

    type: str
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # names lower-cased
    received_at: float = 0.0

    def header(self, name: str) -> str:
        """The header's value, "" when absent."""
        return self.headers.get(name.lower(), "")


def load_json(request: WebhookRequest) -> dict[str, Any]:
    """The body as a JSON object, at most MAX_DEPTH levels deep."""
    try:
        doc = json.loads(request.body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise InvalidWebhook(f"webhook type {request.type}: the body is not valid JSON") from exc
    if not isinstance(doc, dict):
        raise InvalidWebhook(f"webhook type {request.type}: the body is not a JSON object")
    if _depth(doc) > MAX_DEPTH:
        raise InvalidWebhook(f"webhook type {request.type}: the JSON is nested more than {MAX_DEPTH} levels")
    return doc


def _depth(doc: object) -> int:
    """Nesting depth, walked without recursion (the parser already stopped near 1,000 levels)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def text(doc: Mapping[str, Any], *path: str) -> str:
    """The string at `path` in nested objects, "" when absent or not a string."""
    node: Any = doc
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, str) else ""


def obj(doc: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    """The object at `path`, empty when absent or not an object."""
    node: Any = doc
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def repository_name(repository: Mapping[str, Any], *, full_key: str) -> str:
    """A payload's repository object as a path: `<full_key>`, else `namespace/name`, else `name`."""
    name, namespace = text(repository, "name"), text(repository, "namespace")
    return text(repository, full_key) or (f"{namespace}/{name}" if namespace and name else name)


def registry_push(*, registry: str, repository: str, tag: str, where: str) -> RegistryPush:
    """The push of `repository` on `registry` (host[:port]); `tag` "" when the payload named none.

    The host is lower-cased; Docker Hub's spellings become `docker.io`, and its single-component
    repositories get `library/`, so the push names the registry API's own path.
    """
    host = registry.strip().lower()
    if not _is_host(host):
        raise InvalidWebhook(f"{where}: registry {registry[:200]!r} is not a host[:port]")
    try:
        ref = refs.parse_image(f"{host}/{repository.strip()}")
    except InvalidImageReference as err:
        raise InvalidWebhook(f"{where}: {err}") from err
    if tag and not refs.is_tag(tag):
        raise InvalidWebhook(f"{where}: tag {tag[:200]!r} is not a valid tag")
    if refs.is_docker_hub(host):
        return RegistryPush("docker.io", refs.registry_path(ref), tag or None)
    return RegistryPush(host, ref.repository, tag or None)


def _is_host(host: str) -> bool:
    """Whether an image reference would read `host` as its registry (refs.py's grammar)."""
    try:
        return bool(host) and refs.parse_image(f"{host}/x").registry == host
    except InvalidImageReference:
        return False


def unique(pushes: list[RegistryPush]) -> tuple[RegistryPush, ...]:
    """`pushes` without repeats, in order."""
    return tuple(dict.fromkeys(pushes))
