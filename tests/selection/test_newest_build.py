"""newest-build: newest `created` first; ties by name, greatest first; undated last."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from image_updater.selection.newest_build import NewestBuildPolicy
from image_updater.selection.types import TagInfo

T0 = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def info(name: str, minutes: int | None) -> TagInfo:
    return TagInfo(name=name, created=None if minutes is None else T0 + timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("infos", "ranked"),
    [
        pytest.param(
            [info("main-aaaaaaa", 0), info("main-bbbbbbb", 10), info("main-ccccccc", 5)],
            ["main-bbbbbbb", "main-ccccccc", "main-aaaaaaa"],
            id="seed-dev-commits",
        ),
        pytest.param(
            [info("f33bacd", 0), info("latest", 0)], ["latest", "f33bacd"], id="tie-greatest-name-first"
        ),
        pytest.param(
            [info("b", None), info("old", -60), info("a", None)], ["old", "b", "a"], id="undated-last-by-name"
        ),
        pytest.param([info("1.0", 5), info("9.9", 1)], ["1.0", "9.9"], id="names-do-not-matter"),
        pytest.param([info("x", None)], ["x"], id="only-undated"),
        pytest.param([], [], id="empty"),
    ],
)
def test_rank(infos: list[TagInfo], ranked: list[str]) -> None:
    before = list(infos)
    assert [i.name for i in NewestBuildPolicy().rank(infos)] == ranked
    assert infos == before


def test_timezones_compare_as_instants() -> None:
    utc = TagInfo(name="a", created=datetime(2024, 6, 1, 14, 30, tzinfo=UTC))
    plus_two = TagInfo(name="b", created=datetime.fromisoformat("2024-06-01T16:00:00+02:00"))  # 14:00 UTC
    assert [i.name for i in NewestBuildPolicy().rank([plus_two, utc])] == ["a", "b"]


def test_deterministic_under_shuffle() -> None:
    infos = [info(f"t{n:03d}", n // 3) for n in range(60)] + [info(f"u{n}", None) for n in range(5)]
    expected = NewestBuildPolicy().rank(infos)
    assert expected[0].name == "t059"
    for seed in range(5):
        shuffled = list(infos)
        random.Random(seed).shuffle(shuffled)
        assert NewestBuildPolicy().rank(shuffled) == expected


def test_admits_every_tag_and_needs_metadata() -> None:
    policy = NewestBuildPolicy()
    assert policy.admit("whatever") is None
    assert (policy.name, policy.needs_metadata, policy.needs_digest) == ("newest-build", True, False)
