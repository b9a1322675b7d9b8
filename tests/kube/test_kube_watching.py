"""Snapshots and watches of Applications through the real client against the fake API server."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from image_updater.errors import TransientError
from image_updater.kube import Api, WatchEvent, patch_application, snapshot_applications, watch_applications
from tests.kube.conftest import APPS, application
from tests.kube.fakeapi import FakeKube


async def test_snapshot_carries_the_list_resource_version(fake: FakeKube, api: Api) -> None:
    fake.put(*APPS, application("argocd", "a"))
    last = fake.put(*APPS, application("tenant", "b"))
    snapshot = await snapshot_applications(api)
    assert [app["metadata"]["name"] for app in snapshot.applications] == ["a", "b"]
    assert snapshot.resource_version == last["metadata"]["resourceVersion"]
    only = await snapshot_applications(api, namespace="tenant")
    assert [app["metadata"]["name"] for app in only.applications] == ["b"]


async def test_watch_yields_modified_after_a_patch(fake: FakeKube, api: Api) -> None:
    fake.put(*APPS, application("argocd", "guestbook"))
    fake.put(*APPS, application("argocd", "other"))
    snapshot = await snapshot_applications(api, namespace="argocd")
    events: list[WatchEvent] = []

    async def consume() -> None:
        watch = watch_applications(api, resource_version=snapshot.resource_version, timeout_seconds=5)
        async with contextlib.aclosing(watch) as stream:
            async for event in stream:
                events.append(event)
                return

    consumer = asyncio.create_task(consume(), name="watch-consumer")
    await patch_application(api, "argocd", "guestbook", {"spec": {"project": "moved"}})
    await asyncio.wait_for(consumer, 3)

    (event,) = events
    assert event.type == "MODIFIED"
    assert event.application["metadata"]["name"] == "guestbook"
    assert event.application["spec"]["project"] == "moved"
    (watch_request,) = [r for r in fake.requests if r.query.get("watch") == "True"]
    assert watch_request.path == "/apis/argoproj.io/v1alpha1/applications"
    assert watch_request.query["resourceVersion"] == snapshot.resource_version


async def test_watch_replays_changes_after_the_resource_version_then_ends(fake: FakeKube, api: Api) -> None:
    start = fake.put(*APPS, application("argocd", "a"))["metadata"]["resourceVersion"]
    fake.put(*APPS, application("argocd", "b", labels={"team": "x"}))
    fake.put(*APPS, application("tenant", "c", labels={"team": "x"}))
    stream = watch_applications(api, resource_version=start, namespace="argocd", timeout_seconds=1)
    seen = [(e.type, e.application["metadata"]["name"]) async for e in stream]
    assert seen == [("ADDED", "b")]


async def test_watch_from_an_expired_version_is_transient(fake: FakeKube, api: Api) -> None:
    old = fake.put(*APPS, application("argocd", "a"))["metadata"]["resourceVersion"]
    fake.put(*APPS, application("argocd", "b"))
    fake.compact()
    with pytest.raises(TransientError, match=f"resourceVersion {old} expired; list again"):
        async for _ in watch_applications(api, resource_version=old, timeout_seconds=1):
            pass
    assert api.counter.errors == 1
