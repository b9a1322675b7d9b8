"""Scanning one image: list its tags, screen them, fetch only the metadata the decision needs.

Owns the order of registry calls for one image, so the cost rules live in one place:
- tags are listed every time (one request per page);
- a strategy that ranks by metadata (newest-build) gets metadata for every admitted tag, with
  bounded concurrency; the client's digest-keyed cache makes unchanged tags cheap, and a tag
  confirmed within `trust_tags_for` seconds costs no request at all;
- any other strategy ranks on names alone, then walks the ranking best-first and fetches
  metadata only while it must: to check platforms, or to learn the winner's digest when the
  caller or the strategy needs it. With neither, a scan costs the tag-list pages and nothing more;
- a registry configured with `tagsortmode` (it lists tags by push time) spares newest-build all
  metadata: the listing order stands in for creation times.

Limits: the scan trusts the client to translate transport failures into our error tree; a
failed metadata fetch fails the scan (it is reported, never silently dropped).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from image_updater import selection
from image_updater.selection import TagFilter, UpdatePolicy
from image_updater.selection.types import Platform, Rejection, Selection, TagInfo


class TagSource(Protocol):
    """What a scan needs from a registry: `RegistryClient`, or a per-cycle wrapper sharing tag lists."""

    async def list_tags(self, repository: str) -> list[str]: ...

    async def manifest_digest(self, repository: str, reference: str) -> str: ...

    async def tag_info(
        self,
        repository: str,
        tag: str,
        *,
        platforms: tuple[Platform, ...] = (),
        need_created: bool,
        trust_for: float = 0.0,
    ) -> TagInfo: ...


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """What to look for in one repository."""

    repository: str  # the path in the registry API, e.g. "library/nginx"
    tag_filter: TagFilter
    policy: UpdatePolicy
    platforms: tuple[Platform, ...] = ()
    want_digest: bool = False  # resolve the winner's digest even if the strategy does not need it
    trust_tags_for: float = 0.0  # seconds a tag→digest memo is trusted without a HEAD (newest-build)
    tag_order: str = "none"  # registries.conf `tagsortmode`: latest-first | latest-last | none
    explain: bool = False  # rank every candidate and give every rejection its reason (`test`)


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The tags the registry listed and the selection made from them."""

    tags: tuple[str, ...]
    selection: Selection


async def scan(client: TagSource, request: ScanRequest, *, concurrency: int = 20) -> ScanResult:
    """Select the best tag of `request.repository`; see the module docstring for the call order."""
    tags = tuple(await client.list_tags(request.repository))
    policy, explain = request.policy, request.explain
    admitted, rejected = selection.screen(tags, tag_filter=request.tag_filter, policy=policy, explain=explain)
    if policy.needs_metadata and request.tag_order in ("latest-first", "latest-last"):
        infos = _ordered_by_listing(tags, admitted, newest_first=request.tag_order == "latest-first")
        chosen = selection.choose(infos, policy=policy, platforms=(), explain=explain)
    elif policy.needs_metadata:
        infos = await _fetch_all(client, request, admitted, concurrency=concurrency)
        chosen = selection.choose(infos, policy=policy, platforms=request.platforms, explain=explain)
    else:
        chosen = await _walk(client, request, [TagInfo(name=tag) for tag in admitted])
    if chosen.chosen is None and not explain:  # nothing matched: now the reasons are worth building
        _, rejected = selection.screen(tags, tag_filter=request.tag_filter, policy=policy)
    return ScanResult(tags=tags, selection=_with_rejections(chosen, rejected))


def _ordered_by_listing(
    listed: Sequence[str], admitted: Sequence[str], *, newest_first: bool
) -> list[TagInfo]:
    """Creation times made up from the listing order, for registries that list tags by push time
    (`tagsortmode`): no manifest or config is fetched, and platforms cannot be checked."""
    position = {tag: index for index, tag in enumerate(listed)}
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    span = len(listed)
    return [
        TagInfo(
            name=tag,
            created=epoch + timedelta(seconds=span - position[tag] if newest_first else position[tag]),
        )
        for tag in admitted
    ]


async def _fetch_all(
    client: TagSource, request: ScanRequest, tags: Sequence[str], *, concurrency: int
) -> list[TagInfo]:
    gate = asyncio.Semaphore(concurrency)

    async def one(tag: str) -> TagInfo:
        async with gate:
            return await client.tag_info(
                request.repository,
                tag,
                platforms=request.platforms,
                need_created=True,
                trust_for=request.trust_tags_for,
            )

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(tag)) for tag in tags]
    return [task.result() for task in tasks]


async def _walk(client: TagSource, request: ScanRequest, candidates: list[TagInfo]) -> Selection:
    """Best-first: fetch metadata only until a candidate satisfies the platform filter. Without a
    platform filter only the winner matters, found in one pass unless the scan explains."""
    if not request.platforms:
        if request.explain:
            ranked = request.policy.rank(candidates)
            best, kept = (ranked[0] if ranked else None), tuple(ranked)
        else:
            best = request.policy.best(candidates)
            kept = (best,) if best else ()
        if best is None or not (request.want_digest or request.policy.needs_digest):
            return Selection(chosen=best, kept=kept, rejected=())
        # only the digest is wanted: a HEAD, which Docker Hub does not count as a pull
        digest = await client.manifest_digest(request.repository, best.name)
        return Selection(chosen=TagInfo(name=best.name, digest=digest), kept=kept, rejected=())
    ranked = request.policy.rank(candidates)
    rejected: list[Rejection] = []
    for position, candidate in enumerate(ranked):
        info = await client.tag_info(
            request.repository, candidate.name, platforms=request.platforms, need_created=False
        )
        reason = selection.platform_reason(info, request.platforms)
        if reason is None:
            kept = (info, *ranked[position + 1 :])
            return Selection(chosen=info, kept=kept, rejected=tuple(rejected))
        rejected.append(Rejection(tag=candidate.name, reason=reason))
    return Selection(chosen=None, kept=(), rejected=tuple(rejected))


def _with_rejections(result: Selection, earlier: Sequence[Rejection]) -> Selection:
    return Selection(chosen=result.chosen, kept=result.kept, rejected=(*earlier, *result.rejected))
