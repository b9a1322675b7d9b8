"""The per-registry limiter (token bucket on a fake clock, concurrency cap) and the request counter."""

from __future__ import annotations

import asyncio

import pytest

from image_updater.errors import InvalidRegistryConfig
from image_updater.registry.counting import RequestCounter
from image_updater.registry.limits import RequestLimiter

from . import FakeClock, StubRegistry, running


async def test_token_bucket_spaces_requests_after_the_burst() -> None:
    clock = FakeClock()
    limiter = RequestLimiter(limit=2.0, clock=clock, sleep=clock.sleep)  # burst 2
    start = clock.now
    for _ in range(6):
        await limiter.take()
    assert clock.now - start == pytest.approx(2.0)  # 2 free, then 4 at 0.5 s each
    assert clock.sleeps == pytest.approx([0.5] * 4)


async def test_token_bucket_refills_while_idle_up_to_the_burst() -> None:
    clock = FakeClock()
    limiter = RequestLimiter(limit=1.0, burst=3.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        await limiter.take()
    clock.now += 100  # a long idle time refills only up to the burst
    for _ in range(3):
        await limiter.take()
    assert clock.sleeps == []
    await limiter.take()
    assert clock.sleeps == pytest.approx([1.0])


async def test_unlimited_never_sleeps() -> None:
    clock = FakeClock()
    limiter = RequestLimiter(limit=None, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        await limiter.take()
    assert clock.sleeps == []


async def test_concurrency_is_capped() -> None:
    limiter = RequestLimiter(limit=None, concurrency=2)
    inside = 0
    peak = 0

    async def request() -> None:
        nonlocal inside, peak
        async with limiter.slot():
            inside += 1
            peak = max(peak, inside)
            await asyncio.sleep(0.01)
            inside -= 1

    async with asyncio.TaskGroup() as group:
        for _ in range(6):
            group.create_task(request())
    assert peak == 2


@pytest.mark.parametrize(
    "options",
    [pytest.param({"limit": 0.0}, id="zero-limit"), pytest.param({"limit": None, "concurrency": 0}, id="c0")],
)
def test_invalid_limits_are_config_errors(options: dict[str, float | None]) -> None:
    with pytest.raises(InvalidRegistryConfig):
        RequestLimiter(**options)  # type: ignore[arg-type]


async def test_the_client_takes_a_token_per_request() -> None:
    stub = StubRegistry(auth="bearer")
    stub.add_image("team/app", "1.0")
    clock = FakeClock()
    limiter = RequestLimiter(limit=1.0, clock=clock, sleep=clock.sleep)
    async with running(stub, limiter=limiter) as (client, _):
        await client.list_tags("team/app")  # 401, token, tags again: three requests
    assert clock.sleeps == pytest.approx([1.0, 1.0])


async def test_counter_snapshot_and_totals() -> None:
    counter = RequestCounter()
    counter.record_request(registry="a.io", kind="tags")
    counter.record_request(registry="a.io", kind="tags")
    counter.record_request(registry="b.io", kind="manifest_head")
    counter.record_failure(registry="a.io")
    counter.record_rate_limited(registry="b.io")
    assert counter.snapshot() == {
        ("a.io", "failed"): 1,
        ("a.io", "tags"): 2,
        ("b.io", "manifest_head"): 1,
        ("b.io", "rate_limited"): 1,
    }
    assert counter.by_kind() == {"tags": 2, "manifest_head": 1}
    assert (counter.total(), counter.total("tags"), counter.total(registry="b.io")) == (3, 2, 1)
    assert (counter.failures(), counter.rate_limits(registry="a.io")) == (1, 0)
