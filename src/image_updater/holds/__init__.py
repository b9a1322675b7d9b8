"""Revert-aware holds: the trailers our commits carry, and the rule that reads them back. Pure.

`trailers` writes and parses the machine-readable record of what a commit changed; `rules`
decides from a branch's history and the value in Git whether an image is held after someone
reverted (or edited away) what we wrote. Nothing here runs git: `writeback.git_history` reads
the history, the runtime applies the holds to selection (`selection.held`).
"""

from image_updater.holds.rules import Commit, Hold, HoldMode, find_hold, parse_hold_mode
from image_updater.holds.trailers import TRAILER_KEY, TrailerChange, format_trailers, parse_trailers

__all__ = [
    "TRAILER_KEY",
    "Commit",
    "Hold",
    "HoldMode",
    "TrailerChange",
    "find_hold",
    "format_trailers",
    "parse_hold_mode",
    "parse_trailers",
]
