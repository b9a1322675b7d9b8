"""Tag selection: filters and update strategies. Pure: no I/O, no logging, inputs never mutated."""

from image_updater.selection.choose import best_candidate, choose, parse_platforms, platform_reason, screen
from image_updater.selection.filters import TagFilter, TagRule
from image_updater.selection.policy import (
    LEGACY_STRATEGIES,
    STRATEGIES,
    StrategyName,
    UpdatePolicy,
    make_policy,
    parse_strategy,
)
from image_updater.selection.types import Platform, Rejection, Selection, TagInfo

__all__ = [
    "LEGACY_STRATEGIES",
    "STRATEGIES",
    "Platform",
    "Rejection",
    "Selection",
    "StrategyName",
    "TagFilter",
    "TagInfo",
    "TagRule",
    "UpdatePolicy",
    "best_candidate",
    "choose",
    "make_policy",
    "parse_platforms",
    "parse_strategy",
    "platform_reason",
    "screen",
]
