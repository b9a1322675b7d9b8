"""best_candidate: the cycle's names-only winner is exactly `screen` then `best`, for every strategy.

The tag lists mix releases, pre-releases, lenient spellings (`v1`, `01.2.3`, `1.2.3+build`),
equal versions spelt differently, 20-digit numbers, CI builds and names that are no valid tag;
the constraints are every one in the Masterminds conformance table plus ones chosen to cut
the lists at their edges. Each case compares with the explaining path, which checks every tag.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from image_updater.selection import TagFilter, TagInfo, best_candidate, make_policy, screen
from image_updater.semver import Constraint

IMAGE = "ghcr.io/org/api"
TABLE = Path(__file__).parent.parent / "data" / "semver-masterminds-v3.4.0.tsv"


def _table_constraints() -> list[str]:
    found: dict[str, None] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            text = line.split("\t")[0]
            try:
                Constraint(text)
            except ValueError:
                continue
            found[text] = None
    return list(found)


CONSTRAINTS = [
    None,
    *_table_constraints(),
    "^3",
    ">=1.0.0-0 <2",
    "!=2.0.0",
    "1.5.x || >=3.0.0-rc.0 <3.0.0",
    "<=1.2",
    ">1.x",
    "=1.2.3",
    "~0.0.0",
    "^0.0.3",
]
FILTERS = [(None, None), (None, "regexp:-rc"), ("regexp:^v", None), (None, "v2.*,1.*")]


def _tags(seed: int) -> list[str]:
    rng = random.Random(seed)
    fixed = ["v1", "1.2", "01.2.3", "1.2.3", "v1.2.3", "1.2.3+build.5", "2.0.0", "v2.0.0-rc.1"]
    fixed += ["99999999999999999999.0.0", "1.0.0-01", "latest", "-bad", "é1.0.0", "0.0.3", "3.0.0-rc.2"]
    made = [
        f"{rng.choice(['', 'v'])}{rng.randint(0, 4)}.{rng.randint(0, 6)}.{rng.randint(0, 6)}"
        + rng.choice(["", "", "", "-rc.1", "-alpha", "+meta"])
        for _ in range(60)
    ]
    return list(dict.fromkeys(fixed + made + [f"main-{rng.getrandbits(24):06x}" for _ in range(5)]))


def _explained(tags: list[str], tag_filter: TagFilter, strategy: str, version: str | None) -> str | None:
    policy = make_policy(strategy, version=version, image=IMAGE)
    admitted, _ = screen(tags, tag_filter=tag_filter, policy=policy)
    best = policy.best([TagInfo(name=tag) for tag in admitted])
    return best.name if best else None


@pytest.mark.parametrize("constraint", [pytest.param(c, id=repr(c)) for c in CONSTRAINTS])
@pytest.mark.parametrize(("allow", "ignore"), [pytest.param(*f, id=f"{f[0]}|{f[1]}") for f in FILTERS])
def test_semver_winner_is_the_explained_one(
    constraint: str | None, allow: str | None, ignore: str | None
) -> None:
    tag_filter = TagFilter.parse(allow=allow, ignore=ignore, image=IMAGE)
    for seed in range(5):
        tags = _tags(seed)
        policy = make_policy("semver", version=constraint, image=IMAGE)
        assert best_candidate(tags, tag_filter=tag_filter, policy=policy) == _explained(
            tags, tag_filter, "semver", constraint
        )


@pytest.mark.parametrize(
    ("strategy", "version"),
    [
        pytest.param("alphabetical", None, id="alphabetical"),
        pytest.param("newest-build", None, id="newest-build-undated"),
        pytest.param("digest", "latest", id="digest-listed"),
        pytest.param("digest", "stable", id="digest-not-listed"),
    ],
)
@pytest.mark.parametrize(("allow", "ignore"), [pytest.param(*f, id=f"{f[0]}|{f[1]}") for f in FILTERS])
def test_other_strategies_winner_is_the_explained_one(
    strategy: str, version: str | None, allow: str | None, ignore: str | None
) -> None:
    tag_filter = TagFilter.parse(allow=allow, ignore=ignore, image=IMAGE)
    for seed in range(5):
        tags = _tags(seed)
        policy = make_policy(strategy, version=version, image=IMAGE)
        assert best_candidate(tags, tag_filter=tag_filter, policy=policy) == _explained(
            tags, tag_filter, strategy, version
        )


def test_no_tags_no_winner() -> None:
    policy = make_policy("semver", version="^1", image=IMAGE)
    assert best_candidate([], tag_filter=TagFilter(), policy=policy) is None
