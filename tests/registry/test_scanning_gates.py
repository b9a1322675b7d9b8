"""The gates in a scan against the real registry: the release age walks the ranking best-first and
stops at the first tag old enough (so only the tags that could win cost a config), an implausible
creation time falls back to when the digest was first seen (kept across restarts by the cache),
and the promotion gate leaves only the source's tag."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from devtools import oci
from devtools.registry import LocalRegistry
from image_updater.registry.cache import MetadataCache
from image_updater.registry.counting import RequestCounter
from image_updater.registry.diskcache import DiskStore
from image_updater.registry.scanning import ScanRequest, scan
from image_updater.selection import TagFilter, make_policy
from image_updater.selection.gates import Promotion
from tests.registry.test_real_registry import client_for

NOW = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def request(repository: str, *, min_age: float = 0.0, now: dt.datetime = NOW, **extra: object) -> ScanRequest:
    return ScanRequest(
        repository=repository,
        tag_filter=TagFilter.parse(allow=None, ignore=None, image=repository),
        policy=make_policy(str(extra.pop("strategy", "semver")), version=None, image=repository),
        min_age=min_age,
        now=now,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def aged(registry: LocalRegistry, fresh_repo: str) -> str:
    """1.0.0 ten days old, 1.1.0 three days, 1.2.0 two hours, 1.3.0 one hour."""
    for tag, age in (
        ("1.0.0", 10 * DAY),
        ("1.1.0", 3 * DAY),
        ("1.2.0", dt.timedelta(hours=2)),
        ("1.3.0", dt.timedelta(hours=1)),
    ):
        oci.push_image(registry.url, fresh_repo, tag, created=NOW - age)
    return fresh_repo


@pytest.mark.parametrize("strategy", ["semver", "newest-build"])
async def test_min_age_chooses_the_best_tag_old_enough(
    registry: LocalRegistry, aged: str, strategy: str
) -> None:
    async with client_for(registry) as client:
        result = await scan(client, request(aged, min_age=86400.0, strategy=strategy))
    assert result.selection.chosen is not None
    assert result.selection.chosen.name == "1.1.0"
    reasons = {r.tag: r.reason for r in result.selection.rejected}
    assert reasons["1.3.0"] == "too young (created 2026-12-08T11:00:00Z, eligible at 2026-12-09T11:00:00Z)"
    assert reasons["1.2.0"].startswith("too young (created 2026-12-08T10:00:00Z")


async def test_min_age_fetches_configs_only_down_to_the_winner(registry: LocalRegistry, aged: str) -> None:
    counter = RequestCounter()
    async with client_for(registry, counter=counter) as client:
        await scan(client, request(aged, min_age=86400.0))
    assert counter.by_kind().get("blob_get") == 3  # 1.3.0, 1.2.0 (too young), 1.1.0 (chosen); not 1.0.0
    counter = RequestCounter()
    async with client_for(registry, counter=counter) as client:
        await scan(client, request(aged))
    assert "blob_get" not in counter.by_kind()  # without min-age: no config at all


async def test_the_running_tag_is_never_held_back(registry: LocalRegistry, aged: str) -> None:
    async with client_for(registry) as client:
        result = await scan(client, request(aged, min_age=86400.0, current_tag="1.3.0"))
    assert result.selection.chosen is not None
    assert result.selection.chosen.name == "1.3.0"  # no move back to 1.1.0


@pytest.mark.parametrize(
    "created",
    [
        pytest.param(dt.datetime(1970, 1, 1, tzinfo=dt.UTC), id="epoch-zero-reproducible-build"),
        pytest.param(NOW + 30 * DAY, id="in-the-future"),
    ],
)
async def test_an_implausible_creation_time_counts_from_first_seen_across_restarts(
    registry: LocalRegistry, fresh_repo: str, tmp_path: Path, created: dt.datetime
) -> None:
    oci.push_image(registry.url, fresh_repo, "1.0.0", created=created)
    first_look = dt.datetime.now(dt.UTC) - 2 * DAY  # the store refuses times after its own clock

    async def scan_at(now: dt.datetime) -> str | None:
        store = DiskStore.open(tmp_path / "cache")
        try:
            async with client_for(registry, cache=MetadataCache(store=store)) as client:
                result = await scan(client, request(fresh_repo, min_age=86400.0, now=now))
        finally:
            store.close()
        return (
            result.selection.chosen.name if result.selection.chosen else result.selection.rejected[0].reason
        )

    assert str(await scan_at(first_look)).startswith("too young (first seen ")
    assert await scan_at(first_look + dt.timedelta(hours=23)) != "1.0.0"  # a restart does not reset it
    assert await scan_at(first_look + DAY) == "1.0.0"


async def test_promotion_leaves_only_the_source_tag(registry: LocalRegistry, aged: str) -> None:
    soaked = Promotion(source="argocd/staging", tag="1.2.0", since=NOW - DAY, after=1800.0)
    async with client_for(registry) as client:
        result = await scan(client, request(aged, promotion=soaked))
    assert result.selection.chosen is not None
    assert result.selection.chosen.name == "1.2.0"
    reasons = {r.tag: r.reason for r in result.selection.rejected}
    assert reasons["1.3.0"] == "waiting for promotion from argocd/staging (it runs 1.2.0)"
