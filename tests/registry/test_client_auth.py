"""Authentication: challenges, anonymous and credentialed tokens, token caching and renewal, Basic."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict, CIMultiDictProxy

from image_updater.credentials import Credentials
from image_updater.errors import RegistryAuthError
from image_updater.registry import auth
from image_updater.registry.authenticating import Authenticator
from image_updater.registry.cache import MetadataCache
from image_updater.registry.client import RegistryClient
from image_updater.registry.counting import RequestCounter
from image_updater.registry.limits import RequestLimiter
from image_updater.registry.transport import Response, Transport
from image_updater.settings.registries import Endpoint

from . import PASSWORD, USER, FakeClock, StubRegistry, basic, running, serve

ALICE = Credentials(USER, PASSWORD)


def stub_with_image(**options: object) -> StubRegistry:
    stub = StubRegistry(**options)  # type: ignore[arg-type]
    stub.add_image("team/app", "1.0")
    return stub


async def test_ping_remembers_the_bearer_challenge() -> None:
    stub = stub_with_image(auth="bearer")
    async with running(stub) as (client, url):
        challenge = await client.ping()
    assert challenge is not None
    assert challenge.scheme == "bearer"
    assert challenge.param("realm") == f"{url}/token"
    assert challenge.param("service") == "stub"


async def test_ping_without_auth_returns_none() -> None:
    async with running(stub_with_image()) as (client, _):
        assert await client.ping() is None


async def test_anonymous_token_is_fetched_without_authorization_and_used() -> None:
    stub = stub_with_image(auth="bearer")
    async with running(stub) as (client, _):
        assert await client.list_tags("team/app") == ["1.0"]
    token_requests = [s for s in stub.seen if s.path == "/token"]
    assert len(token_requests) == 1
    assert token_requests[0].authorization is None
    assert "scope=repository%3Ateam%2Fapp%3Apull" in token_requests[0].query or (
        "scope=repository:team/app:pull" in token_requests[0].query
    )
    assert "service=stub" in token_requests[0].query
    assert stub.seen[-1].authorization == "Bearer tok-0"


async def test_credentials_go_to_the_token_endpoint_as_basic_auth() -> None:
    stub = stub_with_image(auth="bearer", anonymous_pull=False)
    async with running(stub, credentials=ALICE) as (client, _):
        await client.list_tags("team/app")
    assert [s.authorization for s in stub.seen if s.path == "/token"] == [basic(USER, PASSWORD)]


async def test_token_is_cached_per_scope_until_it_expires() -> None:
    stub = stub_with_image(auth="bearer", expires_in=120)
    stub.add_image("team/other", "2.0")
    clock = FakeClock()
    async with running(stub, clock=clock) as (client, _):
        await client.list_tags("team/app")
        await client.list_tags("team/app")
        assert stub.count("GET", "/token") == 1
        await client.list_tags("team/other")  # another scope, another token
        assert stub.count("GET", "/token") == 2
        clock.now += 119
        await client.list_tags("team/app")
        assert stub.count("GET", "/token") == 3  # renewed a little before expiry


async def test_missing_expires_in_means_sixty_seconds() -> None:
    stub = stub_with_image(auth="bearer", expires_in=None)
    clock = FakeClock()
    async with running(stub, clock=clock) as (client, _):
        await client.list_tags("team/app")
        clock.now += 50
        await client.list_tags("team/app")
        assert stub.count("GET", "/token") == 1
        clock.now += 10
        await client.list_tags("team/app")
        assert stub.count("GET", "/token") == 2


async def test_a_rejected_token_is_replaced_once() -> None:
    stub = stub_with_image(auth="bearer")
    async with running(stub) as (client, _):
        await client.list_tags("team/app")
        stub.valid_tokens.clear()  # the registry forgot our token (rotated keys, revoked...)
        assert await client.list_tags("team/app") == ["1.0"]
    assert stub.count("GET", "/token") == 2


async def test_a_second_401_is_an_auth_error_naming_registry_and_repository() -> None:
    stub = stub_with_image(auth="bearer")

    async def forget_tokens(request: web.Request) -> None:
        stub.valid_tokens.clear()

    stub.hooks.append(forget_tokens)  # every token is rejected
    async with running(stub, credentials=ALICE) as (client, url):
        with pytest.raises(RegistryAuthError) as caught:
            await client.list_tags("team/app")
    message = str(caught.value)
    assert url.removeprefix("http://") in message
    assert "team/app" in message
    assert "credentials" in message
    assert PASSWORD not in message
    assert "tok-" not in message
    assert stub.count("GET", "/token") == 1
    assert stub.count("GET", "/tags/list") == 2


async def test_token_service_refusing_credentials_is_an_auth_error_without_secrets() -> None:
    stub = stub_with_image(auth="bearer", anonymous_pull=False)
    wrong = Credentials(USER, "wrong-password-123")
    async with running(stub, credentials=wrong) as (client, _):
        with pytest.raises(RegistryAuthError, match="token service") as caught:
            await client.list_tags("team/app")
    assert "wrong-password-123" not in str(caught.value)
    assert "team/app" in str(caught.value)


async def test_basic_challenge_sends_credentials_on_each_request() -> None:
    stub = stub_with_image(auth="basic")
    async with running(stub, credentials=ALICE) as (client, _):
        assert await client.list_tags("team/app") == ["1.0"]
        assert await client.manifest_digest("team/app", "1.0")
    assert [s.authorization for s in stub.seen] == [None, basic(USER, PASSWORD), basic(USER, PASSWORD)]


async def test_basic_challenge_without_credentials_is_an_auth_error() -> None:
    async with running(stub_with_image(auth="basic")) as (client, _):
        with pytest.raises(
            RegistryAuthError, match="requires credentials for repository 'team/app'; none configured"
        ):
            await client.list_tags("team/app")


async def test_basic_with_wrong_password_never_shows_the_password() -> None:
    wrong = Credentials(USER, "hunter2-wrong")
    async with running(stub_with_image(auth="basic"), credentials=wrong) as (client, _):
        with pytest.raises(RegistryAuthError) as caught:
            await client.list_tags("team/app")
    assert "hunter2-wrong" not in str(caught.value)
    assert USER not in str(caught.value)


async def test_401_without_a_challenge_is_an_auth_error() -> None:
    stub = stub_with_image()

    async def deny(request: web.Request) -> web.Response:
        return web.Response(status=401)

    stub.hooks.append(deny)
    async with running(stub) as (client, _):
        with pytest.raises(RegistryAuthError, match="without a usable auth challenge"):
            await client.list_tags("team/app")


@pytest.mark.parametrize(
    ("header", "scheme", "params"),
    [
        pytest.param(
            'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
            'scope="repository:library/nginx:pull,push"',
            "bearer",
            {
                "realm": "https://auth.docker.io/token",
                "service": "registry.docker.io",
                "scope": "repository:library/nginx:pull,push",
            },
            id="docker-hub",
        ),
        pytest.param('Basic realm="Registry Realm"', "basic", {"realm": "Registry Realm"}, id="basic"),
        pytest.param(
            "bearer realm=https://x/token, service=x",
            "bearer",
            {"realm": "https://x/token", "service": "x"},
            id="unquoted-lowercase",
        ),
    ],
)
def test_parse_challenge(header: str, scheme: str, params: dict[str, str]) -> None:
    challenge = auth.parse_challenge(header)
    assert challenge is not None
    assert challenge.scheme == scheme
    assert {k: challenge.param(k) for k in params} == params


@pytest.mark.parametrize(
    ("host", "scope"),
    [
        pytest.param("registry-1.docker.io", "repository:a/b:pull", id="docker-hub"),
        pytest.param("myacr.azurecr.io", "repository:a/b:pull,metadata_read,content_read", id="acr"),
        pytest.param("myacr.azurecr.io:443", "repository:a/b:pull,metadata_read,content_read", id="acr-port"),
    ],
)
def test_pull_scope(host: str, scope: str) -> None:
    assert auth.pull_scope(host=host, repository="a/b") == scope


def test_token_url_keeps_the_realm_query() -> None:
    challenge = auth.Challenge("bearer", (("realm", "https://x/token?tenant=t1"), ("service", "svc")))
    assert auth.token_url(challenge, scope="repository:a/b:pull") == (
        "https://x/token?tenant=t1&service=svc&scope=repository:a/b:pull"
    )


@pytest.mark.parametrize(
    ("body", "value", "lifetime"),
    [
        pytest.param(b'{"token": "tok-secret", "expires_in": 300}', "tok-secret", 300, id="token"),
        pytest.param(b'{"access_token": "acc-secret", "refresh_token": "r"}', "acc-secret", 60, id="access"),
        pytest.param(b'{"token": "tok-secret", "expires_in": 5}', "tok-secret", 60, id="floor-60"),
    ],
)
def test_parse_token(body: bytes, value: str, lifetime: int) -> None:
    token = auth.parse_token(body, now=0.0, where="r/x")
    assert token.value == value
    assert token.expires_at == lifetime - auth.EXPIRY_LEEWAY
    assert value not in repr(token)


async def test_concurrent_requests_share_one_token_fetch() -> None:
    stub = stub_with_image(auth="bearer")
    async with running(stub) as (client, _):
        await client.ping()
        await asyncio.gather(*(client.manifest_digest("team/app", "1.0") for _ in range(10)))
        assert stub.count("GET", "/token") == 1
        stub.valid_tokens.clear()
        await asyncio.gather(*(client.manifest_digest("team/app", "1.0") for _ in range(10)))
    assert stub.count("GET", "/token") == 2


async def test_credentials_are_not_asked_for_while_a_token_is_valid() -> None:
    stub = stub_with_image(auth="bearer")
    calls = 0

    async def provider() -> Credentials | None:
        nonlocal calls
        calls += 1
        return ALICE

    async with aiohttp.ClientSession() as session, serve(stub.app()) as url:
        client = RegistryClient(
            session=session,
            endpoint=Endpoint(name="stub", api_url=url),
            credentials=provider,
            counter=RequestCounter(),
            limiter=RequestLimiter(limit=None),
            cache=MetadataCache(),
        )
        for _ in range(3):
            await client.list_tags("team/app")
    assert calls == 1


async def test_credentials_are_not_sent_to_a_plain_http_realm_of_a_tls_registry() -> None:
    async with aiohttp.ClientSession() as session:
        clock = FakeClock()
        transport = Transport(
            session=session,
            api_url="https://r.io",
            counter=RequestCounter(),
            limiter=RequestLimiter(limit=None),
            timeout=aiohttp.ClientTimeout(total=1),
            retries=0,
            sleep=clock.sleep,
        )

        async def provider() -> Credentials | None:
            return ALICE

        authenticator = Authenticator(
            registry="r.io", https=True, transport=transport, credentials=provider, clock=clock
        )
        response = Response(
            401,
            CIMultiDictProxy(CIMultiDict({"WWW-Authenticate": 'Bearer realm="http://r.io/token"'})),
            b"",
            "https://r.io/v2/a/tags/list",
        )
        authenticator.learn(response, repository="a")
        with pytest.raises(RegistryAuthError, match="plain-HTTP token service") as caught:
            await authenticator.authorization(repository="a")
        assert PASSWORD not in str(caught.value)
