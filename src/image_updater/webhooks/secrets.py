"""How each provider proves a request is its own, checked as argocd-image-updater checks it. Pure.

- a shared secret in the query (`?secret=`: Docker Hub, Quay, Aliyun ACR; CloudEvents also
  accepts it in `X-Webhook-Secret`), or as the whole `Authorization` header (Harbor, Azure ACR,
  GitLab's registry notifications), or as `Authorization: Bearer <secret>` (the distribution
  registry's endpoint headers);
- an HMAC-SHA256 of the body (GitHub's `X-Hub-Signature-256: sha256=<hex>`).

Every comparison is `hmac.compare_digest` on the UTF-8 bytes. A static secret can be replayed by
whoever recorded a request (the providers sign no timestamp); a signed body can be replayed too,
so `ReplayGuard` refuses a signature it has already accepted within its window. The harm of a
replay is bounded anyway: a push is only a hint to re-read the registry's tag list.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from dataclasses import dataclass, field

from image_updater.errors import WebhookAuthError
from image_updater.webhooks.requests import WebhookRequest


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8"))


def _refuse(request: WebhookRequest, what: str) -> WebhookAuthError:
    return WebhookAuthError(f"webhook type {request.type}: {what}")


def query_secret(request: WebhookRequest, secret: str, *, header: str = "") -> None:
    """`?secret=` (or, when `header` is named and the query has none, that header) equals `secret`."""
    given = request.query.get("secret", "") or (request.header(header) if header else "")
    if not given:
        raise _refuse(request, "the secret is missing")
    if not _same(given, secret):
        raise _refuse(request, "the secret is wrong")


def header_secret(request: WebhookRequest, secret: str, *, prefix: str = "") -> None:
    """The `Authorization` header equals `prefix + secret` (prefix `Bearer ` for a bearer token)."""
    given = request.header("authorization")
    if not given:
        raise _refuse(request, "the Authorization header is missing")
    if not _same(given, prefix + secret):
        raise _refuse(request, "the Authorization header does not carry the secret")


def hub_signature(request: WebhookRequest, secret: str) -> str:
    """`X-Hub-Signature-256` is `sha256=` + the hex HMAC-SHA256 of the body under `secret`; the
    signature, for the replay check."""
    given = request.header("x-hub-signature-256")
    if not given:
        raise _refuse(request, "the X-Hub-Signature-256 header is missing")
    expected = "sha256=" + hmac.new(secret.encode("utf-8"), request.body, hashlib.sha256).hexdigest()
    if not _same(given.lower(), expected):
        raise _refuse(request, "the X-Hub-Signature-256 signature does not match the body")
    return expected


@dataclass(slots=True)
class ReplayGuard:
    """Signatures accepted in the last `window` seconds, at most `capacity` of them (the oldest
    is forgotten first). Mutable; one per server."""

    window: float = 600.0
    capacity: int = 10_000
    _seen: OrderedDict[str, float] = field(default_factory=OrderedDict)

    def check(self, request: WebhookRequest, signature: str) -> None:
        """Refuse `signature` when already accepted within the window; remember it otherwise."""
        now = request.received_at
        while self._seen and next(iter(self._seen.values())) <= now - self.window:
            self._seen.popitem(last=False)
        key = f"{request.type}\0{signature}"
        if key in self._seen:
            raise _refuse(request, "this signed request was already received (a replay)")
        if len(self._seen) >= self.capacity:
            self._seen.popitem(last=False)
        self._seen[key] = now
