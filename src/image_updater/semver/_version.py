"""Semantic versions parsed and ordered the way Masterminds/semver v3.4.0's `NewVersion` does.

Parsing is lenient in exactly Masterminds' ways: an optional lowercase `v`, a missing minor or patch
(`1` and `1.2` become 1.0.0 and 1.2.0) and leading zeros in the three numbers (`01.02.03` is 1.2.3)
are accepted; numbers above 2^64-1, numeric pre-release identifiers with a leading zero and anything
else are rejected with a ValueError. Ordering is semver 2.0 precedence; build metadata is ignored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import total_ordering
from typing import TypeAlias

# The loose grammar Masterminds parses with (group 1-3 numbers, 5 pre-release, 8 build metadata).
# `[0-9]` rather than `\d`: Go's classes are ASCII, Python's `\d` is Unicode.
_LOOSE = re.compile(
    r"v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_UINT64_MAX = 2**64 - 1
_SHAPE = "expected [v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD], e.g. 1.2.3 or v1.2.3-rc.1"

# A pre-release identifier sorts as (0, number) when Go's ParseUint accepts it, else (1, text):
# numbers sort before words, and shorter identifier lists before longer ones with the same prefix.
_Identifier: TypeAlias = tuple[int, int | str]
_Key: TypeAlias = tuple[int, int, int, int, tuple[_Identifier, ...]]


def quote(text: str) -> str:
    """`text` double-quoted on one line (escapes included), shortened when very long."""
    shown = text if len(text) <= 120 else text[:117] + "..."
    return json.dumps(shown)


class VersionSyntaxError(ValueError):
    """A ValueError for one version text; `reason` is the part after the quoted text."""

    def __init__(self, text: str, reason: str, *, shape: bool = False) -> None:
        super().__init__(f"invalid semantic version {quote(text)}: {reason}")
        self.reason = reason
        self.shape = shape  # the text is not shaped like a version at all


def _uint64(digits: str) -> int | None:
    """The value of an ASCII digit string if it fits Go's uint64, else None (leading zeros allowed)."""
    significant = digits.lstrip("0")
    if len(significant) > 20:
        return None
    value = int(significant or "0")
    return value if value <= _UINT64_MAX else None


def _identifier_key(identifier: str) -> _Identifier:
    number = _uint64(identifier) if identifier.isascii() and identifier.isdigit() else None
    return (1, identifier) if number is None else (0, number)


def _check_prerelease(text: str, prerelease: str) -> None:
    for identifier in prerelease.split("."):
        if identifier.isdigit() and len(identifier) > 1 and identifier.startswith("0"):
            reason = f"numeric pre-release identifier {quote(identifier)} must not start with 0"
            raise VersionSyntaxError(text, reason)


def _number(text: str, group: str | None) -> int:
    if group is None:
        return 0
    value = _uint64(group.lstrip("."))
    if value is None:
        raise VersionSyntaxError(text, f"{quote(group.lstrip('.'))} is larger than {_UINT64_MAX}")
    return value


def _parse(text: str) -> tuple[int, int, int, str, str]:
    """(major, minor, patch, prerelease, metadata) of `text`, coerced like Masterminds' NewVersion."""
    match = _LOOSE.fullmatch(text)
    if match is None:
        raise VersionSyntaxError(text, _SHAPE, shape=True)
    prerelease = match.group(5) or ""
    _check_prerelease(text, prerelease)
    major, minor, patch = (_number(text, match.group(i)) for i in (1, 2, 3))
    return major, minor, patch, prerelease, match.group(8) or ""


def _precedence(major: int, minor: int, patch: int, prerelease: str) -> _Key:
    identifiers = tuple(_identifier_key(part) for part in prerelease.split(".")) if prerelease else ()
    return (major, minor, patch, 0 if prerelease else 1, identifiers)


@total_ordering
@dataclass(frozen=True, slots=True, init=False, eq=False, repr=False)
class Version:
    """One semantic version; `Version("v1.2")` is 1.2.0. Equal versions differ at most in metadata."""

    major: int
    minor: int
    patch: int
    prerelease: str
    metadata: str
    original: str
    _key: _Key

    def __init__(self, text: str) -> None:
        major, minor, patch, prerelease, metadata = _parse(text)
        values = {
            "major": major,
            "minor": minor,
            "patch": patch,
            "prerelease": prerelease,
            "metadata": metadata,
            "original": text,
            "_key": _precedence(major, minor, patch, prerelease),
        }
        for name, value in values.items():
            object.__setattr__(self, name, value)  # frozen: the only way in, once

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += f"-{self.prerelease}"
        if self.metadata:
            text += f"+{self.metadata}"
        return text

    def __repr__(self) -> str:
        return f"Version({self.original!r})"

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key == other._key

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key < other._key
