"""The watches that start a cycle early, against the fake API server through the real client:
which changes wake the loop and which never do (status writes, finalizers, Argo CD's bookkeeping),
and relisting after an expired watch. Asserted by order, not time: the noise is written before
the change, on the same watches, so a wake-up for the noise would come first."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from kubernetes_asyncio.client import ApiClient, Configuration

from image_updater.kube import Api
from image_updater.kube.imageupdaters import FINALIZER
from image_updater.runtime import watches
from image_updater.runtime.appsources import AppFilter
from image_updater.runtime.wakeup import Wakeup
from tests.kube.conftest import IMAGE_UPDATERS, image_updater
from tests.runtime.conftest import APPS, P, RefusingKube, application

Action = Callable[[RefusingKube], Any]


@pytest.fixture
async def api(fake: RefusingKube) -> AsyncIterator[Api]:
    async with ApiClient(configuration=Configuration(host=fake.url)) as client:
        yield Api(client)


@contextlib.asynccontextmanager
async def watching(
    fake: RefusingKube,
    api: Api,
    wakeup: Wakeup,
    *,
    watch_seconds: int = 300,
    app_filter: AppFilter | None = None,
) -> AsyncIterator[None]:
    watched = watches.targets(namespaces=("argocd",), app_filter=app_filter or AppFilter(), resources=True)
    tasks = [
        asyncio.create_task(watches.watch_forever(api, one, wakeup, watch_seconds=watch_seconds))
        for one in watched
    ]
    async with asyncio.timeout(30):  # both informers have listed: what follows is a change
        while len([r for r in fake.requests if r.query.get("watch")]) < len(watched):
            await asyncio.sleep(0.01)
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def changes(wakeup: Wakeup, count: int) -> tuple[str, ...]:
    """The first `count` changes told, over as many wake-ups as a loaded machine splits them into."""
    told: tuple[str, ...] = ()
    while len(told) < count and (more := await wakeup.until(asyncio.Event(), 30)):
        told += more
    return told


def app_change(fn: Callable[[dict[str, Any]], None]) -> Action:
    return lambda fake: fake.modify(*APPS, "argocd", "app", fn)


def iu_change(fn: Callable[[dict[str, Any]], None]) -> Action:
    return lambda fake: fake.modify(*IMAGE_UPDATERS, "argocd", "iu", fn)


def set_status(obj: dict[str, Any]) -> None:
    obj["status"] = {"reconciledAt": "2026-12-08T00:00:00Z", "observedGeneration": 1}


NOISE: list[Action] = [  # writes that change nothing we are configured by
    app_change(set_status),  # Argo CD's status: a new generation of an Application
    app_change(lambda obj: obj["metadata"]["annotations"].update({"argocd.argoproj.io/refresh": "normal"})),
    app_change(lambda obj: obj.update(operation={"sync": {"revision": "HEAD"}})),  # a sync: a new generation
    app_change(lambda obj: obj["metadata"].update(finalizers=["resources-finalizer.argocd.argoproj.io"])),
    iu_change(set_status),  # the status subresource's writer (ours)
    iu_change(lambda obj: obj["metadata"].update(finalizers=[FINALIZER])),
]

CASES: list[tuple[str, Action, str]] = [
    (
        "imageupdater-created",
        lambda fake: fake.put(*IMAGE_UPDATERS, image_updater("argocd", "new")),
        "ImageUpdaters argocd/new created",
    ),
    (
        "imageupdater-spec-changed",
        iu_change(lambda obj: obj["spec"]["applicationRefs"][0].update(namePattern="web-*")),
        "ImageUpdaters argocd/iu changed",
    ),
    (
        "imageupdater-deleted-through-its-finalizer",  # the deletion mark comes first
        lambda fake: fake.delete(*IMAGE_UPDATERS, "argocd", "iu"),
        "ImageUpdaters argocd/iu changed",
    ),
    (
        "application-created",
        lambda fake: fake.put(*APPS, application("new", annotations={})),
        "Applications argocd/new created",
    ),
    (
        "application-annotation-changed",
        app_change(lambda obj: obj["metadata"]["annotations"].update({P + "image-list": "x=nginx:1.x"})),
        "Applications argocd/app changed",
    ),
    (
        "application-labels-changed",
        app_change(lambda obj: obj["metadata"]["labels"].update(team="web")),
        "Applications argocd/app changed",
    ),
    (
        "application-spec-changed",
        app_change(lambda obj: obj["spec"]["source"].update(targetRevision="release-2")),
        "Applications argocd/app changed",
    ),
    (
        "application-deleted-once-argo-cd-removed-its-finalizer",  # marked (a change), then gone
        lambda fake: (
            fake.delete(*APPS, "argocd", "app"),
            app_change(lambda obj: obj["metadata"].update(finalizers=[]))(fake),
        ),
        "Applications argocd/app changed|Applications argocd/app deleted",
    ),
]


@pytest.mark.parametrize(("change", "told"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_a_change_wakes_the_loop_and_status_writes_never_do(
    fake: RefusingKube, api: Api, change: Action, told: str
) -> None:
    fake.put(*APPS, application("app", annotations={}))
    fake.put(*IMAGE_UPDATERS, image_updater("argocd", "iu", finalizers=[FINALIZER]))
    wakeup = Wakeup(spacing=0)
    async with watching(fake, api, wakeup):
        for noise in NOISE:
            noise(fake)
        change(fake)
        expected = tuple(told.split("|"))
        assert await changes(wakeup, len(expected)) == expected


async def test_an_expired_watch_lists_again_and_tells_what_it_missed(fake: RefusingKube, api: Api) -> None:
    fake.put(*IMAGE_UPDATERS, image_updater("argocd", "iu"))
    wakeup = Wakeup(spacing=0)
    async with watching(fake, api, wakeup, watch_seconds=1):
        # no await between the two: the running watch never sees the change, and its version expires
        iu_change(lambda obj: obj["spec"]["applicationRefs"][0].update(namePattern="web-*"))(fake)
        fake.compact()
        assert await wakeup.until(asyncio.Event(), 30) == (
            "ImageUpdaters argocd/iu changed (seen on a new list)",
        )
    lists = [r for r in fake.requests if "imageupdaters" in r.path and not r.query.get("watch")]
    assert len(lists) == 2


async def test_without_the_crd_applications_are_still_watched(fake: RefusingKube, api: Api) -> None:
    fake.uninstall(*IMAGE_UPDATERS)
    fake.put(*APPS, application("app", annotations={}))
    wakeup = Wakeup(spacing=0)
    watched = watches.targets(namespaces=("argocd",), app_filter=AppFilter(), resources=True)
    async with watches.running(api, watched, wakeup):
        async with asyncio.timeout(30):
            while not [r for r in fake.requests if r.query.get("watch") and "applications" in r.path]:
                await asyncio.sleep(0.01)
        app_change(lambda obj: obj["spec"]["source"].update(targetRevision="v2"))(fake)
        assert await changes(wakeup, 1) == ("Applications argocd/app changed",)
    assert [r.path for r in fake.requests if "imageupdaters" in r.path] == [
        "/apis/argocd-image-updater.argoproj.io/v1alpha1/namespaces/argocd/imageupdaters"
    ]


async def test_applications_the_name_globs_leave_out_never_wake_the_loop(
    fake: RefusingKube, api: Api
) -> None:
    for name in ("app", "web-1"):
        fake.put(*APPS, application(name, annotations={}))
    wakeup = Wakeup(spacing=0)
    async with watching(fake, api, wakeup, app_filter=AppFilter(name_globs=("web-*",))):
        for name in ("app", "web-1"):  # in this order: a wake-up for "app" would come first
            fake.modify(*APPS, "argocd", name, lambda obj: obj["spec"]["source"].update(targetRevision="v2"))
        assert await changes(wakeup, 1) == ("Applications argocd/web-1 changed",)
