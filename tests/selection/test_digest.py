"""digest: only the tracked tag is a candidate."""

from __future__ import annotations

import pytest

from image_updater.selection.digest import DigestPolicy
from image_updater.selection.types import TagInfo

SHA = "sha256:" + "c" * 64


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        pytest.param("stable", None, id="tracked"),
        pytest.param("stable-1", "not the tracked tag stable", id="prefix-is-not-enough"),
        pytest.param("Stable", "not the tracked tag stable", id="case-sensitive"),
        pytest.param("latest", "not the tracked tag stable", id="other"),
    ],
)
def test_admit(tag: str, reason: str | None) -> None:
    assert DigestPolicy(tracked="stable").admit(tag) == reason


@pytest.mark.parametrize(
    ("names", "ranked"),
    [
        pytest.param(["latest", "stable", "v1"], ["stable"], id="picks-tracked"),
        pytest.param(["latest"], [], id="absent"),
        pytest.param([], [], id="empty"),
    ],
)
def test_rank(names: list[str], ranked: list[str]) -> None:
    infos = [TagInfo(name=n, digest=SHA) for n in names]
    before = list(infos)
    assert [i.name for i in DigestPolicy(tracked="stable").rank(infos)] == ranked
    assert infos == before


def test_rank_keeps_the_digest() -> None:
    (chosen,) = DigestPolicy(tracked="stable").rank([TagInfo(name="stable", digest=SHA)])
    assert chosen.digest == SHA


def test_attributes() -> None:
    policy = DigestPolicy(tracked="stable")
    assert (policy.name, policy.needs_metadata, policy.needs_digest) == ("digest", False, True)
