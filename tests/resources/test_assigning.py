"""Both generations in one process: which configuration each Application takes, and the conflicts
that are reported for it instead of fought over."""

from __future__ import annotations

from typing import Any

import pytest

from image_updater import annotations
from image_updater.applications import Application, from_manifest
from image_updater.errors import InvalidImageUpdater
from image_updater.resources import assigning

P = annotations.PREFIX


def application(
    name: str, labels: dict[str, str] | None = None, image_list: str | None = None
) -> Application:
    notes = {P + "image-list": image_list} if image_list else {}
    meta = {"name": name, "namespace": "argocd", "labels": labels or {}, "annotations": notes}
    return from_manifest({"metadata": meta, "spec": {"source": {"repoURL": "https://git.example/r.git"}}})


def updater(name: str, *refs: dict[str, Any], namespace: str = "argocd") -> dict[str, Any]:
    return {
        "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"applicationRefs": list(refs)},
    }


def images(pattern: str, image: str = "nginx:1.x") -> dict[str, Any]:
    return {"namePattern": pattern, "images": [{"alias": "web", "imageName": image}]}


ANNOTATED_REF = {"namePattern": "*", "useAnnotations": True, "labelSelectors": {"matchLabels": {"v0": "yes"}}}
RESOURCES = assigning.load(
    [
        updater("web", images("web-*")),
        updater("legacy", ANNOTATED_REF),
        updater("elsewhere", images("*"), namespace="x"),
    ],
    default_namespace="argocd",
)

CASES = [
    ("selected-by-a-resource", application("web-1"), ("web", "nginx")),
    ("not-selected-keeps-its-annotations", application("api", image_list="a=redis:7"), ("a", "redis")),
    ("not-selected-and-not-annotated-is-not-managed", application("api"), None),
    ("use-annotations-reads-them", application("api", {"v0": "yes"}, image_list="a=redis:7"), ("a", "redis")),
    ("use-annotations-without-image-list-is-not-managed", application("api", {"v0": "yes"}), None),
]


@pytest.mark.parametrize(("app", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_which_configuration_an_application_takes(app: Application, expected: tuple[str, str] | None) -> None:
    settings = assigning.settings_for(app, RESOURCES.items)
    got = (settings.images[0].spec.alias, settings.images[0].spec.image.name) if settings else None
    assert got == expected


CONFLICTS = [
    (
        "two-resources",
        application("web-1", {"v0": "yes"}, image_list="a=redis:7"),
        "application argocd/web-1: selected by imageupdater argocd/legacy and imageupdater argocd/web; "
        "it is not updated until only one selects it",
    ),
    (
        "resource-and-own-annotations",
        application("web-2", image_list="a=redis:7"),
        "application argocd/web-2: configured by imageupdater argocd/web (spec.applicationRefs[0]) and by "
        f"its own {P}image-list annotation",
    ),
]


@pytest.mark.parametrize(("app", "message"), [c[1:] for c in CONFLICTS], ids=[c[0] for c in CONFLICTS])
def test_conflicts_are_reported_for_the_application(app: Application, message: str) -> None:
    with pytest.raises(InvalidImageUpdater) as caught:
        assigning.settings_for(app, RESOURCES.items)
    assert str(caught.value).startswith(message)


def test_broken_and_duplicate_resources_are_reported_and_select_nothing() -> None:
    loaded = assigning.load(
        [updater("web", images("web-*")), updater("web", images("*")), updater("bad", {"namePattern": "x"})],
        default_namespace="argocd",
    )
    assert [r.key for r in loaded.items] == ["argocd/web"]
    assert loaded.problems == (
        "imageupdater argocd/web: defined twice; only the first one is used",
        "imageupdater argocd/bad: spec.applicationRefs[0]: Invalid value: Either useAnnotations must be "
        "true, or images must be provided with at least one item",
    )
    assert assigning.settings_for(application("other"), loaded.items) is None


# (id, Application, what configures it with --config-source annotations, resources, both)
BY_SOURCE = [
    ("selected-by-a-resource", application("web-1"), (None, ("web", "nginx"), ("web", "nginx"))),
    (
        "annotated-and-selected-by-nothing",
        application("api", image_list="a=redis:7"),
        (("a", "redis"), None, ("a", "redis")),
    ),
    (
        "use-annotations-reads-them-through-the-resource",
        application("api", {"v0": "yes"}, image_list="a=redis:7"),
        (("a", "redis"), ("a", "redis"), ("a", "redis")),
    ),
    (
        "selected-and-annotated-takes-the-one-generation-asked-for",
        application("web-2", image_list="a=redis:7"),
        (("a", "redis"), ("web", "nginx"), "conflict"),
    ),
]


@pytest.mark.parametrize(("app", "expected"), [c[1:] for c in BY_SOURCE], ids=[c[0] for c in BY_SOURCE])
@pytest.mark.parametrize("source", assigning.CONFIG_SOURCES)
def test_config_source_leaves_one_generation_out(
    source: assigning.ConfigSource, app: Application, expected: tuple[Any, Any, Any]
) -> None:
    want = expected[assigning.CONFIG_SOURCES.index(source)]
    if want == "conflict":
        with pytest.raises(InvalidImageUpdater, match="configured by imageupdater argocd/web"):
            assigning.settings_for(app, RESOURCES.items, source=source)
        return
    settings = assigning.settings_for(app, RESOURCES.items, source=source)
    assert ((settings.images[0].spec.alias, settings.images[0].spec.image.name) if settings else None) == want
