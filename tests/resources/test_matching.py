"""Which applicationRef an Application takes: upstream's own cases (pkg/argocd/argocd_test.go,
v1.3), named by their upstream test and case."""

from __future__ import annotations

from typing import Any

import pytest

from image_updater.resources import matching
from image_updater.resources.model import ApplicationRef, ImageUpdater, LabelSelector


def ref(pattern: str, **fields: Any) -> ApplicationRef:
    return ApplicationRef.model_validate({"namePattern": pattern, "useAnnotations": True, **fields})


def labels(**selector: Any) -> dict[str, Any]:
    return {"labelSelectors": selector}


SPECIFICITY = [
    ("Exact name, no labels", ref("app-one"), 1_000_000 + 7),
    ("Simple wildcard, no labels", ref("app-*"), 4),
    ("More specific wildcard, no labels", ref("app-prod-*"), 9),
    ("Question mark wildcard", ref("app-v?"), 5),
    ("Character set wildcard", ref("app-[abc]"), 4),
    ("Wildcard only", ref("*"), 0),
    ("Exact name with empty label selector", ref("app-one", **labels()), 1_000_000 + 7 + 10_000),
    ("Exact name with one MatchLabel", ref("app-one", **labels(matchLabels={"env": "prod"})), 1_010_107),
    ("Wildcard name with one MatchLabel", ref("app-*", **labels(matchLabels={"env": "prod"})), 10_104),
    (
        "Wildcard name with one MatchExpression",
        ref("app-*", **labels(matchExpressions=[{"key": "env", "operator": "In", "values": ["prod"]}])),
        10_104,
    ),
    (
        "Wildcard name with complex selector",
        ref(
            "app-*",
            **labels(
                matchLabels={"env": "prod", "tier": "backend"},
                matchExpressions=[{"key": "region", "operator": "Exists"}],
            ),
        ),
        10_304,
    ),
    ("Empty pattern is an exact match", ref(""), 1_000_000),
]


@pytest.mark.parametrize(
    ("applicationref", "score"),
    [c[1:] for c in SPECIFICITY],
    ids=[f"Test_calculateSpecificity/{c[0]}" for c in SPECIFICITY],
)
def test_specificity(applicationref: ApplicationRef, score: int) -> None:
    assert matching.specificity(applicationref) == score


EXACT_WITH_LABELS = ref("app-one", **labels(matchLabels={"env": "prod"}))
EXACT = ref("app-one", images=[{"alias": "a", "imageName": "a"}])
WILDCARD_WITH_LABELS = ref("app-*", **labels(matchLabels={"env": "prod"}))
WILDCARD_SPECIFIC, WILDCARD_GENERAL = ref("app-prod-*"), ref("app-*")
SINGLE_CHAR, BROADEST = ref("app-?"), ref("*")
SORTS = [
    (
        "Sorts from most to least specific",
        [WILDCARD_GENERAL, EXACT, BROADEST, EXACT_WITH_LABELS, WILDCARD_SPECIFIC, WILDCARD_WITH_LABELS],
        [EXACT_WITH_LABELS, EXACT, WILDCARD_WITH_LABELS, WILDCARD_SPECIFIC, WILDCARD_GENERAL, BROADEST],
    ),
    (
        "Maintains stable order for equal scores (case 1)",
        [WILDCARD_GENERAL, SINGLE_CHAR],
        [WILDCARD_GENERAL, SINGLE_CHAR],
    ),
    (
        "Maintains stable order for equal scores (case 2)",
        [SINGLE_CHAR, WILDCARD_GENERAL],
        [SINGLE_CHAR, WILDCARD_GENERAL],
    ),
    ("Handles empty slice", [], []),
    ("Handles slice with one element", [WILDCARD_GENERAL], [WILDCARD_GENERAL]),
]


@pytest.mark.parametrize(
    ("given", "expected"), [c[1:] for c in SORTS], ids=[f"Test_sortApplicationRefs/{c[0]}" for c in SORTS]
)
def test_refs_are_tried_most_specific_first(
    given: list[ApplicationRef], expected: list[ApplicationRef]
) -> None:
    ordered = matching.ordered(given)
    assert [r for _, r in ordered] == expected
    assert all(given[i] is r for i, r in ordered)  # indexes point into spec.applicationRefs


NAMES = [
    ("Exact match", "my-app", "my-app", True),
    ("No match", "other-app", "my-app", False),
    ("Star wildcard match", "my-app-production", "my-app-*", True),
    ("Star wildcard no match", "other-app", "my-app-*", False),
    ("Question mark wildcard match", "app-v1", "app-v?", True),
    ("Question mark wildcard no match", "app-v12", "app-v?", False),
    ("Character set match", "color-red", "color-[rbg]ed", True),
    ("Character set no match", "color-yellow", "color-[rbg]ed", False),
    ("Character range match", "pod-3", "pod-[0-9]", True),
    ("Character range no match", "pod-a", "pod-[0-9]", False),
    ("Invalid pattern should not match and not panic", "any-app", "my-app-[", False),
]


@pytest.mark.parametrize(
    ("name", "pattern", "expected"),
    [c[1:] for c in NAMES],
    ids=[f"Test_nameMatchesPattern/{c[0]}" for c in NAMES],
)
def test_name_pattern(name: str, pattern: str, expected: bool) -> None:
    assert matching.name_matches(pattern, name) is expected


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {"key": key, "operator": operator, **({"values": list(values)} if values else {})}


PROD_FRONTEND = {"env": "prod", "tier": "frontend"}
LABELS = [
    ("Nil selector should match", {"env": "prod"}, None, True),
    ("Empty selector should match", {"env": "prod"}, {}, True),
    ("MatchLabels: simple match", PROD_FRONTEND, {"matchLabels": {"env": "prod"}}, True),
    ("MatchLabels: exact match on multiple labels", PROD_FRONTEND, {"matchLabels": PROD_FRONTEND}, True),
    ("MatchLabels: mismatch on value", {"env": "staging"}, {"matchLabels": {"env": "prod"}}, False),
    ("MatchLabels: mismatch on missing key", {"tier": "frontend"}, {"matchLabels": {"env": "prod"}}, False),
    (
        "MatchExpressions: 'In' operator match",
        {"env": "staging"},
        {"matchExpressions": [expr("env", "In", "prod", "staging")]},
        True,
    ),
    (
        "MatchExpressions: 'In' operator mismatch",
        {"env": "dev"},
        {"matchExpressions": [expr("env", "In", "prod", "staging")]},
        False,
    ),
    (
        "MatchExpressions: 'NotIn' operator match",
        {"env": "dev"},
        {"matchExpressions": [expr("env", "NotIn", "prod", "staging")]},
        True,
    ),
    (
        "MatchExpressions: 'NotIn' operator mismatch",
        {"env": "prod"},
        {"matchExpressions": [expr("env", "NotIn", "prod", "staging")]},
        False,
    ),
    (
        "MatchExpressions: 'Exists' operator match",
        {"env": "prod"},
        {"matchExpressions": [expr("env", "Exists")]},
        True,
    ),
    (
        "MatchExpressions: 'Exists' operator mismatch",
        {"tier": "frontend"},
        {"matchExpressions": [expr("env", "Exists")]},
        False,
    ),
    (
        "MatchExpressions: 'DoesNotExist' operator match",
        {"tier": "frontend"},
        {"matchExpressions": [expr("env", "DoesNotExist")]},
        True,
    ),
    (
        "MatchExpressions: 'DoesNotExist' operator mismatch",
        {"env": "prod"},
        {"matchExpressions": [expr("env", "DoesNotExist")]},
        False,
    ),
    (
        "Combined MatchLabels and MatchExpressions: both match",
        PROD_FRONTEND,
        {"matchLabels": {"env": "prod"}, "matchExpressions": [expr("tier", "In", "frontend", "backend")]},
        True,
    ),
    (
        "Combined MatchLabels and MatchExpressions: one mismatch",
        {"env": "prod", "tier": "database"},
        {"matchLabels": {"env": "prod"}, "matchExpressions": [expr("tier", "In", "frontend", "backend")]},
        False,
    ),
    # Beyond upstream's table: Kubernetes' NotIn also holds when the key is absent.
    ("NotIn holds when the key is absent", {}, {"matchExpressions": [expr("env", "NotIn", "prod")]}, True),
]


@pytest.mark.parametrize(
    ("app_labels", "selector", "expected"),
    [c[1:] for c in LABELS],
    ids=[f"Test_nameMatchesLabels/{c[0]}" for c in LABELS],
)
def test_label_selector(app_labels: dict[str, str], selector: dict[str, Any] | None, expected: bool) -> None:
    parsed = LabelSelector.model_validate(selector) if selector is not None else None
    assert matching.labels_match(parsed, app_labels) is expected


def resource(*refs: dict[str, Any], namespace: str = "testns") -> ImageUpdater:
    return ImageUpdater.model_validate(
        {
            "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
            "kind": "ImageUpdater",
            "metadata": {"name": "test-updater", "namespace": namespace},
            "spec": {"applicationRefs": list(refs)},
        }
    )


NGINX = [{"alias": "nginx", "imageName": "nginx:1.0"}]
APPS = {"app-prod": {"env": "prod"}, "app-staging": {"env": "staging"}, "other-prod": {"env": "prod"}}
FILTER = [
    ("Fast path for exact name matches", [{"namePattern": "app-prod", "images": NGINX}], {"app-prod": 0}),
    (
        "Slow path with wildcard name pattern",
        [{"namePattern": "app-*", "images": NGINX}],
        {"app-prod": 0, "app-staging": 0},
    ),
    (
        "Slow path with label selector",
        [{"namePattern": "*", "labelSelectors": {"matchLabels": {"env": "prod"}}, "images": NGINX}],
        {"app-prod": 0, "other-prod": 0},
    ),
    (
        "Specificity rule is applied correctly",
        [
            {"namePattern": "app-*", "images": NGINX},
            {"namePattern": "app-prod", "images": [*NGINX, {"alias": "redis", "imageName": "redis:6"}]},
        ],
        {"app-prod": 1, "app-staging": 0},
    ),
    ("No matching applications found returns empty map", [{"namePattern": "nope", "images": NGINX}], {}),
]


@pytest.mark.parametrize(
    ("refs", "expected"),
    [c[1:] for c in FILTER],
    ids=[f"Test_FilterApplicationsForUpdate/{c[0]}" for c in FILTER],
)
def test_which_applications_take_which_ref(refs: list[dict[str, Any]], expected: dict[str, int]) -> None:
    updater = resource(*refs)
    taken = {}
    for name, app_labels in APPS.items():
        match = matching.select(updater, name=name, namespace="testns", labels=app_labels)
        if match is not None:
            assert match.ref is updater.spec.application_refs[match.index]
            taken[name] = match.index
    assert taken == expected


def test_only_applications_of_the_resources_namespace_are_selected() -> None:
    updater = resource({"namePattern": "*", "images": NGINX})
    assert matching.select(updater, name="app-prod", namespace="other", labels={}) is None
    assert matching.select(updater, name="app-prod", namespace="testns", labels={}) is not None


def test_the_first_matching_ref_wins_even_if_a_later_one_has_labels_that_fail() -> None:
    # An app matched by name but not by labels falls through to the next ref, as upstream.
    updater = resource(
        {"namePattern": "app-prod", "labelSelectors": {"matchLabels": {"env": "dev"}}, "images": NGINX},
        {"namePattern": "app-*", "images": NGINX},
    )
    match = matching.select(updater, name="app-prod", namespace="testns", labels={"env": "prod"})
    assert match is not None
    assert match.index == 1
