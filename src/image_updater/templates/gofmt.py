"""Go's `fmt` for template values: `print`, `println`, `printf` and how `{{.}}` prints a value.

`format_value` is one verb of one operand (`printf` itself, reading the format, is `printf.py`):
`%v %+v %#v %T %s %q %x %X %d %b %o %O %c %U %t %e %E %f %F %g %G` with the flags `+ - # 0 space`,
width and precision. A mismatch prints as Go does (`%!d(string=x)`). Floats print with Go's
shortest-digits `%v` (`1e+06`, `0.1`). There are no byte slices in template data, so their forms
are not special-cased.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from decimal import Decimal

from image_updater.templates.values import go_type, kind, sorted_keys, struct_fields


@dataclass(frozen=True, slots=True)
class Spec:
    """One verb and its flags, width and precision."""

    verb: str = "v"
    plus: bool = False
    minus: bool = False
    sharp: bool = False
    zero: bool = False
    space: bool = False
    width: int | None = None
    prec: int | None = None
    plus_v: bool = False  # %+v: struct field names
    sharp_v: bool = False  # %#v: Go syntax


_PLAIN = Spec()


def sprint(args: list[object]) -> str:
    """`fmt.Sprint`: a space between two operands when neither is a string."""
    out: list[str] = []
    for i, arg in enumerate(args):
        if i and not isinstance(arg, str) and not isinstance(args[i - 1], str):
            out.append(" ")
        out.append(format_value(arg, _PLAIN))
    return "".join(out)


def sprintln(args: list[object]) -> str:
    """`fmt.Sprintln`: operands separated by spaces, then a newline."""
    return " ".join(format_value(a, _PLAIN) for a in args) + "\n"


def format_value(value: object, spec: Spec | str = _PLAIN) -> str:
    """One operand formatted with one verb (or a full spec), as `fmt` prints it."""
    if isinstance(spec, str):
        spec = Spec(verb=spec)
    if spec.verb == "T":
        return _pad(go_type(value), spec)
    if spec.sharp_v:
        return _pad(_go_syntax(value), spec)
    k = kind(value)
    if k == "invalid":
        return _pad("<nil>", spec) if spec.verb == "v" else _bad(value, spec)
    if k in ("slice", "map", "struct"):
        return _composite(value, spec)
    formatter = {"bool": _fmt_bool, "int": _fmt_int, "float": _fmt_float, "string": _fmt_str}[k]
    return formatter(value, spec)


def _composite(value: object, spec: Spec) -> str:
    k = kind(value)
    if k == "slice":
        return "[" + " ".join(format_value(v, spec) for v in value) + "]"  # type: ignore[attr-defined]
    if k == "map":
        pairs = (f"{format_value(key, spec)}:{format_value(value[key], spec)}" for key in sorted_keys(value))  # type: ignore[arg-type,index]
        return "map[" + " ".join(pairs) + "]"
    fields = struct_fields(value).items()
    return "{" + " ".join((f"{n}:" if spec.plus_v else "") + format_value(v, spec) for n, v in fields) + "}"


def _go_syntax(value: object) -> str:
    k = kind(value)
    if k == "string":
        return quote(str(value))
    if k == "slice":
        items = ", ".join(_go_syntax_elem(v) for v in value)  # type: ignore[attr-defined]
        return f"{go_type(value)}{{{items}}}"
    if k == "map":
        pairs = ", ".join(f"{_go_syntax(key)}:{_go_syntax_elem(value[key])}" for key in sorted_keys(value))  # type: ignore[arg-type,index]
        return f"{go_type(value)}{{{pairs}}}"
    if k == "struct":
        fields = ", ".join(f"{n}:{_go_syntax(v)}" for n, v in struct_fields(value).items())
        return f"{go_type(value)}{{{fields}}}"
    return format_value(value, _PLAIN)


def _go_syntax_elem(value: object) -> str:
    return "interface {}(nil)" if value is None else _go_syntax(value)


def _bad(value: object, spec: Spec) -> str:
    """`%!d(string=x)`: the value as `%v` with the verb's flags and width, as Go's badVerb."""
    inner = "<nil>" if value is None else f"{go_type(value)}={format_value(value, replace(spec, verb='v'))}"
    return f"%!{spec.verb}({inner})"


def _pad(text: str, spec: Spec, *, zeros: bool = True) -> str:
    """Pad to the width: left with spaces (zeros with `0`, even for strings, as Go), `-` right."""
    if spec.width is None or len(text) >= spec.width:
        return text
    fill = spec.width - len(text)
    if spec.minus:
        return text + " " * fill
    return ("0" if zeros and spec.zero else " ") * fill + text


def _fmt_bool(value: object, spec: Spec) -> str:
    if spec.verb not in "tv":
        return _bad(value, spec)
    return _pad("true" if value else "false", spec)


_INT_BASES = {"d": 10, "v": 10, "b": 2, "o": 8, "O": 8, "x": 16, "X": 16}


def _fmt_int(value: object, spec: Spec) -> str:
    assert isinstance(value, int)
    verb = spec.verb
    if verb == "c":
        return _pad(_rune(value), spec)
    if verb == "q":
        return _pad(quote(_rune(value), quote_char="'", ascii_only=spec.plus), spec)
    if verb == "U":
        text = f"U+{value:04X}" + (f" '{_rune(value)}'" if spec.sharp else "")
        return _pad(text, spec)
    if verb not in _INT_BASES:
        return _bad(value, spec)
    return _pad(_int_text(value, spec), spec, zeros=False)


def _int_text(value: int, spec: Spec) -> str:
    base = _INT_BASES[spec.verb]
    digits = _digits(abs(value), base, upper=spec.verb == "X")
    if spec.prec is not None:
        digits = "" if spec.prec == 0 and value == 0 else digits.rjust(spec.prec, "0")
    elif spec.zero and not spec.minus and spec.width is not None:
        signed = value < 0 or spec.plus or spec.space
        digits = digits.rjust(spec.width - (1 if signed else 0), "0")
    prefix = ""
    if spec.sharp:
        prefix = {2: "0b", 16: "0X" if spec.verb == "X" else "0x"}.get(base, "")
        if base == 8 and not digits.startswith("0"):
            prefix = "0"
    if spec.verb == "O":
        prefix = "0o"
    sign = "-" if value < 0 else "+" if spec.plus else " " if spec.space else ""
    return sign + prefix + digits


def _digits(value: int, base: int, *, upper: bool) -> str:
    text = {2: f"{value:b}", 8: f"{value:o}", 10: f"{value:d}", 16: f"{value:x}"}[base]
    return text.upper() if upper else text


def _rune(value: int) -> str:
    return chr(value) if 0 <= value <= 0x10FFFF and not 0xD800 <= value <= 0xDFFF else "\ufffd"


def _fmt_float(value: object, spec: Spec) -> str:
    assert isinstance(value, float)
    verb = "g" if spec.verb == "v" else spec.verb
    if verb not in "eEfFgGbxX":
        return _bad(value, spec)
    num = _float_text(value, verb, spec.prec)
    signed = num[0] in "+-"
    body = num[1:] if signed else num
    sign = (
        num[0] if signed and (num[0] == "-" or spec.plus) else "+" if spec.plus else " " if spec.space else ""
    )
    if body in ("Inf", "NaN"):
        return _pad(
            ("" if body == "NaN" and not (spec.plus or spec.space) else sign or "+") + body, spec, zeros=False
        )
    if spec.zero and not spec.minus and spec.width is not None:
        return sign + body.rjust(spec.width - len(sign), "0")
    return _pad(sign + body, spec, zeros=False)


def _float_text(value: float, verb: str, prec: int | None) -> str:
    """strconv.FormatFloat(value, verb, prec or -1 for shortest, 64)."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    value = abs(value)
    if verb == "b":
        mantissa, exp = math.frexp(value)
        return f"{sign}{int(mantissa * 2**53)}p{exp - 53:+d}" if value else f"{sign}0p-1074"
    if verb in "xX":
        text = _hex_float(value, prec)
        return sign + (text.upper().replace("0X", "0X") if verb == "X" else text)
    if prec is None and verb in "eEfFgG":
        prec = -1 if verb in "gG" else 6
    if prec is not None and prec >= 0:
        return sign + format(value, f".{prec}{verb}")
    return sign + _shortest(value, upper=verb == "G")


def _hex_float(value: float, prec: int | None) -> str:
    mantissa, _, exp = value.hex().partition("p")
    head, _, frac = mantissa.partition(".")
    frac = frac.rstrip("0") if prec is None else frac[:prec].ljust(prec, "0")
    exp_num = int(exp)
    return f"{head}{'.' + frac if frac else ''}p{'+' if exp_num >= 0 else '-'}{abs(exp_num):02d}"


def _shortest(value: float, *, upper: bool) -> str:
    """Go's `%v`/`%g` of a float: shortest digits, exponent form below 1e-4 and from 1e6."""
    _, digit_tuple, exp = Decimal(repr(value)).normalize().as_tuple()
    digits = "".join(map(str, digit_tuple))
    point = len(digits) + int(exp)  # decimal point position, as strconv's `dp`
    if value == 0:
        digits, point = "0", 1
    if point - 1 < -4 or point - 1 >= 6:  # strconv: shortest `%g` switches at precision 6
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        e = point - 1
        return f"{mantissa}{'E' if upper else 'e'}{'+' if e >= 0 else '-'}{abs(e):02d}"
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def _fmt_str(value: object, spec: Spec) -> str:
    text = str(value)
    if spec.verb not in "vsqxX":
        return _bad(value, spec)
    if spec.prec is not None:
        text = text[: spec.prec]
    if spec.verb == "q":
        text = f"`{text}`" if spec.sharp and can_backquote(text) else quote(text, ascii_only=spec.plus)
    elif spec.verb in "xX":
        text = _hex_bytes(text.encode(), spec)
    return _pad(text, spec)


def _hex_bytes(data: bytes, spec: Spec) -> str:
    pattern = "{:02X}" if spec.verb == "X" else "{:02x}"
    prefix = ("0X" if spec.verb == "X" else "0x") if spec.sharp else ""
    if spec.space:
        return " ".join(prefix + pattern.format(b) for b in data)
    return prefix + "".join(pattern.format(b) for b in data) if data else ""


_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}


def quote(text: str, *, quote_char: str = '"', ascii_only: bool = False) -> str:
    """strconv.Quote (or QuoteRune with `'`, QuoteToASCII with `ascii_only`)."""
    out = [quote_char]
    for char in text:
        code = ord(char)
        if char in (quote_char, "\\"):
            out.append("\\" + char)
        elif char.isprintable() and (code < 0x80 or not ascii_only):
            out.append(char)
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append(quote_char)
    return "".join(out)


def can_backquote(text: str) -> bool:
    """strconv.CanBackquote: no backquote, no control character but tab, no BOM."""
    return all(c == "\t" or (c >= " " and c not in "`\x7f\ufeff") for c in text)
