"""What every webhook type is: its `type` query value, the secret flag that configures it, how a
request proves it comes from the provider, and how its payload becomes pushes. Pure.

Each provider module defines its `WebhookType`s; webhooks/receiving.py keys them by name, the
one place a request's `type` is looked up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from image_updater.webhooks.events import RegistryPush
from image_updater.webhooks.requests import WebhookRequest
from image_updater.webhooks.secrets import ReplayGuard

Authenticate = Callable[[WebhookRequest, str, ReplayGuard], None]
Parse = Callable[[WebhookRequest], tuple[RegistryPush, ...]]


@dataclass(frozen=True, slots=True)
class WebhookType:
    """One `/webhook?type=<name>`. `secret_name` names its flag `--<secret_name>-webhook-secret`
    and variable `<SECRET_NAME>_WEBHOOK_SECRET` (upstream's names). `parse` returns no pushes for
    an authenticated event that is not a push (a ping, a pull, a delete). `signs_body`: the proof
    is computed over the body (GitHub's HMAC), so it cannot be checked before the body is read."""

    name: str
    secret_name: str
    authenticate: Authenticate
    parse: Parse
    signs_body: bool = False

    @property
    def secret_flag(self) -> str:
        return f"--{self.secret_name}-webhook-secret"

    @property
    def secret_env(self) -> str:
        return f"{self.secret_name.upper().replace('-', '_')}_WEBHOOK_SECRET"
