"""ImageUpdater status through the status subresource, with the real client against the strict fake
API server: resourceVersion preconditions, 409s retried from a fresh read, no write when nothing
changed, and the subresource's rules (status writes leave spec and generation alone; writes to the
object leave status alone), so a status update can never look like a spec change to a watch."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes_asyncio.client import CustomObjectsApi

from image_updater.errors import TransientError
from image_updater.kube import Api
from image_updater.kube.status import GROUP, PLURAL, VERSION, write_status
from tests.kube.fakeapi import FakeKube

IU = (f"{GROUP}/{VERSION}", PLURAL)


def resource(name: str = "web", **status: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"applicationRefs": [{"namePattern": "web-*", "useAnnotations": True}]},
    }
    if status:
        obj["status"] = status
    return obj


def setting(**fields: Any) -> Any:
    def build(stored: dict[str, Any] | None) -> dict[str, Any]:
        return {**(stored or {}), **fields}

    return build


@pytest.fixture
def stored(fake: FakeKube) -> FakeKube:
    fake.put(*IU, resource())
    return fake


async def test_writes_the_status_subresource_with_the_resource_version(stored: FakeKube, api: Api) -> None:
    before = stored.get(*IU, "argocd", "web")
    assert await write_status(api, "argocd", "web", setting(applicationsMatched=2)) is True
    after = stored.get(*IU, "argocd", "web")
    assert after["status"] == {"applicationsMatched": 2}
    assert after["metadata"]["generation"] == before["metadata"]["generation"]  # no spec change
    assert after["metadata"]["resourceVersion"] != before["metadata"]["resourceVersion"]
    (put,) = stored.writes()
    assert (put.method, put.path) == ("PUT", f"/apis/{GROUP}/{VERSION}/namespaces/argocd/{PLURAL}/web/status")


async def test_an_unchanged_status_is_not_written(stored: FakeKube, api: Api) -> None:
    assert await write_status(api, "argocd", "web", setting(applicationsMatched=2)) is True
    assert await write_status(api, "argocd", "web", setting(applicationsMatched=2)) is False
    assert len(stored.writes()) == 1


async def test_a_conflict_is_retried_from_a_fresh_read(stored: FakeKube, api: Api) -> None:
    stored.before_next_write(
        lambda: stored.modify(*IU, "argocd", "web", lambda o: o["metadata"].setdefault("labels", {"x": "y"}))
    )
    seen: list[dict[str, Any] | None] = []

    def build(current: dict[str, Any] | None) -> dict[str, Any]:
        seen.append(current)
        return {"imagesManaged": len(seen)}

    assert await write_status(api, "argocd", "web", build) is True
    assert stored.get(*IU, "argocd", "web")["status"] == {"imagesManaged": 2}
    assert stored.get(*IU, "argocd", "web")["metadata"]["labels"] == {"x": "y"}  # the other write stays
    assert [r.method for r in stored.writes()] == ["PUT", "PUT"]


async def test_a_stale_listing_costs_one_conflict(stored: FakeKube, api: Api) -> None:
    listed = stored.get(*IU, "argocd", "web")
    stored.modify(*IU, "argocd", "web", lambda o: o["spec"]["applicationRefs"].append({"namePattern": "x"}))
    assert await write_status(api, "argocd", "web", setting(imagesManaged=1), current=listed) is True
    assert stored.get(*IU, "argocd", "web")["status"] == {"imagesManaged": 1}


async def test_endless_conflicts_give_up_with_a_transient_error(stored: FakeKube, api: Api) -> None:
    def bump() -> None:
        stored.modify(
            *IU, "argocd", "web", lambda o: o["metadata"].update(labels={"n": str(len(stored.history))})
        )
        stored.before_next_write(bump)

    stored.before_next_write(bump)
    with pytest.raises(TransientError, match=r"imageupdater argocd/web: 3 writes conflicted"):
        await write_status(api, "argocd", "web", setting(imagesManaged=1), retries=3)


async def test_a_resource_deleted_meanwhile_is_not_an_error(fake: FakeKube, api: Api) -> None:
    assert await write_status(api, "argocd", "gone", setting(imagesManaged=1)) is False
    fake.put(*IU, resource("soon-gone"))
    fake.before_next_write(lambda: fake.objects.pop((*IU, "argocd", "soon-gone")))
    assert await write_status(api, "argocd", "soon-gone", setting(imagesManaged=1)) is False


async def test_a_status_write_ignores_the_spec_sent(stored: FakeKube, api: Api) -> None:
    current = stored.get(*IU, "argocd", "web")
    body = {**current, "spec": {"applicationRefs": []}, "status": {"imagesManaged": 3}}
    await CustomObjectsApi(api.client).replace_namespaced_custom_object_status(
        GROUP, VERSION, "argocd", PLURAL, "web", body
    )
    after = stored.get(*IU, "argocd", "web")
    assert after["spec"] == current["spec"]
    assert after["status"] == {"imagesManaged": 3}
    assert after["metadata"]["generation"] == current["metadata"]["generation"]


async def test_a_write_to_the_object_ignores_the_status_sent(fake: FakeKube, api: Api) -> None:
    created = await CustomObjectsApi(api.client).create_namespaced_custom_object(
        GROUP, VERSION, "argocd", PLURAL, {**resource(), "status": {"imagesManaged": 9}}
    )
    assert "status" not in created
    await write_status(api, "argocd", "web", setting(imagesManaged=1))
    current = fake.get(*IU, "argocd", "web")
    body = {**current, "spec": {"applicationRefs": [{"namePattern": "new"}]}, "status": {"imagesManaged": 5}}
    replaced = await CustomObjectsApi(api.client).replace_namespaced_custom_object(
        GROUP, VERSION, "argocd", PLURAL, "web", body
    )
    assert replaced["status"] == {"imagesManaged": 1}
    assert replaced["metadata"]["generation"] == current["metadata"]["generation"] + 1
