"""Shared by the webhook parser tests: the providers' documented payloads, and requests built from them."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from image_updater.webhooks.events import RegistryPush
from image_updater.webhooks.receiving import receive
from image_updater.webhooks.requests import WebhookRequest
from image_updater.webhooks.secrets import ReplayGuard

PAYLOADS = Path(__file__).parent / "payloads"
SECRET = "s3cret-value"
BEARER = {"Authorization": f"Bearer {SECRET}"}


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def hub_signature(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def request(
    kind: str,
    body: bytes,
    *,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    at: float = 0.0,
) -> WebhookRequest:
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    return WebhookRequest(type=kind, body=body, query=query or {}, headers=lowered, received_at=at)


def received(
    hook: WebhookRequest,
    *,
    secret: str | None = SECRET,
    require_secret: bool = True,
    replays: ReplayGuard | None = None,
) -> tuple[RegistryPush, ...]:
    secrets = {hook.type: secret} if secret else {}
    return receive(hook, secrets=secrets, require_secret=require_secret, replays=replays or ReplayGuard())
