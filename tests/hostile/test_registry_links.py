"""`Link` pages and redirects a registry sends (docs/security.md, "Registry operators").

A tag-list page is followed only on the registry's own origin (scheme, host, port): a registry
cannot make us list, and send the next request with its headers to, another host. A `Link` or
`Location` that is not a well-formed http(s) URL is a one-line protocol error, never a crash.
"""

from __future__ import annotations

import pytest
from aiohttp import web

from image_updater.credentials import Credentials
from image_updater.errors import RegistryProtocolError
from tests.registry import PASSWORD, USER, StubRegistry, running, serve

REPO = "team/app"
ALICE = Credentials(USER, PASSWORD)


def _link_to(target: str) -> StubRegistry:
    """A Basic-auth registry whose first tag-list page links to `target` (`{host}`: its own host:port)."""
    stub = StubRegistry(auth="basic")
    stub.add_image(REPO, "1.0")

    async def hook(request: web.Request) -> web.StreamResponse | None:
        if request.path.endswith("/tags/list") and request.headers.get("Authorization"):
            link = f'<{target.replace("{host}", request.host)}>; rel="next"'
            return web.json_response({"tags": ["1.0"]}, headers={"Link": link})
        return None

    stub.hooks.append(hook)
    return stub


async def test_a_link_to_another_origin_is_refused_and_never_requested() -> None:
    elsewhere = StubRegistry()
    elsewhere.add_image(REPO, "9.9")
    async with serve(elsewhere.app()) as other:
        stub = _link_to(f"{other}/v2/{REPO}/tags/list?n=1000")
        async with running(stub, credentials=ALICE) as (client, _):
            with pytest.raises(RegistryProtocolError, match=r"next page to another origin \(127\.0\.0\.1\)"):
                await client.list_tags(REPO)
    assert elsewhere.seen == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        pytest.param("https://{host}/v2/team/app/tags/list", "another origin", id="scheme-switch"),
        pytest.param("http://evil@{host}/v2/team/app/tags/list", "unusable URL", id="userinfo"),
        pytest.param("http://[::1/v2/x", "unusable URL", id="unclosed-ipv6"),
        pytest.param("http://127.0.0.1:99999/v2/x", "unusable URL", id="port-out-of-range"),
        pytest.param("http://127.0.0.1:0/v2/x", "unusable URL", id="port-zero"),
        pytest.param("file:///etc/passwd", "unusable URL", id="file-scheme"),
        pytest.param("/v2/team/app/tags/list?last=\u202e", "unusable URL", id="non-ascii"),
    ],
)
async def test_a_bad_link_is_a_one_line_protocol_error(target: str, message: str) -> None:
    async with running(_link_to(target), credentials=ALICE) as (client, _):
        with pytest.raises(RegistryProtocolError, match=message) as caught:
            await client.list_tags(REPO)
    assert str(caught.value).isprintable()


@pytest.mark.parametrize(
    "location",
    [
        pytest.param("http://127.0.0.1:99999/blob", id="port-out-of-range"),
        pytest.param("http://[::1/blob", id="unclosed-ipv6"),
        pytest.param("gopher://127.0.0.1/blob", id="other-scheme"),
        pytest.param("http://user:pw@127.0.0.1/blob", id="userinfo"),
    ],
)
async def test_a_bad_redirect_is_a_one_line_protocol_error(location: str) -> None:
    stub = StubRegistry()
    stub.add_image(REPO, "1.0")

    async def hook(request: web.Request) -> web.StreamResponse | None:
        return web.Response(status=307, headers={"Location": location}) if "/blobs/" in request.path else None

    stub.hooks.append(hook)
    async with running(stub) as (client, _):
        manifest = await client.fetch_manifest(REPO, "1.0")
        assert manifest.config_digest is not None
        with pytest.raises(RegistryProtocolError, match="unusable URL to follow; refused"):
            await client.fetch_config(REPO, manifest.config_digest)
