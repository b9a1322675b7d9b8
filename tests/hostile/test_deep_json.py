"""JSON nested deeper than Python's parser recurses (docs/security.md, "Bounded work"): a registry
answer or a pull Secret made of `[[[[…` is a one-line error for that image or that Secret, never
a RecursionError that would end the whole cycle as an internal error."""

from __future__ import annotations

import pytest
from aiohttp import web

from image_updater.credentials import dockerconfig_credentials
from image_updater.errors import CredentialError, RegistryProtocolError
from tests.registry import StubRegistry, running

DEEP = b"[" * 200_000


async def test_a_tag_list_nested_too_deeply_fails_that_image_in_one_line() -> None:
    registry = StubRegistry()
    registry.add_image("team/app", "1.0")

    async def deep(request: web.Request) -> web.StreamResponse | None:
        if request.path.endswith("/tags/list"):
            return web.Response(body=b'{"name": "team/app", "tags": ' + DEEP, content_type="application/json")
        return None

    registry.hooks.append(deep)
    async with running(registry) as (client, _):
        with pytest.raises(RegistryProtocolError, match=r"too deeply nested JSON$"):
            await client.list_tags("team/app")


def test_a_pull_secret_nested_too_deeply_is_a_credential_error() -> None:
    with pytest.raises(CredentialError, match=r"^Secret argocd/pull: not valid JSON"):
        dockerconfig_credentials(
            b'{"auths": ' + DEEP,
            registry_host="ghcr.io",
            api_url="https://ghcr.io",
            source="Secret argocd/pull",
        )
