"""Registry credentials go only to their own origin (docs/security.md, "Registry operators").

A hostile registry (the stub of tests/registry, on 127.0.0.1) tries to make the client carry our
Basic password or Bearer token to another origin, a second loopback server that records every
`Authorization` it receives: through a tag-list `Link` page, a redirect of a manifest or blob,
a 401 challenge served from the other origin after a redirect, and a token realm that redirects.
The Basic credentials go to the token realm the registry named (that is how token auth works)
and nowhere else; a Bearer token or Basic header never reaches the other origin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from image_updater.credentials import Credentials
from image_updater.errors import RegistryError, RegistryProtocolError
from image_updater.registry.client import RegistryClient
from tests.registry import PASSWORD, USER, StubRegistry, basic, running, serve

REPO = "team/app"


@dataclass
class Elsewhere:
    """Another origin: answers every request with `answer` and records (path, Authorization)."""

    answer: Callable[[web.Request], web.Response] = lambda _: web.json_response({"tags": ["evil"]})
    seen: list[tuple[str, str | None]] = field(default_factory=list)

    def app(self) -> web.Application:
        async def handle(request: web.Request) -> web.Response:
            self.seen.append((request.path, request.headers.get("Authorization")))
            return self.answer(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handle)
        return app

    @property
    def authorizations(self) -> list[str]:
        return [auth for _, auth in self.seen if auth is not None]


def _authorized(stub: StubRegistry, request: web.Request) -> bool:
    header = request.headers.get("Authorization", "")
    return header == basic(USER, PASSWORD) or header.removeprefix("Bearer ") in stub.valid_tokens


Attack = Callable[[StubRegistry, str], None]  # (the stub, the other origin's base URL)
Call = Callable[[RegistryClient], Awaitable[object]]


def _hook(stub: StubRegistry, fragment: str, reply: Callable[[web.Request], web.Response]) -> None:
    """Answer authorized requests whose path holds `fragment` with `reply` (others go on as usual)."""

    async def hook(request: web.Request) -> web.StreamResponse | None:
        return reply(request) if fragment in request.path and _authorized(stub, request) else None

    stub.hooks.append(hook)


def link_to_elsewhere(stub: StubRegistry, other: str) -> None:
    link = f'<{other}/v2/{REPO}/tags/list?n=1&last=1.0>; rel="next"'
    _hook(stub, "/tags/list", lambda _: web.json_response({"tags": ["1.0"]}, headers={"Link": link}))


def manifest_moved_elsewhere(stub: StubRegistry, other: str) -> None:
    _hook(stub, "/manifests/", lambda r: web.Response(status=307, headers={"Location": other + r.path}))


def _list(client: RegistryClient) -> Awaitable[object]:
    return client.list_tags(REPO)


def _manifest(client: RegistryClient) -> Awaitable[object]:
    return client.fetch_manifest(REPO, "1.0")


async def _refusal(call: Awaitable[object]) -> str | None:
    """The message of the registry error `call` raised, None if it went through."""
    try:
        await call
    except RegistryError as err:
        return str(err)
    return None


def _challenge_from(other: str) -> Callable[[web.Request], web.Response]:
    challenge = f'Bearer realm="{other}/token",service="evil"'
    return lambda _: web.json_response({}, status=401, headers={"WWW-Authenticate": challenge})


@pytest.mark.parametrize("auth", ["basic", "bearer"])
@pytest.mark.parametrize(
    ("attack", "call", "challenges"),
    [
        pytest.param(link_to_elsewhere, _list, False, id="link-page-on-another-origin"),
        pytest.param(manifest_moved_elsewhere, _manifest, False, id="manifest-redirected-to-another-origin"),
        # the other origin answers the redirected request with its own challenge, hoping for the password
        pytest.param(manifest_moved_elsewhere, _manifest, True, id="401-challenge-from-another-origin"),
    ],
)
async def test_no_authorization_reaches_another_origin(
    auth: str, attack: Attack, call: Call, challenges: bool
) -> None:
    stub = StubRegistry(auth=auth, anonymous_pull=False)
    stub.add_image(REPO, "1.0")
    other = Elsewhere()
    async with serve(other.app()) as other_url:
        if challenges:
            other.answer = _challenge_from(other_url)
        attack(stub, other_url)
        async with running(stub, credentials=Credentials(USER, PASSWORD)) as (client, _):
            refusal = await _refusal(call(client))
    if refusal is not None:  # refusing is fine (and preferred); it says which registry, in one line
        assert client.registry in refusal
        assert "\n" not in refusal
    assert any(s.authorization for s in stub.seen)  # the registry itself did get our credentials
    assert other.authorizations == []
    assert all(path != "/token" for path, _ in other.seen)  # no token asked from a realm it named


async def test_a_token_realm_that_redirects_gets_the_password_and_its_target_nothing() -> None:
    other = Elsewhere()
    realm = Elsewhere()
    async with serve(other.app()) as other_url, serve(realm.app()) as realm_url:
        realm.answer = lambda r: web.Response(
            status=302, headers={"Location": f"{other_url}/token?{r.query_string}"}
        )
        stub = StubRegistry(auth="bearer", anonymous_pull=False)
        stub.add_image(REPO, "1.0")

        async def challenge(request: web.Request) -> web.StreamResponse | None:
            if request.headers.get("Authorization"):
                return None
            realm_challenge = f'Bearer realm="{realm_url}/token",service="stub"'
            return web.json_response({}, status=401, headers={"WWW-Authenticate": realm_challenge})

        stub.hooks.append(challenge)
        async with running(stub, credentials=Credentials(USER, PASSWORD)) as (client, _):
            with pytest.raises(RegistryProtocolError) as caught:
                await client.list_tags(REPO)

    assert (
        str(caught.value)
        == f"the token service of {client.registry} answered HTTP 302 for {client.registry}/{REPO}"
    )
    assert realm.authorizations == [basic(USER, PASSWORD)]  # the realm the registry named: expected
    assert other.seen == []  # the redirect from the realm is not followed, with or without the password


async def test_a_same_origin_link_page_keeps_the_credentials() -> None:
    stub = StubRegistry(auth="basic", anonymous_pull=False)
    stub.add_image(REPO, "1.0")
    stub.add_image(REPO, "2.0")
    link = f'</v2/{REPO}/tags/list?n=1&last=1.0>; rel="next"'

    def page(request: web.Request) -> web.Response:
        if "last=1.0" in request.query_string:
            return web.json_response({"tags": ["2.0"]})
        return web.json_response({"tags": ["1.0"]}, headers={"Link": link})

    _hook(stub, "/tags/list", page)
    async with running(stub, credentials=Credentials(USER, PASSWORD)) as (client, _):
        assert await client.list_tags(REPO) == ["1.0", "2.0"]
    pages = [s for s in stub.seen if "/tags/list" in s.path and s.authorization]
    assert [s.query.endswith("last=1.0") for s in pages] == [False, True]
