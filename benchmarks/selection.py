"""Selection cost: 100,000 and 1,000,000 tags through `registry.scanning.scan`, the cycle's own path.

The tag list comes from an in-memory `TagSource` (no network), so the figure is selection alone:
screening (allow/ignore filters, the policy's admit) and finding the winner. Run:
`python -m benchmarks.selection [--tags 100000,1000000]`. Prints seconds and µs per tag per case,
and `sorted()` of the same tag list as a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

from image_updater.registry.scanning import ScanRequest, scan
from image_updater.selection import TagFilter, make_policy
from image_updater.selection.types import Platform, TagInfo

CASES = (
    ("semver, no constraint", "semver", None, None, None),
    ("semver >=1.0.0 <20.0.0", "semver", ">=1.0.0 <20.0.0", None, None),
    ("semver ^3 with ignore-tags -rc", "semver", "^3", None, "regexp:-rc"),
    ("alphabetical, allow ^main-", "alphabetical", None, "regexp:^main-", None),
)


class ListedTags:
    """A TagSource that only lists tags (the strategies measured here need nothing else)."""

    def __init__(self, tags: list[str]) -> None:
        self._tags = tags

    async def list_tags(self, repository: str) -> list[str]:
        return self._tags

    async def manifest_digest(self, repository: str, reference: str) -> str:
        return "sha256:" + "0" * 64  # digest strategy: the tracked tag's digest (a HEAD)

    async def tag_info(
        self,
        repository: str,
        tag: str,
        *,
        platforms: tuple[Platform, ...] = (),
        need_created: bool,
        trust_for: float = 0.0,
    ) -> TagInfo:
        raise AssertionError("not needed")


def make_tags(count: int, seed: int = 1) -> list[str]:
    """Release tags (70%), release candidates (15%) and CI builds (15%), as registries hold them."""
    rng = random.Random(seed)
    tags = []
    for _ in range(count):
        kind = rng.random()
        version = f"v{rng.randint(0, 30)}.{rng.randint(0, 99)}.{rng.randint(0, 999)}"
        if kind < 0.7:
            tags.append(version)
        elif kind < 0.85:
            tags.append(f"{version}-rc.{rng.randint(0, 20)}")
        else:
            tags.append(f"main-{rng.getrandbits(28):07x}")
    return tags


def measure(tags: list[str]) -> None:
    started = time.process_time()
    sorted(tags)
    baseline = time.process_time() - started
    print(f"{len(tags):>9,} tags   sorted() baseline {baseline:.3f} s")
    for label, strategy, constraint, allow, ignore in CASES:
        request = ScanRequest(
            repository="bench/app",
            tag_filter=TagFilter.parse(allow=allow, ignore=ignore, image="bench/app"),
            policy=make_policy(strategy, version=constraint, image="bench/app"),
        )
        started = time.process_time()
        result = asyncio.run(scan(ListedTags(tags), request))
        seconds = time.process_time() - started
        chosen = result.selection.chosen.name if result.selection.chosen else None
        print(
            f"  {label:<32} {seconds:6.3f} s  {seconds / len(tags) * 1e6:5.2f} µs/tag"
            f"  {seconds / baseline:5.1f}× sorted()  chose {chosen}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tags", default="100000,1000000", help="comma-separated tag counts")
    for count in (int(n) for n in parser.parse_args().tags.split(",")):
        measure(make_tags(count))


if __name__ == "__main__":
    main()
