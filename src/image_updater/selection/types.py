"""Value types shared by the tag filters and the update strategies.

Pure data: frozen, slotted dataclasses, no I/O. The registry adapter fills `TagInfo` in;
selection only reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from image_updater.errors import InvalidPlatform
from image_updater.text import printable


@dataclass(frozen=True, slots=True, order=True)
class Platform:
    """`os/architecture[/variant]`, e.g. `linux/arm64/v8`."""

    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise InvalidPlatform(
                f"platform {printable(text.strip(), limit=100)!r} is not os/arch[/variant], "
                "e.g. linux/amd64 or linux/arm64/v8"
            )
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    def satisfies(self, wanted: Platform) -> bool:
        """True if an image built for `self` serves a user who asked for `wanted`.

        A wanted platform without a variant accepts any variant (`linux/arm64` takes
        `linux/arm64/v8`); with a variant it must match exactly.
        """
        if (self.os, self.architecture) != (wanted.os, wanted.architecture):
            return False
        return not wanted.variant or self.variant == wanted.variant

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def serves(offered: Iterable[Platform], wanted: tuple[Platform, ...]) -> bool:
    """True if one of `offered` serves one of `wanted`; with nothing wanted, everything serves."""
    return not wanted or any(o.satisfies(w) for o in offered for w in wanted)


@dataclass(frozen=True, slots=True)
class TagInfo:
    """What we know about one tag. Fields beyond `name` are filled only when fetched.

    `digest` is the manifest digest the registry serves for the tag (the index digest for a
    multi-arch image). `created` is the newest `created` among the platforms kept. `platforms`
    lists every platform the tag offers; empty means unknown (not fetched).
    """

    name: str
    digest: str | None = None
    created: datetime | None = None
    platforms: tuple[Platform, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a tag was dropped, in words for `test --explain` and logs."""

    tag: str
    reason: str


@dataclass(frozen=True, slots=True)
class Selection:
    """The outcome of selecting a tag: the winner (if any), the ranked survivors, the rejected."""

    chosen: TagInfo | None
    kept: tuple[TagInfo, ...]
    rejected: tuple[Rejection, ...]
