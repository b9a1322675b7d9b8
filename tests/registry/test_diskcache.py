"""The metadata cache on disk: a restarted client starts warm; bad files and directories are survived."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from image_updater.errors import ConfigError
from image_updater.registry.cache import MetadataCache
from image_updater.registry.counting import RequestCounter
from image_updater.registry.diskcache import FILE_NAME, DiskStore
from image_updater.registry.manifests import ImageConfig, Manifest
from image_updater.selection.types import Platform

from . import StubRegistry, make_client, serve

DIGEST = "sha256:" + "a" * 64
CONFIG = "sha256:" + "b" * 64
CHILD = "sha256:" + "c" * 64


def store_in(directory: Path, **options: object) -> DiskStore:
    return DiskStore.open(directory, **options)  # type: ignore[arg-type]


def test_entries_survive_a_reopen(tmp_path: Path) -> None:
    index = Manifest(
        DIGEST, "application/vnd.oci.image.index.v1+json", None, ((Platform.parse("linux/arm64/v8"), CHILD),)
    )
    config = ImageConfig(
        created=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        platform=Platform.parse("linux/amd64"),
        labels=(("org.opencontainers.image.revision", "abc"),),
    )
    cache = MetadataCache(store=store_in(tmp_path), clock_offset=1000.0)
    cache.put_manifest(registry="r", manifest=index)
    cache.put_config(registry="r", digest=CONFIG, config=config)
    cache.put_tag_digest(registry="r", repository="team/app", tag="1.0", digest=DIGEST, confirmed_at=5.0)
    cache.flush()

    # a new process: its monotonic clock has another origin, so the offset differs
    reopened = MetadataCache(store=store_in(tmp_path), clock_offset=900.0)
    assert reopened.manifest(registry="r", digest=DIGEST) == index
    assert reopened.config(registry="r", digest=CONFIG) == config
    assert reopened.tag_memo(registry="r", repository="team/app", tag="1.0") == (DIGEST, 105.0)
    assert reopened.manifest(registry="other", digest=DIGEST) is None


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"not a database at all, just text" * 100, id="garbage"),
        pytest.param(b"SQLite format 3\x00" + b"\xff" * 4000, id="truncated-sqlite"),
        pytest.param(b"", id="empty"),
    ],
)
def test_a_corrupt_file_is_moved_aside_and_the_cache_starts_empty(tmp_path: Path, content: bytes) -> None:
    tmp_path.chmod(0o700)
    (tmp_path / FILE_NAME).write_bytes(content)
    store = store_in(tmp_path)
    store.put(("tag", "r", "x", "1"), ("sha256:" + "d" * 64, 1.0))
    store.flush()
    assert len(store) == 1
    assert len(store_in(tmp_path)) == 1


def test_a_foreign_database_is_not_read(tmp_path: Path) -> None:
    tmp_path.chmod(0o700)
    foreign = sqlite3.connect(tmp_path / FILE_NAME)
    foreign.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value TEXT, used REAL)")
    foreign.execute("INSERT INTO entries VALUES (?, ?, 0)", ("manifest\x1fr\x1f\x1f" + DIGEST, '["x"]'))
    foreign.commit()
    foreign.close()
    assert len(store_in(tmp_path)) == 0
    assert list(tmp_path.glob(f"{FILE_NAME}.corrupt-*"))


def test_undecodable_rows_are_misses_not_errors(tmp_path: Path) -> None:
    store = store_in(tmp_path)
    store.flush()
    store._db.execute(  # a row from a damaged page or an older schema
        "INSERT INTO entries VALUES (?, ?, 0)", ("config\x1fr\x1f\x1f" + CONFIG, '{"unexpected": true}')
    )
    assert MetadataCache(store=store).config(registry="r", digest=CONFIG) is None


@pytest.mark.parametrize("mode", [0o777, 0o770], ids=["world-writable", "group-writable"])
def test_a_directory_others_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    with pytest.raises(ConfigError, match="writable by no one else"):
        store_in(shared)


def test_a_symlinked_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(ConfigError, match="must be a directory"):
        store_in(tmp_path / "link")


def test_the_store_is_bounded_least_recently_used_first(tmp_path: Path) -> None:
    clock = iter(range(100, 10_000))
    store = DiskStore.open(tmp_path / "c", max_entries=3, wall=lambda: float(next(clock)))
    for n in range(5):
        store.put(("tag", "r", "x", str(n)), (DIGEST, 0.0))
        store.flush()
    assert len(store) == 3
    assert store.get(("tag", "r", "x", "0")) is None
    assert store.get(("tag", "r", "x", "4")) == (DIGEST, 0.0)


def _writer(directory: str, worker: int) -> None:
    store = DiskStore.open(Path(directory))
    for n in range(200):
        store.put(("tag", "r", f"repo{worker}", str(n)), (DIGEST, float(n)))
        if n % 20 == 0:
            store.flush()
    store.close()


def test_concurrent_processes_share_one_store(tmp_path: Path) -> None:
    directory = tmp_path / "shared-cache"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(directory), n)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0, 0, 0]
    assert len(store_in(directory)) == 800


async def test_a_restarted_client_asks_only_what_moved(tmp_path: Path) -> None:
    """newest-build after a restart: the tag memo (within its trust window), manifest and config all
    come from disk, so no manifest or blob request is sent."""
    stub = StubRegistry()
    stub.add_image("team/app", "1.0", created="2024-01-01T00:00:00Z")
    cold_counter, warm_counter = RequestCounter(), RequestCounter()
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        cold = MetadataCache(store=store_in(tmp_path))
        client = make_client(session, url, counter=cold_counter, cache=cold)
        first = await client.tag_info("team/app", "1.0", need_created=True, trust_for=1800)
        cold.flush()
        warm = MetadataCache(store=store_in(tmp_path))  # the next process
        client = make_client(session, url, counter=warm_counter, cache=warm)
        second = await client.tag_info("team/app", "1.0", need_created=True, trust_for=1800)
    assert cold_counter.by_kind() == {"manifest_get": 1, "blob_get": 1}
    assert second == first
    assert warm_counter.by_kind() == {}
