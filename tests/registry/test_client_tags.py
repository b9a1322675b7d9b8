"""Tag lists: pagination through `Link` headers (relative and absolute), loop and size guards."""

from __future__ import annotations

import pytest
from aiohttp import web

from image_updater.errors import RegistryNotFound, RegistryProtocolError
from image_updater.registry import client as client_module
from image_updater.registry import tagging

from . import StubRegistry, running


def paginate(stub: StubRegistry, pages: dict[str, tuple[list[str], str | None]]) -> None:
    """Serve tag pages keyed by query string; each page may carry a `Link` value."""

    async def hook(request: web.Request) -> web.Response | None:
        if not request.path.endswith("/tags/list"):
            return None
        tags, link = pages[request.raw_path.partition("?")[2]]
        headers = {"Link": link} if link else {}
        return web.json_response({"name": "team/app", "tags": tags}, headers=headers)

    stub.hooks.append(hook)


async def test_single_page() -> None:
    stub = StubRegistry()
    stub.add_image("team/app", "1.0")
    stub.add_image("team/app", "1.1")
    async with running(stub) as (client, _):
        assert await client.list_tags("team/app") == ["1.0", "1.1"]
    assert stub.seen[0].query == "n=1000"


async def test_relative_links_are_followed_with_their_query_untouched() -> None:
    stub = StubRegistry()
    paginate(
        stub,
        {
            "n=1000": (["a", "b"], '</v2/team/app/tags/list?last=b&n=1000>; rel="next"'),
            "last=b&n=1000": (["c"], '</v2/team/app/tags/list?last=c&n=1000&x=%2F>; rel="next"'),
            "last=c&n=1000&x=%2F": (["d"], None),
        },
    )
    async with running(stub) as (client, _):
        assert await client.list_tags("team/app") == ["a", "b", "c", "d"]


async def test_absolute_links_are_followed() -> None:
    stub = StubRegistry()
    async with running(stub) as (client, url):
        paginate(
            stub,
            {
                "n=1000": (["a"], f'<{url}/v2/team/app/tags/list?n=1000&last=a>; rel="next"'),
                "n=1000&last=a": (["b"], None),
            },
        )
        assert await client.list_tags("team/app") == ["a", "b"]


async def test_a_link_back_to_a_seen_page_is_a_protocol_error() -> None:
    stub = StubRegistry()
    paginate(
        stub,
        {
            "n=1000": (["a"], '</v2/team/app/tags/list?last=a>; rel="next"'),
            "last=a": (["b"], '</v2/team/app/tags/list?n=1000>; rel="next"'),
        },
    )
    async with running(stub) as (client, _):
        with pytest.raises(RegistryProtocolError, match="loops"):
            await client.list_tags("team/app")


async def test_too_many_pages_is_a_protocol_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_PAGES", 3)
    stub = StubRegistry()
    paginate(
        stub,
        {
            q: (["x"], f'</v2/team/app/tags/list?p={i + 1}>; rel="next"')
            for i, q in enumerate(["n=1000", "p=1", "p=2", "p=3"])
        },
    )
    async with running(stub) as (client, _):
        with pytest.raises(RegistryProtocolError, match="more than 3 pages"):
            await client.list_tags("team/app")


async def test_too_many_tags_is_a_protocol_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_TAGS", 2)
    stub = StubRegistry()
    paginate(stub, {"n=1000": (["a", "b", "c"], None)})
    async with running(stub) as (client, _):
        with pytest.raises(RegistryProtocolError, match="more than 2 tags"):
            await client.list_tags("team/app")


async def test_an_oversized_page_is_a_protocol_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "MAX_TAGS_BODY", 100)
    stub = StubRegistry()
    paginate(stub, {"n=1000": ([f"tag-{i}" for i in range(50)], None)})
    async with running(stub) as (client, _):
        with pytest.raises(RegistryProtocolError, match="bytes"):
            await client.list_tags("team/app")


async def test_null_tags_is_an_empty_list() -> None:
    stub = StubRegistry()
    paginate(stub, {"n=1000": ([], None)})

    async def null(request: web.Request) -> web.Response:
        return web.json_response({"name": "team/app", "tags": None})

    stub.hooks.insert(0, null)
    async with running(stub) as (client, _):
        assert await client.list_tags("team/app") == []


async def test_unknown_repository_is_not_found() -> None:
    async with running(StubRegistry()) as (client, _):
        with pytest.raises(RegistryNotFound, match="team/missing"):
            await client.list_tags("team/missing")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(
            ['</v2/r/tags/list?last=a&n=2>; rel="next"'],
            "https://r.io/v2/r/tags/list?last=a&n=2",
            id="relative",
        ),
        pytest.param(
            ["<https://r.io:443/x?y=1>; rel=next"], "https://r.io:443/x?y=1", id="absolute-unquoted"
        ),
        pytest.param(['<https://r.io/p>; rel="prev", </n>; rel="next"'], "https://r.io/n", id="several"),
        pytest.param(['</p>; rel="prev"'], None, id="no-next"),
        pytest.param([], None, id="none"),
    ],
)
def test_next_link(values: list[str], expected: str | None) -> None:
    assert tagging.next_link(values, base="https://r.io/v2/r/tags/list?n=2", where="r.io/r") == expected
