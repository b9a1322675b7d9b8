"""Error paths: status codes, retries with backoff, Retry-After, bad JSON, timeouts, unreachable hosts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
from aiohttp import web

from image_updater.credentials import Credentials
from image_updater.errors import (
    RateLimited,
    RegistryAuthError,
    RegistryNotFound,
    RegistryProtocolError,
    RegistryUnavailable,
)
from image_updater.registry import transport
from image_updater.registry.counting import RequestCounter

from . import PASSWORD, USER, FakeClock, StubRegistry, make_client, running

Answer = Callable[[web.Request], Awaitable[web.StreamResponse | None]]


def answer_n_times(stub: StubRegistry, n: int, make: Callable[[], web.StreamResponse]) -> None:
    """Intercept the first `n` tag-list requests with `make()`; later ones reach the stub."""
    left = [n]

    async def hook(request: web.Request) -> web.StreamResponse | None:
        if request.path.endswith("/tags/list") and left[0] > 0:
            left[0] -= 1
            return make()
        return None

    stub.hooks.append(hook)


def stub() -> StubRegistry:
    registry = StubRegistry()
    registry.add_image("team/app", "1.0")
    return registry


@pytest.mark.parametrize("status", [401, 403])
async def test_denied_names_registry_and_repository_and_suggests_credentials(status: int) -> None:
    registry = stub()
    answer_n_times(
        registry, 99, lambda: web.Response(status=status, headers={"WWW-Authenticate": 'Basic realm="x"'})
    )
    async with running(registry, credentials=Credentials(USER, PASSWORD)) as (client, url):
        with pytest.raises(RegistryAuthError) as caught:
            await client.list_tags("team/app")
    message = str(caught.value)
    assert url.removeprefix("http://") in message
    assert "'team/app'" in message
    assert f"HTTP {status}" in message
    assert "check the credentials" in message
    assert PASSWORD not in message
    assert "\n" not in message


async def test_404_is_not_found() -> None:
    async with running(stub()) as (client, _):
        with pytest.raises(RegistryNotFound):
            await client.fetch_manifest("team/app", "nope")


async def test_5xx_is_retried_with_backoff_then_succeeds() -> None:
    registry = stub()
    answer_n_times(registry, 2, lambda: web.Response(status=503))
    clock = FakeClock()
    counter = RequestCounter()
    async with running(registry, clock=clock, counter=counter) as (client, _):
        assert await client.list_tags("team/app") == ["1.0"]
    assert len(clock.sleeps) == 2
    assert 0.25 <= clock.sleeps[0] <= 0.5
    assert 0.5 <= clock.sleeps[1] <= 1.0
    assert counter.total("tags") == 3
    assert counter.failures() == 2


async def test_5xx_forever_is_unavailable_after_the_retries() -> None:
    registry = stub()
    answer_n_times(registry, 99, lambda: web.Response(status=500))
    async with running(registry, retries=2) as (client, _):
        with pytest.raises(RegistryUnavailable, match=r"/team/app: HTTP 500 after 3 attempts$") as caught:
            await client.list_tags("team/app")
    assert caught.value.delay > 0
    assert registry.count("GET", "/tags/list") == 3


async def test_429_honours_retry_after_seconds() -> None:
    registry = stub()
    answer_n_times(registry, 1, lambda: web.Response(status=429, headers={"Retry-After": "7"}))
    clock = FakeClock()
    counter = RequestCounter()
    async with running(registry, clock=clock, counter=counter) as (client, _):
        assert await client.list_tags("team/app") == ["1.0"]
    assert clock.sleeps == [7.0]
    assert counter.rate_limits() == 1


async def test_429_forever_is_rate_limited_with_the_delay() -> None:
    registry = stub()
    answer_n_times(registry, 99, lambda: web.Response(status=429, headers={"Retry-After": "3600"}))
    clock = FakeClock()
    async with running(registry, clock=clock, retries=1) as (client, _):
        with pytest.raises(RateLimited, match="429") as caught:
            await client.list_tags("team/app")
    assert caught.value.delay == transport.MAX_RETRY_AFTER
    assert clock.sleeps == [transport.MAX_RETRY_AFTER]


NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("12", 12, id="seconds"),
        pytest.param(format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30, id="date"),
        pytest.param(format_datetime(NOW + timedelta(days=1), usegmt=True), 60, id="date-capped"),
        pytest.param(format_datetime(NOW - timedelta(days=1), usegmt=True), 0, id="date-past"),
        pytest.param("soon", 1.5, id="garbage-fallback"),
        pytest.param(None, 1.5, id="absent-fallback"),
    ],
)
def test_retry_after(value: str | None, expected: float) -> None:
    assert transport.retry_after(value, fallback=1.5, now=NOW) == expected


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"name": "team/app", "tags": ["1.0"', id="truncated"),
        pytest.param(b"<html>proxy error</html>", id="html"),
        pytest.param(b'["1.0"]', id="not-an-object"),
        pytest.param(b'{"tags": "1.0"}', id="tags-not-a-list"),
    ],
)
async def test_bad_json_is_a_protocol_error(body: bytes) -> None:
    registry = stub()
    answer_n_times(registry, 1, lambda: web.Response(body=body, content_type="application/json"))
    async with running(registry) as (client, _):
        with pytest.raises(RegistryProtocolError, match="team/app"):
            await client.list_tags("team/app")


async def test_a_slow_registry_times_out_as_unavailable() -> None:
    registry = stub()
    release = asyncio.Event()

    async def slow(request: web.Request) -> None:
        await release.wait()

    registry.hooks.append(slow)
    try:
        async with running(registry, timeout=0.1, retries=1) as (client, _):
            with pytest.raises(RegistryUnavailable, match=r"/team/app: timed out after 2 attempts$"):
                await client.list_tags("team/app")
    finally:
        release.set()


async def test_an_unreachable_registry_is_unavailable() -> None:
    async with aiohttp.ClientSession() as session:
        client = make_client(session, "http://127.0.0.1:9", retries=1)
        with pytest.raises(RegistryUnavailable, match="could not be reached"):
            await client.ping()


async def test_no_error_message_carries_credentials() -> None:
    secret = Credentials("robot$user", "s3cr3t-t0ken-value")
    registry = stub()

    async def forbid(request: web.Request) -> web.Response:
        return web.Response(status=403)

    registry.hooks.append(forbid)
    async with running(registry, credentials=secret) as (client, _):
        for call in (client.list_tags("team/app"), client.fetch_manifest("team/app", "1.0")):
            with pytest.raises(RegistryAuthError) as caught:
                await call
            assert "s3cr3t" not in str(caught.value)
            assert "robot$user" not in str(caught.value)


async def test_an_unexpected_status_is_a_protocol_error_and_a_failure() -> None:
    registry = stub()
    answer_n_times(registry, 1, lambda: web.Response(status=405))
    counter = RequestCounter()
    async with running(registry, counter=counter) as (client, _):
        with pytest.raises(RegistryProtocolError, match="unexpected HTTP 405"):
            await client.list_tags("team/app")
    assert counter.failures() == 1


async def test_a_broken_token_service_is_a_protocol_error() -> None:
    registry = StubRegistry(auth="bearer")
    registry.add_image("team/app", "1.0")

    async def no_tokens(request: web.Request) -> web.Response | None:
        return web.Response(status=404) if request.path == "/token" else None

    registry.hooks.append(no_tokens)
    async with running(registry) as (client, _):
        with pytest.raises(RegistryProtocolError, match=r"token service .* HTTP 404"):
            await client.list_tags("team/app")
