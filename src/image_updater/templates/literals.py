"""Go literals in templates: strconv.Unquote for strings and characters, and number constants
as Go's parser reads them (`0x1F`, `0o17`, `017`, `1_000`, `1e3`, `0x1p-2`, `'a'`).

Errors are Go's messages, raised as InvalidWriteBackConfig for the parser to place. Complex
constants (`1i`) are rejected: no template needs them.
"""

from __future__ import annotations

import re

from image_updater.errors import InvalidWriteBackConfig
from image_updater.templates.gofmt import quote

_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}
_HEX_ESC = {"x": 2, "u": 4, "U": 8}
_INT64 = 2**63


def unquote(literal: str) -> str:
    """A quoted or raw string literal's text (a raw string loses its carriage returns, as in Go)."""
    if literal.startswith("`"):
        return literal[1:-1].replace("\r", "")
    text, rest = "", literal[1:-1]
    while rest:
        char, rest = unquote_char(rest, '"')
        text += char
    return text


def unquote_char(text: str, quote_char: str) -> tuple[str, str]:
    """strconv.UnquoteChar: the first (possibly escaped) character and the rest."""
    if text[0] != "\\":
        if text[0] == quote_char:
            raise InvalidWriteBackConfig("invalid syntax")
        return text[0], text[1:]
    code = text[1:2]
    if code in _ESCAPES and (code not in "'\"" or code == quote_char):
        return _ESCAPES[code], text[2:]
    if code in _HEX_ESC:
        digits = text[2 : 2 + _HEX_ESC[code]]
        if len(digits) == _HEX_ESC[code] and re.fullmatch(r"[0-9a-fA-F]+", digits):
            value = int(digits, 16)
            if value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF:
                return chr(value), text[2 + _HEX_ESC[code] :]
    if re.match(r"[0-7]{3}", text[1:4]) and int(text[1:4], 8) <= 255:
        return chr(int(text[1:4], 8)), text[4:]
    raise InvalidWriteBackConfig("invalid syntax")


def number_value(text: str, *, char: bool) -> tuple[int | float, bool]:
    """The constant's value as Go's idealConstant makes it, and whether it overflows an int."""
    if char:
        value, tail = unquote_char(text[1:], "'") if len(text) > 2 else ("", "")
        if tail != "'":
            raise InvalidWriteBackConfig(f"malformed character constant: {text}")
        return ord(value), False
    if text.endswith("i"):
        raise InvalidWriteBackConfig(f"complex constant {text} is not supported")
    as_int = _parse_int(text)
    if as_int is not None:
        if not -_INT64 <= as_int < 2 * _INT64:
            raise InvalidWriteBackConfig(f"integer overflow: {quote(text)}")
        return as_int, as_int >= _INT64  # a uint64 that does not fit an int
    as_float = _parse_float(text)
    if as_float is None:
        raise InvalidWriteBackConfig(f"illegal number syntax: {quote(text)}")
    if not re.search(r"[.eEpP]", text):
        raise InvalidWriteBackConfig(f"integer overflow: {quote(text)}")
    return as_float, False


def _parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64) without the range check: Go's forms, a leading 0 for octal."""
    sign, body = (text[0], text[1:]) if text[:1] in "+-" else ("", text)
    if re.fullmatch(r"0[0-7_]+", body):
        body = "0o" + body[1:]
    try:
        value = int(body, 0)
    except ValueError:
        return None
    return -value if sign == "-" else value


def _parse_float(text: str) -> float | None:
    try:
        return float.fromhex(text) if re.match(r"[+-]?0[xX]", text) else float(text)
    except (ValueError, OverflowError):  # fromhex overflows where Go's ParseFloat says ErrRange
        return None
