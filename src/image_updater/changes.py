"""What the selection decided to change, handed to write-back. Pure data."""

from __future__ import annotations

from dataclasses import dataclass

from image_updater.refs import ImageRef


@dataclass(frozen=True, slots=True)
class Change:
    """One image of one Application moving from `old` to `new`.

    `alias` is the image-list alias (or None). `old` is the image as it runs (may lack a tag);
    `new` carries the chosen tag and, for the digest strategy, the digest.
    """

    alias: str | None
    old: ImageRef
    new: ImageRef
