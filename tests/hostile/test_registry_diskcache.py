"""A forged or damaged row in the on-disk metadata cache (docs/security.md, "Registry operators").

Whoever can write the cache file (a restored backup, a bug of an older version, the cache's own
user) must not crash the scans that read it, nor make a row stand for a digest other than its
key's: such a row is a miss, re-fetched from the registry and checked there. The cache directory
itself is refused when another user could write it (tests/registry/test_diskcache.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from image_updater import selection
from image_updater.registry.cache import MetadataCache
from image_updater.registry.diskcache import DiskStore
from image_updater.registry.manifests import OCI_MANIFEST
from image_updater.registry.scanning import ScanRequest, scan
from tests.registry import StubRegistry, make_client, serve

REPO = "team/app"
ELSEWHERE = "sha256:" + "e" * 64
Row = tuple[str, str]  # (key kind, JSON value) for the entry of v1: its manifest, config or tag memo
Forge = Callable[[dict[str, str]], Row]  # from v1's digests: "manifest", "config", "v3"


def _request() -> ScanRequest:
    return ScanRequest(
        repository=REPO,
        tag_filter=selection.TagFilter(),
        policy=selection.make_policy("newest-build", version=None, image=REPO),
        trust_tags_for=3600.0,
        explain=True,
    )


FORGED = [
    pytest.param(
        lambda d: ("config", json.dumps(["2030-01-01T00:00:00", None, []])), id="created-without-zone"
    ),
    pytest.param(
        lambda d: ("manifest", json.dumps([d["manifest"], OCI_MANIFEST, 5, []])), id="config-an-int"
    ),
    pytest.param(
        lambda d: ("manifest", json.dumps([d["manifest"], OCI_MANIFEST, "../../etc", []])),
        id="config-not-a-digest",
    ),
    pytest.param(
        lambda d: ("manifest", json.dumps([d["v3"], OCI_MANIFEST, d["config"], []])),
        id="row-of-another-digest",
    ),
    pytest.param(lambda d: ("tag", json.dumps([ELSEWHERE, 1e300])), id="memo-confirmed-in-the-future"),
    pytest.param(lambda d: ("tag", '["' + ELSEWHERE + '", NaN]'), id="memo-confirmed-at-nan"),
    pytest.param(lambda d: ("tag", json.dumps([["x"], 0])), id="memo-digest-a-list"),
]


@pytest.mark.parametrize("forge", FORGED)
async def test_a_forged_cache_row_is_a_miss_not_a_crash(tmp_path: Path, forge: Forge) -> None:
    stub = StubRegistry()
    digests = {
        tag: stub.add_image(REPO, tag, created=f"2026-01-0{n}T00:00:00Z")
        for n, tag in enumerate(("v1", "v2", "v3"), 1)
    }
    config = json.loads(stub.manifests[(REPO, "v1")][0])["config"]["digest"]
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        registry = url.removeprefix("http://")
        store = DiskStore.open(tmp_path)
        await scan(make_client(session, url, cache=MetadataCache(store=store)), _request())
        store.close()
        kind, value = forge({"manifest": digests["v1"], "config": config, "v3": digests["v3"]})
        key = {
            "manifest": ("manifest", registry, "", digests["v1"]),
            "config": ("config", registry, "", config),
        }
        key["tag"] = ("tag", registry, REPO, "v1")
        store = DiskStore.open(tmp_path)
        store._db.execute("UPDATE entries SET value = ? WHERE key = ?", (value, "\x1f".join(key[kind])))
        result = await scan(make_client(session, url, cache=MetadataCache(store=store)), _request())
    assert result.selection.chosen is not None
    assert (result.selection.chosen.name, result.selection.chosen.digest) == ("v3", digests["v3"])
    assert result.selection.rejected == ()
    [v1] = [info for info in result.selection.kept if info.name == "v1"]
    assert v1.digest == digests["v1"]
