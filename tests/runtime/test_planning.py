"""Which configured images are checked (liveness, force-update) and whether a chosen tag is a change."""

from __future__ import annotations

from typing import Any

import pytest

from image_updater import annotations, applications, refs
from image_updater.changes import Change
from image_updater.refs import Digest, ImageRef, Tag
from image_updater.runtime.planning import ImageCheck, decide, images_to_check
from image_updater.selection.types import TagInfo
from tests.runtime.conftest import P, application

OLD = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64


def app_with(notes: dict[str, str], running: list[str] | None) -> Any:
    manifest = application("web", annotations=notes, running=running)
    if running is None:
        del manifest["status"]
    app = applications.from_manifest(manifest)
    return app, annotations.parse(app.annotations, app=app.key, namespace=app.namespace)


@pytest.mark.parametrize(
    ("notes", "running", "checked"),
    [
        pytest.param(
            {"image-list": "x=quay.io/org/web"}, None, {"quay.io/org/web": None}, id="no-status-all-live"
        ),
        pytest.param(
            {"image-list": "x=quay.io/org/web:^1"},
            ["quay.io/org/web:1.0", "redis:7"],
            {"quay.io/org/web": "quay.io/org/web:1.0"},
            id="running-tag-is-current",
        ),
        pytest.param(
            {"image-list": "x=nginx"},
            ["docker.io/library/nginx:1.25"],
            {"nginx": "docker.io/nginx:1.25"},  # `library/` is implied on Docker Hub
            id="docker-hub-library-spelled-out",
        ),
        pytest.param(
            {"image-list": "x=docker.io/library/nginx"},
            ["nginx:1.25"],
            {"docker.io/nginx": "nginx:1.25"},
            id="docker-hub-short-running",
        ),
        pytest.param(
            {"image-list": "x=index.docker.io/bitnami/redis"},
            ["bitnami/redis:7.2"],
            {"index.docker.io/bitnami/redis": "bitnami/redis:7.2"},
            id="docker-hub-index-host",
        ),
        pytest.param(
            {"image-list": "x=quay.io/org/web", "x.force-update": "true"},
            [],
            {"quay.io/org/web": None},
            id="force-update",
        ),
        pytest.param(
            {"image-list": "x=quay.io/org/web", "force-update": "true"},
            ["redis:7"],
            {"quay.io/org/web": None},
            id="force-update-app-wide",
        ),
        pytest.param(
            {"image-list": "x=quay.io/org/web", "x.force-update": "true"},
            ["quay.io/org/web:1.0"],
            {"quay.io/org/web": "quay.io/org/web:1.0"},
            id="force-update-still-reads-what-runs",
        ),
        pytest.param(
            {"image-list": "x=registry.example/new/web", "x.kustomize.image-name": "old/web"},
            ["old/web:1.0"],
            {"registry.example/new/web": "old/web:1.0"},
            id="kustomize-original-name",
        ),
        pytest.param(
            {"image-list": "x=quay.io/org/web:stable", "x.update-strategy": "digest"},
            ["quay.io/org/web:canary", f"quay.io/org/web:stable@{OLD}"],
            {"quay.io/org/web": f"quay.io/org/web:stable@{OLD}"},
            id="digest-picks-the-tracked-tag",
        ),
        pytest.param(
            {"image-list": "a=quay.io/org/a, b=quay.io/org/b"},
            ["quay.io/org/b:2"],
            {"quay.io/org/b": "quay.io/org/b:2"},
            id="only-running-ones",
        ),
    ],
)
def test_images_to_check(
    notes: dict[str, str], running: list[str] | None, checked: dict[str, str | None]
) -> None:
    app, settings = app_with(notes, running)

    checks, skips = images_to_check(app, settings)

    assert {c.image.spec.image.name: (str(c.current) if c.current else None) for c in checks} == checked
    assert all(c.app is app for c in checks)
    assert len(checks) + len(skips) == len(settings.images)


@pytest.mark.parametrize(
    ("notes", "running", "reason"),
    [
        pytest.param(
            {"image-list": "x=quay.io/org/web"},
            ["docker.io/org/web:1"],
            f'(Argo CD reports: docker.io/org/web:1); set {P}x.force-update: "true" to update it anyway',
            id="other-registry",
        ),
        pytest.param(
            {"image-list": "quay.io/org/web"},
            [],
            f'(Argo CD reports: nothing); set {P}quay.io_org_web.force-update: "true" to update it anyway',
            id="nothing-running-key-without-alias",
        ),
        pytest.param(
            {"image-list": "x=quay.io/org/web", "x.force-update": "false"},
            ["quay.io/org/api:1", "redis:7"],
            "(Argo CD reports: quay.io/org/api:1, redis:7)",
            id="force-update-false",
        ),
    ],
)
def test_images_not_running_are_skipped_with_a_reason(
    notes: dict[str, str], running: list[str], reason: str
) -> None:
    app, settings = app_with(notes, running)

    checks, skips = images_to_check(app, settings)

    assert checks == []
    (skip,) = skips
    assert (skip.app, skip.image) == ("argocd/web", "quay.io/org/web")
    assert skip.reason.startswith("not running in this Application")
    assert reason in skip.reason


def check(notes: dict[str, str], current: str | None) -> ImageCheck:
    app, settings = app_with(notes, None)
    return ImageCheck(
        app=app, image=settings.images[0], current=refs.parse_image(current) if current else None
    )


SEMVER = {"image-list": "x=quay.io/org/web:^1"}
DIGEST = {"image-list": "x=quay.io/org/web:stable", "x.update-strategy": "digest"}
WEB = ImageRef("quay.io", "org/web")


@pytest.mark.parametrize(
    ("notes", "current", "chosen", "change"),
    [
        pytest.param(SEMVER, "quay.io/org/web:1.2.0", TagInfo("1.2.0"), None, id="semver-same-tag"),
        pytest.param(
            SEMVER,
            f"quay.io/org/web:1.2.0@{OLD}",
            TagInfo("1.2.0", digest=NEW),
            None,
            id="semver-ignores-digest",
        ),
        pytest.param(
            SEMVER,
            "quay.io/org/web:1.2.0",
            TagInfo("1.3.0", digest=NEW),
            Change(
                "x",
                ImageRef("quay.io", "org/web", Tag("1.2.0")),
                ImageRef("quay.io", "org/web", Tag("1.3.0")),
            ),
            id="semver-new-tag-without-digest",
        ),
        pytest.param(
            SEMVER,
            None,
            TagInfo("1.3.0"),
            Change("x", WEB, ImageRef("quay.io", "org/web", Tag("1.3.0"))),
            id="semver-unknown-current",
        ),
        pytest.param(
            DIGEST, f"quay.io/org/web:stable@{OLD}", TagInfo("stable", digest=OLD), None, id="digest-same"
        ),
        pytest.param(
            DIGEST,
            f"quay.io/org/web:stable@{OLD}",
            TagInfo("stable", digest=NEW),
            Change(
                "x",
                ImageRef("quay.io", "org/web", Tag("stable"), Digest(OLD)),
                ImageRef("quay.io", "org/web", Tag("stable"), Digest(NEW)),
            ),
            id="digest-moved",
        ),
        pytest.param(
            DIGEST,
            "quay.io/org/web:stable",
            TagInfo("stable", digest=NEW),
            Change(
                "x",
                ImageRef("quay.io", "org/web", Tag("stable")),
                ImageRef("quay.io", "org/web", Tag("stable"), Digest(NEW)),
            ),
            id="digest-running-without-digest",
        ),
        pytest.param(
            DIGEST,
            None,
            TagInfo("stable", digest=NEW),
            Change("x", WEB, ImageRef("quay.io", "org/web", Tag("stable"), Digest(NEW))),
            id="digest-unknown-current",
        ),
    ],
)
def test_decide(notes: dict[str, str], current: str | None, chosen: TagInfo, change: Change | None) -> None:
    assert decide(check(notes, current), chosen) == change


def test_digest_without_a_written_tag_tracks_the_running_latest() -> None:
    app, settings = app_with(
        {"image-list": "m=quay.io/org/migrator", "m.update-strategy": "digest"},
        ["quay.io/org/migrator:canary", f"quay.io/org/migrator:latest@{OLD}"],
    )

    (found,), _ = images_to_check(app, settings)

    assert str(found.current) == f"quay.io/org/migrator:latest@{OLD}"
