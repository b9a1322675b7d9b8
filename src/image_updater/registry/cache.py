"""Metadata cache: immutable manifests and configs by digest, and the last digest seen per tag.

Content addressed by a digest never changes, so parsed manifests and image configs are kept by
(registry, digest) without expiry. Tags move, so for them only a tag → digest memo is kept, per
(registry, repository), with the time it was last confirmed: a known tag is revalidated with a
HEAD (free on Docker Hub) once its memo is older than the caller's trust window, and its
metadata re-fetched only when the digest moved. Bounded: least recently used entries are evicted
beyond `max_entries`. The runtime creates one cache and passes it to every client; nothing is global.

Tag lists are kept only with the registry's `ETag`, to be revalidated (`If-None-Match`), never
trusted unasked: keyed by the endpoint's API URL (scheme, host, port: never shared across
origins), the repository and the credential identity the client lists with (what one identity
may list, another may not); only single-page lists (at most MAX_CACHED_TAGS tags) and entity
tags of RFC 9110's grammar (at most 256 characters, nothing that could break a header).

With a `DiskStore` (`diskcache`), every entry is also written there and a miss in memory is looked
up there, so a restarted process starts warm. Tag memos carry the client's monotonic clock in
memory and wall-clock time on disk; `clock_offset` (wall minus monotonic) converts between them.
First-seen times ((registry, repository, digest) → wall clock, for `min-age`) are kept the same way.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from image_updater.registry.manifests import ImageConfig, Manifest

if TYPE_CHECKING:  # sqlite3 loads only where a store is opened (`run`), not for `test`
    from image_updater.registry.diskcache import DiskStore

MAX_CACHED_TAGS = 1000  # the client's page size: a longer list is not kept
_ENTITY_TAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e]{0,254}"')


@dataclass(frozen=True, slots=True)
class TagList:
    """A tag list as the registry sent it, with the entity tag that names that version of it."""

    etag: str
    tags: tuple[str, ...]

    @classmethod
    def checked(cls, etag: object, tags: object) -> TagList | None:
        """The entry, or None when it is not one to keep or believe: an entity tag outside the
        grammar, more than MAX_CACHED_TAGS tags, or tags that are not strings."""
        if not isinstance(etag, str) or _ENTITY_TAG.fullmatch(etag) is None:
            return None
        if not isinstance(tags, list | tuple) or len(tags) > MAX_CACHED_TAGS:
            return None
        if not all(isinstance(tag, str) for tag in tags):
            return None
        return cls(etag, tuple(tags))


Key = tuple[str, str, str, str]  # (kind, registry, repository or "", digest or tag or identity)
Value = Manifest | ImageConfig | TagList | tuple[str, float]


class MetadataCache:
    """LRU: (registry, digest) → parsed document, and (registry, repository, tag) → digest."""

    __slots__ = ("_clock_offset", "_entries", "_max_entries", "_store")

    def __init__(
        self, *, max_entries: int = 100_000, store: DiskStore | None = None, clock_offset: float | None = None
    ) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[Key, Value] = OrderedDict()
        self._store = store
        self._clock_offset = time.time() - time.monotonic() if clock_offset is None else clock_offset

    def flush(self) -> None:
        """Write what is new to the disk store, if there is one (the runtime calls it after a cycle)."""
        if self._store is not None:
            self._store.flush()

    def __len__(self) -> int:
        return len(self._entries)

    def manifest(self, *, registry: str, digest: str) -> Manifest | None:
        value = self._get(("manifest", registry, "", digest))
        return value if isinstance(value, Manifest) else None

    def put_manifest(self, *, registry: str, manifest: Manifest) -> None:
        self._put(("manifest", registry, "", manifest.digest), manifest)

    def config(self, *, registry: str, digest: str) -> ImageConfig | None:
        value = self._get(("config", registry, "", digest))
        return value if isinstance(value, ImageConfig) else None

    def put_config(self, *, registry: str, digest: str, config: ImageConfig) -> None:
        self._put(("config", registry, "", digest), config)

    def tag_digest(self, *, registry: str, repository: str, tag: str) -> str | None:
        """The digest `tag` pointed at when last seen, or None if never seen (or evicted)."""
        memo = self.tag_memo(registry=registry, repository=repository, tag=tag)
        return memo[0] if memo else None

    def tag_memo(self, *, registry: str, repository: str, tag: str) -> tuple[str, float] | None:
        """(digest, time it was confirmed) for `tag`, or None if never seen (or evicted)."""
        value = self._get(("tag", registry, repository, tag))
        return value if isinstance(value, tuple) else None

    def put_tag_digest(
        self, *, registry: str, repository: str, tag: str, digest: str, confirmed_at: float = 0.0
    ) -> None:
        self._put(("tag", registry, repository, tag), (digest, confirmed_at))

    def first_seen(self, *, registry: str, repository: str, digest: str, now: float) -> float:
        """Wall-clock time `digest` was first seen in `repository` (recorded as `now` if never):
        the release age of an image whose config has no believable `created`."""
        key: Key = ("seen", registry, repository, digest)
        value = self._get(key)
        if isinstance(value, tuple) and value[1] <= now:
            return value[1]
        self._put(key, (digest, now))
        return now

    def tag_list(self, *, api_url: str, repository: str, identity: str) -> TagList | None:
        """The tag list last listed with an ETag by `identity` at `api_url`, or None."""
        value = self._get(("taglist", api_url, repository, identity))
        return value if isinstance(value, TagList) else None

    def put_tag_list(self, *, api_url: str, repository: str, identity: str, tag_list: TagList) -> None:
        self._put(("taglist", api_url, repository, identity), tag_list)

    def _get(self, key: Key) -> Value | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
            return value
        stored = self._store.get(key) if self._store is not None else None
        if isinstance(stored, tuple) and key[0] == "tag":  # first-seen times are wall-clock already
            stored = (stored[0], stored[1] - self._clock_offset)
        if stored is not None:
            self._remember(key, stored)
        return stored

    def _put(self, key: Key, value: Value) -> None:
        self._remember(key, value)
        if self._store is not None:
            self._store.put(
                key,
                (value[0], value[1] + self._clock_offset)
                if isinstance(value, tuple) and key[0] == "tag"
                else value,
            )

    def _remember(self, key: Key, value: Value) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
