"""The request floor: what any correct implementation must ask a registry, one definition for
every benchmark (`registry_cost`, `cycle`) so their ratios mean the same thing.

    floor = tag-list pages of the unique repositories
          + one HEAD per unique (repository, tag) tracked by digest (a mutable tag may have moved)
          + cold: one manifest GET per tracked digest never seen, confirming it before it is written
          + cold, newest-build: one manifest GET per unseen candidate tag (tag -> digest)
                                + one config GET per unseen image among them (its `created`)

"Unseen" is what the metadata cache (in memory or on disk) does not hold: warm, and after a
restart with the disk cache, only the first two terms remain. A ratio of 1.00 means no request
beyond the floor.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Floor:
    tag_pages: int
    tracked_heads: int = 0
    confirmations: int = 0
    tag_manifests: int = 0
    configs: int = 0

    @property
    def total(self) -> int:
        return self.tag_pages + self.tracked_heads + self.confirmations + self.tag_manifests + self.configs

    @property
    def warm(self) -> Floor:
        """The same work with every immutable answer cached: tag lists and tracked HEADs only."""
        return Floor(self.tag_pages, self.tracked_heads)

    @property
    def detail(self) -> str:
        return (
            f"tags {self.tag_pages} + HEAD {self.tracked_heads} + confirm {self.confirmations} "
            f"+ manifest {self.tag_manifests} + config {self.configs}"
        )
