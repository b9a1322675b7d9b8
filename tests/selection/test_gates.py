"""The gates' pure rules: plausible creation times, release age, promotion screening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from image_updater.selection import gates
from image_updater.selection.gates import Promotion

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
HOUR = 3600.0


@pytest.mark.parametrize(
    ("created", "believed"),
    [
        pytest.param(None, False, id="missing"),
        pytest.param(datetime(1970, 1, 1, tzinfo=UTC), False, id="zero-epoch"),
        pytest.param(
            datetime(2000, 1, 1, tzinfo=UTC), False, id="before-2013-e.g.-tagsortmode-or-reproducible"
        ),
        pytest.param(NOW + timedelta(minutes=1), False, id="in-the-future"),
        pytest.param(datetime(2013, 1, 1, tzinfo=UTC), True, id="2013"),
        pytest.param(NOW - timedelta(days=3), True, id="three-days-ago"),
        pytest.param(NOW, True, id="now"),
    ],
)
def test_plausible_creation_times(created: datetime | None, believed: bool) -> None:
    assert (gates.plausible(created, now=NOW) is not None) is believed


@pytest.mark.parametrize(
    ("age", "min_age", "first_seen", "reason"),
    [
        pytest.param(25 * HOUR, 24 * HOUR, False, None, id="old-enough"),
        pytest.param(24 * HOUR, 24 * HOUR, False, None, id="exactly-old-enough"),
        pytest.param(
            23 * HOUR,
            24 * HOUR,
            False,
            "too young (created 2026-12-07T13:00:00Z, eligible at 2026-12-08T13:00:00Z)",
            id="created-too-recently",
        ),
        pytest.param(
            0.0,
            30 * 60,
            True,
            "too young (first seen 2026-12-08T12:00:00Z, eligible at 2026-12-08T12:30:00Z)",
            id="first-seen-now",
        ),
    ],
)
def test_age_reason(age: float, min_age: float, first_seen: bool, reason: str | None) -> None:
    created = NOW - timedelta(seconds=age)
    assert gates.age_reason(created=created, first_seen=first_seen, min_age=min_age, now=NOW) == reason


TAGS = ["v1.4.0", "v1.5.0", "v1.6.0"]


@pytest.mark.parametrize(
    ("promotion", "current", "kept", "reason_of_v150"),
    [
        pytest.param(
            Promotion("argocd/staging", "v1.5.0", NOW - timedelta(hours=1), 30 * 60),
            None,
            ["v1.5.0"],
            None,
            id="soaked-long-enough",
        ),
        pytest.param(
            Promotion("argocd/staging", "v1.5.0", NOW - timedelta(minutes=10), 30 * 60),
            None,
            [],
            "waiting for promotion from argocd/staging (running since 2026-12-08T11:50:00Z, "
            "eligible at 2026-12-08T12:20:00Z)",
            id="not-soaked-yet",
        ),
        pytest.param(
            Promotion("argocd/staging", "v1.5.0", None, 30 * 60),
            None,
            [],
            "waiting for promotion from argocd/staging (running, but since when is unknown)",
            id="since-unknown-waits",
        ),
        pytest.param(
            Promotion("argocd/staging", "v1.5.0", datetime(9999, 12, 31, 23, 0, tzinfo=UTC), 7200.0),
            None,
            [],
            "waiting for promotion from argocd/staging (running since 9999-12-31T23:00:00Z)",
            id="a-status-time-near-year-9999-never-overflows",
        ),
        pytest.param(
            Promotion("argocd/staging", None, None, 0),
            None,
            [],
            "waiting for promotion from argocd/staging (it runs no tag of this image)",
            id="source-runs-nothing",
        ),
        pytest.param(
            Promotion(
                "argocd/staging", "v1.5.0", NOW, 0, problem="it runs v1.5.0 but is OutOfSync and Healthy"
            ),
            None,
            [],
            "waiting for promotion from argocd/staging (it runs v1.5.0 but is OutOfSync and Healthy)",
            id="source-not-synced",
        ),
        pytest.param(
            Promotion("argocd/staging", "v1.6.0", NOW - timedelta(minutes=1), 30 * 60),
            "v1.5.0",
            ["v1.5.0"],
            None,
            id="the-running-tag-always-passes",
        ),
        pytest.param(
            Promotion("argocd/staging", "v1.4.0", NOW - timedelta(hours=1), 0),
            None,
            ["v1.4.0"],
            "waiting for promotion from argocd/staging (it runs v1.4.0)",
            id="only-the-source-tag",
        ),
    ],
)
def test_screen_promotion(
    promotion: Promotion, current: str | None, kept: list[str], reason_of_v150: str | None
) -> None:
    admitted, rejected = gates.screen_promotion(TAGS, promotion, now=NOW, current=current)
    assert admitted == kept
    reasons = {r.tag: r.reason for r in rejected}
    assert reasons.get("v1.5.0") == reason_of_v150
    assert set(reasons) | set(admitted) == set(TAGS)
