"""alphabetical: byte-wise, greatest first, every tag a candidate."""

from __future__ import annotations

import random

import pytest

from image_updater.selection.alphabetical import AlphabeticalPolicy
from image_updater.selection.types import TagInfo


@pytest.mark.parametrize(
    ("tags", "ranked"),
    [
        pytest.param(
            ["2024-01-02", "2024-06-01", "2023-12-31"], ["2024-06-01", "2024-01-02", "2023-12-31"], id="dates"
        ),
        pytest.param(["26", "226", "3"], ["3", "26", "226"], id="no-numeric-awareness"),
        pytest.param(["b", "B", "a"], ["b", "a", "B"], id="uppercase-sorts-before-lowercase"),
        pytest.param(["v1", "v1-rc", "v1.0"], ["v1.0", "v1-rc", "v1"], id="bytewise-punctuation"),
        pytest.param(["x"], ["x"], id="single"),
        pytest.param([], [], id="empty"),
    ],
)
def test_rank(tags: list[str], ranked: list[str]) -> None:
    infos = [TagInfo(name=t) for t in tags]
    before = list(infos)
    assert [i.name for i in AlphabeticalPolicy().rank(infos)] == ranked
    assert infos == before


@pytest.mark.parametrize("tag", ["anything", "1.0.0", "latest", ""])
def test_admits_every_tag(tag: str) -> None:
    assert AlphabeticalPolicy().admit(tag) is None


def test_deterministic_under_shuffle() -> None:
    tags = [f"build-{n:04d}" for n in range(200)]
    expected = AlphabeticalPolicy().rank([TagInfo(name=t) for t in tags])
    for seed in range(5):
        shuffled = list(tags)
        random.Random(seed).shuffle(shuffled)
        assert AlphabeticalPolicy().rank([TagInfo(name=t) for t in shuffled]) == expected


def test_attributes() -> None:
    policy = AlphabeticalPolicy()
    assert (policy.name, policy.needs_metadata, policy.needs_digest) == ("alphabetical", False, False)
