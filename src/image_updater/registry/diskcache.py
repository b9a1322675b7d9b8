"""The metadata cache's on-disk half: what a restart or a second `run --once` need not ask again.

An SQLite file (stdlib, embedded; WAL mode, so several processes may share it, each write a short
transaction under SQLite's own file lock) holding the entries `MetadataCache` keeps: parsed
manifests and image configs by digest (immutable, kept until evicted), tag → digest memos with
the wall-clock time they were confirmed (trusted only within the caller's window, as in memory)
and tag lists with their ETag (only ever used after the registry answers 304 to it).

Limits and safety:
- Bounded: at most `max_entries` rows; the least recently used are deleted when a flush finds more.
- A corrupt, foreign or unreadable file is moved aside and the cache starts empty, with one log
  line; a store that cannot be opened at all degrades to memory only (the caller is told why).
- A row that does not hold what the client would store (a malformed digest, one other than its
  key's, a time without zone, a memo confirmed in the future, an entity tag outside the grammar
  or a tag list longer than a page) is a miss, never believed.
- The directory is created 0700 and refused when another user owns it or others may write it:
  whoever can write the cache could make newest-build believe a wrong creation time.
- Writes are buffered and committed by `flush` (the runtime flushes after each cycle and at exit),
  so the event loop does no fsync per request. Reads are single-row primary-key look-ups.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
import stat
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from image_updater import refs
from image_updater.errors import ConfigError
from image_updater.registry.cache import Key, TagList, Value
from image_updater.registry.manifests import ImageConfig, Manifest
from image_updater.selection.types import Platform

SCHEMA_VERSION = 1
FILE_NAME = "registry-metadata.sqlite3"
_APPLICATION_ID = 0x49_55_50_44  # "IUPD": a file without it is not ours


class DiskStore:
    """Rows of (key → JSON value, last used); see the module docstring."""

    def __init__(self, connection: sqlite3.Connection, *, max_entries: int, wall: Callable[[], float]):
        self._db = connection
        self._max_entries = max_entries
        self._wall = wall
        self._pending: dict[Key, str] = {}

    @classmethod
    def open(
        cls, directory: Path, *, max_entries: int = 200_000, wall: Callable[[], float] = time.time
    ) -> DiskStore:
        """Open (or create) the store in `directory`; a bad file is moved aside and replaced. A store
        another process keeps locked beyond the busy timeout is a ConfigError (run from memory)."""
        _private_directory(directory)
        path = directory / FILE_NAME
        try:
            try:
                connection = _connect(path)
            except sqlite3.OperationalError:
                raise  # busy or locked: someone else's file is fine, just not available now
            except sqlite3.DatabaseError:
                path.replace(path.with_name(f"{FILE_NAME}.corrupt-{int(wall())}"))
                connection = _connect(path)
        except sqlite3.DatabaseError as err:
            raise ConfigError(f"cache {path}: {err}") from err
        return cls(connection, max_entries=max_entries, wall=wall)

    def get(self, key: Key) -> Value | None:
        if key in self._pending:
            return _decode(key, self._pending[key], now=self._wall())
        try:
            row = self._db.execute("SELECT value FROM entries WHERE key = ?", (_key(key),)).fetchone()
        except sqlite3.DatabaseError:
            return None  # a damaged page costs a registry request, never a wrong answer
        return _decode(key, row[0], now=self._wall()) if row else None

    def put(self, key: Key, value: Value) -> None:
        self._pending[key] = _encode(value)

    def flush(self) -> None:
        """Commit buffered entries and evict beyond the bound. Failures lose only cache entries."""
        rows = [(_key(k), v, self._wall()) for k, v in self._pending.items()]
        self._pending.clear()
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", rows)
                self._db.execute(
                    "DELETE FROM entries WHERE key IN (SELECT key FROM entries ORDER BY used DESC "
                    "LIMIT -1 OFFSET ?)",
                    (self._max_entries,),
                )
        except sqlite3.DatabaseError:
            pass  # another process holds the lock too long, or the disk is full: keep serving

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0]) + len(self._pending)

    def close(self) -> None:
        self.flush()
        self._db.close()


def _private_directory(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = directory.lstat()
    except OSError as err:
        raise ConfigError(f"cache directory {directory}: {err.strerror}") from err
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise ConfigError(
            f"cache directory {directory} must be a directory owned by this user and writable by no "
            "one else (it decides which images are believed newest)"
        )


def _connect(path: Path) -> sqlite3.Connection:
    """Connect and check (or create) the schema inside one exclusive transaction, so processes that
    open a new file at the same moment never see it half made."""
    connection = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        application_id = connection.execute("PRAGMA application_id").fetchone()[0]
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        if tables and application_id != _APPLICATION_ID:
            raise _NotOurs("not an image-updater cache")
        if connection.execute("PRAGMA user_version").fetchone()[0] not in (0, SCHEMA_VERSION):
            raise _NotOurs("cache written by another version")
        connection.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        connection.execute(
            "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, used REAL)"
        )
        connection.execute("COMMIT")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA quick_check").fetchone()
        connection.isolation_level = "DEFERRED"
    except sqlite3.DatabaseError:
        connection.close()
        raise
    return connection


class _NotOurs(sqlite3.DatabaseError):
    """A readable database that is not an image-updater cache of this version: moved aside."""


def _key(key: Key) -> str:
    return "\x1f".join(key)


def _encode(value: Value) -> str:
    if isinstance(value, Manifest):
        children = [[str(platform), digest] for platform, digest in value.children]
        return json.dumps([value.digest, value.media_type, value.config_digest, children])
    if isinstance(value, TagList):
        return json.dumps([value.etag, list(value.tags)])
    if isinstance(value, ImageConfig):
        created = value.created.isoformat() if value.created else None
        platform = str(value.platform) if value.platform else None
        return json.dumps([created, platform, [list(label) for label in value.labels]])
    return json.dumps(list(value))


def _decode(key: Key, text: str, *, now: float) -> Value | None:
    """The entry, or None when it does not decode (a damaged, older or forged row is just a miss).

    Rows are held to what the client itself stores: digests well-formed and the row's own digest
    its key's, times zone-aware, memo times finite and not in the future. A row breaking that
    would otherwise crash every scan that reads it, or pin a tag to another image for ever.
    """
    try:
        data: Any = json.loads(text)
        if key[0] == "manifest":
            return _manifest(data, digest=key[3])
        if key[0] == "config":
            return _config(data)
        if key[0] == "taglist":
            etag, tags = data
            return TagList.checked(etag, tags)
        digest, confirmed_at = data
        if not _is_digest(digest) or not math.isfinite(confirmed_at) or confirmed_at > now:
            return None
        return (digest, float(confirmed_at))
    except (ValueError, TypeError, ConfigError):
        return None


def _manifest(data: Any, *, digest: str) -> Manifest | None:
    row_digest, media_type, config_digest, children = data
    pairs = tuple((Platform.parse(p), d) for p, d in children)
    valid = row_digest == digest and all(_is_digest(d) for _, d in pairs)
    if not valid or not (config_digest is None or _is_digest(config_digest)):
        return None
    return Manifest(digest, str(media_type), config_digest, pairs)


def _config(data: Any) -> ImageConfig | None:
    created, platform, labels = data
    when = datetime.fromisoformat(created) if created else None
    if when is not None and when.tzinfo is None:
        return None  # a naive time cannot be compared with the registry's zone-aware ones
    return ImageConfig(
        created=when,
        platform=Platform.parse(platform) if platform else None,
        labels=tuple((str(k), str(v)) for k, v in labels),
    )


def _is_digest(value: object) -> bool:
    return isinstance(value, str) and refs.is_content_digest(value)
