"""The write-back target layer's one interface, and the one factory that picks its implementation.

Pure: `Reader` is the only window on the repository. A target kind is one module
(`kustomization`, `helmvalues`, `argocd_source`), each with a `locate(app, read)` that finds the
file it writes and returns a `TargetFile`. `TargetFile.load(text)` parses that file's text once;
the `TargetText` it gives reads the values the file holds now (`current`) and writes images into
it (`apply`), both from that one parse. Nothing outside `locate` here asks which kind a target is.
`current_tag` is the one-shot reading for who needs one value, not a write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from image_updater.errors import ConfigError
from image_updater.writeback import argocd_source, helmvalues, kustomization
from image_updater.writeback.model import AppTarget, ManifestImage, Reader


class TargetText(Protocol):
    """One parse of one target file."""

    def current(self, image: ManifestImage) -> str | None:
        """`tag` or `tag@digest` the file holds for `image` now; None when it cannot tell (absent,
        does not parse, does not mention the image): best effort, for commit messages and skips."""
        ...

    def apply(self, images: Sequence[ManifestImage]) -> str:
        """The text with every image written, in order (a later image wins); the same text when
        nothing changes. Raises ConfigError (WriteBackError, InvalidWriteBackConfig) naming the
        file when it cannot be written, the parse problem included; the result has been verified."""
        ...


class TargetFile(Protocol):
    """A located target file: where it is, and how its text is parsed. Equal targets write the
    same file the same way, so their Applications share one parse and one edit."""

    @property
    def path(self) -> str: ...

    def load(self, text: str | None) -> TargetText:
        """Parse `text` (None: the file does not exist); never raises, see `TargetText`."""
        ...


def locate(app: AppTarget, read: Reader) -> TargetFile:
    """The file `app`'s target writes; InvalidWriteBackConfig when it cannot be found or named."""
    if app.target.kind == "kustomization":
        return kustomization.locate(app, read)
    if app.target.kind == "helmvalues":
        return helmvalues.locate(app, read)
    return argocd_source.locate(app, read)


def current_tag(read: Reader, app: AppTarget, image: ManifestImage) -> str | None:
    """What `app`'s target holds now for `image` (`TargetText.current`) in one call, for a reader
    of one value; None also when the file cannot be located or read."""
    try:
        file = locate(app, read)
        return file.load(read(file.path)).current(image)
    except ConfigError:
        return None
