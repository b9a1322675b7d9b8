"""Tag-list ETags (registry.client, registry.cache): a kept list is only ever reused on a 304.

The Debian docker-registry sends no ETag on tags/list (checked: its headers are Content-Type,
Docker-Distribution-Api-Version, Date, Content-Length), so a loopback stub plays one that does.
What a registry, or whoever wrote the cache file, sends must not make a listing return a list the
registry did not vouch for: not another origin's, not another credential identity's, not one
kept under a malformed entity tag, not a forged row on disk, not a list when nobody asked.
"""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from image_updater.errors import RegistryProtocolError
from image_updater.registry.cache import MetadataCache
from image_updater.registry.client import RegistryClient
from image_updater.registry.counting import RequestCounter
from image_updater.registry.diskcache import DiskStore
from image_updater.registry.limits import RequestLimiter
from image_updater.settings.registries import Endpoint
from tests.registry import StubRegistry, serve

REPO = "team/app"


class ETagRegistry(StubRegistry):
    """The stub, answering tags/list with `etag` and a 304 to a matching `If-None-Match`."""

    def __init__(self, etag: str | None = '"v1"', **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.etag = etag
        self.asked: list[str | None] = []  # If-None-Match of every tags/list request
        self.hooks.append(self._etag)

    async def _etag(self, request: web.Request) -> web.StreamResponse | None:
        if not request.path.endswith("/tags/list"):
            return None
        asked = request.headers.get("If-None-Match")
        self.asked.append(asked)
        if self.etag is not None and asked == self.etag:
            return web.Response(status=304, headers={"ETag": self.etag})
        body = {"name": REPO, "tags": self.tags.get(REPO, [])}
        return web.json_response(body, headers={"ETag": self.etag} if self.etag else {})


def _client(
    session: aiohttp.ClientSession, url: str, cache: MetadataCache, identity: str = "a"
) -> RegistryClient:
    return RegistryClient(
        session=session,
        endpoint=Endpoint(name="stub", api_url=url),
        credentials=None,
        counter=RequestCounter(),
        limiter=RequestLimiter(limit=None),
        cache=cache,
        identity=identity,
    )


def _stub(etag: str | None = '"v1"', tags: list[str] | None = None) -> ETagRegistry:
    stub = ETagRegistry(etag)
    stub.tags[REPO] = tags if tags is not None else ["1.0.0", "1.1.0"]
    return stub


async def test_a_304_reuses_the_kept_list_and_costs_one_request() -> None:
    stub, cache = _stub(), MetadataCache()
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        client = _client(session, url, cache)
        assert await client.list_tags(REPO) == ["1.0.0", "1.1.0"]
        assert await client.list_tags(REPO) == ["1.0.0", "1.1.0"]
    assert stub.asked == [None, '"v1"']
    assert stub.count("GET", "/tags/list") == 2


async def test_a_changed_list_is_read_and_kept_under_its_new_etag() -> None:
    stub, cache = _stub(), MetadataCache()
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        client = _client(session, url, cache)
        await client.list_tags(REPO)
        stub.etag, stub.tags[REPO] = '"v2"', ["1.0.0", "1.1.0", "2.0.0"]
        assert await client.list_tags(REPO) == ["1.0.0", "1.1.0", "2.0.0"]
        assert await client.list_tags(REPO) == ["1.0.0", "1.1.0", "2.0.0"]
    assert stub.asked == [None, '"v1"', '"v2"']


async def test_another_credential_identity_never_revalidates_a_list_it_did_not_read() -> None:
    stub, cache = _stub(), MetadataCache()
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        await _client(session, url, cache, identity="pullsecret:team-a/pull").list_tags(REPO)
        await _client(session, url, cache, identity="pullsecret:team-b/pull").list_tags(REPO)
    assert stub.asked == [None, None]


async def test_another_origin_never_gets_a_kept_list() -> None:
    first, second, cache = _stub(), _stub(tags=["9.9.9"]), MetadataCache()
    async with serve(first.app()) as one, serve(second.app()) as two, aiohttp.ClientSession() as session:
        await _client(session, one, cache).list_tags(REPO)
        assert await _client(session, two, cache).list_tags(REPO) == ["9.9.9"]
    assert second.asked == [None]


@pytest.mark.parametrize(
    "etag",
    [
        pytest.param("v1", id="unquoted"),
        pytest.param('"' + "x" * 300 + '"', id="longer-than-256"),
        pytest.param('"a b"', id="space-inside"),
        pytest.param('"a"b"', id="quote-inside"),
    ],
)
async def test_a_malformed_etag_is_never_sent_back(etag: str) -> None:
    stub, cache = _stub(etag), MetadataCache()
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        client = _client(session, url, cache)
        await client.list_tags(REPO)
        await client.list_tags(REPO)
    assert stub.asked == [None, None]


async def test_a_list_longer_than_a_page_is_not_kept() -> None:
    stub, cache = _stub(tags=[f"1.0.{i}" for i in range(1001)]), MetadataCache()
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        client = _client(session, url, cache)
        await client.list_tags(REPO)
        assert len(await client.list_tags(REPO)) == 1001
    assert stub.asked == [None, None]


async def test_a_304_nobody_asked_for_is_an_error_not_an_empty_list() -> None:
    stub = _stub()

    async def not_modified(request: web.Request) -> web.StreamResponse | None:
        return web.Response(status=304) if request.path.endswith("/tags/list") else None

    stub.hooks.insert(0, not_modified)
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        with pytest.raises(RegistryProtocolError, match="unexpected HTTP 304"):
            await _client(session, url, MetadataCache()).list_tags(REPO)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


async def test_a_restarted_process_revalidates_the_list_kept_on_disk(cache_dir: Path) -> None:
    stub = _stub()
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        for _ in range(2):  # two processes, one after the other, sharing the cache directory
            store = DiskStore.open(cache_dir)
            cache = MetadataCache(store=store)
            assert await _client(session, url, cache).list_tags(REPO) == ["1.0.0", "1.1.0"]
            store.close()
    assert stub.asked == [None, '"v1"']


FORGED_ROWS = [
    pytest.param(json.dumps(['"v1"\r\nX-Injected: 1', ["6.6.6"]]), id="etag-with-a-header-break"),
    pytest.param(json.dumps(['"v1"', [f"{i}" for i in range(1001)]]), id="longer-than-a-page"),
    pytest.param(json.dumps(['"v1"', [6, 6, 6]]), id="tags-not-strings"),
    pytest.param(json.dumps(['"v1"', "6.6.6"]), id="tags-a-string"),
    pytest.param(json.dumps([None, ["6.6.6"]]), id="etag-null"),
]


@pytest.mark.parametrize("row", FORGED_ROWS)
async def test_a_forged_row_on_disk_is_a_miss(cache_dir: Path, row: str) -> None:
    stub = _stub()
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        store = DiskStore.open(cache_dir)
        store.flush()
        key = "\x1f".join(("taglist", url, REPO, "a"))
        with store._db:  # what a writer of the file could put there
            store._db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, 0)", (key, row))
        assert await _client(session, url, MetadataCache(store=store)).list_tags(REPO) == ["1.0.0", "1.1.0"]
        store.close()
    assert stub.asked == [None]
