"""text/template's built-in functions (text/template/funcs.go), with Go's results and errors.

Each takes evaluated values and raises InvalidWriteBackConfig with Go's message; the executor
prefixes it with `error calling NAME:`. `and`/`or` short-circuit in the executor (Go 1.18);
`call` has no function values to call here, so it always fails as Go does for a non-function.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from image_updater.errors import InvalidWriteBackConfig
from image_updater.templates.gofmt import format_value, sprint, sprintln
from image_updater.templates.printf import sprintf
from image_updater.templates.values import go_type, kind, map_zero, truth


@dataclass(frozen=True, slots=True)
class Builtin:
    """A built-in: its Python body and Go's arity (`fixed` arguments, then any if `variadic`)."""

    call: Callable[..., object]
    fixed: int
    variadic: bool = False


def _fail(message: str) -> InvalidWriteBackConfig:
    return InvalidWriteBackConfig(message)


def _length(item: object) -> int:
    k = kind(item)
    if k == "invalid":
        raise _fail("reflect: call of reflect.Value.Type on zero Value")
    if k == "string":
        return len(str(item).encode())  # Go counts bytes
    if k in ("slice", "map"):
        return len(item)  # type: ignore[arg-type]
    raise _fail(f"len of type {go_type(item)}")


def _index_arg(index: object, cap: int) -> int:
    if kind(index) != "int":
        raise _fail(
            "cannot index slice/array with nil"
            if index is None
            else f"cannot index slice/array with type {go_type(index)}"
        )
    assert isinstance(index, int)
    if index < 0 or index > cap:
        raise _fail(f"index out of range: {index}")
    return index


def _index(item: object, *indexes: object) -> object:
    if item is None:
        raise _fail("index of untyped nil")
    for index in indexes:
        k = kind(item)
        if item is None:
            raise _fail("index of nil pointer")
        if k in ("slice", "string"):
            sequence = str(item).encode() if k == "string" else item
            at = _index_arg(index, len(sequence))  # type: ignore[arg-type]
            if at == len(sequence):  # type: ignore[arg-type]
                raise _fail(f"reflect: {'string' if k == 'string' else 'slice'} index out of range")
            item = sequence[at]  # type: ignore[index]
        elif k == "map":
            item = _map_index(item, index)  # type: ignore[arg-type]
        else:
            raise _fail(f"can't index item of type {go_type(item)}")
    return item


def _map_index(item: Mapping[object, object], index: object) -> object:
    if index is None:
        raise _fail("value is nil; should be of type string")
    if not isinstance(index, str):
        raise _fail(f"value has type {go_type(index)}; should be string")
    return item[index] if index in item else map_zero(item)


def _slice(item: object, *indexes: object) -> object:
    if item is None:
        raise _fail("slice of untyped nil")
    if len(indexes) > 3:
        raise _fail(f"too many slice indexes: {len(indexes)}")
    k = kind(item)
    if k == "string" and len(indexes) == 3:
        raise _fail("cannot 3-index slice a string")
    if k not in ("string", "slice"):
        raise _fail(f"can't slice item of type {go_type(item)}")
    sequence = str(item).encode() if k == "string" else list(item)  # type: ignore[call-overload]
    bounds = [0, len(sequence), len(sequence)]
    for i, index in enumerate(indexes):
        bounds[i] = _index_arg(index, len(sequence))
    for low, high in ((bounds[0], bounds[1]), (bounds[1], bounds[2])):
        if low > high:
            raise _fail(f"invalid slice index: {low} > {high}")
    part = sequence[bounds[0] : bounds[1]]
    return part.decode(errors="replace") if isinstance(part, bytes) else part


_BASIC = {"bool", "int", "float", "string"}


def _eq(arg1: object, *others: object) -> bool:
    if not others:
        raise _fail("missing argument for comparison")
    k1 = kind(arg1)
    for arg in others:
        k2 = kind(arg)
        if k1 != k2:
            if arg1 is not None and arg is not None:
                raise _fail(f"incompatible types for comparison: {go_type(arg1)} and {go_type(arg)}")
        elif k1 in _BASIC:
            if arg1 == arg:
                return True
        elif arg1 is None or arg is None:
            if arg1 is arg:
                return True
        elif k1 in ("slice", "map") or not _comparable(arg):
            raise _fail(f"non-comparable type {format_value(arg, 's')}: {go_type(arg)}")
        elif arg1 == arg:
            return True
    return False


def _comparable(value: object) -> bool:
    k = kind(value)
    if k in ("slice", "map"):
        return False
    if k == "struct":
        return all(_comparable(getattr(value, name)) for name in value.__dataclass_fields__)  # type: ignore[attr-defined]
    return True


def _lt(arg1: object, arg2: object) -> bool:
    k1, k2 = kind(arg1), kind(arg2)
    if k1 not in _BASIC or k2 not in _BASIC:
        raise _fail("invalid type for comparison")
    if k1 != k2:
        raise _fail(f"incompatible types for comparison: {go_type(arg1)} and {go_type(arg2)}")
    if k1 == "bool":
        raise _fail("invalid type for comparison")
    return bool(arg1 < arg2)  # type: ignore[operator]


def _le(arg1: object, arg2: object) -> bool:
    return _lt(arg1, arg2) or _eq(arg1, arg2)


def _eval_args(args: tuple[object, ...]) -> str:
    """What html/js/urlquery escape: a lone string as is, else the arguments as `print` joins them."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(["<no value>" if a is None else a for a in args])


def _html(*args: object) -> str:
    table = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&#39;", '"': "&#34;", "\0": "\ufffd"}
    return "".join(table.get(c, c) for c in _eval_args(args))


_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}


def _js(*args: object) -> str:
    out = []
    for char in _eval_args(args):
        if char in _JS:
            out.append(_JS[char])
        elif char < " ":
            out.append(f"\\u{ord(char):04X}")
        elif char.isascii() or char.isprintable():
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04X}")
    return "".join(out)


def _urlquery(*args: object) -> str:
    return urllib.parse.quote_plus(_eval_args(args), safe="-_.~")


def _call(*_: object) -> object:
    raise AssertionError("call is evaluated by the executor")


BUILTINS: dict[str, Builtin] = {
    "and": Builtin(_call, 1, variadic=True),
    "or": Builtin(_call, 1, variadic=True),
    "call": Builtin(_call, 1, variadic=True),
    "not": Builtin(lambda a: not truth(a), 1),
    "len": Builtin(_length, 1),
    "index": Builtin(_index, 1, variadic=True),
    "slice": Builtin(_slice, 1, variadic=True),
    "print": Builtin(lambda *a: sprint(list(a)), 0, variadic=True),
    "printf": Builtin(lambda f, *a: sprintf(f, list(a)), 1, variadic=True),
    "println": Builtin(lambda *a: sprintln(list(a)), 0, variadic=True),
    "eq": Builtin(_eq, 1, variadic=True),
    "ne": Builtin(lambda a, b: not _eq(a, b), 2),
    "lt": Builtin(_lt, 2),
    "le": Builtin(_le, 2),
    "gt": Builtin(lambda a, b: not _le(a, b), 2),
    "ge": Builtin(lambda a, b: not _lt(a, b), 2),
    "html": Builtin(_html, 0, variadic=True),
    "js": Builtin(_js, 0, variadic=True),
    "urlquery": Builtin(_urlquery, 0, variadic=True),
}
