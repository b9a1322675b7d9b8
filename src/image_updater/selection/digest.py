"""The `digest` strategy: follow one mutable tag (`stable`, `latest`) and pin its digest.

The tag to track is the image-list version (`app=ghcr.io/org/app:stable`); the factory refuses
a digest policy without one. Only that tag is a candidate. The decision to update is "the
registry's digest differs from the live one", made by the caller; this policy needs the
winner's digest (`needs_digest`), not metadata to rank by. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from image_updater.selection.types import TagInfo


@dataclass(frozen=True, slots=True)
class DigestPolicy:
    """Admit only `tracked`; rank returns it (if present)."""

    tracked: str
    name: ClassVar[str] = "digest"
    needs_metadata: ClassVar[bool] = False
    needs_digest: ClassVar[bool] = True

    def admit(self, tag: str) -> str | None:
        return None if tag == self.tracked else f"not the tracked tag {self.tracked}"

    def rank(self, candidates: Sequence[TagInfo]) -> list[TagInfo]:
        return [info for info in candidates if info.name == self.tracked][:1]

    def best(self, candidates: Sequence[TagInfo]) -> TagInfo | None:
        return next((info for info in candidates if info.name == self.tracked), None)

    def best_name(self, tags: Sequence[str], *, passes: Callable[[str], bool]) -> str | None:
        return self.tracked if self.tracked in tags and passes(self.tracked) else None
