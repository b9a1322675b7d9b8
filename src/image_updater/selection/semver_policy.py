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

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from image_updater.selection.greatest import greatest_passing
from image_updater.selection.types import TagInfo
from image_updater.semver import Constraint, Version, by_precedence

NOT_A_VERSION = "not a semantic version"
PRERELEASE_WITHOUT_CONSTRAINT = "pre-release; no constraint is set, so only releases qualify"
PRERELEASE_NOT_NAMED = "pre-release; the constraint names no pre-release"
_BELOW_ALL, _ABOVE_ALL = (-1,), (math.inf,)  # compare below / above every version key


@dataclass(frozen=True, slots=True)
class SemverPolicy:
    """Admit versions inside `constraint` (None = every release); rank highest first.

    Each tag is parsed once: `admit` remembers the version it read, and `rank`/`best` reuse it.
    A policy lives for one cycle, so the memo is bounded by the tags listed in that cycle.
    """

    constraint: Constraint | None
    name: ClassVar[str] = "semver"
    needs_metadata: ClassVar[bool] = False
    needs_digest: ClassVar[bool] = False
    _outside: str = field(init=False, repr=False, compare=False)
    _parsed: dict[str, Version | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_outside", f"outside constraint {self.constraint}")
        object.__setattr__(self, "_parsed", {})

    def admit(self, tag: str) -> str | None:
        version = self._version(tag)
        if version is None:
            return NOT_A_VERSION
        if self.constraint is None:
            return PRERELEASE_WITHOUT_CONSTRAINT if version.prerelease else None
        if self.constraint.check(version):
            return None
        if version.prerelease and not self.constraint.mentions_prerelease:
            return PRERELEASE_NOT_NAMED
        return self._outside

    def rank(self, candidates: Sequence[TagInfo]) -> list[TagInfo]:
        """Highest version first; a candidate that is no version (admit would refuse it) ranks last."""
        return sorted(candidates, key=self._order, reverse=True)

    def best(self, candidates: Sequence[TagInfo]) -> TagInfo | None:
        """`rank(candidates)[0]` without sorting: one pass over precomputed keys."""
        return max(candidates, key=self._order, default=None)

    def best_name(self, tags: Sequence[str], *, passes: Callable[[str], bool]) -> str | None:
        """Each tag's precedence is read once (no Version built for releases); per alternative of
        the constraint only keys inside its range are candidates (`Constraint.key_ranges`), and
        `passes` and `admit` are asked of the greatest first, so of a few tags, not all."""
        ranges = self.constraint.key_ranges() if self.constraint else ((None, None, False),)
        releases_only = not any(prereleases for _, _, prereleases in ranges)
        keyed = by_precedence(tags, releases_only=releases_only)
        winners = []
        for low, high, prereleases in ranges:
            low_key: Any = low or _BELOW_ALL
            high_key: Any = high or _ABOVE_ALL
            least_kind = 0 if prereleases else 1  # key[3]: 0 pre-release, 1 release
            if low is high is None and (prereleases or releases_only):
                inside = keyed  # no bound to apply
            else:
                inside = [kt for kt in keyed if low_key <= kt[0] < high_key and kt[0][3] >= least_kind]
            winners.append(greatest_passing(inside, lambda kt: self.admit(kt[1]) is None and passes(kt[1])))
        best = max((w for w in winners if w is not None), default=None)
        return best[1] if best else None

    def _version(self, tag: str) -> Version | None:
        if tag not in self._parsed:
            self._parsed[tag] = Version.parse(tag)
        return self._parsed[tag]

    def _order(self, info: TagInfo) -> tuple[int, tuple[object, ...], str]:
        version = self._version(info.name)
        # The leading 0/1 keeps non-versions apart, so a key is never compared with ().
        return (0, (), info.name) if version is None else (1, version.key, info.name)
