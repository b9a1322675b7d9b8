"""The gate settings (`pin`, `min-age`, `promote-from`, `promote-after`) from annotations and from
ImageUpdater resources: parsed, refused with a line naming the key, and the tenancy rule that an
Application promotes only from Applications its namespace (or the operator) allows."""

from __future__ import annotations

import pytest

from image_updater import annotations
from image_updater.annotations import AppTrust
from image_updater.errors import InvalidAnnotation, InvalidImageUpdater
from image_updater.selection.gates import Gates
from tests.resources.test_merging import application, settings_for, updater, with_image_settings

P = annotations.PREFIX
LIST = {P + "image-list": "api=registry.example/org/api"}


TENANTS_ONLY = AppTrust()


def gates(notes: dict[str, str], *, trust: AppTrust = TENANTS_ONLY) -> Gates:
    parsed = annotations.parse({**LIST, **notes}, app="team-a/web", namespace="team-a", trust=trust)
    assert parsed.warnings == ()
    return parsed.images[0].gates


@pytest.mark.parametrize(
    ("notes", "expected"),
    [
        pytest.param({}, Gates(), id="none"),
        pytest.param({"api.pin": "v1.4.0"}, Gates(pin="v1.4.0"), id="pin"),
        pytest.param({"api.min-age": "24h"}, Gates(min_age=86400.0), id="min-age"),
        pytest.param({"min-age": "1h30m"}, Gates(min_age=5400.0), id="min-age-app-wide"),
        pytest.param({"min-age": "1h", "api.min-age": "2h"}, Gates(min_age=7200.0), id="per-image-wins"),
        pytest.param(
            {"api.promote-from": "team-a/staging", "api.promote-after": "30m"},
            Gates(promote_from="team-a/staging", promote_after=1800.0),
            id="promote",
        ),
        pytest.param(
            {"api.promote-from": "team-a/staging"}, Gates(promote_from="team-a/staging"), id="no-soak"
        ),
    ],
)
def test_gate_annotations(notes: dict[str, str], expected: Gates) -> None:
    assert gates({P + k: v for k, v in notes.items()}) == expected


@pytest.mark.parametrize(
    ("notes", "message"),
    [
        pytest.param({"api.pin": "v1 4"}, "api.pin: 'v1 4' is not a valid tag", id="bad-pin"),
        pytest.param({"api.min-age": "a day"}, "api.min-age: 'a day' is not a duration", id="bad-age"),
        pytest.param(
            {"api.min-age": "87601h"}, "api.min-age: '87601h' is longer than 3650 days", id="age-too-long"
        ),
        pytest.param({"min-age": "1" + "0" * 400 + "h"}, "min-age: '1000", id="age-infinite"),
        pytest.param(
            {"api.promote-from": "team-a/s", "api.promote-after": "99999999999h"},
            "api.promote-after: '99999999999h' is longer than",
            id="soak-beyond-year-9999",
        ),
        pytest.param(
            {"api.promote-from": "staging"}, "api.promote-from: 'staging' is not <namespace>/<app", id="no-ns"
        ),
        pytest.param({"api.promote-from": "a/B_x"}, "is not <namespace>/<application>", id="bad-name"),
        pytest.param({"api.promote-after": "30m"}, "api.promote-after: needs promote-from", id="after-alone"),
        pytest.param(
            {"api.promote-from": "team-b/staging"},
            "api.promote-from: Application team-b/staging is not in the Application's namespace 'team-a'",
            id="other-tenant",
        ),
    ],
)
def test_bad_gate_annotations(notes: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidAnnotation, match=r"^application team-a/web: annotation ") as err:
        gates({P + k: v for k, v in notes.items()})
    assert message in str(err.value)


def test_the_operator_may_allow_another_namespace() -> None:
    trust = AppTrust(promotion_namespaces=frozenset({"team-b"}))
    assert gates({P + "api.promote-from": "team-b/staging"}, trust=trust).promote_from == "team-b/staging"


def test_image_updater_fields_layer_like_the_others() -> None:
    obj = updater(
        {"commonUpdateSettings": {"minAge": "1h"}},
        images=with_image_settings(pin="1.2.3", promoteFrom="argocd/dev", promoteAfter="10m"),
    )
    settings = settings_for(obj, application("web"))
    assert settings is not None
    assert settings.images[0].gates == Gates(
        pin="1.2.3", min_age=3600.0, promote_from="argocd/dev", promote_after=600.0
    )


def test_image_updater_promotion_is_held_to_the_same_tenancy() -> None:
    obj = updater({}, images=with_image_settings(promoteFrom="other/dev"))
    with pytest.raises(InvalidImageUpdater, match="promoteFrom: Application other/dev is not in"):
        settings_for(obj, application("web"))
