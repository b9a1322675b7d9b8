"""Go's `fmt.Sprintf` format reading: flags, width and precision (also `*`), explicit argument
indexes (`%[2]d`), `%%`, and Go's notes for what does not fit (`%!s(MISSING)`, `%!(EXTRA int=1)`,
`%!(NOVERB)`, `%!(BADWIDTH)`, `%!(BADPREC)`, `%!v(BADINDEX)`). Each verb is `gofmt.format_value`.
"""

from __future__ import annotations

from dataclasses import replace

from image_updater.templates.gofmt import Spec, format_value
from image_updater.templates.values import go_type

_MAX_NUM = 1_000_000  # Go's fmt: larger widths and precisions are ignored
_DIGITS = frozenset("0123456789")  # str.isdigit also takes '²', which int() refuses


def sprintf(fmt: str, args: list[object]) -> str:
    """`fmt.Sprintf`."""
    return _Printf(fmt, args).run()


class _Printf:
    """One `fmt.Sprintf` call: walks the format, consuming arguments as Go's doPrintf does."""

    def __init__(self, fmt: str, args: list[object]) -> None:
        self.fmt, self.args, self.pos, self.arg = fmt, args, 0, 0
        self.reordered = False
        self.good_index = True
        self.out: list[str] = []

    def run(self) -> str:
        while self.pos < len(self.fmt):
            start = self.fmt.find("%", self.pos)
            if start == -1:
                self.out.append(self.fmt[self.pos :])
                break
            self.out.append(self.fmt[self.pos : start])
            self.pos = start + 1
            self._verb()
        if not self.reordered and self.arg < len(self.args):
            extra = ", ".join(
                "<nil>" if a is None else f"{go_type(a)}={format_value(a)}" for a in self.args[self.arg :]
            )
            self.out.append(f"%!(EXTRA {extra})")
        return "".join(self.out)

    def _verb(self) -> None:
        spec, self.good_index = self._flags(), True
        after_index = self._index()
        spec, after_index = self._width(spec, after_index)
        spec, after_index = self._precision(spec, after_index)
        if not after_index:
            self._index()
        if self.pos >= len(self.fmt):
            self.out.append("%!(NOVERB)")
            return
        verb = self.fmt[self.pos]
        self.pos += 1
        if verb == "%":
            self.out.append("%")
        elif not self.good_index:
            self.out.append(f"%!{verb}(BADINDEX)")
        elif self.arg >= len(self.args):
            self.out.append(f"%!{verb}(MISSING)")
        else:
            if verb == "v":  # `+` and `#` mean field names and Go syntax, not sign and base
                spec = replace(spec, plus_v=spec.plus, sharp_v=spec.sharp, plus=False, sharp=False)
            self.out.append(format_value(self.args[self.arg], replace(spec, verb=verb)))
            self.arg += 1

    def _flags(self) -> Spec:
        start = self.pos
        while self.pos < len(self.fmt) and self.fmt[self.pos] in "#0+- ":
            self.pos += 1
        flags = self.fmt[start : self.pos]
        return Spec(
            sharp="#" in flags, plus="+" in flags, minus="-" in flags, space=" " in flags,
            zero="0" in flags and "-" not in flags,
        )  # fmt: skip

    def _index(self) -> bool:
        """An explicit `[n]` argument index; a bad one makes the verb print `%!v(BADINDEX)`."""
        if self.pos >= len(self.fmt) or self.fmt[self.pos] != "[":
            return False
        self.reordered = True
        close = self.fmt.find("]", self.pos)
        text = self.fmt[self.pos + 1 : close] if close != -1 else ""
        if close == -1 or not _is_number(text) or not 1 <= int(text) <= len(self.args):
            self.good_index = False
            self.pos = close + 1 if close != -1 else len(self.fmt)
            return True
        self.arg, self.pos = int(text) - 1, close + 1
        return True

    def _number(self) -> int | None:
        start = self.pos
        while self.pos < len(self.fmt) and self.fmt[self.pos] in _DIGITS:
            self.pos += 1
        if self.pos == start or not _is_number(self.fmt[start : self.pos]):
            return None
        number = int(self.fmt[start : self.pos])
        return number if number <= _MAX_NUM else None

    def _star(self) -> int | None:
        self.pos += 1
        value = self.args[self.arg] if self.arg < len(self.args) else None
        self.arg += 1
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= _MAX_NUM:
            return value
        return None

    def _width(self, spec: Spec, after_index: bool) -> tuple[Spec, bool]:
        if self.pos < len(self.fmt) and self.fmt[self.pos] == "*":
            width = self._star()
            if width is None:
                self.out.append("%!(BADWIDTH)")
                return spec, False
            if width < 0:
                return replace(spec, width=-width, minus=True, zero=False), False
            return replace(spec, width=width), False
        width = self._number()
        if after_index and width is not None:
            self.good_index = False
        return replace(spec, width=width), after_index

    def _precision(self, spec: Spec, after_index: bool) -> tuple[Spec, bool]:
        if not (self.pos + 1 < len(self.fmt) and self.fmt[self.pos] == "."):
            return spec, after_index
        self.pos += 1
        if after_index:
            self.good_index = False
        after_index = self._index()
        if self.pos < len(self.fmt) and self.fmt[self.pos] == "*":
            prec = self._star()
            if prec is None:
                self.out.append("%!(BADPREC)")
            return replace(spec, prec=prec if prec is not None and prec >= 0 else None), False
        return replace(spec, prec=self._number() or 0), after_index


def _is_number(text: str) -> bool:
    """ASCII digits, few enough for int() (a 5,000-digit one would exceed Python's digit limit)."""
    return 0 < len(text) <= 9 and all(char in _DIGITS for char in text)
