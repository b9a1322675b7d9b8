"""YAML read as argocd-image-updater reads it: Go's `gopkg.in/yaml.v2` decoding into typed fields.

Owns: `load_go_yaml` (a YAML 1.2 safe load that marks the plain scalars yaml.v2 alone reads as
booleans) and `GoBool`, the pydantic type for every boolean a settings file holds.

yaml.v2 resolves the plain (unquoted) scalars `y Y yes Yes YES on On ON true True TRUE` to true and
`n N no No NO off Off OFF false False FALSE` to false (YAML 1.1); a null (`~`, `null`, nothing) in
a boolean field leaves it false. A quoted `"yes"` or `"true"` is a string, which a boolean field
refuses, and so does anything else (`1`, `maybe`). ruamel (YAML 1.2) reads only the `true`/`false`
spellings as booleans, so `load_go_yaml` hands the YAML 1.1-only words over as `GoBoolWord`, a
`str` (string fields read them as the text written, as yaml.v2 does) that `GoBool` also accepts.
Limits: other YAML 1.1 readings of yaml.v2 (`0777` octal, `!!binary`, a plain scalar read as text by
a string field) are not reproduced; the settings models stay strict about those.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import PlainValidator
from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.tag import Tag

from image_updater import yamlsafe

_TRUE_WORDS = frozenset({"y", "Y", "yes", "Yes", "YES", "on", "On", "ON"})
_FALSE_WORDS = frozenset({"n", "N", "no", "No", "NO", "off", "Off", "OFF"})
_WORD_TAG = "tag:image-updater,2026:yaml11-bool"


class GoBoolWord(str):
    """A plain scalar that yaml.v2 reads as a boolean and YAML 1.2 as a string (`yes`, `off`, ...)."""

    __slots__ = ()


class _Resolver(VersionedResolver):
    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode and implicit[0] and value in _TRUE_WORDS | _FALSE_WORDS:
            return Tag(suffix=_WORD_TAG)
        return super().resolve(kind, value, implicit)


class _Constructor(SafeConstructor):
    pass


_Constructor.add_constructor(_WORD_TAG, lambda _self, node: GoBoolWord(node.value))


def load_go_yaml(text: str, *, source: str) -> Any:
    """Parse one YAML document safely; YAML 1.1-only boolean words come back as `GoBoolWord`.

    Composed first and bounded by `yamlsafe.check_nodes` (nesting, alias expansion, duplicate
    keys; `InvalidYaml` naming `source`), then constructed. Raises ruamel's `YAMLError` subclasses
    for text that does not parse; the caller names the file.
    """
    yaml = YAML(typ="safe", pure=True)
    yaml.Resolver = _Resolver
    yaml.Constructor = _Constructor
    node = yaml.compose(text)
    if node is None:  # an empty document
        return None
    yamlsafe.check_nodes([node], size=len(text), source=source)
    return yaml.constructor.construct_document(node)


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
