"""screen / choose / platforms: filters, then strategy, then platform, with reasons."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from image_updater.errors import InvalidPlatform
from image_updater.selection import (
    Platform,
    Rejection,
    TagFilter,
    TagInfo,
    choose,
    make_policy,
    parse_platforms,
    platform_reason,
    screen,
)

IMAGE = "ghcr.io/org/api"
AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64")
ARM64_V8 = Platform("linux", "arm64", "v8")
ARM_V7 = Platform("linux", "arm", "v7")
T0 = datetime(2024, 6, 1, tzinfo=UTC)


def test_screen_filters_first_then_policy_in_input_order() -> None:
    tags = ["v1.1.0-rc.1", "latest", "v2.0.0", "v1.2.0", "v1.0.0", "nightly-rc"]
    tag_filter = TagFilter.parse(allow=None, ignore="regexp:(-rc|-alpha|-beta)", image=IMAGE)
    policy = make_policy("semver", version=">=1.0.0 <2.0.0", image=IMAGE)
    before = list(tags)
    admitted, rejected = screen(tags, tag_filter=tag_filter, policy=policy)
    assert admitted == ["v1.2.0", "v1.0.0"]
    assert rejected == [
        Rejection("v1.1.0-rc.1", "matches ignore-tags regexp:(-rc|-alpha|-beta)"),
        Rejection("latest", "not a semantic version"),
        Rejection("v2.0.0", "outside constraint >=1.0.0 <2.0.0"),
        Rejection("nightly-rc", "matches ignore-tags regexp:(-rc|-alpha|-beta)"),
    ]
    assert tags == before


def test_screen_seed_dev() -> None:
    tag_filter = TagFilter.parse(allow="regexp:^main-[a-f0-9]{7}$", ignore=None, image=IMAGE)
    policy = make_policy("latest", version=None, image=IMAGE)
    admitted, rejected = screen(
        ["main-1a2b3c4", "dev-abc1234", "main-zzzzzzz"], tag_filter=tag_filter, policy=policy
    )
    assert admitted == ["main-1a2b3c4"]
    assert [r.reason for r in rejected] == ["does not match allow-tags regexp:^main-[a-f0-9]{7}$"] * 2


@pytest.mark.parametrize(
    ("text", "platforms"),
    [
        pytest.param(None, (), id="unset"),
        pytest.param("", (), id="empty"),
        pytest.param("linux/amd64", (AMD64,), id="one"),
        pytest.param("linux/arm64, linux/amd64", (ARM64, AMD64), id="two-order-kept"),
        pytest.param("linux/arm64/v8,,linux/arm64/v8", (ARM64_V8,), id="dup-and-empty"),
        pytest.param(" linux/arm/v7 ", (ARM_V7,), id="variant"),
    ],
)
def test_parse_platforms(text: str | None, platforms: tuple[Platform, ...]) -> None:
    assert parse_platforms(text) == platforms


@pytest.mark.parametrize("text", ["linux", "linux/amd64, arm64", "linux/arm/v7/x", "linux//amd64"])
def test_parse_platforms_rejects(text: str) -> None:
    with pytest.raises(InvalidPlatform, match="is not os/arch"):
        parse_platforms(text)


@pytest.mark.parametrize(
    ("offered", "wanted", "reason"),
    [
        pytest.param((AMD64,), (), None, id="nothing-wanted"),
        pytest.param((), (), None, id="nothing-known-nothing-wanted"),
        pytest.param((AMD64,), (AMD64,), None, id="exact"),
        pytest.param((ARM64_V8,), (ARM64,), None, id="variant-offered-plain-wanted"),
        pytest.param(
            (ARM64,), (ARM64_V8,), "offers linux/arm64 only; wanted linux/arm64/v8", id="variant-wanted"
        ),
        pytest.param((AMD64,), (ARM64,), "offers linux/amd64 only; wanted linux/arm64", id="mismatch"),
        pytest.param(
            (AMD64, ARM_V7),
            (ARM64, Platform("linux", "s390x")),
            "offers linux/amd64, linux/arm/v7 only; wanted linux/arm64 or linux/s390x",
            id="lists",
        ),
        pytest.param((AMD64, ARM64_V8), (ARM64,), None, id="multi-arch"),
        pytest.param(
            (), (AMD64,), "offers no platform information; wanted linux/amd64", id="unknown-fails-closed"
        ),
    ],
)
def test_platform_reason(
    offered: tuple[Platform, ...], wanted: tuple[Platform, ...], reason: str | None
) -> None:
    assert platform_reason(TagInfo(name="t", platforms=offered), wanted) == reason


def dev_infos() -> list[TagInfo]:
    return [
        TagInfo("main-aaaaaaa", created=T0, platforms=(AMD64, ARM64_V8)),
        TagInfo("main-bbbbbbb", created=T0 + timedelta(hours=2), platforms=(AMD64,)),
        TagInfo("main-ccccccc", created=T0 + timedelta(hours=1), platforms=(ARM64_V8,)),
    ]


def test_choose_drops_platform_mismatches_then_ranks() -> None:
    infos = dev_infos()
    before = list(infos)
    policy = make_policy("newest-build", version=None, image=IMAGE)
    result = choose(infos, policy=policy, platforms=(ARM64,))
    assert result.chosen is not None
    assert result.chosen.name == "main-ccccccc"
    assert [i.name for i in result.kept] == ["main-ccccccc", "main-aaaaaaa"]
    assert result.rejected == (Rejection("main-bbbbbbb", "offers linux/amd64 only; wanted linux/arm64"),)
    assert infos == before


def test_choose_without_platforms_keeps_everything() -> None:
    result = choose(dev_infos(), policy=make_policy("latest", version=None, image=IMAGE), platforms=())
    assert result.chosen is not None
    assert result.chosen.name == "main-bbbbbbb"
    assert result.rejected == ()


def test_choose_nothing_left() -> None:
    result = choose(dev_infos(), policy=make_policy("latest", version=None, image=IMAGE), platforms=(ARM_V7,))
    assert result.chosen is None
    assert result.kept == ()
    assert len(result.rejected) == 3


def test_choose_empty() -> None:
    result = choose([], policy=make_policy(None, version=None, image=IMAGE), platforms=(AMD64,))
    assert (result.chosen, result.kept, result.rejected) == (None, (), ())


@pytest.mark.parametrize(
    ("strategy", "version"),
    [
        pytest.param("semver", None, id="semver"),
        pytest.param("newest-build", None, id="newest-build"),
        pytest.param("alphabetical", None, id="alphabetical"),
        pytest.param("digest", "stable", id="digest"),
    ],
)
def test_choose_is_deterministic_under_shuffle(strategy: str, version: str | None) -> None:
    infos = [
        TagInfo(f"1.{n % 7}.{n}", created=T0 + timedelta(minutes=n % 5), platforms=(AMD64,))
        for n in range(40)
    ]
    infos += [TagInfo("stable", created=T0, platforms=(AMD64,)), TagInfo("1.9.9", platforms=(ARM_V7,))]
    policy = make_policy(strategy, version=version, image=IMAGE)
    admitted = [i for i in infos if policy.admit(i.name) is None]
    expected = choose(admitted, policy=policy, platforms=(AMD64,))
    assert expected.chosen is not None
    for seed in range(5):
        shuffled = list(admitted)
        random.Random(seed).shuffle(shuffled)
        result = choose(shuffled, policy=policy, platforms=(AMD64,))
        assert (result.chosen, result.kept) == (expected.chosen, expected.kept)
        assert sorted(result.rejected, key=lambda r: r.tag) == sorted(expected.rejected, key=lambda r: r.tag)
