"""YAML read as argocd-image-updater reads it: Go's `gopkg.in/yaml.v2` decoding into typed fields.

Owns: `load_go_yaml` (a YAML 1.2 safe load that marks the plain scalars yaml.v2 alone reads as
booleans), `GoBool`, the pydantic type for every boolean a settings file holds, and
`reads_as_text`, whether a plain scalar is a string to both YAML versions (for writers).

yaml.v2 resolves the plain (unquoted) scalars `y Y yes Yes YES on On ON true True TRUE` to true and
`n N no No NO off Off OFF false False FALSE` to false (YAML 1.1); a null (`~`, `null`, nothing) in
a boolean field leaves it false. A quoted `"yes"` or `"true"` is a string, which a boolean field
refuses, and so does anything else (`1`, `maybe`). YAML 1.2 reads only the `true`/`false`
spellings as booleans, so `load_go_yaml` hands the YAML 1.1-only words over as `GoBoolWord`, a
`str` (string fields read them as the text written, as yaml.v2 does) that `GoBool` also accepts.
Parsed by libyaml with the YAML 1.2 core schema's implicit types (`1_000` and `0b101` are numbers
too). Limits: other YAML 1.1 readings of yaml.v2 (`0777` octal, `!!binary`, a plain scalar read as
text by a string field) are not reproduced; the settings models stay strict about those.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import yaml
from pydantic import PlainValidator

from image_updater import yamlsafe

_TRUE_WORDS = frozenset({"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})
_FALSE_WORDS = frozenset({"n", "N", "no", "No", "NO", "off", "Off", "OFF"})
_WORD_TAG = "tag:image-updater,2026:yaml11-bool"


class GoBoolWord(str):
    """A plain scalar that yaml.v2 reads as a boolean and YAML 1.2 as a string (`yes`, `off`, ...)."""

    __slots__ = ()


class _Core12(yaml.resolver.BaseResolver):
    """The YAML 1.2 core schema's implicit types, plus yaml.v2's YAML 1.1 boolean words."""


_Core12.yaml_implicit_resolvers = {}  # PyYAML's are YAML 1.1: start from none
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    (_WORD_TAG, "|".join(sorted(_TRUE_WORDS | _FALSE_WORDS)), "yYnNoO"),
    ("tag:yaml.org,2002:int", r"[-+]?[0-9][0-9_]*|0o[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"[-+]?(?:\.[0-9_]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"<<", "<"),
    (
        "tag:yaml.org,2002:timestamp",
        r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
        r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?",
        "0123456789",
    ),
):
    _Core12.add_implicit_resolver(_tag, re.compile(f"^(?:{_pattern})$"), list(_first))
# The readers `reads_as_text` asks, YAML 1.1 (yaml.v2) and 1.2 (read-only after creation).
_READERS = (yaml.resolver.Resolver(), _Core12())
_STR_TAG = "tag:yaml.org,2002:str"


class _Loader(yaml.CSafeLoader):
    """libyaml's parser and PyYAML's safe constructor, with `_Core12`'s types."""

    yaml_implicit_resolvers = _Core12.yaml_implicit_resolvers


_Loader.add_constructor(_WORD_TAG, lambda _self, node: GoBoolWord(node.value))


def _construct_int(_loader: _Loader, node: yaml.ScalarNode) -> int:
    """YAML 1.2 integers: `0777` is decimal (PyYAML's YAML 1.1 constructor would read it as octal)."""
    text = str(node.value).replace("_", "")
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
    base = {"0x": 16, "0o": 8, "0b": 2}.get(digits[:2].lower(), 10)
    return sign * int(digits if base == 10 else digits[2:], base)


_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def load_go_yaml(text: str, *, source: str) -> Any:
    """Parse one YAML document safely; YAML 1.1-only boolean words come back as `GoBoolWord`.

    Composed first (libyaml) and bounded by `yamlsafe.check_nodes` (nesting, alias expansion,
    duplicate keys; `InvalidYaml` naming `source`), then constructed. Raises PyYAML's `YAMLError`
    subclasses for text that does not parse; the caller names the file.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:  # an empty document
            return None
        yamlsafe.check_nodes([node], size=len(text), source=source)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def reads_as_text(value: str) -> bool:
    """True when `value`, written as a plain scalar, is a string to YAML 1.1 readers (yaml.v2:
    Helm, Argo CD) and to YAML 1.2 readers alike: no boolean, number, null or date."""
    return all(
        reader.resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG  # type: ignore[no-untyped-call]
        for reader in _READERS
    )


def _go_bool(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, GoBoolWord):
        return value in _TRUE_WORDS
    raise ValueError("not a boolean")


GoBool = Annotated[bool, PlainValidator(_go_bool)]
"""A boolean as yaml.v2 decodes one: true/false in any spelling of YAML 1.1, null as false."""
