"""Words for outcomes: why no tag matched, summarised from the per-tag rejection reasons. Pure."""

from __future__ import annotations

from collections import Counter

from image_updater.selection.types import Selection


def no_match(selection: Selection, *, listed: int, image: str) -> str:
    """`no tag matched: 10 tags listed; dropped: 5 outside constraint >=3.0.0, 4 not a semantic version`."""
    if not listed:
        return f"no tag matched: the registry lists no tags for {image}"
    kinds = Counter(r.reason.split(":", 1)[0].split(";", 1)[0] for r in selection.rejected)
    summary = ", ".join(f"{count} {reason}" for reason, count in kinds.most_common())
    return f"no tag matched: {listed} tags listed; dropped: {summary}"
