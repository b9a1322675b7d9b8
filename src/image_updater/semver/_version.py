"""Semantic versions parsed and ordered the way Masterminds/semver v3.4.0's `NewVersion` does.

Parsing is lenient in exactly Masterminds' ways: an optional lowercase `v`, a missing minor or patch
(`1` and `1.2` become 1.0.0 and 1.2.0) and leading zeros in the three numbers (`01.02.03` is 1.2.3)
are accepted; numbers above 2^64-1, numeric pre-release identifiers with a leading zero and anything
else are rejected with a ValueError. Ordering is semver 2.0 precedence; build metadata is ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
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
# The same grammar for the common case, numbers of at most 19 digits (always inside uint64): one
# match and three int() calls, no per-part checks. Anything else takes the general path.
_FAST = re.compile(
    r"v?([0-9]{1,19})(?:\.([0-9]{1,19}))?(?:\.([0-9]{1,19}))?"
    r"(?:-([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
    r"(?:\+([0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*))?"
)
_UINT64_MAX = 2**64 - 1
_SHAPE = "expected [v]MAJOR[.MINOR[.PATCH]][-PRERELEASE][+BUILD], e.g. 1.2.3 or v1.2.3-rc.1"

# A pre-release identifier sorts as (0, number) when Go's ParseUint accepts it, else (1, text):
# numbers sort before words, and shorter identifier lists before longer ones with the same prefix.
_Identifier: TypeAlias = tuple[int, int | str]
Key: TypeAlias = tuple[int, int, int, int, tuple[_Identifier, ...]]


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
    fast = _FAST.fullmatch(text)
    if fast is not None:
        major, minor, patch, prerelease, metadata = fast.groups()
        if prerelease:
            _check_prerelease(text, prerelease)
        return int(major), int(minor or 0), int(patch or 0), prerelease or "", metadata or ""
    match = _LOOSE.fullmatch(text)
    if match is None:
        raise VersionSyntaxError(text, _SHAPE, shape=True)
    prerelease = match.group(5) or ""
    _check_prerelease(text, prerelease)
    major, minor, patch = (_number(text, match.group(i)) for i in (1, 2, 3))
    return major, minor, patch, prerelease, match.group(8) or ""


def by_precedence(texts: Iterable[str], *, releases_only: bool = False) -> list[tuple[Key, str]]:
    """(`Version.parse(text).key`, text) for each text that is a version, in input order, without
    building a Version for a release: for ranking many tags at once. `releases_only`: skip
    pre-releases too (a caller that admits none need not read their identifiers)."""
    keyed: list[tuple[Key, str]] = []
    append, loose = keyed.append, _LOOSE.fullmatch
    for text, fast in zip(texts, map(_FAST.fullmatch, texts), strict=True):
        if fast is not None:
            major, minor, patch, prerelease, _ = fast.groups()
            if not prerelease:
                append(((int(major), int(minor or 0), int(patch or 0), 1, ()), text))
                continue
            if releases_only:
                continue
        elif loose(text) is None:
            continue  # not shaped like a version at all
        version = Version.parse(text)  # a pre-release, or numbers of 20 digits or more
        if version is not None and not (releases_only and version.prerelease):
            append((version.key, text))
    return keyed


def lowest_key(major: int, minor: int, patch: int) -> Key:
    """A key below every version numbered `major.minor.patch` (pre-releases included) and above
    every lower one: the bound of a key range (pre-release identifiers are never empty)."""
    return (major, minor, patch, 0, ())


def _precedence(major: int, minor: int, patch: int, prerelease: str) -> Key:
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
    _key: Key

    def __init__(self, text: str) -> None:
        major, minor, patch, prerelease, metadata = _parse(text)
        setattr_ = object.__setattr__  # frozen: the only way in, once
        setattr_(self, "major", major)
        setattr_(self, "minor", minor)
        setattr_(self, "patch", patch)
        setattr_(self, "prerelease", prerelease)
        setattr_(self, "metadata", metadata)
        setattr_(self, "original", text)
        setattr_(self, "_key", _precedence(major, minor, patch, prerelease))

    @classmethod
    def parse(cls, text: str) -> Version | None:
        """The version `text` spells, or None: for screening many tags, where most failures need no
        message (building one per rejected tag costs more than the parse)."""
        fast = _FAST.fullmatch(text)
        if fast is not None and not fast.group(4):  # a release: no pre-release identifiers to check
            major, minor, patch, _, metadata = fast.groups()
            version = object.__new__(cls)
            setattr_ = object.__setattr__
            setattr_(version, "major", int(major))
            setattr_(version, "minor", int(minor or 0))
            setattr_(version, "patch", int(patch or 0))
            setattr_(version, "prerelease", "")
            setattr_(version, "metadata", metadata or "")
            setattr_(version, "original", text)
            setattr_(version, "_key", (version.major, version.minor, version.patch, 1, ()))
            return version
        if fast is None and _LOOSE.fullmatch(text) is None:  # not shaped like a version at all
            return None
        try:
            return cls(text)
        except ValueError:
            return None

    @property
    def key(self) -> Key:
        """Precedence as a tuple of ints and strings: compares in C, for sorting and max()."""
        return self._key

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
