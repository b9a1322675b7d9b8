"""Versions a revert-aware hold excludes from a selection (the hold itself: `image_updater.holds`).

`HeldVersions.tag` (and `digest`) is what our reverted commit wrote. Excluded: that version and
every version the strategy does not rank strictly above it: semver by version (`1.5.0` and
`v1.5.0` are one version), alphabetical by name, newest-build by build time (the held tag's
`created`, when the registry still lists it; otherwise only the held tag), digest by digest (the
tracked tag may move on). `everything` (a hold `forever`) excludes every candidate.

Applied after ranking: since the winner ranks above every other candidate, "the winner is not
newer" means "no candidate is", so the cycle's one-winner selection stays one pass. Pure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from image_updater.selection.policy import UpdatePolicy
from image_updater.selection.types import Rejection, Selection, TagInfo
from image_updater.semver import Version


@dataclass(frozen=True, slots=True)
class HeldVersions:
    """What a hold excludes; `reason` is the words each excluded tag is dropped with."""

    tag: str
    digest: str | None = None
    everything: bool = False
    reason: str = ""

    def newer(
        self, info: TagInfo, *, policy: UpdatePolicy, created: Callable[[str], datetime | None]
    ) -> bool:
        """Whether `info` ranks strictly above the held version; `created` looks a tag's build time up."""
        if self.everything:
            return False
        if policy.name == "digest":
            return info.digest is not None and info.digest != self.digest
        if policy.name == "semver":
            mine, held = Version.parse(info.name), Version.parse(self.tag)
            if mine is None or held is None:
                return info.name != self.tag
            return mine.key > held.key
        if policy.name == "newest-build":
            held_created = created(self.tag)
            if held_created is None or info.created is None:
                return info.name != self.tag
            return info.created > held_created
        return info.name > self.tag

    def apply(
        self, result: Selection, *, policy: UpdatePolicy, created: Callable[[str], datetime | None]
    ) -> Selection:
        """`result` with the held versions moved from `kept` to `rejected`."""
        chosen = result.chosen
        if chosen is None or not self.newer(chosen, policy=policy, created=created):
            # the winner is not newer, so no candidate is (only explaining ranks them all)
            held = result.kept or ((chosen,) if chosen else ())
            dropped = tuple(Rejection(tag=info.name, reason=self.reason) for info in held)
            return Selection(chosen=None, kept=(), rejected=(*result.rejected, *dropped))
        if policy.name == "digest":  # one candidate, the tracked tag, and its digest is newer
            return result
        kept = tuple(
            i for i in result.kept if i.name == chosen.name or self.newer(i, policy=policy, created=created)
        )
        dropped = tuple(Rejection(tag=i.name, reason=self.reason) for i in result.kept if i not in kept)
        return Selection(chosen=chosen, kept=kept, rejected=(*result.rejected, *dropped))
