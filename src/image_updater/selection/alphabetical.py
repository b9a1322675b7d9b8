"""The `alphabetical` strategy (legacy name `name`): the greatest tag name wins.

Names compare by Unicode code point, which is UTF-8 byte order, as upstream's byte-wise sort:
there is no numeric awareness (`26` beats `226`), so it suits date-stamped tags such as
`2024-06-01`. Every tag is a candidate; the image-list version is ignored. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from image_updater.selection.greatest import greatest_passing
from image_updater.selection.types import TagInfo


@dataclass(frozen=True, slots=True)
class AlphabeticalPolicy:
    """Rank tag names greatest first."""

    name: ClassVar[str] = "alphabetical"
    needs_metadata: ClassVar[bool] = False
    needs_digest: ClassVar[bool] = False

    def admit(self, tag: str) -> str | None:
        return None

    def rank(self, candidates: Sequence[TagInfo]) -> list[TagInfo]:
        return sorted(candidates, key=_name, reverse=True)

    def best(self, candidates: Sequence[TagInfo]) -> TagInfo | None:
        return max(candidates, key=_name, default=None)

    def best_name(self, tags: Sequence[str], *, passes: Callable[[str], bool]) -> str | None:
        return greatest_passing(tags, passes)


def _name(info: TagInfo) -> str:
    return info.name
