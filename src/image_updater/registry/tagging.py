"""Pure helpers of the client: tag-list pages, `Link` pagination, and summarising a tag as `TagInfo`.

`describe` applies the platform rules: for an index / manifest list only children whose platform
satisfies one of the wanted platforms are kept (none wanted = all kept); `created` is the newest
among the kept children and `labels` come from that child; `platforms` lists every platform the
tag offers. When platforms are wanted and none is offered, the `TagInfo` is still returned (with
`created` None): rejecting the tag, with a reason, is the selection layer's job.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from image_updater.errors import RegistryProtocolError
from image_updater.registry.manifests import ImageConfig, Manifest, load_json
from image_updater.registry.transport import origin, resolve
from image_updater.selection.types import Platform, TagInfo, serves

T = TypeVar("T")
ConfigLookup = Coroutine[Any, Any, ImageConfig | None]
ConfigOf = Callable[[Manifest | str], ConfigLookup]
_LINK = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]*)*)")
_REL = re.compile(r'rel\s*=\s*"?([^";]*)"?', re.IGNORECASE)


def page_tags(body: bytes, *, where: str) -> list[str]:
    """The `tags` of one tag-list page; `null` (a repository without tags) is an empty list."""
    tags = load_json(body, where=f"tag list of {where}").get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise RegistryProtocolError(f"tag list of {where}: 'tags' is not a list of strings")
    return tags


def next_link(values: Sequence[str], *, base: str, where: str) -> str | None:
    """The `rel="next"` target among `Link` header values, resolved against `base` (the page's URL).

    Only a page of `base`'s own origin is followed: a registry cannot send us, and whatever
    authorization the next request would carry, to another host.
    """
    for value in values:
        for match in _LINK.finditer(value):
            rel = _REL.search(match.group(2))
            if rel is not None and "next" in rel.group(1).lower().split():
                url = resolve(base, str(match.group(1)), what=where)
                if origin(url) != origin(base):
                    raise RegistryProtocolError(
                        f"{where}: the tag list links its next page to another origin "
                        f"({urlsplit(url).hostname}); refused"
                    )
                return url
    return None


def keeps(platform: Platform | None, wanted: tuple[Platform, ...]) -> bool:
    """True if an image for `platform` serves one of `wanted` (nothing wanted = everything serves)."""
    return serves([platform] if platform is not None else [], wanted)


async def describe(
    manifest: Manifest, *, tag: str, platforms: tuple[Platform, ...], need_created: bool, config_of: ConfigOf
) -> TagInfo:
    """Summarise `manifest` (the tag's) as `TagInfo`, fetching configs only as far as needed.

    An index's child manifests and configs are fetched only when `need_created`. A single image's
    config is fetched when `need_created` or when platforms are wanted (its platform lives there).
    """
    configs: list[ImageConfig | None]
    if manifest.is_index:
        offered = tuple(dict.fromkeys(p for p, _ in manifest.children))
        if not need_created:
            return TagInfo(tag, manifest.digest, platforms=offered)
        configs = await all_of([config_of(d) for p, d in manifest.children if keeps(p, platforms)])
    else:
        if not (need_created or platforms):
            return TagInfo(tag, manifest.digest)
        config = await config_of(manifest)
        offered = (config.platform,) if config is not None and config.platform is not None else ()
        configs = [config] if config is not None and keeps(config.platform, platforms) else []
    dated = [(c.created, c) for c in configs if c is not None and c.created is not None]
    if not dated:
        return TagInfo(tag, manifest.digest, platforms=offered)
    created, newest = max(dated, key=lambda pair: pair[0])
    return TagInfo(tag, manifest.digest, created=created, platforms=offered, labels=newest.labels)


async def all_of(calls: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
    """Await concurrently (the caller bounds the fan-out). Every call settles before the first
    failure, in call order, is raised as is: nothing is left running against a session the
    caller may close, and no exception group reaches callers, only the errors of `errors.py`."""
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return [outcome for outcome in outcomes if not isinstance(outcome, BaseException)]
