"""The metadata cache: a known, unchanged tag costs one HEAD; a moved tag is re-fetched; LRU bound."""

from __future__ import annotations

from image_updater.registry.cache import MetadataCache
from image_updater.registry.counting import RequestCounter
from image_updater.registry.manifests import ImageConfig, Manifest
from image_updater.selection.types import Platform

from . import FakeClock, StubRegistry, running


def multi_arch(stub: StubRegistry, created: str = "2024-01-01T00:00:00Z") -> str:
    amd = stub.add_image("team/app", None, platform="linux/amd64", created=created)
    arm = stub.add_image("team/app", None, platform="linux/arm64/v8", created=created)
    return stub.add_index("team/app", "1.0", [("linux/amd64", amd), ("linux/arm64/v8", arm)])


async def test_an_unchanged_tag_costs_one_head_and_no_get() -> None:
    stub = StubRegistry(auth="bearer")
    multi_arch(stub)
    counter = RequestCounter()
    async with running(stub, counter=counter) as (client, _):
        first = await client.tag_info("team/app", "1.0", need_created=True)
        # the first GET meets the 401 challenge; once it is known, requests carry the token at once
        assert counter.by_kind() == {"token": 1, "manifest_get": 1 + 3, "blob_get": 2}
        before = counter.snapshot()
        second = await client.tag_info("team/app", "1.0", need_created=True)
    assert second == first
    after = counter.snapshot()
    registry = next(iter(after))[0]
    assert after[(registry, "manifest_head")] == 1
    assert after[(registry, "manifest_get")] == before[(registry, "manifest_get")]
    assert after[(registry, "blob_get")] == before[(registry, "blob_get")]
    assert counter.total() == 7 + 1


async def test_a_moved_tag_is_fetched_again() -> None:
    stub = StubRegistry()
    old = multi_arch(stub)
    counter = RequestCounter()
    cache = MetadataCache()
    async with running(stub, counter=counter, cache=cache) as (client, _):
        first = await client.tag_info("team/app", "1.0", need_created=True)
        new = multi_arch(stub, created="2025-01-01T00:00:00Z")
        second = await client.tag_info("team/app", "1.0", need_created=True)
    assert (first.digest, second.digest) == (old, new)
    assert second.created is not None
    assert first.created is not None
    assert second.created > first.created
    assert counter.by_kind() == {"manifest_head": 1, "manifest_get": 6, "blob_get": 4}


async def test_a_new_tag_costs_one_get_without_head() -> None:
    stub = StubRegistry()
    stub.add_image("team/app", "1.0")
    counter = RequestCounter()
    async with running(stub, counter=counter) as (client, _):
        await client.tag_info("team/app", "1.0", need_created=False)
    assert counter.by_kind() == {"manifest_get": 1}


async def test_the_cache_is_shared_across_clients_of_a_registry() -> None:
    stub = StubRegistry()
    multi_arch(stub)
    cache = MetadataCache()
    counter = RequestCounter()
    async with running(stub, counter=counter, cache=cache) as (client, _):
        await client.tag_info("team/app", "1.0", need_created=True)
    async with running(stub, counter=counter, cache=cache) as (client, _):
        await client.tag_info("team/app", "1.0", need_created=True)
    # another server port is another registry: nothing shared
    assert counter.total("manifest_head") == 0


def test_lru_eviction() -> None:
    cache = MetadataCache(max_entries=2)
    config = ImageConfig(created=None, platform=Platform("linux", "amd64"))
    cache.put_manifest(registry="r", manifest=Manifest("sha256:a", "m"))
    cache.put_config(registry="r", digest="sha256:b", config=config)
    assert cache.manifest(registry="r", digest="sha256:a") is not None  # refreshes "a"
    cache.put_tag_digest(registry="r", repository="x", tag="t", digest="sha256:a")
    assert len(cache) == 2
    assert cache.config(registry="r", digest="sha256:b") is None
    assert cache.manifest(registry="r", digest="sha256:a") is not None
    assert cache.tag_digest(registry="r", repository="x", tag="t") == "sha256:a"
    assert cache.tag_digest(registry="r", repository="y", tag="t") is None


async def test_a_tag_moved_to_known_content_costs_only_the_head() -> None:
    stub = StubRegistry()
    first = stub.add_image("team/app", "1.0", created="2024-01-01T00:00:00Z")
    counter = RequestCounter()
    async with running(stub, counter=counter) as (client, _):
        await client.tag_info("team/app", "1.0", need_created=True)
        second = stub.add_image("team/app", "1.0", created="2025-01-01T00:00:00Z")
        await client.tag_info("team/app", "1.0", need_created=True)
        stub.manifests[("team/app", "1.0")] = stub.manifests[("team/app", first)]  # moved back
        before = counter.by_kind()
        info = await client.tag_info("team/app", "1.0", need_created=True)
    assert (info.digest, second != first) == (first, True)
    after = counter.by_kind()
    assert after["manifest_head"] == before["manifest_head"] + 1
    assert (after["manifest_get"], after["blob_get"]) == (before["manifest_get"], before["blob_get"])


async def test_a_recently_confirmed_tag_costs_nothing_until_its_window_passes() -> None:
    stub = StubRegistry()
    stub.add_image("team/app", "1.0")
    clock = FakeClock()
    counter = RequestCounter()
    async with running(stub, counter=counter, clock=clock) as (client, _):
        await client.tag_info("team/app", "1.0", need_created=True, trust_for=600)
        cold = counter.total()
        clock.now += 60
        await client.tag_info("team/app", "1.0", need_created=True, trust_for=600)
        assert counter.total() == cold  # inside the window: no request at all
        moved = stub.add_image("team/app", "1.0", created="2030-01-01T00:00:00Z")
        clock.now += 600
        info = await client.tag_info("team/app", "1.0", need_created=True, trust_for=600)
    assert info.digest == moved  # past the window the HEAD notices the move
    assert counter.total("manifest_head") == 1
