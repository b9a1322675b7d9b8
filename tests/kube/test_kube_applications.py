"""Applications through the real kubernetes_asyncio client against the strict fake API server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes_asyncio.client import CustomObjectsApi
from kubernetes_asyncio.client.exceptions import ApiException

from image_updater.errors import ConfigError, TransientError
from image_updater.kube import (
    Api,
    get_application,
    list_applications,
    merge_diff,
    patch_application,
    update_with_retry,
)
from tests.kube.conftest import APPS, application
from tests.kube.fakeapi import FakeKube


@pytest.fixture
def apps(fake: FakeKube) -> FakeKube:
    fake.put(*APPS, application("argocd", "guestbook", labels={"team": "a", "tier": "web"}))
    fake.put(*APPS, application("argocd", "billing", labels={"team": "b"}))
    fake.put(*APPS, application("tenant", "shop", labels={"team": "a"}))
    return fake


def names(items: list[dict[str, Any]]) -> list[str]:
    return sorted(f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in items)


@pytest.mark.parametrize(
    ("namespaces", "selector", "expected"),
    [
        pytest.param((), None, ["argocd/billing", "argocd/guestbook", "tenant/shop"], id="all-namespaces"),
        pytest.param(("argocd",), None, ["argocd/billing", "argocd/guestbook"], id="one-namespace"),
        pytest.param(
            ("tenant", "argocd"), "team=a", ["argocd/guestbook", "tenant/shop"], id="two-ns-equality"
        ),
        pytest.param((), "team!=a", ["argocd/billing"], id="inequality"),
        pytest.param((), "team in (b,c)", ["argocd/billing"], id="set-in"),
        pytest.param((), "tier", ["argocd/guestbook"], id="exists"),
        pytest.param((), "!tier,team=a", ["tenant/shop"], id="not-exists-and-equality"),
        pytest.param(("nowhere",), None, [], id="empty-namespace"),
    ],
)
async def test_list_applications(
    apps: FakeKube, api: Api, namespaces: tuple[str, ...], selector: str | None, expected: list[str]
) -> None:
    found = await list_applications(api, namespaces=namespaces, label_selector=selector)
    assert names(found) == expected
    assert all(item["kind"] == "Application" for item in found)


async def test_list_all_namespaces_uses_the_cluster_wide_path(apps: FakeKube, api: Api) -> None:
    await list_applications(api, label_selector="team=a")
    (request,) = apps.requests
    assert request.path == "/apis/argoproj.io/v1alpha1/applications"
    assert request.query["labelSelector"] == "team=a"
    assert (api.counter.requests, api.counter.errors) == (1, 0)


async def test_get_missing_application_is_a_config_error(fake: FakeKube, api: Api) -> None:
    with pytest.raises(ConfigError, match="get Application argocd/ghost: it does not exist"):
        await get_application(api, "argocd", "ghost")
    assert (api.counter.requests, api.counter.errors) == (1, 1)


async def test_patch_sends_a_merge_patch(apps: FakeKube, api: Api) -> None:
    patch = {"spec": {"source": {"helm": {"parameters": [{"name": "image.tag", "value": "1.2.0"}]}}}}
    stored = await patch_application(api, "argocd", "guestbook", patch)
    (write,) = apps.writes()
    assert (write.method, write.content_type) == ("PATCH", "application/merge-patch+json")
    assert write.path == "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/guestbook"
    assert stored["spec"]["source"]["helm"]["parameters"][0]["value"] == "1.2.0"
    assert stored["spec"]["source"]["repoURL"] == "https://git.example/x.git"  # merged, not replaced
    assert stored["metadata"]["generation"] == 2


async def test_patch_with_stale_resource_version_conflicts(apps: FakeKube, api: Api) -> None:
    patch = {"metadata": {"resourceVersion": "1"}, "spec": {"project": "other"}}
    with pytest.raises(
        TransientError, match="patch Application argocd/guestbook: the API server answered 409"
    ):
        await patch_application(api, "argocd", "guestbook", patch)


async def test_update_with_retry_rereads_after_a_conflict(apps: FakeKube, api: Api) -> None:
    def concurrent_writer() -> None:
        apps.modify(
            *APPS, "argocd", "guestbook", lambda app: app["metadata"].setdefault("annotations", {"by": "x"})
        )

    apps.before_next_write(concurrent_writer)
    seen: list[str] = []

    def bump(app: dict[str, Any]) -> dict[str, Any]:
        seen.append(app["metadata"]["resourceVersion"])
        app["spec"]["source"]["targetRevision"] = "v2"
        return app

    stored = await update_with_retry(api, "argocd", "guestbook", bump)
    assert stored is not None
    assert stored["spec"]["source"]["targetRevision"] == "v2"
    assert stored["metadata"]["annotations"] == {"by": "x"}  # the concurrent write survived
    assert len(seen) == 2
    assert seen[0] != seen[1]
    patches = apps.writes("PATCH")
    assert [p.content_type for p in patches] == ["application/merge-patch+json"] * 2
    assert (api.counter.requests, api.counter.errors) == (4, 1)


async def test_update_with_retry_gives_up_after_retries(apps: FakeKube, api: Api) -> None:
    def concurrent_writer() -> None:
        apps.modify(
            *APPS, "argocd", "guestbook", lambda app: app["spec"].update(project=str(len(apps.history)))
        )
        apps.before_next_write(concurrent_writer)

    apps.before_next_write(concurrent_writer)
    with pytest.raises(TransientError, match="3 writes conflicted"):
        await update_with_retry(api, "argocd", "guestbook", lambda app: {**app, "spec": {}}, retries=3)


@pytest.mark.parametrize(
    "mutate",
    [pytest.param(lambda app: None, id="none"), pytest.param(lambda app: app, id="unchanged")],
)
async def test_update_with_retry_writes_nothing_when_nothing_changes(
    apps: FakeKube, api: Api, mutate: Any
) -> None:
    assert await update_with_retry(api, "argocd", "guestbook", mutate) is None
    assert apps.writes() == []


async def test_strategic_merge_patch_on_the_custom_resource_is_rejected(apps: FakeKube, api: Api) -> None:
    send: Any = CustomObjectsApi(api.client).patch_namespaced_custom_object
    with pytest.raises(ApiException) as caught:
        await send(
            "argoproj.io", "v1alpha1", "argocd", "applications", "guestbook", {"spec": {}},
            _content_type="application/strategic-merge-patch+json",
        )  # fmt: skip
    assert caught.value.status == 415
    assert json.loads(caught.value.body)["reason"] == "UnsupportedMediaType"


async def test_the_clients_default_dict_patch_is_a_json_patch_and_is_rejected(
    apps: FakeKube, api: Api
) -> None:
    """The pitfall `patch_application` exists for: without `_content_type` a dict goes out as a JSON patch."""
    with pytest.raises(ApiException) as caught:
        await CustomObjectsApi(api.client).patch_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "argocd", "applications", "guestbook", {"spec": {"project": "x"}}
        )
    assert caught.value.status == 400
    assert apps.requests[-1].content_type == "application/json-patch+json"


@pytest.mark.parametrize(
    ("old", "new", "patch"),
    [
        pytest.param({"a": 1}, {"a": 1}, {}, id="equal"),
        pytest.param({"a": 1, "b": 2}, {"a": 1}, {"b": None}, id="removed-key"),
        pytest.param({"a": {"x": 1, "y": 2}}, {"a": {"x": 1, "y": 3}}, {"a": {"y": 3}}, id="nested"),
        pytest.param({"a": [1, 2]}, {"a": [1]}, {"a": [1]}, id="list-replaced"),
        pytest.param({"a": {"x": 1}}, {"a": 5}, {"a": 5}, id="dict-to-scalar"),
        pytest.param({}, {"a": {"x": None}}, {"a": {"x": None}}, id="added-dict"),
    ],
)
def test_merge_diff(old: dict[str, Any], new: dict[str, Any], patch: dict[str, Any]) -> None:
    assert merge_diff(old, new) == patch
