"""The `newest-build` strategy (legacy name `latest`): the most recently built image wins.

Ranks by the image's `created` time, newest first. Equal times are broken by tag name, the
lexically greatest first (so `latest` beats `f33bacd` when both point at one build), as upstream.
A candidate without `created` (the registry gave none) is ranked after every dated one, and
those among themselves by name, greatest first. Every tag is a candidate; the image-list
version is ignored. `created` values must all be timezone-aware (the registry adapter's job).
Reproducible builds with a fixed `created` defeat this strategy. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from image_updater.selection.greatest import greatest_passing
from image_updater.selection.types import TagInfo


@dataclass(frozen=True, slots=True)
class NewestBuildPolicy:
    """Rank by build time, newest first; needs image metadata."""

    name: ClassVar[str] = "newest-build"
    needs_metadata: ClassVar[bool] = True
    needs_digest: ClassVar[bool] = False

    def admit(self, tag: str) -> str | None:
        return None

    def rank(self, candidates: Sequence[TagInfo]) -> list[TagInfo]:
        return sorted(candidates, key=_build_order, reverse=True)

    def best(self, candidates: Sequence[TagInfo]) -> TagInfo | None:
        return max(candidates, key=_build_order, default=None)

    def best_name(self, tags: Sequence[str], *, passes: Callable[[str], bool]) -> str | None:
        """Undated candidates rank by name alone (a registry listing by push time dates them)."""
        return greatest_passing(tags, passes)


def _build_order(info: TagInfo) -> tuple[bool, datetime, str]:
    # Undated candidates share datetime.min and are told apart by name only; the leading flag
    # keeps them below every dated one without comparing naive and aware datetimes.
    return (info.created is not None, info.created or datetime.min, info.name)
