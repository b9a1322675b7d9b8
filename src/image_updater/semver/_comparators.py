"""One comparison of a constraint (`>=1.2`, `~1.x`, `!=2.0.0`) and the rule each operator applies.

The rules are Masterminds/semver v3.4.0's, quirks included, because users' constraints were written
against it: a partial version is a wildcard for the missing parts (`<=1.2` admits 1.2.9, `>1.2`
needs 1.3.0), `<` and `>=` compare with the zero-filled bound (`<1.2` is `<1.2.0`), a bare or `=`
wildcard means `~`, `~0.0.0` admits everything, and `^*` only admits 0.0.0. Whether pre-releases
may match at all is decided for the whole AND group by the caller.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from image_updater.semver._version import Key, Version, lowest_key

KeyRange = tuple[Key | None, Key | None]  # (lowest admitted key, first key above; None: unbounded)


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparator:
    """`op` applied to `bound`; the dirty flags say which parts of the bound were wildcards."""

    op: str
    bound: Version
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool

    def admits(self, version: Version, *, include_prerelease: bool) -> bool:
        if version.prerelease and not include_prerelease:
            return False
        return _RULES[self.op](version, self)

    def key_range(self) -> KeyRange:
        """Keys outside this range are never admitted (inside, `admits` still decides): lets a
        caller looking for the highest admitted version skip what cannot be. Derived from the
        rules below; tests/test_semver_conformance.py checks it against Masterminds' table."""
        b, op = self.bound, self.op
        if op in ("", "=") and not self.dirty:
            return b.key, lowest_key(b.major, b.minor, b.patch + 1)
        if op in ("", "=", "~", "~>"):
            if b.major == b.minor == b.patch == 0 and not self.minor_dirty and not self.patch_dirty:
                return b.key, None
            return b.key, _next_minor(b) if not self.minor_dirty else lowest_key(b.major + 1, 0, 0)
        if op == "^":
            if b.major > 0 or self.minor_dirty:
                return b.key, lowest_key(b.major + 1, 0, 0)
            if b.minor > 0 or self.patch_dirty:
                return b.key, lowest_key(0, b.minor + 1, 0)
            return b.key, lowest_key(0, 0, b.patch + 1)
        return _OPEN_RANGES[op](self)


def _next_minor(b: Version) -> Key:
    return lowest_key(b.major, b.minor + 1, 0)


def _at_most(c: Comparator) -> KeyRange:
    b = c.bound
    if not c.dirty:
        return None, lowest_key(b.major, b.minor, b.patch + 1)
    return None, lowest_key(b.major + 1, 0, 0) if c.minor_dirty else _next_minor(b)


_OPEN_RANGES: Final[Mapping[str, Callable[[Comparator], KeyRange]]] = MappingProxyType(
    {
        "!=": lambda c: (None, None),
        ">": lambda c: (lowest_key(c.bound.major, 0, 0) if c.dirty else c.bound.key, None),
        ">=": lambda c: (c.bound.key, None),
        "=>": lambda c: (c.bound.key, None),
        "<": lambda c: (None, c.bound.key),
        "<=": _at_most,
        "=<": _at_most,
    }
)


def _not_equal(v: Version, c: Comparator) -> bool:
    b = c.bound
    if c.dirty:
        if v.major != b.major:
            return True
        if v.minor != b.minor and not c.minor_dirty:
            return True
        if c.minor_dirty:
            return False
        if v.patch != b.patch and not c.patch_dirty:
            return True
        if c.patch_dirty:
            return v.prerelease != b.prerelease
    return v != b


def _greater(v: Version, c: Comparator) -> bool:
    b = c.bound
    if not c.dirty:
        return v > b
    if v.major != b.major:
        return v.major > b.major
    if c.minor_dirty:
        return False  # `>1` wants 2.0.0 or later, not 1.5.0
    if c.patch_dirty:
        return v.minor > b.minor
    return v > b


def _less(v: Version, c: Comparator) -> bool:
    return v < c.bound


def _greater_or_equal(v: Version, c: Comparator) -> bool:
    return v >= c.bound


def _less_or_equal(v: Version, c: Comparator) -> bool:
    b = c.bound
    if not c.dirty:
        return v <= b
    if v.major > b.major:
        return False
    return not (v.major == b.major and v.minor > b.minor and not c.minor_dirty)


def _tilde(v: Version, c: Comparator) -> bool:
    b = c.bound
    if v < b:
        return False
    if b.major == b.minor == b.patch == 0 and not c.minor_dirty and not c.patch_dirty:
        return True  # `~0.0.0` and `~*` admit everything
    if v.major != b.major:
        return False
    return v.minor == b.minor or c.minor_dirty


def _tilde_or_equal(v: Version, c: Comparator) -> bool:
    return _tilde(v, c) if c.dirty else v == c.bound


def _caret(v: Version, c: Comparator) -> bool:
    b = c.bound
    if v < b:
        return False
    if b.major > 0 or c.minor_dirty:
        return v.major == b.major
    if v.major > 0:
        return False
    if b.minor > 0 or c.patch_dirty:
        return v.minor == b.minor
    if v.minor > 0:
        return False
    return v.patch == b.patch


_RULES: Final[Mapping[str, Callable[[Version, Comparator], bool]]] = MappingProxyType(
    {
        "": _tilde_or_equal,
        "=": _tilde_or_equal,
        "!=": _not_equal,
        ">": _greater,
        "<": _less,
        ">=": _greater_or_equal,
        "=>": _greater_or_equal,
        "<=": _less_or_equal,
        "=<": _less_or_equal,
        "~": _tilde,
        "~>": _tilde,
        "^": _caret,
    }
)
