"""semver: which tags a constraint admits (and why not), and how candidates rank."""

from __future__ import annotations

import random

import pytest

from image_updater.selection.filters import TagFilter
from image_updater.selection.semver_policy import SemverPolicy
from image_updater.selection.types import TagInfo
from image_updater.semver import Constraint

IMAGE = "ghcr.io/org/api"


def policy(constraint: str | None) -> SemverPolicy:
    return SemverPolicy(None if constraint is None else Constraint(constraint))


@pytest.mark.parametrize(
    ("constraint", "tag", "reason"),
    [
        pytest.param(None, "1.2.3", None, id="none-release"),
        pytest.param(None, "v1.2", None, id="none-lenient-v-and-short"),
        pytest.param(
            None, "1.3.0-rc.1", "pre-release; no constraint is set, so only releases qualify", id="none-rc"
        ),
        pytest.param(None, "latest", "not a semantic version", id="none-latest"),
        pytest.param(None, "main-1a2b3c4", "not a semantic version", id="none-commit"),
        pytest.param("~1.26", "1.26.3", None, id="tilde-in"),
        pytest.param("~1.26", "1.27.0", "outside constraint ~1.26", id="tilde-out"),
        pytest.param("^1.0", "1.9.9", None, id="caret-in"),
        pytest.param("^1.0", "2.0.0", "outside constraint ^1.0", id="caret-out"),
        pytest.param("1.2.x", "1.2.7", None, id="x-range-in"),
        pytest.param("1.2.x", "1.3.0", "outside constraint 1.2.x", id="x-range-out"),
        pytest.param(">=1.0 <2", "1.5.0", None, id="range-in"),
        pytest.param(">=1.0.0 <2.0.0", "2.0.0", "outside constraint >=1.0.0 <2.0.0", id="seed-v2-ignored"),
        pytest.param(">=1.0.0 <2.0.0", "0.9.0", "outside constraint >=1.0.0 <2.0.0", id="below"),
        pytest.param(
            ">=1.0.0 <2.0.0",
            "1.5.0-rc.1",
            "pre-release; the constraint names no pre-release",
            id="rc-excluded",
        ),
        pytest.param(">=1.0.0-rc.0", "1.1.0-rc.2", None, id="seed-staging-rc"),
        pytest.param(">=1.0.0-rc.0", "0.9.0-rc.1", "outside constraint >=1.0.0-rc.0", id="staging-below"),
        pytest.param("2.x-0", "2.1.0-beta", None, id="prerelease-wildcard"),
        pytest.param(">=1.0.0", "v1.0.0", None, id="v-prefix"),
    ],
)
def test_admit(constraint: str | None, tag: str, reason: str | None) -> None:
    assert policy(constraint).admit(tag) == reason


def rank(constraint: str | None, tags: list[str]) -> list[str]:
    p = policy(constraint)
    return [i.name for i in p.rank([TagInfo(name=t) for t in tags if p.admit(t) is None])]


@pytest.mark.parametrize(
    ("constraint", "tags", "ranked"),
    [
        pytest.param(
            None, ["1.9.0", "1.10.0", "1.2.0"], ["1.10.0", "1.9.0", "1.2.0"], id="numeric-not-lexical"
        ),
        pytest.param(None, ["1.0.0", "2.0.0-rc.1", "1.1.0"], ["1.1.0", "1.0.0"], id="no-constraint-no-rc"),
        pytest.param(
            ">=1.0.0 <2.0.0",
            ["1.4.2", "2.0.0", "1.10.1", "latest"],
            ["1.10.1", "1.4.2"],
            id="seed-production",
        ),
        pytest.param(
            ">=1.0.0-rc.0",
            ["1.0.0-rc.1", "1.0.0-rc.10", "1.0.0-rc.2"],
            ["1.0.0-rc.10", "1.0.0-rc.2", "1.0.0-rc.1"],
            id="rc-numeric-identifiers",
        ),
        pytest.param(
            None, ["1.2.0", "v1.2.0", "1.2"], ["v1.2.0", "1.2.0", "1.2"], id="equal-versions-by-text"
        ),
        pytest.param(
            None, ["1.0.0+build.2", "1.0.0+build.1"], ["1.0.0+build.2", "1.0.0+build.1"], id="metadata-tie"
        ),
    ],
)
def test_rank(constraint: str | None, tags: list[str], ranked: list[str]) -> None:
    assert rank(constraint, tags) == ranked


def test_rank_puts_non_versions_last_and_does_not_mutate() -> None:
    infos = [TagInfo(name="latest"), TagInfo(name="1.0.0"), TagInfo(name="edge")]
    before = list(infos)
    assert [i.name for i in policy(None).rank(infos)] == ["1.0.0", "latest", "edge"]
    assert infos == before


def test_deterministic_under_shuffle() -> None:
    tags = [f"{major}.{minor}.{patch}" for major in range(3) for minor in range(5) for patch in range(4)]
    tags += ["v1.4.3", "1.4", "2.4.3-rc.1"]
    expected = rank(None, tags)
    assert expected[0] == "2.4.3"
    for seed in range(5):
        shuffled = list(tags)
        random.Random(seed).shuffle(shuffled)
        assert rank(None, shuffled) == expected


SEED_TAGS = [
    "v0.9.0",
    "v1.0.0-rc.1",
    "v1.0.0",
    "v1.1.0-alpha.1",
    "v1.1.0-beta.2",
    "v1.1.0-rc.1",
    "v1.1.0-rc.2",
    "v1.1.0",
    "v1.2.0-rc.1",
    "v2.0.0-rc.1",
    "dev-abc1234",
    "main-1a2b3c4",
    "latest",
]


@pytest.mark.parametrize(
    ("constraint", "allow", "ignore", "best"),
    [
        pytest.param(
            ">=1.0.0-rc.0",
            r"regexp:^v[0-9]+\.[0-9]+\.[0-9]+-rc",
            None,
            "v2.0.0-rc.1",
            id="seed-staging-newest-rc",
        ),
        pytest.param(">=1.0.0 <2.0.0", None, "regexp:(-rc|-alpha|-beta)", "v1.1.0", id="seed-production"),
        pytest.param(
            ">=1.0.0-0 <2.0.0",
            r"regexp:^v[0-9]+\.[0-9]+\.[0-9]+(-rc\.[0-9]+)?$",
            None,
            "v2.0.0-rc.1",
            id="gotcha-2.0.0-rc-is-below-2.0.0",
        ),
        pytest.param(
            ">=1.0.0-0 <2.0.0-0",
            r"regexp:^v[0-9]+\.[0-9]+\.[0-9]+(-rc\.[0-9]+)?$",
            None,
            "v1.2.0-rc.1",
            id="seed-release-or-rc-below-2",
        ),
        pytest.param(None, None, None, "v1.1.0", id="no-constraint-no-prerelease"),
    ],
)
def test_seed_environments(constraint: str | None, allow: str | None, ignore: str | None, best: str) -> None:
    tag_filter = TagFilter.parse(allow=allow, ignore=ignore, image=IMAGE)
    p = policy(constraint)
    candidates = [
        TagInfo(name=t) for t in SEED_TAGS if tag_filter.reason_to_drop(t) is None and p.admit(t) is None
    ]
    assert p.rank(candidates)[0].name == best


def test_attributes() -> None:
    p = policy("^1")
    assert (p.name, p.needs_metadata, p.needs_digest) == ("semver", False, False)
