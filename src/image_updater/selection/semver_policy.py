"""The `semver` strategy (the default): the highest version allowed by the constraint wins.

Tags are read leniently as upstream's Masterminds semver does (`v1.2.3`, `1.2` = `1.2.0`);
a tag that is not a version is not a candidate. The constraint is the image-list version
(`~1.26`, `^1.0`, `1.2.x`, `>=1.0 <2`, `>=1.0.0-rc.0`). Without one, any release version
qualifies but no pre-release (upstream since PR #1758). With one, a pre-release qualifies
only if the constraint itself names a pre-release (`>=1.0.0-0`).

Ranking: highest version first. Versions that compare equal (`v1.2.0`, `1.2.0`, `1.2`) are
ordered as upstream orders them: ascending by (version, tag text) and the last one wins, so
the lexically greatest spelling ranks first. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from image_updater.selection.types import TagInfo
from image_updater.semver import Constraint, Version

NOT_A_VERSION = "not a semantic version"


@dataclass(frozen=True, slots=True)
class SemverPolicy:
    """Admit versions inside `constraint` (None = every release); rank highest first."""

    constraint: Constraint | None
    name: ClassVar[str] = "semver"
    needs_metadata: ClassVar[bool] = False
    needs_digest: ClassVar[bool] = False

    def admit(self, tag: str) -> str | None:
        version = _version(tag)
        if version is None:
            return NOT_A_VERSION
        if self.constraint is None:
            return (
                "pre-release; no constraint is set, so only releases qualify" if version.prerelease else None
            )
        if self.constraint.check(version):
            return None
        if version.prerelease and not self.constraint.mentions_prerelease:
            return "pre-release; the constraint names no pre-release"
        return f"outside constraint {self.constraint}"

    def rank(self, candidates: Sequence[TagInfo]) -> list[TagInfo]:
        """Highest version first; a candidate that is no version (admit would refuse it) ranks last."""
        return sorted(candidates, key=_version_order, reverse=True)


def _version(tag: str) -> Version | None:
    try:
        return Version(tag)
    except ValueError:
        return None


def _version_order(info: TagInfo) -> tuple[int, Version | None, str]:
    version = _version(info.name)
    # The leading 0/1 keeps non-versions apart, so a Version is never compared with None.
    return (0, None, info.name) if version is None else (1, version, info.name)
