"""Versions and constraints read like Masterminds/semver v3.4.0, beyond its conformance table."""

from __future__ import annotations

import itertools
import random

import pytest

from image_updater.semver import Constraint, Version

# text, (major, minor, patch, prerelease, metadata), canonical form
PARSED = [
    pytest.param("1.2.3", (1, 2, 3, "", ""), "1.2.3", id="plain"),
    pytest.param("v1.2.3", (1, 2, 3, "", ""), "1.2.3", id="v-prefix"),
    pytest.param("1", (1, 0, 0, "", ""), "1.0.0", id="major-only"),
    pytest.param("v1.2", (1, 2, 0, "", ""), "1.2.0", id="major-minor"),
    pytest.param("01.02.03", (1, 2, 3, "", ""), "1.2.3", id="leading-zeros-coerced"),
    pytest.param("0.0.0", (0, 0, 0, "", ""), "0.0.0", id="zero"),
    pytest.param("20240101", (20240101, 0, 0, "", ""), "20240101.0.0", id="date-tag"),
    pytest.param("1.2.3-rc.1", (1, 2, 3, "rc.1", ""), "1.2.3-rc.1", id="prerelease"),
    pytest.param("1.2-rc.1", (1, 2, 0, "rc.1", ""), "1.2.0-rc.1", id="partial-with-prerelease"),
    pytest.param("1.2.3-0", (1, 2, 3, "0", ""), "1.2.3-0", id="prerelease-zero"),
    pytest.param("1.2.3-0a.x-y--z", (1, 2, 3, "0a.x-y--z", ""), "1.2.3-0a.x-y--z", id="prerelease-hyphens"),
    pytest.param("1.2.3+001.sha-5", (1, 2, 3, "", "001.sha-5"), "1.2.3+001.sha-5", id="metadata-zeros-ok"),
    pytest.param("v1.2.3-rc.1+meta", (1, 2, 3, "rc.1", "meta"), "1.2.3-rc.1+meta", id="everything"),
    pytest.param(
        "18446744073709551615.0.0", (2**64 - 1, 0, 0, "", ""), "18446744073709551615.0.0", id="uint64-max"
    ),
]


@pytest.mark.parametrize(("text", "parts", "canonical"), PARSED)
def test_parse(text: str, parts: tuple[int, int, int, str, str], canonical: str) -> None:
    version = Version(text)
    assert (version.major, version.minor, version.patch, version.prerelease, version.metadata) == parts
    assert str(version) == canonical
    assert version.original == text


# text, a fragment the one-line message must contain
INVALID_VERSIONS = [
    pytest.param("", "expected [v]MAJOR", id="empty"),
    pytest.param("latest", "expected [v]MAJOR", id="word"),
    pytest.param("1.2.x.y", "expected [v]MAJOR", id="four-parts-wildcard"),
    pytest.param("1.2.3.4", "expected [v]MAJOR", id="four-parts"),
    pytest.param("V1.2.3", "expected [v]MAJOR", id="uppercase-v"),
    pytest.param(" 1.2.3", "expected [v]MAJOR", id="leading-space"),
    pytest.param("1.2.3\n", "expected [v]MAJOR", id="trailing-newline"),
    pytest.param("1.2.3-", "expected [v]MAJOR", id="empty-prerelease"),
    pytest.param("1.2.3-a..b", "expected [v]MAJOR", id="empty-prerelease-identifier"),
    pytest.param("1.2.3+", "expected [v]MAJOR", id="empty-metadata"),
    pytest.param("1.2.3-01", '"01" must not start with 0', id="prerelease-leading-zero"),
    pytest.param("1.2.3-rc.00", '"00" must not start with 0', id="prerelease-double-zero"),
    pytest.param("1.x", "expected [v]MAJOR", id="wildcard-is-not-a-version"),
    pytest.param("１.2.3", "expected [v]MAJOR", id="non-ascii-digit"),
    pytest.param("18446744073709551616", "is larger than 18446744073709551615", id="uint64-overflow"),
]


@pytest.mark.parametrize(("text", "fragment"), INVALID_VERSIONS)
def test_invalid_version(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=r"^invalid semantic version ") as caught:
        Version(text)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


# Strictly increasing by precedence.
ASCENDING = [
    "0.0.0-0",
    "0.0.0",
    "0.9.9",
    "1.0.0-0",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0-rc.9",
    "1.0.0-rc.10",
    "1.0.0",
    "1.0.1",
    "1.2.0",
    "1.10.0",
    "2.0.0-rc.1",
    "2.0.0",
    "10.0.0",
]


def test_sorted_follows_precedence() -> None:
    versions = [Version(text) for text in ASCENDING]
    shuffled = versions[:]
    random.Random(7).shuffle(shuffled)
    assert [str(v) for v in sorted(shuffled)] == ASCENDING


@pytest.mark.parametrize(
    ("lower", "higher"),
    [pytest.param(a, b, id=f"{a}<{b}") for a, b in itertools.pairwise(ASCENDING)],
)
def test_neighbours_compare(lower: str, higher: str) -> None:
    low, high = Version(lower), Version(higher)
    assert low < high
    assert low <= high
    assert high > low
    assert high >= low
    assert low != high


# Pairs Masterminds considers equal: build metadata, `v`, coercion and leading zeros do not count.
EQUAL = [
    pytest.param("1.0.0+a", "1.0.0+b", id="metadata-ignored"),
    pytest.param("v1.2", "1.2.0", id="v-and-partial"),
    pytest.param("01.02.03", "1.2.3", id="leading-zeros"),
    pytest.param("1.0.0-rc.1+x", "v1.0.0-rc.1", id="prerelease-metadata"),
]


@pytest.mark.parametrize(("left", "right"), EQUAL)
def test_equal_and_hash(left: str, right: str) -> None:
    a, b = Version(left), Version(right)
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert not a < b
    assert not b < a


# Identifiers Go cannot read as uint64 compare as text (and so after every number).
PRERELEASE_EDGES = [
    pytest.param("1.0.0-99999999999999999999", "1.0.0-a", id="overflow-number-is-text"),
    pytest.param("1.0.0-18446744073709551615", "1.0.0-99999999999999999999", id="max-number-before-text"),
    pytest.param("1.0.0-Z", "1.0.0-a", id="ascii-uppercase-first"),
    pytest.param("1.0.0--", "1.0.0-0a", id="hyphen-before-digit-text"),
    pytest.param("1.0.0-1", "1.0.0--1", id="number-before-hyphen-text"),
]


@pytest.mark.parametrize(("lower", "higher"), PRERELEASE_EDGES)
def test_prerelease_edges(lower: str, higher: str) -> None:
    assert Version(lower) < Version(higher)


def test_comparing_with_other_types() -> None:
    version = Version("1.0.0")
    assert version != "1.0.0"
    with pytest.raises(TypeError):
        _ = version < "1.0.0"  # type: ignore[operator]
    assert repr(version) == "Version('1.0.0')"


# constraint, versions it admits, versions it rejects
RULES = [
    # Caret and tilde on 0.x: the left-most non-zero part is fixed.
    pytest.param("^0.2.3", "0.2.3 0.2.9", "0.2.2 0.3.0 1.0.0", id="caret-0.minor"),
    pytest.param("^0.0.3", "0.0.3", "0.0.2 0.0.4 0.1.0", id="caret-0.0.patch"),
    pytest.param("^0.0", "0.0.0 0.0.9", "0.1.0 1.0.0", id="caret-0.0"),
    pytest.param("^0.0.x", "0.0.0 0.0.9", "0.1.0", id="caret-0.0.x"),
    pytest.param("^0", "0.0.0 0.9.9", "1.0.0", id="caret-0"),
    pytest.param("^0.x", "0.0.1 0.9.9", "1.0.0", id="caret-0.x"),
    pytest.param("^0.0.0", "0.0.0", "0.0.1 0.1.0", id="caret-0.0.0-exact"),
    pytest.param("^*", "0.0.0", "0.0.1 1.0.0", id="caret-star-only-zero"),
    pytest.param("^1.2", "1.2.0 1.9.9", "1.1.9 2.0.0", id="caret-major"),
    pytest.param("~0", "0.0.0 0.9.9", "1.0.0", id="tilde-0"),
    pytest.param("~0.0", "0.0.0 0.0.9", "0.1.0", id="tilde-0.0"),
    pytest.param("~0.0.0", "0.0.0 7.0.0", "", id="tilde-0.0.0-anything"),
    pytest.param("~0.2.3", "0.2.3 0.2.9", "0.2.2 0.3.0", id="tilde-0.minor"),
    pytest.param("~>1.2.3", "1.2.3 1.2.9", "1.3.0 1.2.2", id="tilde-arrow"),
    pytest.param("~1", "1.0.0 1.9.0", "2.0.0 0.9.0", id="tilde-major"),
    # Partial versions are wildcards for `<=`, `>`, `=` and bare; `<` and `>=` zero-fill them.
    pytest.param("<=1.2", "1.2.9 0.5.0", "1.3.0 2.0.0", id="le-partial-admits-patch"),
    pytest.param("<=1", "1.9.9", "2.0.0", id="le-major"),
    pytest.param(">1.2", "1.3.0 2.0.0", "1.2.9 1.2.0", id="gt-partial-needs-next-minor"),
    pytest.param(">1", "2.0.0", "1.9.9", id="gt-major-needs-next-major"),
    pytest.param(">1.2.x", "1.3.0", "1.2.5", id="gt-x-patch"),
    pytest.param("<1.2", "1.1.9", "1.2.0 1.2.1", id="lt-partial-is-zero-filled"),
    pytest.param("<1.2.x", "1.1.9", "1.2.0", id="lt-x-is-zero-filled"),
    pytest.param(">=1.2", "1.2.0 5.0.0", "1.1.9", id="ge-partial"),
    pytest.param("=1.2", "1.2.0 1.2.7", "1.3.0", id="equals-partial-is-tilde"),
    pytest.param("1.2", "1.2.0 1.2.7", "1.3.0", id="bare-partial-is-tilde"),
    pytest.param("=1.2.3", "1.2.3 1.2.3+meta v1.2.3", "1.2.4", id="equals-exact-ignores-metadata"),
    pytest.param("= 1.2.3", "1.2.3", "1.2.4", id="equals-with-space"),
    pytest.param("1.2.3+build", "1.2.3", "1.2.4", id="constraint-metadata-ignored"),
    # Wildcards.
    pytest.param("*", "0.0.0 99.0.0", "1.0.0-rc.1", id="star-releases-only"),
    pytest.param("x", "1.0.0", "", id="x"),
    pytest.param("X.X.X", "1.0.0", "", id="upper-x-triple"),
    pytest.param("x.1.2", "0.0.0 5.0.0", "", id="x-major-ignores-rest"),
    pytest.param("1.x.3", "1.0.0 1.9.9", "2.0.0", id="x-minor-ignores-patch"),
    pytest.param(">=*", "0.0.0 9.9.9", "", id="ge-star"),
    pytest.param("<*", "", "0.0.0 1.0.0", id="lt-star-nothing"),
    pytest.param("<=*", "0.0.0 0.0.5", "0.1.0 1.0.0", id="le-star-only-0.0.x"),
    pytest.param(">*", "0.0.1 1.0.0", "0.0.0", id="gt-star"),
    # `!=` with wildcards excludes the whole range.
    pytest.param("!=1.2", "1.1.0 1.3.0 2.2.0", "1.2.0 1.2.9", id="ne-partial"),
    pytest.param("!=1.x", "0.9.0 2.0.0", "1.0.0 1.5.5", id="ne-x-minor"),
    pytest.param("!=1.2.x", "1.3.0", "1.2.3", id="ne-x-patch"),
    pytest.param("!=*", "0.0.1 0.1.0 1.0.0", "0.0.0", id="ne-star-only-zero"),
    pytest.param("!=1.2.3", "1.2.2 1.2.4", "1.2.3 1.2.3+b", id="ne-exact"),
    # Pre-releases are admitted only by an AND group that names one, then by plain precedence.
    pytest.param(">=1.0.0-0 <2.0.0", "1.5.0-rc.1 2.0.0-rc.1", "0.9.0 2.0.0", id="group-names-prerelease"),
    pytest.param(">=1.0.0 <2.0.0", "1.5.0", "1.5.0-rc.1 2.0.0-rc.1", id="group-without-prerelease"),
    pytest.param("^1.2.3-rc.1", "1.2.3-rc.2 1.5.0-beta 1.9.0", "1.2.3-rc.0 2.0.0-0", id="caret-prerelease"),
    pytest.param("~1.2.3-beta", "1.2.3-beta.2 1.2.9-alpha", "1.3.0-alpha 1.2.3-alpha", id="tilde-prerelease"),
    pytest.param("1.x-alpha", "1.0.0-beta 1.5.0-rc.1 1.9.0", "2.0.0-alpha", id="x-range-with-prerelease"),
    # Masterminds compares only the pre-release inside the excluded range: 1.2.5 passes.
    pytest.param(
        "!=1.2.x-rc.1", "1.2.3-rc.2 1.3.0 1.2.5", "1.2.0-rc.1 1.2.7-rc.1", id="ne-x-with-prerelease"
    ),
    pytest.param(">=1.0.0 || >=3.0.0-0", "3.1.0-rc.1 1.5.0", "2.0.0-rc.1", id="prerelease-per-alternative"),
    pytest.param(
        ">1.2.3-alpha.1", "1.2.3-alpha.2 1.2.3-beta 1.2.4-rc.1", "1.2.3-alpha.1", id="gt-prerelease"
    ),
    pytest.param("<2.0.0-0", "1.9.9 1.5.0-rc.1", "2.0.0-0 2.0.0-rc.1", id="lt-prerelease-bound"),
    # Separators, whitespace, hyphen ranges, `v` prefixes, coercion.
    pytest.param(">=1.0.0,<2.0.0", "1.5.0", "2.0.0", id="comma-no-space"),
    pytest.param(">=1.0.0 , <2.0.0", "1.5.0", "2.0.0", id="comma-spaced"),
    pytest.param(" \t>=1.0.0\n<2.0.0\r\n", "1.5.0", "2.0.0", id="ascii-whitespace"),
    pytest.param(">= 1.0.0", "1.0.0", "0.9.0", id="space-after-operator"),
    pytest.param("=>1.0.0 =<2.0.0", "1.5.0", "2.0.1", id="reversed-operators"),
    pytest.param("1.2 - 1.4.5", "1.2.0 1.4.5", "1.1.9 1.4.6", id="hyphen-range"),
    pytest.param("1.2  -\t1.4", "1.4.9", "1.5.0", id="hyphen-range-partial-upper-is-wildcard"),
    # The rewrite appends a space, so a comparison glued to the range still parses (v3.4.0).
    pytest.param("1.0 - 2.0>=1.5", "1.5.0 2.0.0", "1.4.0 2.1.0", id="hyphen-range-rewrite-separates"),
    pytest.param("1.0 - 2.0 || 3.x", "1.5.0 3.2.0", "2.1.0 4.0.0", id="hyphen-range-or"),
    pytest.param("v1.2.3 - v1.2.5", "1.2.4", "1.2.6", id="hyphen-range-v-prefix"),
    pytest.param(">=v1.2 <v2", "1.5.0", "2.0.0", id="v-prefix-partial"),
    pytest.param(">=01.02.03", "1.2.3", "1.2.2", id="leading-zeros-coerced"),
    pytest.param("1.2.3 || 2.0.0||3.0.0", "1.2.3 2.0.0 3.0.0", "1.2.4", id="or-spacing"),
]


@pytest.mark.parametrize(("constraint", "admitted", "rejected"), RULES)
def test_rules(constraint: str, admitted: str, rejected: str) -> None:
    compiled = Constraint(constraint)
    assert [v for v in admitted.split() if not compiled.check(Version(v))] == []
    assert [v for v in rejected.split() if compiled.check(Version(v))] == []


# constraint, a fragment of the one-line message
INVALID_CONSTRAINTS = [
    pytest.param("", 'it is empty; write "*"', id="empty"),
    pytest.param(" \t ", "it is empty", id="blank"),
    pytest.param(">=1.0 ||", 'an alternative around "||" is empty', id="empty-alternative"),
    pytest.param(">>1.0", 'cannot read ">>1.0"', id="double-operator"),
    pytest.param("==1.0", 'cannot read "==1.0"', id="double-equals"),
    pytest.param(">=1.0.0<2.0.0", "cannot read", id="missing-separator"),
    pytest.param(">=1.0,,<2", "cannot read", id="double-comma"),
    pytest.param(">=1.0,", "cannot read", id="trailing-comma"),
    pytest.param(",>=1.0", "cannot read", id="leading-comma"),
    pytest.param("> =1.0", "cannot read", id="split-operator"),
    pytest.param("1.2 -1.4", "cannot read", id="hyphen-needs-spaces"),
    pytest.param("1.2.3.4", "cannot read", id="four-parts"),
    pytest.param(">=1.0 1.2 - 1.4", "cannot read", id="hyphen-range-eats-separator"),
    pytest.param("\v1.0", "cannot read", id="vertical-tab-is-not-go-space"),
    pytest.param("latest", "cannot read", id="word"),
    pytest.param("1|2", '"1|2" is not a version', id="single-pipe"),
    pytest.param(
        "1.2.3-01", 'in "1.2.3-01", numeric pre-release identifier "01" must', id="prerelease-leading-zero"
    ),
    pytest.param("1x.2", '"1x.2" is not a version', id="mixed-wildcard"),
    pytest.param("99999999999999999999", "is larger than 18446744073709551615", id="overflow"),
    pytest.param("1 || " * 205, "longer than 1024 characters", id="too-long"),
]


@pytest.mark.parametrize(("text", "fragment"), INVALID_CONSTRAINTS)
def test_invalid_constraint(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=r"^invalid constraint ") as caught:
        Constraint(text)
    message = str(caught.value)
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        pytest.param(">=1.0.0 <2.0.0", False, id="releases"),
        pytest.param(">=1.0.0-0 <2.0.0", True, id="prerelease-bound"),
        pytest.param("^1.0 || ~2.0.0-rc.1", True, id="in-one-alternative"),
        pytest.param("1.2.3+build", False, id="metadata-is-not-prerelease"),
    ],
)
def test_mentions_prerelease(text: str, mentions: bool) -> None:
    assert Constraint(text).mentions_prerelease is mentions


def test_long_but_allowed_constraint() -> None:
    many = " || ".join(f"1.0.{patch}" for patch in range(100))  # 986 characters
    assert len(many) <= 1024
    assert Constraint(many).check(Version("1.0.99"))


def test_constraint_text_and_equality() -> None:
    constraint = Constraint(" >=1.2,  <2 ")
    assert str(constraint) == " >=1.2,  <2 "
    assert constraint == Constraint(" >=1.2,  <2 ")
    assert len({constraint, Constraint(" >=1.2,  <2 ")}) == 1
    assert repr(constraint) == "Constraint(' >=1.2,  <2 ')"
