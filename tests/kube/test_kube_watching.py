"""Snapshots and watches of custom resources through the real client against the fake API server."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from image_updater.errors import KindNotServed, TransientError
from image_updater.kube import APPLICATIONS, Api, WatchEvent, patch_application, snapshot, watch
from tests.kube.conftest import APPS, application
from tests.kube.fakeapi import FakeKube


async def test_snapshot_carries_the_list_resource_version(fake: FakeKube, api: Api) -> None:
    fake.put(*APPS, application("argocd", "a"))
    last = fake.put(*APPS, application("tenant", "b"))
    snap = await snapshot(api, APPLICATIONS)
    assert [app["metadata"]["name"] for app in snap.items] == ["a", "b"]
    assert snap.resource_version == last["metadata"]["resourceVersion"]
    only = await snapshot(api, APPLICATIONS, namespace="tenant")
    assert [app["metadata"]["name"] for app in only.items] == ["b"]


async def test_watch_yields_modified_after_a_patch(fake: FakeKube, api: Api) -> None:
    fake.put(*APPS, application("argocd", "guestbook"))
    fake.put(*APPS, application("argocd", "other"))
    snap = await snapshot(api, APPLICATIONS, namespace="argocd")
    events: list[WatchEvent] = []

    async def consume() -> None:
        stream = watch(api, APPLICATIONS, resource_version=snap.resource_version, timeout_seconds=5)
        async with contextlib.aclosing(stream):
            async for event in stream:
                events.append(event)
                return

    consumer = asyncio.create_task(consume(), name="watch-consumer")
    await patch_application(api, "argocd", "guestbook", {"spec": {"project": "moved"}})
    await asyncio.wait_for(consumer, 3)

    (event,) = events
    assert event.type == "MODIFIED"
    assert event.object["metadata"]["name"] == "guestbook"
    assert event.object["spec"]["project"] == "moved"
    (watch_request,) = [r for r in fake.requests if r.query.get("watch") == "True"]
    assert watch_request.path == "/apis/argoproj.io/v1alpha1/applications"
    assert watch_request.query["resourceVersion"] == snap.resource_version


async def test_watch_replays_changes_after_the_resource_version_then_ends(fake: FakeKube, api: Api) -> None:
    start = fake.put(*APPS, application("argocd", "a"))["metadata"]["resourceVersion"]
    fake.put(*APPS, application("argocd", "b", labels={"team": "x"}))
    fake.put(*APPS, application("tenant", "c", labels={"team": "x"}))
    stream = watch(api, APPLICATIONS, resource_version=start, namespace="argocd", timeout_seconds=1)
    seen = [(e.type, e.object["metadata"]["name"]) async for e in stream]
    assert seen == [("ADDED", "b")]


async def test_watch_from_an_expired_version_is_transient(fake: FakeKube, api: Api) -> None:
    old = fake.put(*APPS, application("argocd", "a"))["metadata"]["resourceVersion"]
    fake.put(*APPS, application("argocd", "b"))
    fake.compact()
    with pytest.raises(TransientError, match=f"resourceVersion {old} expired; list again"):
        async for _ in watch(api, APPLICATIONS, resource_version=old, timeout_seconds=1):
            pass
    assert api.counter.errors == 1


async def test_a_kind_the_server_does_not_serve_is_told_apart(fake: FakeKube, api: Api) -> None:
    fake.uninstall(*APPS)
    with pytest.raises(KindNotServed, match=r"applications\.argoproj\.io/v1alpha1; is its CRD installed"):
        await snapshot(api, APPLICATIONS, namespace="argocd")
    with pytest.raises(KindNotServed, match="cannot watch Applications in all namespaces"):
        async for _ in watch(api, APPLICATIONS, resource_version="1", timeout_seconds=1):
            pass
