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
  metadata: the listing order stands in for creation times;
- gates (selection/gates.py): a promotion gate is screened on names; the release-age gate walks
  the ranking best-first and stops at the first tag old enough, so only Applications with
  `min-age` pay for configs, and only for the tags that could win;
- a revert-aware hold (`held`) drops the versions it excludes after ranking
  (`selection.held`): no request more, and none at all for an image without a hold;
- a digest about to be written (`confirm_digest`) that differs from the one running is confirmed
  by a GET of the manifest by that digest, which must hash to it: one more request only when
  the digest moved (or is unknown), and none once the manifest is in the client's cache.

One tag's metadata failing is that tag's problem, not the image's: a manifest or config that is
gone (404: CI clean-ups delete tags between listing and fetching) or malformed (bad JSON, wrong
types, an unsupported media type, an oversized body) drops the tag with its reason. What says
the registry or the path to it cannot be trusted or reached fails the whole image with that
one-line error: content that does not hash to its digest, 5xx/timeouts after retries, 429,
refused credentials. Every error is one of `errors.py`, never an exception group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from image_updater import selection
from image_updater.errors import RegistryDigestMismatch, RegistryNotFound, RegistryProtocolError
from image_updater.registry.manifests import Manifest
from image_updater.registry.tagging import all_of
from image_updater.selection import TagFilter, UpdatePolicy, gates
from image_updater.selection.gates import Promotion
from image_updater.selection.held import HeldVersions
from image_updater.selection.types import Platform, Rejection, Selection, TagInfo

GONE = "not found (HTTP 404); deleted since the tag list was read?"
UNUSABLE = "unusable metadata"


class TagSource(Protocol):
    """What a scan needs from a registry: `RegistryClient`, or a per-cycle wrapper sharing tag lists."""

    async def list_tags(self, repository: str) -> list[str]: ...

    async def manifest_digest(self, repository: str, reference: str) -> str: ...

    async def fetch_manifest(self, repository: str, reference: str) -> Manifest: ...

    def first_seen(self, repository: str, digest: str, *, now: datetime) -> datetime: ...

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
    confirm_digest: bool = False  # the winner's digest will be written: confirm a HEAD's answer
    current_digest: str | None = None  # the digest running now: a HEAD answering it needs no confirmation
    min_age: float = 0.0  # seconds an image must have existed (selection/gates.py); 0 = no gate
    promotion: Promotion | None = None  # only the tag a source Application has run long enough
    now: datetime | None = None  # the clock for the gates (None: the wall clock)
    current_tag: str | None = None  # what runs now passes every gate: a gate never moves an image back
    held: HeldVersions | None = None  # a revert-aware hold: these versions are not chosen


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The tags the registry listed and the selection made from them."""

    tags: tuple[str, ...]
    selection: Selection


async def scan(client: TagSource, request: ScanRequest, *, concurrency: int = 20) -> ScanResult:
    """Select the best tag of `request.repository`; see the module docstring for the call order."""
    tags = tuple(await client.list_tags(request.repository))
    policy, explain = request.policy, request.explain
    now = request.now or datetime.now(UTC)
    if _by_names_alone(request):  # the cycle's common case: the winner without screening every tag
        best = selection.best_candidate(tags, tag_filter=request.tag_filter, policy=policy)
        chosen = await _walk(client, request, [TagInfo(name=best)] if best else [], now=now)
        if request.held is not None:  # names only: semver, alphabetical, digest
            chosen = request.held.apply(chosen, policy=policy, created=lambda _: None)
        return ScanResult(tags=tags, selection=_with_rejections(chosen, _reasons(tags, request, chosen)))
    admitted, rejected = selection.screen(tags, tag_filter=request.tag_filter, policy=policy, explain=explain)
    waiting: list[Rejection] = []  # tags a gate holds back: recorded even when not explaining
    if request.promotion is not None:
        admitted, waiting = gates.screen_promotion(
            admitted, request.promotion, now=now, current=request.current_tag
        )
    unusable: list[Rejection] = []  # tags whose metadata failed: recorded even when not explaining
    ranked = explain or request.min_age > 0  # the age gate walks the ranking best-first
    if policy.needs_metadata and request.tag_order in ("latest-first", "latest-last"):
        infos = _ordered_by_listing(tags, admitted, newest_first=request.tag_order == "latest-first")
        chosen = selection.choose(infos, policy=policy, platforms=(), explain=ranked)
    elif policy.needs_metadata:
        infos, unusable = await _fetch_all(client, request, admitted, concurrency=concurrency)
        chosen = selection.choose(infos, policy=policy, platforms=request.platforms, explain=ranked)
    else:
        infos = []
        chosen = await _walk(client, request, [TagInfo(name=tag) for tag in admitted], now=now)
    if request.min_age > 0 and policy.needs_metadata:
        chosen = await _old_enough(client, request, chosen, now=now)
    if request.held is not None:  # what is held is downward closed in the ranking: the winner decides
        created = {info.name: info.created for info in infos}
        chosen = request.held.apply(chosen, policy=policy, created=created.get)
    rejected = rejected if explain else _reasons(tags, request, chosen)
    return ScanResult(tags=tags, selection=_with_rejections(chosen, [*rejected, *waiting, *unusable]))


async def _old_enough(
    client: TagSource, request: ScanRequest, ranked: Selection, *, now: datetime
) -> Selection:
    """The best of `ranked.kept` old enough for `min_age`; the younger ones better than it are
    rejected with their eligibility time. Metadata is fetched only for what a listing order
    stood in for (`tagsortmode`), and only down to the winner."""
    rejected = list(ranked.rejected)
    for position, candidate in enumerate(ranked.kept):
        info = candidate
        if request.tag_order in ("latest-first", "latest-last"):
            fetched = await _tag_info(client, request, candidate.name, need_created=True)
            if isinstance(fetched, Rejection):
                rejected.append(fetched)
                continue
            info = fetched
        reason = _age_reason(client, request, info, now=now)
        if reason is None:
            return Selection(chosen=info, kept=(info, *ranked.kept[position + 1 :]), rejected=tuple(rejected))
        rejected.append(Rejection(tag=info.name, reason=reason))
    return Selection(chosen=None, kept=(), rejected=tuple(rejected))


def _age_reason(client: TagSource, request: ScanRequest, info: TagInfo, *, now: datetime) -> str | None:
    """Why `info` is too young for `min_age`, or None; an implausible creation time falls back to
    when its digest was first seen (the persistent cache), and no digest at all to "now"."""
    if info.name == request.current_tag:
        return None
    created = gates.plausible(info.created, now=now)
    if created is not None:
        return gates.age_reason(created=created, first_seen=False, min_age=request.min_age, now=now)
    seen = client.first_seen(request.repository, info.digest, now=now) if info.digest else now
    return gates.age_reason(created=seen, first_seen=True, min_age=request.min_age, now=now)


def _by_names_alone(request: ScanRequest) -> bool:
    """No explaining, metadata, platforms or gates: only the best name matters (`best_candidate`)."""
    policy = request.policy
    gated = request.min_age > 0 or request.promotion is not None
    return not (request.explain or policy.needs_metadata or request.platforms or gated)


def _reasons(tags: Sequence[str], request: ScanRequest, chosen: Selection) -> list[Rejection]:
    """Why each tag was dropped, built only when nothing was chosen (then they are worth it)."""
    if chosen.chosen is not None:
        return []
    return selection.screen(tags, tag_filter=request.tag_filter, policy=request.policy)[1]


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
) -> tuple[list[TagInfo], list[Rejection]]:
    gate = asyncio.Semaphore(concurrency)
    failed = False

    async def one(tag: str) -> TagInfo | Rejection | None:
        nonlocal failed
        async with gate:
            if failed:  # the image has failed: start no more requests (None: not fetched)
                return None
            try:
                trust = request.trust_tags_for
                return await _tag_info(client, request, tag, need_created=True, trust_for=trust)
            except BaseException:
                failed = True
                raise

    outcomes = await all_of([one(tag) for tag in tags])
    infos = [o for o in outcomes if isinstance(o, TagInfo)]
    return infos, [o for o in outcomes if isinstance(o, Rejection)]


async def _tag_info(
    client: TagSource, request: ScanRequest, tag: str, *, need_created: bool, trust_for: float = 0.0
) -> TagInfo | Rejection:
    """The tag's metadata, or why the tag is dropped; errors that condemn the image propagate."""
    try:
        return await client.tag_info(
            request.repository,
            tag,
            platforms=request.platforms,
            need_created=need_created,
            trust_for=trust_for,
        )
    except RegistryDigestMismatch:
        raise
    except RegistryNotFound:
        return Rejection(tag=tag, reason=GONE)
    except RegistryProtocolError as err:
        return Rejection(tag=tag, reason=f"{UNUSABLE}: {err}")


async def _walk(
    client: TagSource, request: ScanRequest, candidates: list[TagInfo], *, now: datetime
) -> Selection:
    """Best-first: fetch metadata only until a candidate satisfies the platform filter and the age
    gate. Without either only the winner matters, found in one pass unless the scan explains."""
    if not request.platforms and not request.min_age:
        if request.explain:
            ranked = request.policy.rank(candidates)
            best, kept = (ranked[0] if ranked else None), tuple(ranked)
        else:
            best = request.policy.best(candidates)
            kept = (best,) if best else ()
        if best is None or not (request.want_digest or request.policy.needs_digest):
            return Selection(chosen=best, kept=kept, rejected=())
        # only the digest is wanted: a HEAD, which Docker Hub does not count as a pull
        digest = await _digest(client, request, best.name)
        return Selection(chosen=TagInfo(name=best.name, digest=digest), kept=kept, rejected=())
    ranked = request.policy.rank(candidates)
    rejected: list[Rejection] = []
    for position, candidate in enumerate(ranked):
        info = await _tag_info(client, request, candidate.name, need_created=request.min_age > 0)
        if isinstance(info, Rejection):
            rejected.append(info)
            continue
        reason = selection.platform_reason(info, request.platforms)
        if reason is None and request.min_age > 0:
            reason = _age_reason(client, request, info, now=now)
        if reason is None:
            kept = (info, *ranked[position + 1 :])
            return Selection(chosen=info, kept=kept, rejected=tuple(rejected))
        rejected.append(Rejection(tag=candidate.name, reason=reason))
    return Selection(chosen=None, kept=(), rejected=tuple(rejected))


async def _digest(client: TagSource, request: ScanRequest, tag: str) -> str:
    """The tag's digest by HEAD; confirmed by its manifest (GET by digest, verified) before a write."""
    digest = await client.manifest_digest(request.repository, tag)
    if request.confirm_digest and digest != request.current_digest:
        try:
            await client.fetch_manifest(request.repository, digest)
        except RegistryNotFound as err:
            raise RegistryProtocolError(
                f"the digest the registry answers for tag {tag} cannot be confirmed ({err}); not written"
            ) from err
    return digest


def _with_rejections(result: Selection, earlier: Sequence[Rejection]) -> Selection:
    return Selection(chosen=result.chosen, kept=result.kept, rejected=(*earlier, *result.rejected))
