"""An ImageUpdater's status from a cycle's outcomes: upstream's fields, conditions (reasons and
messages of internal/controller/status.go), transition times, recent updates, and our per-image
results; every status computed validates against the CRD's status schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from image_updater.errors import (
    ConfigError,
    DeadlineExceeded,
    GitError,
    ImageUpdaterError,
    InvalidImageUpdater,
    NoMatchingTag,
    RegistryAuthError,
    RegistryNotFound,
)
from image_updater.resources.model import MAX_IMAGE_RESULTS, ImageUpdaterStatus
from image_updater.resources.status import (
    ImageOutcome,
    ResourceOutcome,
    as_json,
    compute,
    reason_for,
    summary,
)

NOW = datetime(2026, 12, 8, 2, 0, 0, 123456, tzinfo=UTC)
LATER = NOW + timedelta(minutes=2)


def updated(app: str, alias: str = "nginx", old: str = "1.20.0", new: str = "1.21.0") -> ImageOutcome:
    return ImageOutcome(
        app=app,
        alias=alias,
        image="registry.local/nginx",
        reason="Updated",
        message="updated",
        old=old,
        new=new,
    )


def not_updated(app: str, reason: str, message: str, alias: str = "nginx") -> ImageOutcome:
    return ImageOutcome(app=app, alias=alias, image="registry.local/nginx", reason=reason, message=message)


def conditions(status: ImageUpdaterStatus) -> dict[str, tuple[str, str, str]]:
    return {c.type: (c.status, c.reason, c.message) for c in status.conditions or ()}


CASES = [
    pytest.param(
        ResourceOutcome(generation=3, applications=("argocd/a", "argocd/b"), outcomes=(updated("argocd/a"),)),
        {
            "Ready": ("True", "ReconcileSucceeded", "Reconciled 2 applications, 1 images updated."),
            "Reconciling": ("False", "Idle", "Last check completed. Awaiting next cycle."),
            "Error": ("False", "NoErrors", "No errors during last reconciliation."),
        },
        id="succeeded",
    ),
    pytest.param(
        ResourceOutcome(
            generation=3,
            applications=("argocd/a", "argocd/b"),
            outcomes=(
                updated("argocd/a"),
                not_updated("argocd/b", "RegistryAuthFailed", "registry.local: 401"),
                not_updated("argocd/b", "NoMatchingTag", "no tag matched", alias="redis"),
            ),
        ),
        {
            "Ready": (
                "True",
                "ReconcileCompletedWithErrors",
                "Reconciled 2 applications with 1 errors, 1 images updated.",
            ),
            "Reconciling": ("False", "Idle", "Last check completed. Awaiting next cycle."),
            "Error": ("True", "PartialErrors", "1 error(s) occurred during image update checks."),
        },
        id="partial-errors",
    ),
    pytest.param(
        ResourceOutcome(generation=1, failure="imageupdater argocd/x: spec.applicationRefs: Required value"),
        {
            "Ready": (
                "False",
                "ReconcileFailed",
                "Reconciliation failed: imageupdater argocd/x: spec.applicationRefs: Required value",
            ),
            "Reconciling": ("False", "Idle", "Last check completed. Awaiting next cycle."),
            "Error": (
                "True",
                "ReconcileError",
                "imageupdater argocd/x: spec.applicationRefs: Required value",
            ),
        },
        id="resource-refused",
    ),
    pytest.param(
        ResourceOutcome(generation=None),
        {
            "Ready": ("True", "ReconcileSucceeded", "Reconciled 0 applications, 0 images updated."),
            "Reconciling": ("False", "Idle", "Last check completed. Awaiting next cycle."),
            "Error": ("False", "NoErrors", "No errors during last reconciliation."),
        },
        id="selects-nothing",
    ),
]


@pytest.mark.parametrize(("outcome", "expected"), CASES)
def test_conditions_are_upstreams(
    outcome: ResourceOutcome, expected: dict[str, tuple[str, str, str]]
) -> None:
    status = compute(outcome, previous=None, now=NOW)
    assert conditions(status) == expected
    assert all(c.observed_generation == outcome.generation for c in status.conditions or ())
    assert ImageUpdaterStatus.model_validate(as_json(status)) == status  # fits the CRD's schema


def test_counts_times_and_recent_updates() -> None:
    outcome = ResourceOutcome(
        generation=7,
        applications=("argocd/a", "argocd/b", "argocd/c"),
        outcomes=(
            updated("argocd/a"),
            updated("argocd/b"),
            updated("argocd/c", alias="redis", old="7.0", new="7.2"),
            not_updated("argocd/c", "UpToDate", "runs 1.21.0"),
        ),
    )
    status = compute(outcome, previous=None, now=NOW)
    document = as_json(status)
    assert document["observedGeneration"] == 7
    assert document["lastCheckedAt"] == document["lastUpdatedAt"] == "2026-12-08T02:00:00Z"
    assert (document["applicationsMatched"], document["imagesManaged"]) == (3, 4)
    assert document["recentUpdates"] == [
        {
            "alias": "nginx",
            "image": "registry.local/nginx",
            "newVersion": "1.21.0",
            "applicationsUpdated": 2,
            "updatedAt": "2026-12-08T02:00:00Z",
            "message": "Updated from 1.20.0 to 1.21.0.",
        },
        {
            "alias": "redis",
            "image": "registry.local/nginx",
            "newVersion": "7.2",
            "applicationsUpdated": 1,
            "updatedAt": "2026-12-08T02:00:00Z",
            "message": "Updated from 7.0 to 7.2.",
        },
    ]


def test_nothing_updated_keeps_last_update_and_transition_times() -> None:
    first = compute(
        ResourceOutcome(generation=1, applications=("argocd/a",), outcomes=(updated("argocd/a"),)),
        previous=None,
        now=NOW,
    )
    quiet = ResourceOutcome(
        generation=1,
        applications=("argocd/a",),
        outcomes=(not_updated("argocd/a", "UpToDate", "runs 1.21.0"),),
    )
    second = compute(quiet, previous=first, now=LATER)
    assert second.last_checked_at == LATER.replace(microsecond=0)
    assert second.last_updated_at == first.last_updated_at
    assert second.recent_updates == first.recent_updates
    assert {c.type: c.last_transition_time for c in second.conditions or ()} == {
        c.type: c.last_transition_time for c in first.conditions or ()
    }


def test_a_condition_that_flips_gets_a_new_transition_time() -> None:
    good = compute(ResourceOutcome(generation=1), previous=None, now=NOW)
    bad = compute(ResourceOutcome(generation=1, failure="broken"), previous=good, now=LATER)
    times = {c.type: c.last_transition_time for c in bad.conditions or ()}
    assert times["Ready"] == times["Error"] == LATER.replace(microsecond=0)
    assert times["Reconciling"] == NOW.replace(microsecond=0)  # stayed False


def test_the_same_outcomes_within_a_second_give_an_equal_status() -> None:
    outcome = ResourceOutcome(generation=1, applications=("argocd/a",), outcomes=(updated("argocd/a"),))
    first = compute(outcome, previous=None, now=NOW)
    again = compute(outcome, previous=first, now=NOW + timedelta(microseconds=500))
    assert as_json(again) == as_json(first)


def test_image_results_say_why_failures_first_and_are_bounded() -> None:
    outcomes = (
        not_updated("argocd/a", "UpToDate", "runs 1.21.0"),
        not_updated("argocd/b", "NotLive", "not running in this Application"),
        not_updated(
            "argocd/c", "NoMatchingTag", "no tag matched: 3 tags listed; dropped: 3 outside constraint"
        ),
        not_updated("argocd/d", "RegistryAuthFailed", "registry.local answered 401"),
        ImageOutcome(app="argocd/e", reason="ConfigError", message="application argocd/e: bad\nmulti  line"),
    )
    status = compute(
        ResourceOutcome(generation=1, applications=tuple(f"argocd/{x}" for x in "abcde"), outcomes=outcomes),
        previous=None,
        now=NOW,
    )
    results = [(r.application, r.reason) for r in status.image_results or ()]
    assert results == [
        ("argocd/e", "ConfigError"),
        ("argocd/d", "RegistryAuthFailed"),
        ("argocd/b", "NotLive"),
        ("argocd/c", "NoMatchingTag"),
        ("argocd/a", "UpToDate"),
    ]
    first = (status.image_results or ())[0]
    assert (first.alias, first.image, first.message) == (None, None, "application argocd/e: bad multi line")
    many = tuple(
        not_updated(f"argocd/app{i:04}", "UpToDate", "x" * 5000) for i in range(MAX_IMAGE_RESULTS + 50)
    )
    big = compute(ResourceOutcome(generation=1, outcomes=many), previous=None, now=NOW)
    assert len(big.image_results or ()) == MAX_IMAGE_RESULTS
    assert big.images_managed == MAX_IMAGE_RESULTS + 50
    ImageUpdaterStatus.model_validate(as_json(big))  # each message fits the schema's 1024 characters


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        pytest.param(RegistryAuthError("401"), "RegistryAuthFailed", id="auth"),
        pytest.param(RegistryNotFound("404"), "RegistryError", id="registry"),
        pytest.param(NoMatchingTag("none"), "NoMatchingTag", id="no-tag"),
        pytest.param(GitError("push refused"), "WriteBackFailed", id="git"),
        pytest.param(DeadlineExceeded("late"), "TimedOut", id="deadline"),
        pytest.param(InvalidImageUpdater("bad field"), "ConfigError", id="config"),
        pytest.param(ConfigError("bad"), "ConfigError", id="config-base"),
        pytest.param(ImageUpdaterError("other"), "Failed", id="other"),
    ],
)
def test_reason_for_errors(error: ImageUpdaterError, reason: str) -> None:
    assert reason_for(error) == reason


def test_summary_is_a_short_block() -> None:
    outcome = ResourceOutcome(
        generation=1,
        applications=("argocd/a",),
        outcomes=(not_updated("argocd/a", "NoMatchingTag", "no tag matched"),),
    )
    text = summary("argocd/web", compute(outcome, previous=None, now=NOW))
    assert text.splitlines() == [
        "imageupdater argocd/web: Ready=True ReconcileSucceeded: "
        "Reconciled 1 applications, 0 images updated.",
        "  applications matched: 1, images: 1",
        "  argocd/a nginx (registry.local/nginx): NoMatchingTag: no tag matched",
    ]


def test_messages_are_one_printable_line() -> None:
    hostile = not_updated("argocd/a", "RegistryError", "registry said: \x1b[2J\x1b]0;owned\x07 and\nmore")
    status = compute(ResourceOutcome(generation=1, outcomes=(hostile,)), previous=None, now=NOW)
    (result,) = status.image_results or ()
    assert result.message.isprintable()
    assert "\x1b" not in summary("argocd/web", status)
