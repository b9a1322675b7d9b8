"""What a promotion source offers, read from its status: the live tag, only while Synced and
Healthy, and since the latest moment the status says the live state began."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from image_updater import annotations
from image_updater.runtime import promotion

IMAGE = "registry.example/org/api"
P = annotations.PREFIX
T1, T2, T3 = "2026-12-08T10:00:00Z", "2026-12-08T11:00:00Z", "2026-12-08T11:30:00Z"


def image() -> annotations.ImageSettings:
    notes = {
        P + "image-list": f"api={IMAGE}",
        P + "api.promote-from": "argocd/staging",
        P + "api.promote-after": "30m",
    }
    return annotations.parse(notes, app="argocd/prod", namespace="argocd").images[0]


def status(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "summary": {"images": ["registry.example/org/other:1", f"{IMAGE}:v1.5.0"]},
        "sync": {"status": "Synced"},
        "health": {"status": "Healthy"},
    }
    return {"status": {**base, **extra}}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@pytest.mark.parametrize(
    ("source", "tag", "since", "problem"),
    [
        pytest.param(
            status(history=[{"deployedAt": T1}, {"deployedAt": T2}]), "v1.5.0", T2, None, id="last-deploy"
        ),
        pytest.param(
            status(
                history=[{"deployedAt": T1}],
                operationState={"phase": "Succeeded", "finishedAt": T2},
                health={"status": "Healthy", "lastTransitionTime": T3},
            ),
            "v1.5.0",
            T3,
            None,
            id="latest-of-deploy-sync-and-health",
        ),
        pytest.param(
            status(history=[{"deployedAt": T1}], operationState={"phase": "Failed", "finishedAt": T3}),
            "v1.5.0",
            T1,
            None,
            id="a-failed-sync-is-no-deploy",
        ),
        pytest.param(status(), "v1.5.0", None, None, id="no-times-since-unknown"),
        pytest.param(
            status(history=[{"deployedAt": "yesterday"}]), "v1.5.0", None, None, id="bad-time-ignored"
        ),
        pytest.param(
            status(sync={"status": "OutOfSync"}, history=[{"deployedAt": T1}]),
            "v1.5.0",
            None,
            "it runs v1.5.0 but is OutOfSync and Healthy, not Synced and Healthy",
            id="out-of-sync",
        ),
        pytest.param(
            status(health={"status": "Degraded"}),
            "v1.5.0",
            None,
            "is Synced and Degraded",
            id="degraded",
        ),
        pytest.param(
            status(summary={"images": ["registry.example/org/other:1"]}), None, None, None, id="not-running"
        ),
        pytest.param({"status": "hostile"}, None, None, None, id="status-not-a-mapping"),
    ],
)
def test_from_status(source: dict[str, Any], tag: str | None, since: str | None, problem: str | None) -> None:
    found = promotion.from_status(source, image(), key="argocd/staging")
    assert found.tag == tag
    assert found.since == (at(since) if since else None)
    assert found.after == 1800.0
    if problem is None:
        assert found.problem is None
    else:
        assert found.problem is not None
        assert problem in found.problem
