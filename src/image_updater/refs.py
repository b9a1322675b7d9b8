"""Image references and the `image-list` annotation syntax, parsed as argocd-image-updater does.

Pure: no I/O. Flexible user input is accepted here and normalised into `ImageRef` / `ImageSpec`.
A constraint is never stored in a tag field: `ImageSpec.version` holds the text after `:` of an
image-list entry (a semver constraint, or the mutable tag the digest strategy tracks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NewType

Tag = NewType("Tag", str)
Digest = NewType("Digest", str)  # "sha256:<64 hex>"


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A concrete image: where it lives and, optionally, which tag and digest.

    `registry` is the host[:port] as the user wrote it, "" when none was written (the default
    registry, Docker Hub unless registries.conf says otherwise). `repository` is the path in that
    registry with Docker Hub's implicit `library/` removed (`nginx`, `org/app`).
    """

    registry: str
    repository: str
    tag: Tag | None = None
    digest: Digest | None = None

    @property
    def name(self) -> str:
        """`registry/repository`, or just `repository` for the default registry."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """One entry of an `image-list`: `[alias=]image[:constraint-or-tag][@digest]`."""

    alias: str | None
    image: ImageRef  # tag is always None here; digest only if written
    version: str | None  # semver constraint, or the tag the digest strategy tracks

    @property
    def annotation_key(self) -> str:
        """The key prefix for per-image annotations: the alias, else the image name with `/` → `_`."""
        return self.alias if self.alias else self.image.name.replace("/", "_")
