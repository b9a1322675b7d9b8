"""Version constraints read and checked the way Masterminds/semver v3.4.0's `NewConstraint` does.

Grammar: alternatives separated by `||`; inside one, comparisons separated by whitespace or one
comma (AND); a comparison is an optional operator (`= != > < >= => <= =< ~ ~> ^`) and a version
whose parts may be wildcards (`x`, `X`, `*`) or missing (`1.2`). `A - B` (spaces required) is
rewritten to `>= A, <= B` first. An empty constraint is an error (use `*`).

Pre-releases are decided per alternative: if any comparison in it names a pre-release
(`>=1.0.0-0 <2.0.0`), every pre-release is judged by plain precedence there; otherwise
pre-releases never match it. Limits: Masterminds' `IncludePrerelease` switch is not offered, and
constraints longer than 1024 characters are rejected (Masterminds has no limit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from image_updater.semver._comparators import Comparator
from image_updater.semver._version import Key, Version, VersionSyntaxError, quote

# (lowest admitted key, first key above, pre-releases admitted at all); None: unbounded
KeyRanges = tuple[tuple[Key | None, Key | None, bool], ...]

# The same patterns as Masterminds, so that odd inputs split the same way. Whitespace is Go's
# ASCII `\s`; `|` inside the number classes is literal, as it is in Go (`1|2` fails later).
_WS = "[\t\n\f\r ]"
_CV = (
    r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?"
    r"(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
    r"(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?"
)
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"
_RANGE = re.compile(f"{_WS}*({_CV}){_WS}+-{_WS}+({_CV}){_WS}*")
_COMPARISON = re.compile(f"{_WS}*({_OPS}){_WS}*({_CV})")
_SPACE_CHARS = " \t\n\f\r"
_RANGE_DASH = re.compile(f"{_WS}-{_WS}")
# Go's regexp is linear; Python's backtracks, and the unanchored range search is quadratic in the
# worst case. No real constraint comes near this, and it keeps a hostile one to milliseconds.
_MAX_LENGTH = 1024
_WILDCARDS = frozenset({"x", "X", "*"})
_EXAMPLES = (
    'write comparisons such as ">=1.2 <2.0", "~1.2", "^1.2.3" or "1.2.x", separated by spaces '
    'or commas, with "||" between alternatives'
)


def _rewrite_ranges(text: str) -> str:
    """`1.2 - 1.4.5` becomes `>= 1.2, <= 1.4.5 `, replacing each matched text's first occurrence."""
    if not _RANGE_DASH.search(text):
        return text
    rewritten = text
    for match in _RANGE.finditer(text):
        rewritten = rewritten.replace(match.group(0), f">= {match.group(1)}, <= {match.group(11)} ", 1)
    return rewritten


def _improper(text: str, segment: str) -> ValueError:
    if not text.strip(_SPACE_CHARS):
        return ValueError(f'invalid constraint {quote(text)}: it is empty; write "*" to accept any release')
    if not segment.strip(_SPACE_CHARS):
        return ValueError(f'invalid constraint {quote(text)}: an alternative around "||" is empty')
    shown = segment.strip(_SPACE_CHARS)
    if shown not in text:  # a hyphen range was rewritten: quote what the user wrote instead
        shown = text.strip(_SPACE_CHARS)
    return ValueError(f"invalid constraint {quote(text)}: cannot read {quote(shown)}; {_EXAMPLES}")


def _skip_spaces(segment: str, position: int) -> int:
    while position < len(segment) and segment[position] in _SPACE_CHARS:
        position += 1
    return position


def _comparisons(text: str, segment: str) -> list[re.Match[str]]:
    """The comparisons of one AND group, in order; raises unless the whole segment is made of them."""
    found: list[re.Match[str]] = []
    position = 0
    while True:
        comparison = _COMPARISON.match(segment, position)
        if comparison is None:
            raise _improper(text, segment)
        found.append(comparison)
        position = _skip_spaces(segment, comparison.end())
        if position == len(segment):
            return found
        if segment[position] == ",":
            position = _skip_spaces(segment, position + 1)
        elif position == comparison.end():
            raise _improper(text, segment)  # comparisons must be separated


def _bound(comparison: re.Match[str]) -> tuple[str, str]:
    """The version text to compare with, and which part starts the wildcard ("" when none)."""
    written, major, minor, patch = comparison.group(2, 3, 4, 5)
    pre = comparison.group(6) or ""  # build metadata is dropped from partial versions, as in Go
    if major in _WILDCARDS:
        return "0.0.0" + pre, "major"
    if minor is None or minor[1:] in _WILDCARDS:
        return f"{major}.0.0{pre}", "minor"
    if patch is None or patch[1:] in _WILDCARDS:
        return f"{major}{minor}.0{pre}", "patch"
    return written, ""


def _comparator(text: str, comparison: re.Match[str]) -> Comparator:
    bound, wildcard = _bound(comparison)
    try:
        version = Version(bound)
    except VersionSyntaxError as err:
        written = quote(comparison.group(2))
        reason = (
            f"{written} is not a version (numbers, x, X or *)" if err.shape else f"in {written}, {err.reason}"
        )
        raise ValueError(f"invalid constraint {quote(text)}: {reason}") from err
    return Comparator(
        op=comparison.group(1),
        bound=version,
        dirty=bool(wildcard),
        minor_dirty=wildcard == "minor",
        patch_dirty=wildcard == "patch",
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Alternative:
    """An AND group; `prereleases` is true when one of its comparisons names a pre-release."""

    comparators: tuple[Comparator, ...]
    prereleases: bool

    def admits(self, version: Version) -> bool:
        return all(c.admits(version, include_prerelease=self.prereleases) for c in self.comparators)

    def key_range(self) -> tuple[Key | None, Key | None, bool]:
        """The intersection of the comparisons' ranges (see `Comparator.key_range`)."""
        lows = [low for low, _ in (c.key_range() for c in self.comparators) if low is not None]
        highs = [high for _, high in (c.key_range() for c in self.comparators) if high is not None]
        return max(lows, default=None), min(highs, default=None), self.prereleases


def _alternative(text: str, segment: str) -> _Alternative:
    comparators = tuple(_comparator(text, found) for found in _comparisons(text, segment))
    return _Alternative(comparators=comparators, prereleases=any(c.bound.prerelease for c in comparators))


@dataclass(frozen=True, slots=True, init=False, repr=False)
class Constraint:
    """A compiled constraint such as `>=1.2, <2 || ^3.0.0-0`; `check` is pure and cheap."""

    original: str
    _alternatives: tuple[_Alternative, ...] = field(compare=False)

    def __init__(self, text: str) -> None:
        if len(text) > _MAX_LENGTH:
            raise ValueError(f"invalid constraint {quote(text)}: longer than {_MAX_LENGTH} characters")
        segments = _rewrite_ranges(text).split("||")
        object.__setattr__(self, "original", text)
        object.__setattr__(self, "_alternatives", tuple(_alternative(text, s) for s in segments))

    def check(self, version: Version) -> bool:
        """Whether `version` satisfies any alternative."""
        return any(alternative.admits(version) for alternative in self._alternatives)

    def key_ranges(self) -> KeyRanges:
        """One range per alternative outside which it admits no version: a version `check` admits
        has a key inside one of them (and is a release when that range says pre-releases are out)."""
        return tuple(alternative.key_range() for alternative in self._alternatives)

    @property
    def mentions_prerelease(self) -> bool:
        """Whether any comparison names a pre-release; if not, no pre-release ever satisfies this."""
        return any(alternative.prereleases for alternative in self._alternatives)

    def __str__(self) -> str:
        return self.original

    def __repr__(self) -> str:
        return f"Constraint({self.original!r})"
