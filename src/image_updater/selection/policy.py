"""The update-strategy Protocol and the one factory that builds a policy from annotations.

Strategy names are case-insensitive: `semver` (the default), `newest-build` (legacy `latest`),
`alphabetical` (legacy `name`) and `digest`. An unknown name is an error listing the valid ones,
never a silent fall-back to semver as upstream does. The factory validates and compiles once,
so a policy's `admit`/`rank` are pure, cheap and cannot fail on configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from image_updater import refs
from image_updater.errors import InvalidConstraint, InvalidStrategy
from image_updater.selection.alphabetical import AlphabeticalPolicy
from image_updater.selection.digest import DigestPolicy
from image_updater.selection.newest_build import NewestBuildPolicy
from image_updater.selection.semver_policy import SemverPolicy
from image_updater.selection.types import TagInfo
from image_updater.semver import Constraint
from image_updater.text import printable

STRATEGIES = ("semver", "newest-build", "alphabetical", "digest")
LEGACY_STRATEGIES = {"latest": "newest-build", "name": "alphabetical"}


class UpdatePolicy(Protocol):
    """One update strategy, configured for one image.

    `needs_metadata`: ranking reads image metadata (`created`), so every candidate's metadata
    must be fetched first. `needs_digest`: the winner's manifest digest is the point (digest).
    `admit` returns None for a candidate, else why the tag is dropped. `rank` orders candidates
    best first, deterministically, and never mutates its input; `best` is `rank(...)[0]` (None
    when empty) in one pass, for the cycle, which needs the winner and not the order of the rest.
    `best_name` is the name `best` picks among the names that `passes` and `admit` accept, by
    names alone (no metadata: undated), asking `passes` of as few names as it can.
    """

    @property
    def name(self) -> str: ...

    @property
    def needs_metadata(self) -> bool: ...

    @property
    def needs_digest(self) -> bool: ...

    def admit(self, tag: str) -> str | None: ...

    def rank(self, candidates: Sequence[TagInfo]) -> list[TagInfo]: ...

    def best(self, candidates: Sequence[TagInfo]) -> TagInfo | None: ...

    def best_name(self, tags: Sequence[str], *, passes: Callable[[str], bool]) -> str | None: ...


@dataclass(frozen=True, slots=True)
class StrategyName:
    """A strategy as written: the canonical `name`, and `legacy` if a deprecated alias was used."""

    name: str
    legacy: str | None = None


def parse_strategy(text: str | None) -> StrategyName:
    """Canonical strategy for an `update-strategy` value; None or "" means semver."""
    written = (text or "").strip().lower() or "semver"
    if written in STRATEGIES:
        return StrategyName(written)
    if written in LEGACY_STRATEGIES:
        return StrategyName(LEGACY_STRATEGIES[written], legacy=written)
    legacy = ", ".join(f"{old} (= {new})" for old, new in LEGACY_STRATEGIES.items())
    raise InvalidStrategy(
        f"update-strategy {printable(repr(text), limit=100)} is unknown; "
        f"use one of {', '.join(STRATEGIES)} (legacy: {legacy})"
    )


def make_policy(strategy: str | None, *, version: str | None, image: str) -> UpdatePolicy:
    """Build the policy for `image`. `version` is the image-list text after `:` (or an override).

    semver reads it as a constraint; digest as the tag to track (`latest` when none is written,
    as Docker reads an untagged reference; the seed article's migrator relies on it); the others
    ignore it.
    """
    name = parse_strategy(strategy).name
    version = (version or "").strip() or None
    if name == "semver":
        return _semver(version, image)
    if name == "digest":
        return DigestPolicy(tracked=_tracked_tag(version, image))
    return NewestBuildPolicy() if name == "newest-build" else AlphabeticalPolicy()


def _tracked_tag(version: str | None, image: str) -> str:
    if version is None:
        return "latest"
    if not refs.is_tag(version):
        raise InvalidConstraint(
            f"image {image}: the digest strategy tracks one tag, and {printable(repr(version), limit=100)} "
            "is not a tag; "
            f"write {image}:<tag>, e.g. {image}:stable"
        )
    return version


def _semver(constraint: str | None, image: str) -> SemverPolicy:
    if constraint is None:
        return SemverPolicy(constraint=None)
    try:
        parsed = Constraint(constraint)
    except ValueError as err:
        raise InvalidConstraint(
            f"image {image}: semver constraint {printable(repr(constraint), limit=100)} "
            f"does not parse ({err}); "
            "write e.g. '>=1.0.0 <2.0.0', '~1.26' or '^1.0'"
        ) from None
    return SemverPolicy(constraint=parsed)
