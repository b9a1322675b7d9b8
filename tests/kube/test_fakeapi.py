"""The fake API server is strict where a real one is: these pin the behaviour our contract tests rely on.

Requests go through the real kubernetes_asyncio client, so the wire format is the client's.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from kubernetes_asyncio.client import CoordinationV1Api, CoreV1Api, CustomObjectsApi
from kubernetes_asyncio.client.exceptions import ApiException

from image_updater.kube import Api
from tests.kube.conftest import APPS, IMAGE_UPDATERS, application, image_updater
from tests.kube.fakeapi import MERGE, FakeKube, selector_matches

GUESTBOOK = ("argoproj.io", "v1alpha1", "argocd", "applications", "guestbook")


async def status_of(request: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ApiException) as caught:
        await request
    return caught.value.status, json.loads(caught.value.body)


@pytest.fixture
def custom(fake: FakeKube, api: Api) -> Any:
    fake.put(*APPS, application("argocd", "guestbook"))
    send: Any = CustomObjectsApi(api.client)
    return send


async def test_get_of_a_missing_object_is_a_404_status(custom: Any) -> None:
    code, body = await status_of(custom.get_namespaced_custom_object(*GUESTBOOK[:4], "ghost"))
    assert code == 404
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'applications "ghost" not found',
        "reason": "NotFound",
        "code": 404,
    }


async def test_create_sets_uid_generation_and_a_global_resource_version(fake: FakeKube, api: Api) -> None:
    core = CoreV1Api(api.client)
    first = await core.create_namespaced_secret("a", {"metadata": {"name": "s1"}, "data": {}})
    second = await core.create_namespaced_secret("b", {"metadata": {"name": "s2"}})
    assert int(second.metadata.resource_version) == int(first.metadata.resource_version) + 1
    assert first.metadata.uid != second.metadata.uid
    assert first.metadata.generation == 1
    code, body = await status_of(core.create_namespaced_secret("a", {"metadata": {"name": "s1"}}))
    assert (code, body["reason"]) == (409, "AlreadyExists")


async def test_replace_with_a_stale_resource_version_conflicts(custom: Any, fake: FakeKube) -> None:
    current = await custom.get_namespaced_custom_object(*GUESTBOOK)
    fake.modify(*APPS, "argocd", "guestbook", lambda app: app["spec"].update(project="p2"))
    current["spec"]["project"] = "p3"
    code, body = await status_of(custom.replace_namespaced_custom_object(*GUESTBOOK, current))
    assert (code, body["reason"]) == (409, "Conflict")
    fresh = await custom.get_namespaced_custom_object(*GUESTBOOK)
    fresh["spec"]["project"] = "p3"
    stored = await custom.replace_namespaced_custom_object(*GUESTBOOK, fresh)
    assert stored["metadata"]["generation"] == 3
    del fresh["metadata"]["resourceVersion"]
    code, _ = await status_of(custom.replace_namespaced_custom_object(*GUESTBOOK, fresh))
    assert code == 422  # custom resources allow no unconditional update


@pytest.mark.parametrize(
    ("content_type", "body", "code"),
    [
        pytest.param("application/json-patch+json", {"spec": {}}, 400, id="json-patch-not-a-list"),
        pytest.param("application/apply-patch+yaml", {"spec": {}}, 400, id="apply-without-field-manager"),
        pytest.param("application/strategic-merge-patch+json", {"spec": {}}, 415, id="strategic-on-cr"),
        pytest.param("text/plain", b"{}", 415, id="unknown-type"),
        pytest.param("application/merge-patch+json", [1], 400, id="merge-patch-not-an-object"),
    ],
)
async def test_patch_content_types_are_enforced(custom: Any, content_type: str, body: Any, code: int) -> None:
    got, _ = await status_of(
        custom.patch_namespaced_custom_object(*GUESTBOOK, body, _content_type=content_type)
    )
    assert got == code


@pytest.mark.parametrize(
    ("content_type", "body", "kwargs"),
    [
        pytest.param(
            "application/json-patch+json",
            [{"op": "replace", "path": "/spec/project", "value": "jp"}],
            {},
            id="json-patch",
        ),
        pytest.param(
            "application/apply-patch+yaml", {"spec": {"project": "jp"}}, {"field_manager": "t"}, id="apply"
        ),
        pytest.param("application/merge-patch+json", {"spec": {"project": "jp"}}, {}, id="merge"),
    ],
)
async def test_accepted_patches_apply(
    custom: Any, content_type: str, body: Any, kwargs: dict[str, str]
) -> None:
    stored = await custom.patch_namespaced_custom_object(
        *GUESTBOOK, body, _content_type=content_type, **kwargs
    )
    assert stored["spec"]["project"] == "jp"
    assert stored["spec"]["source"]["repoURL"] == "https://git.example/x.git"


async def test_strategic_merge_is_accepted_on_built_in_resources(fake: FakeKube, api: Api) -> None:
    coordination = CoordinationV1Api(api.client)
    await coordination.create_namespaced_lease(
        "ns", {"metadata": {"name": "l"}, "spec": {"holderIdentity": "a"}}
    )
    lease = await coordination.patch_namespaced_lease(
        "l", "ns", {"spec": {"holderIdentity": "b"}}, _content_type="application/strategic-merge-patch+json"
    )
    assert lease.spec.holder_identity == "b"


async def test_a_malformed_selector_and_an_unknown_resource_are_rejected(custom: Any) -> None:
    code, _ = await status_of(
        custom.list_cluster_custom_object("argoproj.io", "v1alpha1", "applications", label_selector="a in b")
    )
    assert code == 400
    code, _ = await status_of(custom.list_cluster_custom_object("argoproj.io", "v1alpha1", "appprojects"))
    assert code == 404


async def test_injected_failures_answer_the_next_request(custom: Any, fake: FakeKube) -> None:
    fake.fail_next(503, "ServiceUnavailable")
    code, body = await status_of(custom.get_namespaced_custom_object(*GUESTBOOK))
    assert (code, body["reason"]) == (503, "ServiceUnavailable")
    assert (await custom.get_namespaced_custom_object(*GUESTBOOK))["metadata"]["name"] == "guestbook"


@pytest.mark.parametrize(
    ("selector", "labels", "matches"),
    [
        ("a=1", {"a": "1"}, True),
        ("a==1", {"a": "2"}, False),
        ("a!=1", {}, True),
        ("a in (1, 2)", {"a": "2"}, True),
        ("a in (1,2)", {}, False),
        ("a notin (1,2)", {}, True),
        ("a notin (1,2)", {"a": "1"}, False),
        ("a,!b", {"a": ""}, True),
        ("a,!b", {"a": "", "b": ""}, False),
        ("a in (1,2),b=x", {"a": "1", "b": "x"}, True),
    ],
)
def test_selector_matches(selector: str, labels: dict[str, str], matches: bool) -> None:
    assert selector_matches(selector, labels) is matches


# -- generation and finalizers, as a real API server keeps them -------------------------------------

OTHER = "example.com/keep"


def test_generation_moves_on_status_only_where_there_is_no_status_subresource(fake: FakeKube) -> None:
    fake.put(*APPS, application("argocd", "app"))
    fake.put(*IMAGE_UPDATERS, image_updater("argocd", "iu"))

    def status(obj: dict[str, Any]) -> None:
        obj["status"] = {"reconciledAt": "now"}

    def labels(obj: dict[str, Any]) -> None:
        obj["metadata"]["labels"] = {"team": "a"}

    for change in (status, labels):
        fake.modify(*APPS, "argocd", "app", change)
        fake.modify(*IMAGE_UPDATERS, "argocd", "iu", change)
    # Argo CD's Application CRD has no status subresource: its status write is a new generation
    assert fake.get(*APPS, "argocd", "app")["metadata"]["generation"] == 2
    assert fake.get(*IMAGE_UPDATERS, "argocd", "iu")["metadata"]["generation"] == 1


async def test_delete_with_finalizers_marks_then_the_last_removal_deletes(
    fake: FakeKube, custom: Any
) -> None:
    fake.put(*IMAGE_UPDATERS, image_updater("argocd", "iu", finalizers=["ours", OTHER]))
    path = ("argocd-image-updater.argoproj.io", "v1alpha1", "argocd", "imageupdaters", "iu")

    answered = await custom.delete_namespaced_custom_object(*path)

    marked = fake.get(*IMAGE_UPDATERS, "argocd", "iu")
    assert answered["metadata"]["deletionTimestamp"] == marked["metadata"]["deletionTimestamp"]
    assert (marked["metadata"]["generation"], marked["metadata"]["deletionGracePeriodSeconds"]) == (2, 0)
    rv = marked["metadata"]["resourceVersion"]
    code, body = await status_of(
        custom.patch_namespaced_custom_object(
            *path,
            {"metadata": {"finalizers": ["ours", OTHER, "new"], "resourceVersion": rv}},
            _content_type=MERGE,
        )
    )
    assert (code, body["reason"]) == (422, "Invalid")
    assert "no new finalizers can be added if the object is being deleted" in body["message"]
    await custom.patch_namespaced_custom_object(
        *path, {"metadata": {"finalizers": [OTHER]}}, _content_type=MERGE
    )
    assert fake.get(*IMAGE_UPDATERS, "argocd", "iu")["metadata"]["deletionTimestamp"]
    await custom.patch_namespaced_custom_object(*path, {"metadata": {"finalizers": []}}, _content_type=MERGE)

    assert ("argocd-image-updater.argoproj.io/v1alpha1", "imageupdaters", "argocd", "iu") not in fake.objects
    assert [event for _, event, key, _ in fake.history if key[3] == "iu"] == [
        "ADDED",
        "MODIFIED",  # the deletion mark
        "MODIFIED",  # one finalizer less
        "DELETED",
    ]
