"""Lease-based leader election through the real client against the fake API server (short timings)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import pytest

from image_updater.errors import ConfigError, TransientError
from image_updater.kube import Api, LeaseTerms, run_as_leader
from tests.kube.fakeapi import FakeKube

LEASES = ("coordination.k8s.io/v1", "leases")
LEASE_SECONDS, RENEW_SECONDS, RETRY_SECONDS = 0.6, 0.4, 0.1


def terms(identity: str) -> LeaseTerms:
    return LeaseTerms("system", "image-updater", identity, LEASE_SECONDS, RENEW_SECONDS, RETRY_SECONDS)


def holder(fake: FakeKube) -> str | None:
    return fake.get(*LEASES, "system", "image-updater")["spec"].get("holderIdentity")


async def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


def forever(started: list[str], identity: str) -> Callable[[], Awaitable[None]]:
    async def work() -> None:
        started.append(identity)
        await asyncio.Event().wait()

    return work


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("release", [pytest.param(False, id="crash"), pytest.param(True, id="release")])
async def test_one_leader_and_the_other_takes_over(fake: FakeKube, api: Api, release: bool) -> None:
    started: list[str] = []
    tasks = {
        name: asyncio.create_task(
            run_as_leader(api, terms=terms(name), on_started=forever(started, name), release_on_exit=release),
            name=f"candidate-{name}",
        )
        for name in ("a", "b")
    }
    await wait_until(lambda: bool(started))
    await asyncio.sleep(LEASE_SECONDS)  # several renewals: the follower must stay a follower
    assert len(started) == 1
    first, second = started[0], "b" if started[0] == "a" else "a"
    assert holder(fake) == first

    loop = asyncio.get_running_loop()
    stopped_at = loop.time()
    await stop(tasks[first])
    await wait_until(lambda: len(started) == 2)
    waited = loop.time() - stopped_at

    assert started == [first, second]
    assert holder(fake) == second
    if release:
        assert waited < LEASE_SECONDS  # a released Lease is free at once
    else:
        assert waited >= LEASE_SECONDS - RETRY_SECONDS  # a crashed leader's Lease must run out first
    lease = fake.get(*LEASES, "system", "image-updater")["spec"]
    assert lease["leaseTransitions"] == 2
    assert lease["leaseDurationSeconds"] == 1
    await stop(tasks[second])


async def test_losing_the_lease_cancels_the_work(fake: FakeKube, api: Api) -> None:
    started: list[str] = []
    cancelled = asyncio.Event()

    async def work() -> None:
        started.append("a")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    leader = asyncio.create_task(run_as_leader(api, terms=terms("a"), on_started=work), name="candidate-a")
    await wait_until(lambda: bool(started))
    fake.modify(
        *LEASES, "system", "image-updater", lambda lease: lease["spec"].update(holderIdentity="intruder")
    )

    with pytest.raises(TransientError, match="lost the leader Lease system/image-updater"):
        await asyncio.wait_for(leader, 3)
    assert cancelled.is_set()
    assert holder(fake) == "intruder"  # not ours, so not released


async def test_a_failed_renewal_within_the_deadline_is_tolerated(fake: FakeKube, api: Api) -> None:
    started: list[str] = []
    leader = asyncio.create_task(run_as_leader(api, terms=terms("a"), on_started=forever(started, "a")))
    await wait_until(lambda: bool(started))
    fake.fail_next(503, "ServiceUnavailable")
    fake.fail_next(500, "InternalError")
    await asyncio.sleep(RENEW_SECONDS)
    assert not leader.done()
    assert holder(fake) == "a"
    await stop(leader)
    assert holder(fake) is None


async def test_work_that_returns_releases_the_lease(fake: FakeKube, api: Api) -> None:
    done: list[str] = []

    async def work() -> None:
        done.append("x")

    await asyncio.wait_for(run_as_leader(api, terms=terms("a"), on_started=work), 3)
    assert done == ["x"]
    assert holder(fake) is None
    writes = fake.writes()
    assert [w.method for w in writes] == ["POST", "PUT"]
    assert all(w.content_type == "application/json" for w in writes)


async def test_work_errors_propagate(fake: FakeKube, api: Api) -> None:
    async def work() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await asyncio.wait_for(run_as_leader(api, terms=terms("a"), on_started=work), 3)


@pytest.mark.parametrize(
    ("identity", "timings"),
    [
        pytest.param("", (15, 10, 2), id="no-identity"),
        pytest.param("a", (10, 10, 2), id="renew-not-below-lease"),
        pytest.param("a", (15, 10, 0), id="zero-retry"),
    ],
)
def test_lease_terms_are_validated(identity: str, timings: tuple[float, float, float]) -> None:
    with pytest.raises(ConfigError, match="leader election"):
        LeaseTerms("ns", "lease", identity, *timings)
