"""GitHub Container Registry (`ghcr.io`): GitHub's `package` webhook events. Pure.

The secret is the webhook's: GitHub signs the body with it (`X-Hub-Signature-256: sha256=<hex
HMAC-SHA256>`), checked before anything in the body is read; a signature already accepted within
the replay window is refused. Only `X-GitHub-Event: package` with `action: published`, a
`container` package and a tag (`package_version.container_metadata.tag.name`) is a push; other
events (`ping` among them) and untagged versions are answered and ignored. The repository is
`owner.login/name`, lower-cased as ghcr.io references are.
"""

from __future__ import annotations

from image_updater.errors import InvalidWebhook
from image_updater.webhooks.events import RegistryPush
from image_updater.webhooks.provider import WebhookType
from image_updater.webhooks.requests import WebhookRequest, load_json, registry_push, text
from image_updater.webhooks.secrets import ReplayGuard, hub_signature


def authenticate(request: WebhookRequest, secret: str, replays: ReplayGuard) -> None:
    replays.check(request, hub_signature(request, secret))


def parse(request: WebhookRequest) -> tuple[RegistryPush, ...]:
    if request.header("x-github-event") != "package":
        return ()
    doc = load_json(request)
    package_type = text(doc, "package", "package_type").lower()
    tag = text(doc, "package", "package_version", "container_metadata", "tag", "name")
    if text(doc, "action") != "published" or package_type != "container" or not tag:
        return ()
    owner, name = text(doc, "package", "owner", "login"), text(doc, "package", "name")
    if not owner or not name:
        raise InvalidWebhook(f"webhook type {request.type}: the package names no owner.login or name")
    repository = f"{owner}/{name}".lower()
    return (registry_push(registry="ghcr.io", repository=repository, tag=tag, where="webhook type ghcr.io"),)


GHCR = WebhookType(
    name="ghcr.io", secret_name="ghcr", authenticate=authenticate, parse=parse, signs_body=True
)
