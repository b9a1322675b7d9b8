"""Semantic versions and version constraints, exactly as Masterminds/semver v3.4.0 reads them.

argocd-image-updater's `semver` strategy is that library; users' constraints were written and tested
against it, so this package ports its rules, quirks included, rather than a stricter reading:

    Version("v1.2")                 parses like `NewVersion`: 1.2.0; ordered by semver precedence
    Constraint(">=1.2 <2 || ^3")    parses like `NewConstraint`; `.check(version) -> bool`
    by_precedence(tags)             [(Version.parse(t).key, t)] of the versions, for ranking many tags

Pure: no I/O and only the standard library. Both raise ValueError with a one-line message that
quotes the bad text; callers translate it to their own error (e.g. `InvalidConstraint`).
"""

from image_updater.semver._constraint import Constraint
from image_updater.semver._version import Version, by_precedence

__all__ = ["Constraint", "Version", "by_precedence"]
