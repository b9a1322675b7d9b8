"""allow-tags / ignore-tags: RE2 expressions, Go globs, fail-closed errors."""

from __future__ import annotations

import time
from collections.abc import Sequence

import pytest

from image_updater.errors import InvalidTagFilter
from image_updater.selection.filters import TagFilter, glob_to_regexp

IMAGE = "ghcr.io/org/app"
SEED_RELEASE = r"regexp:^v[0-9]+\.[0-9]+\.[0-9]+(-rc\.[0-9]+)?$"
SEED_DEV = "regexp:^main-[a-f0-9]{7}$"


@pytest.mark.parametrize(
    ("allow", "tag", "kept"),
    [
        pytest.param(None, "anything", True, id="unset-is-any"),
        pytest.param("", "anything", True, id="empty-is-any"),
        pytest.param("any", "anything", True, id="any"),
        pytest.param(" ANY ", "anything", True, id="any-case-insensitive"),
        pytest.param(SEED_DEV, "main-1a2b3c4", True, id="seed-dev-commit"),
        pytest.param(SEED_DEV, "main-1a2b3c", False, id="seed-dev-short-sha"),
        pytest.param(SEED_DEV, "feature-1a2b3c4", False, id="seed-dev-branch"),
        pytest.param(SEED_DEV, "main-1A2B3C4", False, id="seed-dev-uppercase-hex"),
        pytest.param(SEED_RELEASE, "v1.2.3", True, id="seed-release"),
        pytest.param(SEED_RELEASE, "v1.2.3-rc.1", True, id="seed-rc"),
        pytest.param(SEED_RELEASE, "v1.2.3-beta.1", False, id="seed-beta"),
        pytest.param(SEED_RELEASE, "1.2.3", False, id="seed-no-v"),
        pytest.param(r"regexp:^v[0-9]+\.[0-9]+\.[0-9]+-rc", "v1.0.0-rc.2", True, id="seed-staging"),
        pytest.param("regexp:v1", "xv1y", True, id="unanchored-like-go-MatchString"),
        pytest.param("regexp:^v1$", "v1\n", False, id="dollar-is-end-of-text"),
        pytest.param(r"regexp:^\d+$", "123", True, id="perl-class"),
        pytest.param(r"regexp:^\pL+$", "abc", True, id="unicode-class"),
        pytest.param("Regexp:^v", "v1", True, id="prefix-case-insensitive"),
        pytest.param("regexp:^(?i)V", "v1", True, id="go-flag-syntax"),
        pytest.param("regexp:^a{1,3}$", "aa", True, id="commas-in-allow"),
    ],
)
def test_allow(allow: str | None, tag: str, kept: bool) -> None:
    tag_filter = TagFilter.parse(allow=allow, ignore=None, image=IMAGE)
    assert (tag_filter.reason_to_drop(tag) is None) is kept


@pytest.mark.parametrize(
    ("glob", "tag", "matches"),
    [
        pytest.param("abc", "abc", True, id="literal"),
        pytest.param("abc", "abcd", False, id="literal-whole-tag"),
        pytest.param("*", "", True, id="star-empty"),
        pytest.param("*", "anything", True, id="star"),
        pytest.param("*-rc*", "1.0.0-rc.1", True, id="rc"),
        pytest.param("*-rc*", "1.0.0", False, id="rc-release"),
        pytest.param("a*", "ab/c", False, id="star-stops-at-slash"),
        pytest.param("a*/b", "abc/b", True, id="star-then-slash"),
        pytest.param("a?c", "abc", True, id="question"),
        pytest.param("a?c", "a/c", False, id="question-not-slash"),
        pytest.param("a?c", "ac", False, id="question-needs-one"),
        pytest.param("[a-c]x", "bx", True, id="range"),
        pytest.param("[a-c]x", "dx", False, id="range-outside"),
        pytest.param("[^a-c]x", "dx", True, id="negated"),
        pytest.param("[^a-c]x", "bx", False, id="negated-inside"),
        pytest.param("[abc]", "b", True, id="set"),
        pytest.param(r"a\*b", "a*b", True, id="escaped-star"),
        pytest.param(r"a\*b", "axb", False, id="escaped-star-literal"),
        pytest.param(r"[\-x]", "-", True, id="escaped-dash-in-class"),
        pytest.param(r"[\]]", "]", True, id="escaped-bracket-in-class"),
        pytest.param("v1.*", "v1x2", False, id="dot-is-literal"),
        pytest.param("v1.*", "v1.2", True, id="dot-literal-matches"),
        pytest.param("(x|y)+", "(x|y)+", True, id="regex-chars-literal"),
        pytest.param("[α-ω]*", "λx", True, id="unicode-range"),
        pytest.param("*a*b", "xxaxxb", True, id="two-stars"),
        pytest.param("*a*b", "xxaxxbc", False, id="two-stars-suffix"),
    ],
)
def test_ignore_glob(glob: str, tag: str, matches: bool) -> None:
    tag_filter = TagFilter.parse(allow=None, ignore=glob, image=IMAGE)
    reason = tag_filter.reason_to_drop(tag)
    assert (reason == f"matches ignore-tags glob {glob}") is matches
    assert (reason is None) is not matches


@pytest.mark.parametrize(
    ("ignore", "tag", "reason"),
    [
        pytest.param(
            "regexp:(-alpha|-beta|-rc)",
            "1.1.0-beta.1",
            "matches ignore-tags regexp:(-alpha|-beta|-rc)",
            id="seed",
        ),
        pytest.param("regexp:(-rc|-alpha|-beta)", "1.1.0", None, id="seed-prod-release"),
        pytest.param("*-dev, *-tmp", "x-tmp", "matches ignore-tags glob *-tmp", id="comma-list"),
        pytest.param(" , *-dev,, ", "x-dev", "matches ignore-tags glob *-dev", id="empty-items"),
        pytest.param(
            "regexp:^a{1,2}$", "aa", "matches ignore-tags regexp:^a{1,2}$", id="regexp-keeps-commas"
        ),
        pytest.param(["*-dev", "regexp:^tmp"], "tmp-1", "matches ignore-tags regexp:^tmp", id="sequence"),
        pytest.param(["*-dev,*-tmp"], "a-tmp", "matches ignore-tags glob *-tmp", id="sequence-item-split"),
        pytest.param("latest, *-rc*", "latest", "matches ignore-tags glob latest", id="first-match-reported"),
        pytest.param((), "x", None, id="empty-sequence"),
    ],
)
def test_ignore(ignore: Sequence[str] | str, tag: str, reason: str | None) -> None:
    assert TagFilter.parse(allow=None, ignore=ignore, image=IMAGE).reason_to_drop(tag) == reason


def test_allow_reason_is_checked_first() -> None:
    tag_filter = TagFilter.parse(allow=r"regexp:^v\d+", ignore="*", image=IMAGE)
    assert tag_filter.reason_to_drop("x1") == r"does not match allow-tags regexp:^v\d+"
    assert tag_filter.reason_to_drop("v1") == "matches ignore-tags glob *"


@pytest.mark.parametrize(
    ("allow", "ignore", "fragment"),
    [
        pytest.param(
            "regexp:(a", None, "allow-tags 'regexp:(a' does not compile (missing ): (a)", id="unclosed"
        ),
        pytest.param("regexp:(?=v)", None, "does not compile", id="lookahead-not-re2"),
        pytest.param(r"regexp:(a)\1", None, "does not compile", id="backreference-not-re2"),
        pytest.param("regexp:", None, "no expression after 'regexp:'", id="empty-regexp"),
        pytest.param("^v1", None, "neither `regexp:<expression>` nor `any`", id="missing-prefix"),
        pytest.param("glob:*", None, "neither", id="unknown-function"),
        pytest.param(None, "regexp:[", "ignore-tags 'regexp:[' does not compile", id="ignore-regexp"),
        pytest.param(
            None, "a[", "ignore-tags glob 'a[' is malformed ('[' is never closed)", id="unclosed-class"
        ),
        pytest.param(None, "[^", "never closed", id="unclosed-negated"),
        pytest.param(None, "[a-", "never closed", id="unclosed-range"),
        pytest.param(None, "[]a]", "']' must be escaped", id="empty-class"),
        pytest.param(None, "[-a]", "'-' must be escaped", id="leading-dash"),
        pytest.param(None, "[a-]", "'-' must be escaped", id="trailing-dash"),
        pytest.param(None, "a\\", "trailing '\\' escapes nothing", id="trailing-backslash"),
        pytest.param(None, "[z-a]", "range z-a is reversed", id="reversed-range"),
        pytest.param(None, "ok, bad[", "glob 'bad['", id="second-item"),
    ],
)
def test_invalid_patterns_fail_closed(allow: str | None, ignore: str | None, fragment: str) -> None:
    with pytest.raises(InvalidTagFilter) as caught:
        TagFilter.parse(allow=allow, ignore=ignore, image=IMAGE)
    message = str(caught.value)
    assert fragment in message
    assert message.startswith(f"image {IMAGE}: ")
    assert message.endswith("it matches nothing until fixed")
    assert "\n" not in message


def test_invalid_regexp_is_not_logged_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InvalidTagFilter):
        TagFilter.parse(allow="regexp:(a", ignore=None, image=IMAGE)
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize(
    ("allow", "ignore"),
    [
        pytest.param("regexp:(a+)+$", None, id="allow"),
        pytest.param(None, "regexp:^(a|aa)+$", id="ignore"),
        pytest.param("regexp:(x+x+)+y", None, id="nested"),
    ],
)
def test_catastrophic_backtracking_patterns_finish_instantly(allow: str | None, ignore: str | None) -> None:
    tag_filter = TagFilter.parse(allow=allow, ignore=ignore, image=IMAGE)
    tag = "a" * 100_000 + "!" if "x" not in (allow or "") else "x" * 100_000
    started = time.perf_counter()
    tag_filter.reason_to_drop(tag)
    assert time.perf_counter() - started < 1.0


def test_glob_to_regexp_is_anchored() -> None:
    assert glob_to_regexp("a*") == r"\A(?:a[^/]*)\z"
