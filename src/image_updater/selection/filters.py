"""allow-tags and ignore-tags: which tag names a strategy may consider at all.

`allow-tags` is `regexp:<RE2 expression>` or `any` (unset means any). `ignore-tags` is a list of
Go `filepath.Match` globs separated by commas (`*` and `?` do not cross `/`, `[...]` classes,
`\\` escapes); an item may also be `regexp:<expression>`, as the seed article writes it. A string
that starts with `regexp:` is one expression, commas and all.

Regular expressions use RE2 (the syntax of Go's `regexp`, matching in linear time, so a pattern
such as `(a+)+$` cannot stall a cycle) and match anywhere in the tag, like Go's `MatchString`;
anchor with `^…$` to match the whole tag. Globs match the whole tag. Every pattern is compiled
once in `TagFilter.parse`; a pattern that does not compile is an `InvalidTagFilter` naming the
image and the pattern: the image gets no update until it is fixed (upstream silently matched
nothing). So are more than MAX_IGNORE_RULES ignore patterns and a pattern longer (as RE2) than
MAX_PATTERN_LENGTH: every listed tag is matched against every rule. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import re2

from image_updater.errors import InvalidTagFilter
from image_updater.text import printable

_REGEXP = "regexp:"
# Every listed tag (up to 200,000) is matched against every rule: these keep a hostile annotation's
# screening to seconds (measured: 20,000 globs took 43 s for 1,000 tags). No real filter nears them.
MAX_IGNORE_RULES = 100
MAX_PATTERN_LENGTH = 1024


@dataclass(frozen=True, slots=True)
class TagRule:
    """One compiled pattern; `text` is how the user wrote it (`regexp:^v\\d+`, `glob *-rc*`)."""

    text: str
    pattern: Any = field(compare=False, repr=False)  # a compiled re2 expression (re2 ships no types)

    def matches(self, tag: str) -> bool:
        # As UTF-8 bytes: the same answer (RE2 matches UTF-8), without the wrapper's per-call
        # character-offset bookkeeping for str, which costs more than the match itself.
        return self.pattern.search(tag.encode()) is not None


@dataclass(frozen=True, slots=True)
class TagFilter:
    """The allow rule (None = any tag) and the ignore rules of one image."""

    allow: TagRule | None = None
    ignore: tuple[TagRule, ...] = ()

    @classmethod
    def parse(cls, *, allow: str | None, ignore: Sequence[str] | str | None, image: str) -> TagFilter:
        """Compile the annotations' text; raises InvalidTagFilter naming `image` and the pattern."""
        return cls(allow=_parse_allow(allow, image), ignore=_parse_ignore(ignore, image))

    def passes(self, tag: str) -> bool:
        """`reason_to_drop(tag) is None`, without wording a reason (the cycle does not explain)."""
        if self.allow is not None and not self.allow.matches(tag):
            return False
        return not any(rule.matches(tag) for rule in self.ignore)

    def reason_to_drop(self, tag: str) -> str | None:
        """None if the tag passes, else why it is dropped, in words for `--explain`."""
        if self.allow is not None and not self.allow.matches(tag):
            return f"does not match allow-tags {self.allow.text}"
        for rule in self.ignore:
            if rule.matches(tag):
                return f"matches ignore-tags {rule.text}"
        return None


def _parse_allow(text: str | None, image: str) -> TagRule | None:
    text = (text or "").strip()
    if not text or text.lower() == "any":
        return None
    if _is_regexp(text):
        return _regexp_rule(text, "allow-tags", image)
    raise InvalidTagFilter(
        f"image {image}: allow-tags {printable(repr(text), limit=100)} is neither `regexp:<expression>` "
        "nor `any`; it matches nothing until fixed"
    )


def _parse_ignore(ignore: Sequence[str] | str | None, image: str) -> tuple[TagRule, ...]:
    if ignore is None:
        return ()
    texts = [ignore] if isinstance(ignore, str) else list(ignore)
    items = [item for text in texts for item in _split_ignore(text)]
    if len(items) > MAX_IGNORE_RULES:
        raise InvalidTagFilter(
            f"image {image}: ignore-tags lists {len(items)} patterns; at most {MAX_IGNORE_RULES} are allowed"
        )
    return tuple(_ignore_rule(item, image) for item in items)


def _split_ignore(text: str) -> list[str]:
    if _is_regexp(text.strip()):
        return [text.strip()]
    return [item.strip() for item in text.split(",") if item.strip()]


def _ignore_rule(item: str, image: str) -> TagRule:
    if _is_regexp(item):
        return _regexp_rule(item, "ignore-tags", image)
    try:
        expression = glob_to_regexp(item)
    except ValueError as err:
        raise InvalidTagFilter(
            f"image {image}: ignore-tags glob {printable(repr(item), limit=100)} is malformed ({err}); "
            "it matches nothing until fixed"
        ) from None
    return TagRule(f"glob {item}", _compile(expression, f"ignore-tags glob {item!r}", image))


def _is_regexp(text: str) -> bool:
    return text[: len(_REGEXP)].lower() == _REGEXP


def _regexp_rule(text: str, key: str, image: str) -> TagRule:
    expression = text[len(_REGEXP) :]
    if not expression:
        raise InvalidTagFilter(
            f"image {image}: {key} {text!r} has no expression after 'regexp:'; it matches nothing until fixed"
        )
    return TagRule(f"{_REGEXP}{expression}", _compile(expression, f"{key} {text!r}", image))


def _compile(expression: str, what: str, image: str) -> Any:
    if len(expression) > MAX_PATTERN_LENGTH:
        raise InvalidTagFilter(
            f"image {image}: {printable(what, limit=100)} is longer than {MAX_PATTERN_LENGTH} characters"
        )
    options = re2.Options()
    options.log_errors = False  # the error is reported to the user below, not to stderr
    try:
        return re2.compile(expression, options=options)
    except re2.error as err:
        detail = err.args[0].decode(errors="replace") if err.args and isinstance(err.args[0], bytes) else err
        raise InvalidTagFilter(
            f"image {image}: {what} does not compile ({detail}); it matches nothing until fixed"
        ) from None


def glob_to_regexp(glob: str) -> str:
    """Translate a Go `filepath.Match` pattern into an anchored RE2 expression.

    Raises ValueError for the patterns Go reports as `ErrBadPattern`: a trailing `\\`, an
    unclosed or empty `[...]`, or an unescaped `-` or `]` where a class character is expected.
    A reversed range (`[z-a]`) is an error too; Go accepts it and it silently matches nothing.
    """
    out: list[str] = []
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            expression, i = _glob_class(glob, i + 1)
            out.append(expression)
            continue
        else:
            literal, i = _glob_char(glob, i)
            out.append(_literal(literal))
            continue
        i += 1
    return r"\A(?:" + "".join(out) + r")\z"


def _glob_class(glob: str, i: int) -> tuple[str, int]:
    """Parse a class whose `[` is just before `i`; return its RE2 form and the index after `]`."""
    negate = i < len(glob) and glob[i] == "^"
    i += negate
    ranges: list[str] = []
    while True:
        if i >= len(glob):
            raise ValueError("'[' is never closed")
        if glob[i] == "]" and ranges:
            return ("[^" if negate else "[") + "".join(ranges) + "]", i + 1
        low, i = _class_char(glob, i)
        high = low
        if i < len(glob) and glob[i] == "-":
            if glob[i + 1 : i + 2] == "]":
                raise ValueError("'-' must be escaped as '\\-' inside [...]")
            high, i = _class_char(glob, i + 1)
            if high < low:
                raise ValueError(f"range {low}-{high} is reversed; write {high}-{low}")
        ranges.append(_literal(low) if low == high else f"{_literal(low)}-{_literal(high)}")


def _class_char(glob: str, i: int) -> tuple[str, int]:
    if i >= len(glob):
        raise ValueError("'[' is never closed")
    if glob[i] in "-]":
        raise ValueError(f"{glob[i]!r} must be escaped as '\\{glob[i]}' inside [...]")
    return _glob_char(glob, i)


def _glob_char(glob: str, i: int) -> tuple[str, int]:
    if glob[i] != "\\":
        return glob[i], i + 1
    if i + 1 >= len(glob):
        raise ValueError("a trailing '\\' escapes nothing")
    return glob[i + 1], i + 2


def _literal(char: str) -> str:
    return char if char.isascii() and char.isalnum() else f"\\x{{{ord(char):x}}}"
