"""The scan without explaining (the cycle) chooses exactly what the explaining scan (`test`) chooses,
and when nothing matches it still says why, tag by tag."""

from __future__ import annotations

import pytest

from benchmarks.selection import ListedTags, make_tags
from image_updater.registry.scanning import ScanRequest, scan
from image_updater.selection import TagFilter, make_policy

TAGS = [
    *make_tags(3000, seed=7),
    "v1.2",
    "1.2.0",
    "v1.2.0",
    "01.02.00",
    "latest",
    "v99999999999999999999.0.0",
]


def request(strategy: str, constraint: str | None, *, explain: bool, allow: str | None = None) -> ScanRequest:
    return ScanRequest(
        repository="t/app",
        tag_filter=TagFilter.parse(allow=allow, ignore="*-rc.1*", image="t/app"),
        policy=make_policy(strategy, version=constraint, image="t/app"),
        explain=explain,
    )


@pytest.mark.parametrize(
    ("strategy", "constraint", "allow"),
    [
        pytest.param("semver", None, None, id="semver-releases"),
        pytest.param("semver", ">=1.0.0 <2.0.0", None, id="semver-range"),
        pytest.param("semver", "~1.2", None, id="semver-equal-spellings-tie-break"),
        pytest.param("semver", ">=3.0.0-0 <4", None, id="semver-prereleases"),
        pytest.param("alphabetical", None, "regexp:^main-", id="alphabetical"),
        pytest.param("digest", "latest", None, id="digest-tracked-tag"),
    ],
)
async def test_the_cycle_chooses_what_test_chooses(
    strategy: str, constraint: str | None, allow: str | None
) -> None:
    explained = await scan(ListedTags(TAGS), request(strategy, constraint, explain=True, allow=allow))
    fast = await scan(ListedTags(TAGS), request(strategy, constraint, explain=False, allow=allow))
    assert fast.selection.chosen == explained.selection.chosen
    assert explained.selection.chosen is not None
    assert [info.name for info in fast.selection.kept] == [explained.selection.chosen.name]
    assert fast.selection.rejected == ()  # no reason was built: nobody asked
    assert len(explained.selection.rejected) + len(explained.selection.kept) == len(TAGS)


async def test_when_nothing_matches_the_cycle_still_gets_every_reason() -> None:
    explained = await scan(ListedTags(TAGS), request("semver", ">=500.0.0", explain=True))
    fast = await scan(ListedTags(TAGS), request("semver", ">=500.0.0", explain=False))
    assert fast.selection.chosen is None
    assert fast.selection.rejected == explained.selection.rejected
    assert len(fast.selection.rejected) == len(TAGS)
