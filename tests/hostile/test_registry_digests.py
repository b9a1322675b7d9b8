"""Digests from a registry are verified before they are believed (docs/security.md).

The digest strategy learns the tracked tag's digest by HEAD; before it is written it is
confirmed by fetching the manifest by that digest, whose content must hash to it. Only
sha256/sha512 digests are accepted; announced digests are checked against the body.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from aiohttp import web

from image_updater import selection
from image_updater.errors import ImageUpdaterError, RegistryDigestMismatch, RegistryProtocolError
from image_updater.registry import auth
from image_updater.registry.counting import RequestCounter
from image_updater.registry.manifests import OCI_MANIFEST
from image_updater.registry.scanning import ScanRequest, ScanResult, scan
from tests.registry import StubRegistry, digest_of, running

REPO = "team/app"
OTHER = "sha256:" + "ab" * 32


def _request(*, current: str | None = None, confirm: bool = True) -> ScanRequest:
    return ScanRequest(
        repository=REPO,
        tag_filter=selection.TagFilter(),
        policy=selection.make_policy("digest", version="stable", image=REPO),
        confirm_digest=confirm,
        current_digest=current,
    )


def head_answers(digest: str) -> web.Response | None:
    return web.Response(headers={"Docker-Content-Digest": digest}, content_type=OCI_MANIFEST)


async def test_a_changed_digest_is_confirmed_once_then_served_from_the_cache() -> None:
    stub = StubRegistry()
    digest = stub.add_image(REPO, "stable")
    counter = RequestCounter()
    async with running(stub, counter=counter) as (client, _):
        first = await scan(client, _request())
        again = await scan(client, _request())
    for result in (first, again):
        assert result.selection.chosen is not None
        assert result.selection.chosen.digest == digest
    assert counter.by_kind() == {"tags": 2, "manifest_head": 2, "manifest_get": 1}
    assert stub.count("GET", f"/manifests/{digest}") == 1


@pytest.mark.parametrize(
    ("request_", "gets"),
    [
        pytest.param(_request(confirm=False), 0, id="not-about-to-write"),
        pytest.param(_request(current="same"), 0, id="unchanged"),
        pytest.param(_request(current=OTHER), 1, id="changed"),
        pytest.param(_request(current=None), 1, id="unknown"),
    ],
)
async def test_the_confirmation_costs_a_get_only_when_the_digest_moved(
    request_: ScanRequest, gets: int
) -> None:
    stub = StubRegistry()
    digest = stub.add_image(REPO, "stable")
    if request_.current_digest == "same":
        request_ = _request(current=digest)
    counter = RequestCounter()
    async with running(stub, counter=counter) as (client, _):
        await scan(client, request_)
    assert counter.total("manifest_get") == gets
    assert counter.total("manifest_head") == 1


def _lying_head(stub: StubRegistry, digest: str) -> None:
    async def hook(request: web.Request) -> web.StreamResponse | None:
        return head_answers(digest) if request.method == "HEAD" else None

    stub.hooks.append(hook)


def _serve_by_digest(stub: StubRegistry, digest: str, body: bytes) -> None:
    async def hook(request: web.Request) -> web.StreamResponse | None:
        if request.method == "GET" and request.path.endswith(f"/manifests/{digest}"):
            return web.Response(body=body, content_type=OCI_MANIFEST)
        return None

    stub.hooks.append(hook)


@pytest.mark.parametrize(
    ("digest", "served", "error", "message"),
    [
        pytest.param(OTHER, None, RegistryProtocolError, "cannot be confirmed", id="no-such-manifest"),
        pytest.param(
            OTHER, b'{"mediaType": "evil"}', RegistryDigestMismatch, "does not match", id="wrong-content"
        ),
        pytest.param(
            "sha256:abc", None, RegistryProtocolError, "malformed Docker-Content-Digest", id="short-hex"
        ),
        pytest.param(
            "md5:" + "0" * 32, None, RegistryProtocolError, "malformed Docker-Content-Digest", id="md5"
        ),
        pytest.param(
            "SHA256:" + "AB" * 32, None, RegistryProtocolError, "malformed Docker-Content-Digest", id="upper"
        ),
        pytest.param(
            "sha256:" + "g" * 64, None, RegistryProtocolError, "malformed Docker-Content-Digest", id="not-hex"
        ),
    ],
)
async def test_a_head_digest_that_cannot_be_confirmed_fails_the_image_and_is_not_chosen(
    digest: str, served: bytes | None, error: type[ImageUpdaterError], message: str
) -> None:
    stub = StubRegistry()
    stub.add_image(REPO, "stable")
    _lying_head(stub, digest)
    if served is not None:
        _serve_by_digest(stub, digest, served)
    with pytest.raises(error, match=message) as caught:
        async with running(stub) as (client, _):
            await scan(client, _request())
    assert "\n" not in str(caught.value)


async def test_a_sha512_digest_is_verified_too() -> None:
    stub = StubRegistry()
    stub.add_image(REPO, "stable")
    body = stub.manifests[(REPO, "stable")][0]
    sha512 = "sha512:" + hashlib.sha512(body).hexdigest()
    _lying_head(stub, sha512)
    _serve_by_digest(stub, sha512, body)
    async with running(stub) as (client, _):
        result: ScanResult = await scan(client, _request())
    assert result.selection.chosen is not None
    assert result.selection.chosen.digest == sha512
    wrong = "sha512:" + hashlib.sha512(b"other").hexdigest()
    _serve_by_digest(stub, wrong, body)
    _lying_head(stub, wrong)
    stub.hooks.reverse()  # the newest lie answers first
    with pytest.raises(RegistryDigestMismatch):
        async with running(stub) as (client, _):
            await scan(client, _request())


async def test_a_manifest_fetched_by_digest_is_checked_against_it() -> None:
    stub = StubRegistry()
    digest = stub.add_image(REPO, "stable")
    stub.manifests[(REPO, digest)] = (json.dumps({"mediaType": OCI_MANIFEST}).encode(), OCI_MANIFEST)
    async with running(stub) as (client, _):
        with pytest.raises(RegistryDigestMismatch, match=f"does not match digest {digest}"):
            await client.fetch_manifest(REPO, digest)
    assert digest_of(stub.manifests[(REPO, "stable")][0]) == digest


@pytest.mark.parametrize(
    "expires_in",
    [
        pytest.param(10**400, id="400-digit-integer"),
        pytest.param(float("inf"), id="infinity"),
        pytest.param(float("nan"), id="nan"),
        pytest.param(-5, id="negative"),
    ],
)
def test_a_token_lifetime_from_the_registry_is_bounded(expires_in: float) -> None:
    body = json.dumps({"token": "t", "expires_in": expires_in}).encode()
    token = auth.parse_token(body, now=0.0, where="r/x")
    assert auth.MIN_TOKEN_LIFETIME - auth.EXPIRY_LEEWAY <= token.expires_at <= auth.MAX_TOKEN_LIFETIME


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("abc\r\nX-Injected: 1", id="header-injection"),
        pytest.param("t\u00f6ken", id="non-ascii"),
        pytest.param("two words", id="space"),
    ],
)
def test_a_token_that_cannot_go_into_a_header_is_refused(token: str) -> None:
    body = json.dumps({"token": token}).encode()
    with pytest.raises(RegistryProtocolError, match="not printable ASCII"):
        auth.parse_token(body, now=0.0, where="r/x")


@pytest.mark.parametrize(
    "realm",
    [
        pytest.param("http://[::1/token", id="unclosed-ipv6"),
        pytest.param("http://127.0.0.1:99999/token", id="port-out-of-range"),
        pytest.param("http://user:pw@127.0.0.1/token", id="userinfo"),
    ],
)
async def test_an_unusable_token_realm_is_a_protocol_error(realm: str) -> None:
    stub = StubRegistry()
    stub.add_image(REPO, "stable")

    async def hook(request: web.Request) -> web.StreamResponse | None:
        challenge = f'Bearer realm="{realm}",service="stub"'
        return web.Response(status=401, headers={"WWW-Authenticate": challenge})

    stub.hooks.append(hook)
    async with running(stub) as (client, _):
        with pytest.raises(RegistryProtocolError, match="unusable URL"):
            await client.list_tags(REPO)
