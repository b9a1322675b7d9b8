"""What a valid webhook push does, against a real registry and a real git server.

A push runs selection and write-back for exactly the Applications watching its repository,
from the registry's own tag list (the payload's tag is a hint); pushes for a repository in flight
collapse into one follow-up run; different repositories run at once; a polling cycle running at
the same time writes each update once.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import structlog

from devtools.registry import LocalRegistry
from image_updater.runtime import dispatch
from image_updater.webhooks.events import RegistryPush
from tests.runtime.dispatching import World, world

NS = "argocd_image_updater"


def metric(w: World, name: str) -> float:
    return w.metrics.registry.get_sample_value(f"{NS}_{name}") or 0.0


def history(w: World, app: str) -> int:
    """How many commits changed the Application's kustomization (the first one created it)."""
    return len(w.git("log", "--format=%H", "main", "--", f"apps/{app}/kustomization.yaml").splitlines())


async def test_a_push_updates_exactly_the_applications_watching_its_repository(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str
) -> None:
    a, b = f"{fresh_repo}/a", f"{fresh_repo}/b"
    async with world(registry, tmp_path, {"a1": a, "a2": a, "b1": b}) as w:
        w.push(a, "1.1.0")
        w.push(b, "1.1.0")  # newer too, but no push for it reached us: left to polling
        w.dispatcher.submit([w.event(a, "1.1.0")])
        await w.dispatcher.wait_idle()
        assert w.tags() == {"a1": "1.1.0", "a2": "1.1.0", "b1": "1.0.0"}
        assert len(w.commits()) == 2  # the initial one, and one for both Applications
        assert w.tag_lists() == 1  # only the pushed repository was listed
        assert metric(w, "webhook_event_to_commit_seconds_count") == 1


async def test_applications_configured_by_an_imageupdater_resource_are_updated_too(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str
) -> None:
    a, b = f"{fresh_repo}/a", f"{fresh_repo}/b"
    watches = {"annotated": a, "by-resource": a, "other": b}
    async with world(registry, tmp_path, watches, by_resource=frozenset({"by-resource", "other"})) as w:
        w.push(a, "1.1.0")
        w.push(b, "1.1.0")
        w.dispatcher.submit([w.event(a, "1.1.0")])
        await w.dispatcher.wait_idle()
        assert w.tags() == {"annotated": "1.1.0", "by-resource": "1.1.0", "other": "1.0.0"}
        assert w.statuses() == []  # a targeted run saw some images only: statuses are the cycle's
        await w.cycle.run()
        assert len(w.statuses()) == 2


@pytest.mark.parametrize(
    ("registry_tag", "payload", "expected"),
    [
        pytest.param(None, ("same", "9.9.9"), "1.0.0", id="tag-the-registry-does-not-have-changes-nothing"),
        pytest.param("1.2.0", ("same", "1.0.0"), "1.2.0", id="payload-names-an-old-tag-registry-decides"),
        pytest.param("1.2.0", ("same", None), "1.2.0", id="payload-without-tag"),
        pytest.param("1.2.0", ("other", "1.2.0"), "1.0.0", id="push-for-another-repository-changes-nothing"),
    ],
)
async def test_the_payload_is_only_a_hint(
    registry: LocalRegistry,
    tmp_path: Path,
    fresh_repo: str,
    registry_tag: str | None,
    payload: tuple[str, str | None],
    expected: str,
) -> None:
    repo = f"{fresh_repo}/a"
    async with world(registry, tmp_path, {"a1": repo}) as w:
        if registry_tag:
            w.push(repo, registry_tag)
        which, tag = payload
        w.dispatcher.submit([w.event(repo if which == "same" else f"{fresh_repo}/unwatched", tag)])
        await w.dispatcher.wait_idle()
        assert w.tag_of("a1") == expected
        assert len(w.commits()) == (1 if expected == "1.0.0" else 2)
        assert w.tag_lists() == (1 if which == "same" else 0)  # an unwatched repository costs no request


@pytest.mark.parametrize(
    "upper", [pytest.param(False, id="as-written"), pytest.param(True, id="host-upper-case")]
)
async def test_registry_spellings_match(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str, upper: bool
) -> None:
    repo = f"{fresh_repo}/a"
    async with world(registry, tmp_path, {"a1": repo}) as w:
        w.push(repo, "1.1.0")
        host = registry.host.upper() if upper else registry.host
        w.dispatcher.submit([RegistryPush(registry=host, repository=repo, tag="1.1.0")])
        await w.dispatcher.wait_idle()
        assert w.tag_of("a1") == "1.1.0"


async def test_pushes_for_a_repository_in_flight_collapse_into_one_follow_up(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str
) -> None:
    repo = f"{fresh_repo}/a"
    async with world(registry, tmp_path, {"a1": repo, "a2": repo}) as w:
        w.push(repo, "1.1.0")
        w.dispatcher.submit([w.event(repo, "1.1.0")])
        assert len(w.dispatcher.batches) == 1  # running
        w.dispatcher.submit([w.event(repo, "1.1.1"), w.event(repo, "1.1.2"), w.event(repo, "1.1.3")])
        assert len(w.dispatcher.batches) == 1  # the follow-up waits for the run in flight
        await w.dispatcher.wait_idle()
        assert w.tag_lists() == 2  # the first run and one follow-up for three pushes
        assert metric(w, "webhook_events_coalesced_total") == 2
        assert w.tags() == {"a1": "1.1.0", "a2": "1.1.0"}


async def test_different_repositories_run_in_parallel(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str
) -> None:
    a, b = f"{fresh_repo}/a", f"{fresh_repo}/b"
    async with world(registry, tmp_path, {"a1": a, "b1": b}) as w:
        w.push(a, "1.1.0")
        w.push(b, "2.0.0")
        w.dispatcher.submit([w.event(a)])
        w.dispatcher.submit([w.event(b)])
        assert sorted(len(batch) for batch in w.dispatcher.batches) == [1, 1]  # two runs at once
        await w.dispatcher.wait_idle()
        assert w.tags() == {"a1": "1.1.0", "b1": "2.0.0"}
        assert metric(w, "webhook_events_coalesced_total") == 0


async def test_a_polling_cycle_at_the_same_time_writes_each_update_once(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str
) -> None:
    a, b = f"{fresh_repo}/a", f"{fresh_repo}/b"
    async with world(registry, tmp_path, {"a1": a, "a2": a, "b1": b}) as w:
        w.push(a, "1.1.0")
        w.push(b, "1.1.0")
        w.dispatcher.submit([w.event(a)])
        report = await w.cycle.run()
        await w.dispatcher.wait_idle()
        assert report.errors == []
        assert w.tags() == {"a1": "1.1.0", "a2": "1.1.0", "b1": "1.1.0"}
        assert {app: history(w, app) for app in w.watches} == {"a1": 2, "a2": 2, "b1": 2}


async def test_close_waits_for_the_running_write_and_drops_what_waits(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str
) -> None:
    repo = f"{fresh_repo}/a"
    async with world(registry, tmp_path, {"a1": repo}) as w:
        w.push(repo, "1.1.0")
        w.dispatcher.submit([w.event(repo)])
        w.dispatcher.submit([w.event(repo)])  # would be the follow-up
        await w.dispatcher.close()
        assert w.tag_of("a1") == "1.1.0"
        assert w.tag_lists() == 1
        w.dispatcher.submit([w.event(repo)])  # after close: nothing starts
        assert w.dispatcher.batches == []
        await asyncio.sleep(0)


async def test_a_flood_of_repositories_beyond_the_bound_is_left_to_polling(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "MAX_PENDING", 2)
    repo = f"{fresh_repo}/a"
    async with world(registry, tmp_path, {"a1": repo}) as w:
        w.dispatcher.submit([w.event(f"{fresh_repo}/busy-1")])
        w.dispatcher.submit([w.event(f"{fresh_repo}/busy-2")])  # both batches now run
        with structlog.testing.capture_logs() as logs:
            w.dispatcher.submit([w.event(f"{fresh_repo}/x{n}") for n in range(5)])
            await w.dispatcher.wait_idle()
        dropped = [e for e in logs if e["event"].startswith("webhook push dropped")]
        assert [e["repository"].rsplit("/", 1)[1] for e in dropped] == ["x2", "x3", "x4"]
        [run] = [e for e in logs if e["event"] == "webhook run done" and "busy" not in e["repositories"]]
        assert [name.rsplit("/", 1)[1] for name in run["repositories"].split(", ")] == ["x0", "x1"]
        assert run["pushes"] == 2


async def test_a_flood_for_one_repository_keeps_a_bounded_number_of_arrival_times(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dispatch, "MAX_ARRIVALS", 3)
    repo = f"{fresh_repo}/a"
    async with world(registry, tmp_path, {"a1": repo}) as w:
        w.push(repo, "1.1.0")
        w.dispatcher.submit([w.event(repo)])  # running: the rest waits for it
        with structlog.testing.capture_logs() as logs:
            w.dispatcher.submit([w.event(repo) for _ in range(50)])
            await w.dispatcher.wait_idle()
        *_, follow_up = [e for e in logs if e["event"] == "webhook run done"]
        assert follow_up["pushes"] == 3  # 50 pushes waited for the first run; 3 arrival times were kept
        assert metric(w, "webhook_events_coalesced_total") == 49
        assert w.tag_lists() == 2


async def test_a_burst_of_pushes_does_not_starve_the_polling_cycle(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str
) -> None:
    a, b = f"{fresh_repo}/a", f"{fresh_repo}/b"
    async with world(registry, tmp_path, {"a1": a, "b1": b}) as w:
        w.push(a, "1.1.0")
        w.push(b, "1.1.0")
        stop = asyncio.Event()

        async def burst() -> None:  # pushes for `a` for as long as the polling cycle runs
            while not stop.is_set():
                w.dispatcher.submit([w.event(a)])
                await asyncio.sleep(0.001)

        flood = asyncio.ensure_future(burst())
        try:
            async with asyncio.timeout(120):  # a bound for a hang, not a timing assertion
                report = await w.cycle.run()
        finally:
            stop.set()
            await flood
        await w.dispatcher.wait_idle()
        assert report.errors == []
        assert w.tags() == {"a1": "1.1.0", "b1": "1.1.0"}
        assert {app: history(w, app) for app in w.watches} == {"a1": 2, "b1": 2}
        assert metric(w, "webhook_events_coalesced_total") > 0
