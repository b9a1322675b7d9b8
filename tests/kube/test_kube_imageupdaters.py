"""ImageUpdater resources through the real client against the fake API server: listing by
namespace, and upstream's finalizer added and removed without touching anyone else's."""

from __future__ import annotations

import pytest

from image_updater.errors import KindNotServed, TransientError
from image_updater.kube import Api
from image_updater.kube.imageupdaters import (
    FINALIZER,
    add_finalizer,
    has_finalizer,
    is_deleting,
    list_image_updaters,
    remove_finalizer,
)
from tests.kube.conftest import IMAGE_UPDATERS, image_updater
from tests.kube.fakeapi import MERGE, FakeKube

OTHER = "example.com/keep"


@pytest.mark.parametrize(
    ("namespaces", "expected"),
    [
        pytest.param((), ["a", "b", "c"], id="every-namespace"),
        pytest.param(("argocd",), ["a", "b"], id="one-namespace"),
        pytest.param(("tenant", "argocd"), ["c", "a", "b"], id="listed-namespace-by-namespace"),
    ],
)
async def test_lists_the_watched_namespaces(
    fake: FakeKube, api: Api, namespaces: tuple[str, ...], expected: list[str]
) -> None:
    for namespace, name in (("argocd", "a"), ("argocd", "b"), ("tenant", "c")):
        fake.put(*IMAGE_UPDATERS, image_updater(namespace, name))
    found = await list_image_updaters(api, namespaces=namespaces)
    assert [r["metadata"]["name"] for r in found] == expected
    assert {r["kind"] for r in found} == {"ImageUpdater"}


async def test_without_the_crd_the_listing_says_so(fake: FakeKube, api: Api) -> None:
    fake.uninstall(*IMAGE_UPDATERS)
    with pytest.raises(KindNotServed, match=r"imageupdaters\.argocd-image-updater\.argoproj\.io/v1alpha1"):
        await list_image_updaters(api, namespaces=("argocd",))


async def test_finalizer_is_added_then_removed_keeping_the_others(fake: FakeKube, api: Api) -> None:
    fake.put(*IMAGE_UPDATERS, image_updater("argocd", "iu", finalizers=[OTHER]))
    (listed,) = await list_image_updaters(api)
    assert not has_finalizer(listed)

    added = await add_finalizer(api, listed)

    assert fake.get(*IMAGE_UPDATERS, "argocd", "iu")["metadata"]["finalizers"] == [OTHER, FINALIZER]
    assert has_finalizer(added)
    assert not is_deleting(added)
    assert added["metadata"]["generation"] == 1  # metadata only: no new generation, nothing retriggers
    fake.delete(*IMAGE_UPDATERS, "argocd", "iu")
    (deleting,) = await list_image_updaters(api)
    assert is_deleting(deleting)

    await remove_finalizer(api, deleting)

    assert fake.get(*IMAGE_UPDATERS, "argocd", "iu")["metadata"]["finalizers"] == [OTHER]
    assert {r.content_type for r in fake.writes("PATCH")} == {MERGE}


async def test_removing_the_last_finalizer_lets_the_resource_go(fake: FakeKube, api: Api) -> None:
    fake.put(*IMAGE_UPDATERS, image_updater("argocd", "iu", finalizers=[FINALIZER]))
    fake.delete(*IMAGE_UPDATERS, "argocd", "iu")
    (deleting,) = await list_image_updaters(api)
    await remove_finalizer(api, deleting)
    assert await list_image_updaters(api) == []


async def test_a_concurrent_finalizer_change_is_a_conflict_not_a_lost_write(fake: FakeKube, api: Api) -> None:
    fake.put(*IMAGE_UPDATERS, image_updater("argocd", "iu"))
    (listed,) = await list_image_updaters(api)
    fake.modify(*IMAGE_UPDATERS, "argocd", "iu", lambda obj: obj["metadata"].update(finalizers=[OTHER]))

    with pytest.raises(TransientError, match=r"update the finalizers of ImageUpdater argocd/iu: .*409"):
        await add_finalizer(api, listed)

    assert fake.get(*IMAGE_UPDATERS, "argocd", "iu")["metadata"]["finalizers"] == [OTHER]
