"""Held versions leave a selection: per strategy, what "not newer than the version we wrote" means."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from image_updater.selection import choose, make_policy
from image_updater.selection.held import HeldVersions
from image_updater.selection.types import TagInfo

HELD = HeldVersions(tag="v1.5.0", reason="held after revert")
D = datetime(2026, 1, 1, tzinfo=UTC)


def _pick(
    strategy: str, infos: list[TagInfo], held: HeldVersions, *, explain: bool
) -> tuple[str | None, list[str]]:
    policy = make_policy(strategy, version="stable" if strategy == "digest" else None, image="org/api")
    created = {i.name: i.created for i in infos}
    result = held.apply(
        choose(infos, policy=policy, platforms=(), explain=explain), policy=policy, created=created.get
    )
    return (result.chosen.name if result.chosen else None), sorted(r.tag for r in result.rejected)


def _names(*names: str) -> list[TagInfo]:
    return [TagInfo(name=n) for n in names]


@pytest.mark.parametrize("explain", [True, False], ids=["explain", "cycle"])
@pytest.mark.parametrize(
    ("strategy", "infos", "held", "chosen", "rejected"),
    [
        pytest.param(
            "semver", _names("v1.4.0", "v1.5.0"), HELD, None, ["v1.4.0", "v1.5.0"], id="semver-only-older"
        ),
        pytest.param(
            "semver",
            _names("v1.4.0", "v1.5.0", "v1.5.1"),
            HELD,
            "v1.5.1",
            ["v1.4.0", "v1.5.0"],
            id="semver-newer",
        ),
        pytest.param(
            "semver",
            _names("1.5.0", "v1.4.0"),
            HELD,
            None,
            ["1.5.0", "v1.4.0"],
            id="semver-same-version-other-spelling",
        ),
        pytest.param(
            "semver",
            _names("v1.5.1"),
            HeldVersions(tag="v1.5.0", everything=True, reason="held"),
            None,
            ["v1.5.1"],
            id="forever",
        ),
        pytest.param(
            "alphabetical",
            _names("2026-01-01", "2026-02-01"),
            HeldVersions(tag="2026-02-01", reason="h"),
            None,
            ["2026-01-01", "2026-02-01"],
            id="alphabetical",
        ),
        pytest.param(
            "newest-build",
            [
                TagInfo(name="v1.5.0", created=D.replace(day=5)),
                TagInfo(name="rebuilt-old", created=D.replace(day=2)),
            ],
            HELD,
            None,
            ["rebuilt-old", "v1.5.0"],
            id="newest-build-older-build",
        ),
        pytest.param(
            "newest-build",
            [TagInfo(name="v1.5.0", created=D.replace(day=5)), TagInfo(name="fix", created=D.replace(day=6))],
            HELD,
            "fix",
            ["v1.5.0"],
            id="newest-build-newer-build",
        ),
        pytest.param(
            "digest",
            [TagInfo(name="stable", digest="sha256:1")],
            HeldVersions(tag="stable", digest="sha256:1", reason="h"),
            None,
            ["stable"],
            id="digest-same",
        ),
        pytest.param(
            "digest",
            [TagInfo(name="stable", digest="sha256:2")],
            HeldVersions(tag="stable", digest="sha256:1", reason="h"),
            "stable",
            [],
            id="digest-moved",
        ),
    ],
)
def test_held_versions(
    strategy: str,
    infos: list[TagInfo],
    held: HeldVersions,
    chosen: str | None,
    rejected: list[str],
    explain: bool,
) -> None:
    got_chosen, got_rejected = _pick(strategy, infos, held, explain=explain)
    assert got_chosen == chosen
    if explain or chosen is None:
        # the cycle ranks only the winner: it lists what it dropped, explaining lists every held tag
        assert set(got_rejected) <= set(rejected) if not explain else got_rejected == rejected
