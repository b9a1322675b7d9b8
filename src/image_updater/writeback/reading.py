"""How write-back targets spell the tag they hold: `tag`, `tag@digest`, or a whole reference.

Pure, shared by the target modules' `current` readers and by the writer that compares what a file
holds with what it is about to write.
"""

from __future__ import annotations

from image_updater.refs import ImageRef


def as_written(ref: ImageRef) -> str:
    """How targets spell an image's tag: `tag`, or `tag@sha256:...` for a pinned digest."""
    return f"{ref.tag or ''}@{ref.digest}" if ref.digest else str(ref.tag or "")


def joined(tag: object, digest: object) -> str | None:
    """`tag`, `tag@digest` or `@digest` from the fields a file holds; None when it holds neither."""
    if tag is None and digest is None:
        return None
    return f"{tag or ''}@{digest}" if digest else str(tag)


def tag_of_reference(reference: str) -> str | None:
    """The `tag[@digest]` of a whole reference (`registry/repo:tag@sha256:...`), None without them."""
    name, at, digest = reference.partition("@")
    slash, colon = name.rfind("/"), name.rfind(":")
    tag = name[colon + 1 :] if colon > slash else None
    return joined(tag, digest if at else None)
