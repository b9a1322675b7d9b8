"""How Python values stand for Go values in templates: kinds, type names, truth, map order.

The data a template sees is made of `None` (Go's nil, also a missing map key: both print
`<no value>`), `bool`, `int`, `float` (float64), `str`, lists and tuples (slices), mappings (maps,
`map[string]interface {}`; a `StringMap` is a `map[string]string`, whose missing keys `index` as
`""`) and dataclass instances (structs: their fields, and only those, are reachable).
Nothing else of a Python object is reachable from a template.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from typing import Literal, TypeAlias

Kind: TypeAlias = Literal["invalid", "bool", "int", "float", "string", "slice", "map", "struct"]


class StringMap(Mapping[str, str]):
    """A read-only `map[string]string` (image labels): `index` of a missing key gives `""`."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> str:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"StringMap({self._items!r})"


def kind(value: object) -> Kind:
    """The Go kind of a template value."""
    if value is None:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, Sequence):
        return "slice"
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "struct"
    raise TypeError(f"{type(value).__name__} is not a template value")


def go_type(value: object) -> str:
    """The Go type name, as `%T` and Go's error messages print it."""
    k = kind(value)
    if k == "invalid":
        return "<nil>"
    if k == "float":
        return "float64"
    if k == "slice":
        items = list(value)  # type: ignore[call-overload]
        types = {go_type(v) for v in items}
        return f"[]{types.pop()}" if len(types) == 1 and kind(items[0]) == "struct" else "[]interface {}"
    if k == "map":
        return "map[string]string" if isinstance(value, StringMap) else "map[string]interface {}"
    if k == "struct":
        return type(value).__name__
    return k


def map_zero(value: Mapping[object, object]) -> object:
    """The zero value of a map's element type: what `index` gives for a missing key."""
    return "" if isinstance(value, StringMap) else None


def struct_fields(value: object) -> dict[str, object]:
    """A struct's fields in declaration order."""
    return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}  # type: ignore[arg-type]


def sorted_keys(value: Mapping[object, object]) -> list[object]:
    """Map keys in Go's order (fmtsort): numbers numerically, strings bytewise, false before true."""
    return sorted(value, key=lambda k: (str(type(k)), k))


def truth(value: object) -> bool:
    """Go's truth: false, 0, nil and empty strings, slices and maps are false; structs are true."""
    k = kind(value)
    if k in ("slice", "map", "string"):
        return len(value) > 0  # type: ignore[arg-type]
    if k == "struct":
        return True
    return bool(value)
