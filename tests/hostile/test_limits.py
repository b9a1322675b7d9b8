"""Every wait is bounded (docs/security.md, "Bounded work"): rate limits have a floor, a registry's
Retry-After is capped, backoff is capped, and a cycle has a deadline after which what has not
finished is reported as timed out while the rest is written. No timing assertions: waits are
recorded on a fake clock, and the deadline test checks outcomes, not durations.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from aiohttp import web

from image_updater.errors import InvalidRegistryConfig
from image_updater.registry import transport
from image_updater.registry.limits import RequestLimiter
from image_updater.settings.registries import MIN_LIMIT, parse_registries_conf
from tests.hostile.conftest import HostileFactory
from tests.registry import FakeClock, StubRegistry, running


def conf(limit: str) -> str:
    entry = "- name: Slow\n  api_url: https://slow.example.com\n  prefix: slow.example.com\n"
    return f"registries:\n{entry}  limit: {limit}\n"


@pytest.mark.parametrize(
    "limit",
    [
        pytest.param("0.000000001", id="decades-per-request"),
        pytest.param("0.009", id="just-below-the-floor"),
        pytest.param(".inf", id="infinite"),
        pytest.param(".nan", id="not-a-number"),
    ],
)
def test_a_limit_below_the_floor_or_not_finite_is_refused_at_load(limit: str) -> None:
    with pytest.raises(InvalidRegistryConfig) as caught:
        parse_registries_conf(conf(limit))
    message = str(caught.value)
    assert message.startswith('registries.conf: registries[0] (Slow): "limit" must be at least 0.01')
    assert "\n" not in message


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        pytest.param("0.01", 0.01, id="the-floor"),
        pytest.param("0", None, id="zero-is-unlimited-as-upstream"),
        pytest.param("-1", None, id="negative-is-unlimited-as-upstream"),
    ],
)
def test_limits_at_the_floor_or_unlimited_load(limit: str, expected: float | None) -> None:
    (endpoint,) = parse_registries_conf(conf(limit)).endpoints
    assert endpoint.limit == expected


@pytest.mark.parametrize("limit", [1e-9, float("inf"), float("nan"), MIN_LIMIT / 2])
def test_the_limiter_refuses_what_would_sleep_unbounded(limit: float) -> None:  # `test --rate-limit`
    with pytest.raises(InvalidRegistryConfig, match=r"at least 0\.01 requests/second"):
        RequestLimiter(limit=limit)


async def test_the_slowest_limit_waits_at_most_100_seconds_per_request() -> None:
    clock = FakeClock()
    limiter = RequestLimiter(limit=MIN_LIMIT, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await limiter.take()
    assert clock.sleeps
    assert max(clock.sleeps) <= 1 / MIN_LIMIT


NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("86400", id="a-day"),
        pytest.param("9" * 400, id="four-hundred-digits"),
        pytest.param(format_datetime(NOW + timedelta(days=3650), usegmt=True), id="date-in-ten-years"),
        pytest.param("-5", id="negative"),
        pytest.param("1e9", id="exponent"),
        pytest.param("\u00b2", id="superscript-two"),  # a digit to str.isdigit, not to float()
        pytest.param("\u0663", id="arabic-indic-three"),
    ],
)
def test_retry_after_is_capped(value: str) -> None:
    assert 0 <= transport.retry_after(value, fallback=1.0, now=NOW) <= transport.MAX_RETRY_AFTER


async def test_a_registry_asking_to_wait_for_ever_is_waited_for_at_most_the_cap() -> None:
    registry = StubRegistry()
    registry.add_image("team/app", "1.0")
    left = [2]

    async def hook(request: web.Request) -> web.StreamResponse | None:
        if request.path.endswith("/tags/list") and left[0] > 0:
            left[0] -= 1
            return web.Response(status=429, headers={"Retry-After": "9" * 30})
        return None

    registry.hooks.append(hook)
    clock = FakeClock()
    async with running(registry, clock=clock) as (client, _):
        assert await client.list_tags("team/app") == ["1.0"]
    assert clock.sleeps == [transport.MAX_RETRY_AFTER] * 2


def test_backoff_is_capped() -> None:
    assert max(transport.backoff(attempt) for attempt in range(64)) <= transport.BACKOFF_CAP


@pytest.fixture
def hanging_registry() -> Iterator[str]:
    """host:port of a registry that accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)  # the kernel completes the handshakes; nobody ever reads or answers
        yield f"127.0.0.1:{listener.getsockname()[1]}"


def test_a_hanging_registry_is_timed_out_at_the_deadline_and_the_rest_is_written(
    hostile: HostileFactory, hanging_registry: str
) -> None:
    setup = hostile({})
    setup.app("hangs", path="apps/platform", annotations={"image-list": f"api={hanging_registry}/org/api"})

    result = setup.run("--cycle-timeout", "15s")  # ample for the good one on a loaded machine

    assert result.exit_code == 1
    assert (
        f"application argocd/hangs: timed out checking {hanging_registry}/org/api: the cycle deadline "
        "(15s, --cycle-timeout) passed; tried again next cycle"
    ) in result.output
    assert "Traceback" not in result.output
    assert setup.good_was_updated()
