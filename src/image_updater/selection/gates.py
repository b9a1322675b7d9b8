"""Gates a tag must pass besides the filters and the strategy: pins, release age, promotion. Pure.

- `pin`: the image is not updated at all (`<alias>.pin: <tag>`); the runtime also pins an image
  whose value an Application override holds (runtime/pinning.py).
- `min_age`: a tag is eligible once its image is that old: by its config's `created`, or where that
  is missing or implausible (before 2013, after now) by when we first saw its digest.
- `promote_from`/`promote_after`: a tag is eligible only once the source Application has run it
  for that long (`Promotion`, built by the runtime from the source's status or Git history).

Every refusal is a `Rejection` whose reason starts with `TOO_YOUNG` or `WAITING`; the tag running
now is never refused (a gate holds an image back, it never moves it back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from image_updater.selection.types import Rejection

EARLIEST_PLAUSIBLE = datetime(2013, 1, 1, tzinfo=UTC)  # before Docker existed: a made-up time
TOO_YOUNG = "too young"
WAITING = "waiting for promotion"


@dataclass(frozen=True, slots=True)
class Gates:
    """One image's gates, as configured (durations in seconds; 0 = no gate)."""

    pin: str | None = None
    min_age: float = 0.0
    promote_from: str | None = None  # `namespace/name` of the source Application
    promote_after: float = 0.0

    @property
    def needs_age(self) -> bool:
        return self.min_age > 0


@dataclass(frozen=True, slots=True)
class Promotion:
    """What the source Application runs: `tag` and since when (None: running, but since when
    cannot be told, so never long enough); `problem` says why nothing can be promoted (it runs
    no tag of this image, is not Synced and Healthy, does not exist)."""

    source: str
    tag: str | None
    since: datetime | None
    after: float
    problem: str | None = None


def plausible(created: datetime | None, *, now: datetime) -> datetime | None:
    """`created` when it can be believed: set, not before 2013, not in the future."""
    if created is None or created < EARLIEST_PLAUSIBLE or created > now:
        return None
    return created


def age_reason(*, created: datetime, first_seen: bool, min_age: float, now: datetime) -> str | None:
    """None when an image created (or first seen) at `created` is old enough, else why not."""
    eligible = created + timedelta(seconds=min_age)
    if eligible <= now:
        return None
    what = "first seen" if first_seen else "created"
    return f"{TOO_YOUNG} ({what} {_time(created)}, eligible at {_time(eligible)})"


def screen_promotion(
    tags: Sequence[str], promotion: Promotion, *, now: datetime, current: str | None = None
) -> tuple[list[str], list[Rejection]]:
    """Keep only the tag the source runs, once it has run long enough, and the tag running now
    (`current`: a gate never moves an image back); every other tag waits."""
    if promotion.tag is None or promotion.problem is not None:
        why = f"{WAITING} from {promotion.source} ({promotion.problem or 'it runs no tag of this image'})"
        return [t for t in tags if t == current], [Rejection(tag=t, reason=why) for t in tags if t != current]
    others = f"{WAITING} from {promotion.source} (it runs {promotion.tag})"
    held = promotion_reason(promotion, now=now)
    kept = [t for t in tags if t == current or (t == promotion.tag and held is None)]
    rejected = [Rejection(tag=t, reason=held if t == promotion.tag and held else others) for t in tags]
    return kept, [r for r in rejected if r.tag not in kept]


def promotion_reason(promotion: Promotion, *, now: datetime) -> str | None:
    """None when the source has run its tag for `after` seconds, else why the tag still waits."""
    if promotion.since is None:
        return f"{WAITING} from {promotion.source} (running, but since when is unknown)"
    try:
        eligible = promotion.since + timedelta(seconds=promotion.after)
    except OverflowError:  # a status time near year 9999: never
        return f"{WAITING} from {promotion.source} (running since {_time(promotion.since)})"
    if eligible <= now:
        return None
    return (
        f"{WAITING} from {promotion.source} (running since {_time(promotion.since)}, "
        f"eligible at {_time(eligible)})"
    )


def _time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
