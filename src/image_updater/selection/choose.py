"""Screening tag names and choosing among tags: filters, strategy and platforms, in that order.

`screen` works on names only (no metadata needed): the OCI tag grammar first (a registry may
list anything; a name that is no valid tag is dropped here, so no strategy can choose it and no
write-back can write it; its rejection shows the name escaped by `text.printable`), then the tag
filter, then the policy's `admit`. `choose` works on `TagInfo`s: it drops tags that offer none
of the wanted platforms, then lets the policy rank the rest. Every dropped tag carries its
reason. Pure; inputs are never mutated; output order follows input order (rejections) or the
policy's ranking (kept).

Explaining costs: with `explain=False` (the cycle) rejections are not recorded and only the
winner is found (one pass, no sort); `kept` is then just the winner. `test` explains.
`best_candidate` is `screen` + `best` by names alone for the cycle's common case (no metadata,
no platforms): the policy checks only the tags that could win.
"""

from __future__ import annotations

from collections.abc import Sequence

from image_updater import refs
from image_updater.errors import InvalidPlatform
from image_updater.selection.filters import TagFilter
from image_updater.selection.policy import UpdatePolicy
from image_updater.selection.types import Platform, Rejection, Selection, TagInfo, serves
from image_updater.text import printable

NOT_A_TAG = "not a valid OCI tag"
MAX_PLATFORMS = 64


def screen(
    tags: Sequence[str], *, tag_filter: TagFilter, policy: UpdatePolicy, explain: bool = True
) -> tuple[list[str], list[Rejection]]:
    """Split tag names into candidates and rejections (only when explaining), in input order."""
    admitted: list[str] = []
    rejected: list[Rejection] = []
    for tag in tags:
        if not refs.is_tag(tag):
            if explain:
                rejected.append(Rejection(tag=printable(tag, limit=140), reason=NOT_A_TAG))
            continue
        reason = tag_filter.reason_to_drop(tag) or policy.admit(tag)
        if reason is None:
            admitted.append(tag)
        elif explain:
            rejected.append(Rejection(tag=tag, reason=reason))
    return admitted, rejected


def best_candidate(tags: Sequence[str], *, tag_filter: TagFilter, policy: UpdatePolicy) -> str | None:
    """The name `policy.best` would choose among the names `screen` admits (nothing explained),
    found by `policy.best_name`, which asks the grammar and the filter of as few tags as it can."""
    return policy.best_name(tags, passes=lambda tag: refs.is_tag(tag) and tag_filter.passes(tag))


def parse_platforms(text: str | None) -> tuple[Platform, ...]:
    """`linux/amd64, linux/arm64/v8` → platforms, duplicates dropped; None or "" → no filter.

    At most MAX_PLATFORMS: every child of every index is matched against each of them.
    """
    platforms = dict.fromkeys(Platform.parse(item) for item in (text or "").split(",") if item.strip())
    if len(platforms) > MAX_PLATFORMS:
        raise InvalidPlatform(f"{len(platforms)} platforms listed; at most {MAX_PLATFORMS} are supported")
    return tuple(platforms)


def platform_reason(info: TagInfo, wanted: tuple[Platform, ...]) -> str | None:
    """None if `info` serves one of `wanted` (or nothing is wanted), else why not.

    A tag whose platforms are unknown is dropped when platforms are wanted: fail closed.
    """
    if serves(info.platforms, wanted):
        return None
    want = " or ".join(str(w) for w in wanted)
    if not info.platforms:
        return f"offers no platform information; wanted {want}"
    return f"offers {', '.join(str(p) for p in info.platforms)} only; wanted {want}"


def choose(
    infos: Sequence[TagInfo], *, policy: UpdatePolicy, platforms: tuple[Platform, ...], explain: bool = True
) -> Selection:
    """Drop platform mismatches (with reasons), rank the rest; the best is `chosen` (or None)."""
    kept: list[TagInfo] = []
    rejected: list[Rejection] = []
    for info in infos:
        reason = platform_reason(info, platforms)
        if reason is None:
            kept.append(info)
        else:
            rejected.append(Rejection(tag=info.name, reason=reason))
    if not explain:
        best = policy.best(kept)
        return Selection(chosen=best, kept=(best,) if best else (), rejected=tuple(rejected))
    ranked = policy.rank(kept)
    return Selection(chosen=ranked[0] if ranked else None, kept=tuple(ranked), rejected=tuple(rejected))
