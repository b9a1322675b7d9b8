"""Blob redirects: followed by the client itself, and our Authorization never leaves the registry's origin."""

from __future__ import annotations

import pytest
from aiohttp import web

from image_updater.credentials import Credentials
from image_updater.errors import RegistryProtocolError
from image_updater.registry.transport import origin

from . import PASSWORD, USER, Seen, StubRegistry, running, serve


def blob_storage(blobs: dict[str, bytes], seen: list[Seen]) -> web.Application:
    async def blob(request: web.Request) -> web.Response:
        seen.append(
            Seen("GET", request.path, request.query_string, request.headers.get("Authorization"), None)
        )
        return web.Response(body=blobs[request.match_info["digest"]])

    app = web.Application()
    app.router.add_get("/blobs/{digest}", blob)
    return app


@pytest.mark.parametrize("auth", ["bearer", "basic"])
async def test_a_redirect_to_another_host_gets_no_authorization(auth: str) -> None:
    stub = StubRegistry(auth=auth)
    stub.add_image("team/app", "1.0", platform="linux/arm64")
    storage_seen: list[Seen] = []
    async with serve(blob_storage(stub.blobs, storage_seen)) as storage:
        stub.blob_redirect = storage
        async with running(stub, credentials=Credentials(USER, PASSWORD)) as (client, _):
            info = await client.tag_info("team/app", "1.0", need_created=True)
    assert info.created is not None
    assert len(storage_seen) == 1
    assert storage_seen[0].authorization is None
    assert storage_seen[0].query == "X-Signature=s3cr3t-signature"
    blob_requests = [s for s in stub.seen if "/blobs/" in s.path]
    assert blob_requests[-1].authorization is not None  # the registry itself did get it


async def test_a_redirect_without_location_is_a_protocol_error() -> None:
    stub = StubRegistry()
    stub.add_image("team/app", "1.0")

    async def bad_redirect(request: web.Request) -> web.Response | None:
        return web.Response(status=307) if "/blobs/" in request.path else None

    stub.hooks.append(bad_redirect)
    async with running(stub) as (client, _):
        with pytest.raises(RegistryProtocolError, match="Location"):
            await client.tag_info("team/app", "1.0", need_created=True)


async def test_a_redirect_loop_is_a_protocol_error_without_the_signed_url() -> None:
    stub = StubRegistry()
    stub.add_image("team/app", "1.0")

    async def loop(request: web.Request) -> web.Response | None:
        if "/blobs/" not in request.path:
            return None
        return web.Response(status=302, headers={"Location": f"{request.path}?sig=secret-sig"})

    stub.hooks.append(loop)
    async with running(stub) as (client, _):
        with pytest.raises(RegistryProtocolError, match="redirects") as caught:
            await client.tag_info("team/app", "1.0", need_created=True)
    assert "secret-sig" not in str(caught.value)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param("https://r.io/v2/", "https://r.io:443/x", True, id="default-port"),
        pytest.param("https://r.io/v2/", "http://r.io/x", False, id="scheme"),
        pytest.param("https://r.io/v2/", "https://R.IO/x", True, id="case"),
        pytest.param("http://127.0.0.1:5000/", "http://127.0.0.1:5001/", False, id="port"),
        pytest.param("https://r.io/", "https://blobs.r.io/", False, id="subdomain"),
    ],
)
def test_origin(a: str, b: str, same: bool) -> None:
    assert (origin(a) == origin(b)) is same


async def test_a_same_origin_redirect_keeps_authorization() -> None:
    stub = StubRegistry(auth="basic")
    stub.add_image("team/app", "1.0")

    async def moved(request: web.Request) -> web.Response | None:
        if request.path.startswith("/v2/old/"):
            return web.Response(
                status=308, headers={"Location": request.path.replace("/v2/old/", "/v2/team/")}
            )
        return None

    stub.hooks.append(moved)
    async with running(stub, credentials=Credentials(USER, PASSWORD)) as (client, _):
        assert await client.list_tags("old/app") == ["1.0"]
    # old → team (401, challenge learnt), then again with credentials: old → team
    assert [s.path.split("/")[2] for s in stub.seen] == ["old", "team", "old", "team"]
    assert stub.seen[-1].authorization is not None
