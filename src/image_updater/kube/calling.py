"""Sends one Kubernetes API request: counts it and translates its failure into our error tree.

Every module of this package goes through `call`, so this is the one place where
kubernetes_asyncio and aiohttp exceptions become `image_updater.errors` classes. A caller that
expects a status as part of its flow (a 404 before creating a Lease, a 409 it retries) names it
in `passthrough` and gets the client's `ApiException` for it; it is still counted as an error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Collection
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.client.exceptions import ApiException

from image_updater.errors import ConfigError, ImageUpdaterError, TransientError

Resource = dict[str, Any]
"""A Kubernetes object as JSON: camelCase keys, as the API server sends it."""

RETRY_DELAY = 10.0  # seconds before the runtime retries after a transient API failure
# kubernetes_asyncio sends requests with no timeout at all: a hanging API server would hang the
# cycle, and the leader's Lease renewal with it. Two minutes is far above a large list's time.
REQUEST_TIMEOUT = 120.0


class ApiCounter:
    """Kubernetes API requests sent and how many failed, for `argocd_image_updater_k8s_api_*`.

    A *request* is every HTTP exchange attempted. An *error* is any answer outside 2xx (expected
    404s and 409s included) and every connection failure or timeout. Event-loop thread only.
    """

    __slots__ = ("errors", "requests")

    def __init__(self) -> None:
        self.requests = 0
        self.errors = 0


@dataclass(frozen=True, slots=True)
class Api:
    """A connected kubernetes_asyncio `ApiClient` and the counter its requests are tallied on.

    The runtime builds it once (see `connecting.connect`) and closes `client` at shutdown.
    """

    client: ApiClient
    counter: ApiCounter = field(default_factory=ApiCounter)

    def to_json(self, model: Any) -> Resource:
        """A typed client model (`V1Secret`, `V1Lease`, ...) as the JSON dict the server sent."""
        data = self.client.sanitize_for_serialization(model)
        if not isinstance(data, dict):
            raise TypeError(f"expected a Kubernetes object, got {type(data).__name__}")
        return data


def as_body(resource: Resource) -> Any:
    """A JSON dict where the client's stubs ask for a model; the client serialises both alike."""
    return resource


async def call(
    api: Api,
    request: Awaitable[Any],
    *,
    action: str,
    passthrough: Collection[int] = (),
    seconds: float = REQUEST_TIMEOUT,
) -> Any:
    """Await one client request, for at most `seconds`. `action` completes "cannot ..." in
    messages ("get Secret a/b")."""
    api.counter.requests += 1
    try:
        return await asyncio.wait_for(request, seconds)
    except ApiException as exc:
        api.counter.errors += 1
        if exc.status in passthrough:
            raise
        raise translate(exc, action=action) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        api.counter.errors += 1
        raise TransientError(
            f"cannot {action}: the Kubernetes API is unreachable ({type(exc).__name__})", delay=RETRY_DELAY
        ) from exc


def translate(exc: ApiException, *, action: str) -> ImageUpdaterError:
    """The error for a non-2xx answer, worded as what to fix."""
    status, detail = int(exc.status or 0), server_message(exc)
    if status == 401:
        return ConfigError(f"cannot {action}: the API server rejected our credentials; check the kubeconfig")
    if status == 403:
        return ConfigError(f"cannot {action}: forbidden; grant the service account RBAC access ({detail})")
    if status == 404:
        return ConfigError(f"cannot {action}: it does not exist")
    if status in (409, 429) or status >= 500:
        return TransientError(
            f"cannot {action}: the API server answered {status} ({detail})", delay=RETRY_DELAY
        )
    return ImageUpdaterError(f"cannot {action}: the API server rejected the request with {status} ({detail})")


def server_message(exc: ApiException) -> str:
    """The `message` of the Status object the server sent, on one line and short, else the reason."""
    try:
        body = json.loads(exc.body or "")
    except (TypeError, ValueError):
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    text = str(message or exc.reason or "no details")
    return " ".join(text.split())[:200]
