"""Words for outcomes: why no tag matched, summarised from the per-tag rejection reasons. Pure.

A tag held back by a gate (too young, waiting for promotion) is told in full, best candidate first:
its reason carries the time it becomes eligible.
"""

from __future__ import annotations

from collections import Counter

from image_updater.selection import gates
from image_updater.selection.types import Selection


def no_match(selection: Selection, *, listed: int, image: str) -> str:
    """`no tag matched: 10 tags listed; dropped: 5 outside constraint >=3.0.0, 4 not a semantic version`."""
    if not listed:
        return f"no tag matched: the registry lists no tags for {image}"
    if held := held_back(selection):
        return f"no tag eligible yet: {held}"
    kinds = Counter(r.reason.split(":", 1)[0].split(";", 1)[0] for r in selection.rejected)
    summary = ", ".join(f"{count} {reason}" for reason, count in kinds.most_common())
    return f"no tag matched: {listed} tags listed; dropped: {summary}"


def held_back(selection: Selection) -> str | None:
    """`v1.6.0 is too young (created …, eligible at …)`: the best tag a gate holds back, in its
    own words (which say when it becomes eligible), or None when no gate held one."""
    held = [r for r in selection.rejected if r.reason.startswith((gates.TOO_YOUNG, gates.WAITING))]
    if not held:
        return None
    first = next((r for r in held if "eligible at" in r.reason), held[0])
    return f"{first.tag} is {first.reason}"


def held(version: str, *, forever: bool) -> str:
    """`test --held-version`'s reason for each tag a revert-aware hold excludes."""
    scope = "every version" if forever else "this version and every version not newer"
    return f"held after revert of {version}: {scope} is excluded (--held-version)"
