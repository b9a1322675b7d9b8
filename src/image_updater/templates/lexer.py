"""Go text/template's lexer (text/template/parse/lex.go): the template text as a list of items.

Delimiters are `{{`/`}}`; `{{- ` and ` -}}` trim the adjacent text's white space (space, tab,
CR, LF); comments are `{{/* … */}}` right after the delimiter (and its trim marker). Newlines
are allowed inside actions. A lexing error ends the list with an `error` item, as Go's lexer
stops at its first error, so the parser reports whatever comes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from image_updater.templates.gofmt import quote

ItemType: TypeAlias = Literal[
    "text", "left_delim", "right_delim", "space", "field", "variable", "identifier", "keyword",
    "bool", "nil", "number", "char_constant", "complex", "string", "raw_string", "pipe",
    "left_paren", "right_paren", "assign", "declare", "char", "dot", "eof", "error",
]  # fmt: skip

KEYWORDS = frozenset(
    {"block", "break", "continue", "define", "else", "end", "if", "range", "template", "with"}
)
SPACE = " \t\r\n"
_TERMINATORS = frozenset(SPACE + ".,|:)(")
_QUOTES: dict[str, tuple[ItemType, str]] = {
    '"': ("string", "unterminated quoted string"),
    "'": ("char_constant", "unterminated character constant"),
    "`": ("raw_string", "unterminated raw quoted string"),
}
_OPERATORS: dict[str, ItemType] = {"=": "assign", ":": "declare", "|": "pipe"}


@dataclass(frozen=True, slots=True)
class Item:
    """One lexical item: its type, its text and its offset in the template."""

    type: ItemType
    value: str
    pos: int

    def __str__(self) -> str:  # as Go's item.String, quoted in parse errors
        if self.type == "eof":
            return "EOF"
        if self.type == "error":
            return self.value
        if self.type in ("keyword", "nil", "dot"):
            return f"<{self.value}>"
        if len(self.value) > 10:
            return quote(self.value[:10]) + "..."
        return quote(self.value)


def _alnum(char: str) -> bool:
    return char == "_" or char.isalnum()


class _Lexer:
    def __init__(self, text: str) -> None:
        self.text, self.pos, self.start = text, 0, 0
        self.items: list[Item] = []
        self.paren_depth = 0

    def emit(self, kind: ItemType) -> None:
        self.items.append(Item(kind, self.text[self.start : self.pos], self.start))
        self.start = self.pos

    def error(self, message: str) -> bool:
        self.items.append(Item("error", message, self.start))
        return False

    def peek(self, offset: int = 0) -> str:
        at = self.pos + offset
        return self.text[at] if at < len(self.text) else ""

    def at_right_delim(self) -> tuple[bool, bool]:
        """(at the closing `}}`, with a ` -` trim marker before it)."""
        rest = self.text[self.pos :]
        if len(rest) >= 2 and rest[0] in SPACE and rest[1] == "-" and rest[2:].startswith("}}"):
            return True, True
        return rest.startswith("}}"), False

    def run(self) -> list[Item]:
        while self.lex_text() and self.lex_action():
            pass
        return self.items

    def lex_text(self) -> bool:
        """Text up to the next `{{` (trimmed if it is `{{- `); False at the end of input."""
        found = self.text.find("{{", self.pos)
        end = len(self.text) if found == -1 else found
        trimmed = end
        if found != -1 and _left_trim_marker(self.text, found + 2):
            trimmed = len(self.text[self.start : end].rstrip(SPACE)) + self.start
        if trimmed > self.start:
            self.items.append(Item("text", self.text[self.start : trimmed], self.start))
        self.pos = self.start = end
        if found == -1:
            self.items.append(Item("eof", "", end))
            return False
        return True

    def lex_action(self) -> bool:
        """From `{{` through `}}` (a comment is skipped whole); False on an error."""
        self.pos += 2
        trim = 2 if _left_trim_marker(self.text, self.pos) else 0
        if self.text.startswith("/*", self.pos + trim):
            self.pos += trim
            self.start = self.pos
            return self.lex_comment()
        self.emit("left_delim")
        self.pos += trim
        self.start = self.pos
        self.paren_depth = 0
        while True:
            at_delim, trimmed = self.at_right_delim()
            if at_delim and self.paren_depth == 0:
                self.lex_right_delim(trimmed)
                return True
            if at_delim:
                return self.error("unclosed left paren")
            if not self.lex_inside_action():
                return False

    def lex_comment(self) -> bool:
        end = self.text.find("*/", self.pos + 2)
        if end == -1:
            return self.error("unclosed comment")
        self.pos = end + 2
        at_delim, trimmed = self.at_right_delim()
        if not at_delim:
            return self.error("comment ends before closing delimiter")
        self.pos += 4 if trimmed else 2
        self.skip_trimmed_space(trimmed)
        return True

    def lex_right_delim(self, trimmed: bool) -> None:
        if trimmed:
            self.pos += 2
            self.start = self.pos
        self.pos += 2
        self.emit("right_delim")
        self.skip_trimmed_space(trimmed)

    def skip_trimmed_space(self, trimmed: bool) -> None:
        if trimmed:
            while self.peek() and self.peek() in SPACE:
                self.pos += 1
        self.start = self.pos

    def lex_inside_action(self) -> bool:
        """One item inside an action (Go's lexInsideAction)."""
        char = self.peek()
        if char == "":
            return self.error("unclosed action")
        if char in SPACE:
            return self.lex_space()
        if char in _QUOTES:
            return self.lex_quote(char, *_QUOTES[char]) if char != "`" else self.lex_raw_quote()
        if char in _OPERATORS:
            return self.lex_operator(char)
        if char in "$.":
            return self.lex_field_or_variable(char)
        if char in "+-" or char.isdigit():
            return self.lex_number()
        if _alnum(char):
            return self.lex_identifier()
        return self.lex_other(char)

    def lex_operator(self, char: str) -> bool:
        if char != ":":
            return self.single(_OPERATORS[char])
        if self.peek(1) != "=":
            self.pos += 1
            return self.error("expected :=")
        self.pos += 2
        self.emit("declare")
        return True

    def lex_other(self, char: str) -> bool:
        if char == "(":
            self.paren_depth += 1
            return self.single("left_paren")
        if char == ")":
            self.paren_depth -= 1
            if self.paren_depth < 0:
                self.pos += 1
                return self.error("unexpected right paren")
            return self.single("right_paren")
        if char.isascii() and char.isprintable():
            return self.single("char")
        self.pos += 1
        return self.error(
            f"unrecognized character in action: U+{ord(char):04X} {quote(char, quote_char=chr(39))}"
        )

    def single(self, kind: ItemType) -> bool:
        self.pos += 1
        self.emit(kind)
        return True

    def lex_space(self) -> bool:
        count = 0
        while self.peek() and self.peek() in SPACE:
            self.pos += 1
            count += 1
        # The space before a ` -}}` belongs to the trim marker.
        if self.peek() == "-" and self.text.startswith("}}", self.pos + 1):
            self.pos -= 1
            if count == 1:
                return True
        self.emit("space")
        return True

    def lex_quote(self, delim: str, kind: ItemType, unterminated: str) -> bool:
        self.pos += 1
        while True:
            char = self.peek()
            self.pos += 1
            if char == "\\" and self.peek() not in ("", "\n"):
                self.pos += 1
            elif char in ("", "\n", "\\"):
                return self.error(unterminated)
            elif char == delim:
                self.emit(kind)
                return True

    def lex_raw_quote(self) -> bool:
        end = self.text.find("`", self.pos + 1)
        if end == -1:
            self.pos = len(self.text)
            return self.error("unterminated raw quoted string")
        self.pos = end + 1
        self.emit("raw_string")
        return True

    def at_terminator(self) -> bool:
        char = self.peek()
        return char == "" or char in _TERMINATORS or self.text.startswith("}}", self.pos)

    def lex_field_or_variable(self, sigil: str) -> bool:
        if sigil == "." and self.peek(1).isdigit():
            return self.lex_number()
        self.pos += 1
        if self.at_terminator():
            self.emit("dot" if sigil == "." else "variable")
            return True
        while _alnum(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            return self.bad_character()
        self.emit("field" if sigil == "." else "variable")
        return True

    def bad_character(self) -> bool:
        char = self.peek()
        self.pos += 1
        return self.error(f"bad character U+{ord(char):04X} {quote(char, quote_char=chr(39))}")

    def lex_identifier(self) -> bool:
        while _alnum(self.peek()):
            self.pos += 1
        if not self.at_terminator():
            return self.bad_character()
        word = self.text[self.start : self.pos]
        self.emit(
            "keyword"
            if word in KEYWORDS
            else "nil"
            if word == "nil"
            else "bool"
            if word in ("true", "false")
            else "identifier"
        )
        return True

    def lex_number(self) -> bool:
        if not self.scan_number():
            return self.error(f"bad number syntax: {quote(self.text[self.start : self.pos])}")
        if self.peek() in ("+", "-") and self.peek() != "":
            if not self.scan_number() or self.text[self.pos - 1] != "i":
                return self.error(f"bad number syntax: {quote(self.text[self.start : self.pos])}")
            self.emit("complex")
            return True
        self.emit("number")
        return True

    def accept(self, chars: str) -> bool:
        if self.peek() and self.peek() in chars:
            self.pos += 1
            return True
        return False

    def accept_run(self, chars: str) -> None:
        while self.accept(chars):
            pass

    def scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if _alnum(self.peek()):
            self.pos += 1
            return False
        return True


def _left_trim_marker(text: str, at: int) -> bool:
    return text[at : at + 1] == "-" and text[at + 1 : at + 2] != "" and text[at + 1] in SPACE


def lex(text: str) -> list[Item]:
    """All items of `text`, ending with `eof` or, at the first lexing error, `error`."""
    return _Lexer(text).run()
