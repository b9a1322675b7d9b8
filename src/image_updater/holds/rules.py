"""The revert-aware hold: from a branch's history and the value in Git, is an image held? Pure.

An image of an Application is held when all of these are true:
- our last commit for it (the newest commit whose trailers name that Application and image)
  wrote a value (`wrote`) that is not the value in Git now;
- a later commit that is not ours (no trailers of ours: a `git revert`, a squash, a merge, a
  hand edit) touched one of the files that commit of ours touched;
- no later commit of ours (another Application writing the same file) wrote the value in Git now.

Commits are recognised by their trailers, never by hash or author, so a rebase that rewrote
our commit (new hash, same trailers) changes nothing. The hold starts at the commit time of the
oldest such later commit and, by `HoldMode`: `until-newer` (default) excludes `wrote` and every
version not newer (`selection.held`), so the image moves only to a strictly newer version, and
the hold ends when we write one; `forever` excludes every version until released; a duration
excludes like `until-newer` and ends that long after the hold started. Released also by a commit
of ours for the image that records the value in Git (`docs/rollback.md`), or `0s`.

History is bounded by the caller (the reader's depth): an older write of ours is not seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from image_updater.errors import ConfigError
from image_updater.holds.trailers import TrailerChange
from image_updater.selection.held import HeldVersions
from image_updater.settings.registries import parse_duration
from image_updater.text import printable

UNTIL_NEWER, FOREVER = "until-newer", "forever"


@dataclass(frozen=True, slots=True)
class HoldMode:
    """`hold-after-revert`: until-newer, forever, or a duration in `seconds`."""

    kind: Literal["until-newer", "forever", "duration"] = "until-newer"
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit of a branch's history: `changes` are its trailers of ours (empty: not ours)."""

    sha: str
    committed: datetime
    changes: tuple[TrailerChange, ...] = ()
    paths: frozenset[str] = frozenset()

    @property
    def ours(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True, slots=True)
class Hold:
    """An image held after a revert: what we wrote, what Git holds, since when and by which commit."""

    app: str
    image: str
    wrote: str
    current: str | None  # None: the target names no value now
    since: datetime
    commit: str
    mode: HoldMode
    until: datetime | None = None  # a duration's end

    @property
    def reason(self) -> str:
        """Words for logs, Events and `--explain`: why the versions are excluded."""
        ending = {
            "until-newer": "until a newer version exists",
            "forever": "forever, until released",
            "duration": f"until {self.until:%Y-%m-%dT%H:%M:%SZ}" if self.until else "",
        }[self.mode.kind]
        return (
            f"held after revert: we wrote {self.wrote}, commit {self.commit[:12]} set "
            f"{printable(self.current, limit=140) if self.current else 'no value'} "
            f"({ending})"
        )

    def held_versions(self) -> HeldVersions:
        tag, _, digest = self.wrote.partition("@")
        return HeldVersions(
            tag=tag, digest=digest or None, everything=self.mode.kind == FOREVER, reason=self.reason
        )


def parse_hold_mode(text: str | None) -> HoldMode:
    """`until-newer` (also when unset), `forever`, or a Go duration (`24h`, `90m`); ConfigError otherwise."""
    value = (text or "").strip().lower() or UNTIL_NEWER
    if value in (UNTIL_NEWER, FOREVER):
        return HoldMode(kind=value)  # type: ignore[arg-type]
    try:
        return HoldMode(kind="duration", seconds=parse_duration(value))
    except ValueError:
        raise ConfigError(
            f"hold-after-revert {printable(repr(text), limit=100)} is not until-newer, forever or a "
            "duration such as 24h"
        ) from None


def find_hold(
    history: Sequence[Commit], *, app: str, image: str, current: str | None, mode: HoldMode, now: datetime
) -> Hold | None:
    """The hold on `image` of `app` (`namespace/name`), or None; `history` is newest first and
    `current` the value in Git now (`tag` or `tag@digest`; None when the target names none, as
    after reverting the commit that added it)."""
    later: list[Commit] = []
    for commit in history:
        wrote = next((c for c in commit.changes if c.app == app and c.image == image), None)
        if wrote is None:
            later.append(commit)
            continue
        if current == wrote.new or _ours_wrote(later, image=image, value=current):
            return None
        theirs = [c for c in later if not c.ours and c.paths & commit.paths]
        if not theirs:
            return None
        return _hold(app, image, wrote.new, current, theirs[-1], mode, now)
    return None


def _ours_wrote(commits: Sequence[Commit], *, image: str, value: str | None) -> bool:
    return any(c.image == image and c.new == value for commit in commits for c in commit.changes)


def _hold(
    app: str, image: str, wrote: str, current: str | None, first: Commit, mode: HoldMode, now: datetime
) -> Hold | None:
    until = first.committed + timedelta(seconds=mode.seconds) if mode.kind == "duration" else None
    if until is not None and now >= until:
        return None
    return Hold(app, image, wrote, current, first.committed, first.sha, mode, until)
