"""Registry cost benchmark: requests and wall time per strategy, cold and warm cache.

Run: `make bench` (or `.venv/bin/python -m benchmarks.registry_cost [--quick]`).

Against a local Debian docker-registry: one repository with 2,000 tags and 100 repositories
with 50 tags each (every tag a distinct single-platform image, as CI builds are). For each
strategy it scans every repository twice with one shared metadata cache — cold, then warm —
and prints wall time, requests by kind, and the ratio to the floor (`benchmarks.floor`, shared with
the cycle benchmark) measured in the same run. The digest scans here write nothing, so they
confirm no digest; every tag is its own image, so a cold newest-build scan must GET each tag's
manifest and each image's config. A ratio of 1.00 means no request beyond the floor. The warm
pass runs inside the tag revalidation window (30 min by default); past it, newest-build adds one
HEAD per tag once per window, spread over cycles.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from benchmarks.floor import Floor
from devtools.oci import push_image
from devtools.registry import start_registry
from image_updater import selection
from image_updater.registry.cache import MetadataCache
from image_updater.registry.client import RegistryClient
from image_updater.registry.counting import RequestCounter
from image_updater.registry.limits import RequestLimiter
from image_updater.registry.scanning import ScanRequest, scan
from image_updater.settings.registries import Endpoint

WORK = Path(__file__).resolve().parent.parent / ".bench" / "registry_cost"
STRATEGIES = ("semver", "newest-build", "alphabetical", "digest")
TRUST_TAGS_FOR = 1800.0  # the controller's default tag revalidation window (seconds)


@dataclass(frozen=True)
class Scenario:
    name: str
    repositories: tuple[str, ...]
    tags_per_repository: int


@dataclass(frozen=True)
class Row:
    scenario: str
    strategy: str
    cache: str
    seconds: float
    requests: dict[str, int]
    floor: Floor

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def _tags(count: int) -> list[str]:
    return [f"1.{i // 100}.{i % 100}" for i in range(count - 1)] + ["latest"]


def _populate(url: str, scenarios: Sequence[Scenario]) -> None:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    jobs = [
        (repo, tag, base + timedelta(minutes=i))
        for scenario in scenarios
        for repo in scenario.repositories
        for i, tag in enumerate(_tags(scenario.tags_per_repository))
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda job: push_image(url, job[0], job[1], created=job[2]), jobs))


async def _scan_all(
    session: aiohttp.ClientSession,
    endpoint: Endpoint,
    scenario: Scenario,
    strategy: str,
    cache: MetadataCache,
) -> tuple[float, dict[str, int]]:
    counter = RequestCounter()
    client = RegistryClient(
        session=session,
        endpoint=endpoint,
        credentials=None,
        counter=counter,
        limiter=RequestLimiter(limit=None),
        cache=cache,
    )
    version = "latest" if strategy == "digest" else None
    policy = selection.make_policy(strategy, version=version, image=scenario.name)
    tag_filter = selection.TagFilter.parse(allow=None, ignore=None, image=scenario.name)
    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for repo in scenario.repositories:
            request = ScanRequest(
                repository=repo, tag_filter=tag_filter, policy=policy, trust_tags_for=TRUST_TAGS_FOR
            )
            group.create_task(scan(client, request))
    return time.perf_counter() - started, counter.by_kind()


def _floor(requests: dict[str, int], scenario: Scenario, strategy: str, cold: bool) -> Floor:
    heads = len(scenario.repositories) if strategy == "digest" else 0
    floor = Floor(tag_pages=requests.get("tags", 0), tracked_heads=heads)
    if strategy != "newest-build" or not cold:
        return floor
    images = len(scenario.repositories) * scenario.tags_per_repository
    return Floor(floor.tag_pages, heads, tag_manifests=images, configs=images)


async def _measure(url: str, scenarios: Sequence[Scenario]) -> list[Row]:
    endpoint = Endpoint(name="bench", api_url=url)
    rows: list[Row] = []
    async with aiohttp.ClientSession() as session:
        for scenario in scenarios:
            for strategy in STRATEGIES:
                cache = MetadataCache()
                for label in ("cold", "warm"):
                    seconds, requests = await _scan_all(session, endpoint, scenario, strategy, cache)
                    floor = _floor(requests, scenario, strategy, label == "cold")
                    rows.append(Row(scenario.name, strategy, label, seconds, requests, floor))
    return rows


def _print(rows: Sequence[Row]) -> None:
    header = (
        f"{'scenario':22} {'strategy':13} {'cache':5} {'wall s':>7} {'requests':>8} {'floor':>6} {'ratio':>6}"
        "  by kind"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r.requests.items()))
        ratio = r.total / r.floor.total if r.floor.total else float("nan")
        print(
            f"{r.scenario:22} {r.strategy:13} {r.cache:5} {r.seconds:7.2f} {r.total:8} {r.floor.total:6} "
            f"{ratio:6.2f}  {kinds}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller, for a smoke run")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    scenarios = (
        Scenario("1 repo x 2000 tags", ("bench/big",), 2000 // scale),
        Scenario("100 repos x 50 tags", tuple(f"bench/r{i:03}" for i in range(100 // scale)), 50),
    )
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    with start_registry(WORK / "registry") as registry:
        started = time.perf_counter()
        _populate(registry.url, scenarios)
        print(f"populated in {time.perf_counter() - started:.1f} s\n")
        _print(asyncio.run(_measure(registry.url, scenarios)))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
