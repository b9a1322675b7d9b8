"""The greatest of many items that passes a costly check, asking the check of as few as possible.

The cycle needs only the winner among up to 200,000 listed tags, and the checks (the tag grammar,
allow/ignore expressions, a constraint) cost more than finding a maximum. So the maximum is
checked first; only when it fails is every item checked, once, and the maximum of those that
pass taken: at most twice a plain pass, never a sort. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar


class _Ordered(Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


T = TypeVar("T", bound=_Ordered)


def greatest_passing(items: Sequence[T], passes: Callable[[T], bool]) -> T | None:
    """`max(item for item in items if passes(item))`, or None when none passes."""
    if not items:
        return None
    top = max(items)
    if passes(top):
        return top
    return max((item for item in items if passes(item)), default=None)
