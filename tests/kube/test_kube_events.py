"""Events recorded on Applications through the real client against the fake API server."""

from __future__ import annotations

import datetime as dt

from image_updater.changes import Change
from image_updater.kube import IMAGES_UPDATED, Api, change_annotations, emit_event, emit_images_updated
from image_updater.refs import ImageRef, Tag
from tests.kube.conftest import APPS, application
from tests.kube.fakeapi import FakeKube

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
CHANGE = Change(
    alias="web",
    old=ImageRef("quay.io", "org/web", Tag("1.0.0")),
    new=ImageRef("quay.io", "org/web", Tag("1.1.0")),
)


async def test_event_references_the_application(fake: FakeKube, api: Api) -> None:
    app = fake.put(*APPS, application("argocd", "guestbook"))

    created = await emit_event(
        api,
        application=app,
        reason="UpdateFailed",
        message="registry down",
        type_="Warning",
        annotations={"a": "b"},
        clock=lambda: NOW,
    )

    (write,) = fake.writes()
    assert (write.method, write.path) == ("POST", "/api/v1/namespaces/argocd/events")
    stored = fake.get("v1", "events", "argocd", created["metadata"]["name"])
    assert stored["involvedObject"] == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "name": "guestbook",
        "namespace": "argocd",
        "uid": app["metadata"]["uid"],
        "resourceVersion": app["metadata"]["resourceVersion"],
    }
    assert (stored["reason"], stored["message"], stored["type"]) == (
        "UpdateFailed",
        "registry down",
        "Warning",
    )
    assert stored["metadata"]["annotations"] == {"a": "b"}
    assert stored["metadata"]["name"].startswith("guestbook.")
    assert stored["lastTimestamp"] == "2026-01-02T03:04:05Z"
    assert stored["source"] == {"component": "argocd-image-updater"}


async def test_images_updated_event_is_upstreams(fake: FakeKube, api: Api) -> None:
    app = fake.put(*APPS, application("argocd", "guestbook"))
    await emit_images_updated(api, application=app, changes=[CHANGE], clock=lambda: NOW)
    (stored,) = [o for (gv, plural, *_), o in fake.objects.items() if plural == "events"]
    assert stored["reason"] == IMAGES_UPDATED == "ImagesUpdated"
    assert stored["message"] == "Successfully updated application 'guestbook'"
    assert stored["type"] == "Normal"
    assert stored["metadata"]["annotations"] == change_annotations([CHANGE])


def test_change_annotations() -> None:
    assert change_annotations([CHANGE]) == {
        "argocd-image-updater.image-0/full-image-name": "quay.io/org/web",
        "argocd-image-updater.image-0/image-name": "org/web",
        "argocd-image-updater.image-0/old-tag": "1.0.0",
        "argocd-image-updater.image-0/new-tag": "1.1.0",
    }


async def test_registry_text_in_an_event_is_escaped_and_bounded(fake: FakeKube, api: Api) -> None:
    """A Warning event quotes error messages, which quote registry data (docs/security.md)."""
    app = fake.put(*APPS, application("argocd", "guestbook"))
    created = await emit_event(
        api,
        application=app,
        reason="ImageUpdateFailed",
        message="bad tag \x1b[2J\n\u202e" + "x" * 5000,
        type_="Warning",
        annotations={"argocd-image-updater.image-0/new-tag": "1.0\n\x1b[31m"},
        clock=lambda: NOW,
    )
    stored = fake.get("v1", "events", "argocd", created["metadata"]["name"])
    assert stored["message"].startswith("bad tag \\x1b[2J\\n\\u202exxx")
    assert stored["message"].isprintable()
    assert len(stored["message"]) <= 1024 + 40
    assert stored["metadata"]["annotations"] == {"argocd-image-updater.image-0/new-tag": "1.0\\n\\x1b[31m"}
