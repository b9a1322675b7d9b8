"""Bounded YAML: every YAML document the controller reads is parsed with limits on the work it costs.

Pure, no I/O: callers read the file (at most `max_bytes + 1` bytes) and hand over its content.
Owns the limits (`YamlLimits`), the walk that enforces them over a composed node graph
(`check_nodes`, shared with the write-back's ruamel nodes, which have the same shape), and
`load_documents`, the loader for documents whose positions nobody needs (Application and Secret
manifests, registries.conf): PyYAML's libyaml composer, then the safe constructor.

Limits, each reported as one `InvalidYaml` line naming the source:
- size: more than `max_bytes` (4 MiB by default) is refused before parsing;
- encoding: the text must be UTF-8 (the offending byte's line is reported);
- nesting: deeper than `max_depth` levels is refused (libyaml also stops near 1,000 on its own);
- duplicate keys: a mapping with the same key twice is refused (checking them also interns
  them: the documents share one copy of each key);
- aliases: the graph is walked with aliases expanded, counting nodes visited, never expanding
  paths; the walk stops once it has visited more nodes than the text has characters, plus
  `alias_allowance`. A document without aliases needs at least a character per node, so it never
  comes close; a billion-laughs stops after that many visits (milliseconds), a self-referencing
  anchor too.

YAML 1.1 as Kubernetes reads it (sigs.k8s.io/yaml → go-yaml): `yes`/`on` are booleans, so an
unquoted `yes` where a string is needed is a wrong-typed value for the caller to report.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from image_updater.errors import InvalidYaml

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """How much one YAML file may cost. See the module docstring for what each bounds."""

    max_bytes: int = 4 * MIB
    max_depth: int = 100
    alias_allowance: int = 10_000

    def node_budget(self, size: int) -> int:
        """Nodes a text of `size` characters may expand to through aliases."""
        return size + self.alias_allowance


DEFAULT_LIMITS = YamlLimits()


def decode(data: bytes | str, *, source: str, limits: YamlLimits = DEFAULT_LIMITS) -> str:
    """`data` as text, refused when larger than `limits.max_bytes` or not UTF-8."""
    if isinstance(data, str):
        if len(data) > limits.max_bytes or len(data.encode("utf-8", "surrogatepass")) > limits.max_bytes:
            raise _too_large(source, limits)
        return data
    if len(data) > limits.max_bytes:
        raise _too_large(source, limits)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise InvalidYaml(f"{source}: not valid UTF-8 YAML (line {line}); save it as UTF-8") from None


def check_nodes(
    documents: Iterable[Any], *, size: int, source: str, limits: YamlLimits = DEFAULT_LIMITS
) -> None:
    """Refuse a composed graph (PyYAML or ruamel nodes) nested too deeply, expanding too much, or
    with a key twice in one mapping.

    Iterative, so no recursion limit is involved; every visit counts, aliases included."""
    budget = limits.node_budget(size)
    stack: list[tuple[Any, int]] = [(doc, 1) for doc in documents if doc is not None]
    visited = 0
    while stack:
        node, depth = stack.pop()
        visited += 1
        if visited > budget:
            raise InvalidYaml(
                f"{source}: aliases expand to more than {budget} nodes (an alias bomb or an anchor "
                "that refers to itself); write the values out",
            )
        if depth > limits.max_depth:
            line = node.start_mark.line + 1
            raise InvalidYaml(f"{source}: line {line}: nested deeper than {limits.max_depth} levels")
        stack.extend((child, depth + 1) for child in _children(node, source=source))


def _children(node: Any, *, source: str) -> list[Any]:
    """A collection's entries (a mapping's keys and values), once its keys are known unique."""
    if not isinstance(node.value, list):
        return []  # a scalar
    if node.value and isinstance(node.value[0], tuple):
        _check_unique_keys(node.value, source=source)
        return [part for pair in node.value for part in pair]
    return list(node.value)


def _check_unique_keys(pairs: list[tuple[Any, Any]], *, source: str) -> None:
    """Readers disagree on which of two equal keys wins (PyYAML: the last, go-yaml: an error), so
    a file that has one twice means nothing certain and is refused."""
    seen: set[str] = set()
    for key, _ in pairs:
        text = key.value
        if isinstance(text, str) and text != "<<":
            # Keys are a few distinct strings repeated in every manifest: constructed from one
            # shared copy, 10,000 Applications hold ~16 MB less (40% of their parsed size).
            key.value = text = sys.intern(text)
            if text in seen:
                line = key.start_mark.line + 1
                raise InvalidYaml(
                    f"{source}: line {line}: not valid YAML (it has the key {text!r} twice; remove one)",
                )
            seen.add(text)


def load_documents(data: bytes | str, *, source: str, limits: YamlLimits = DEFAULT_LIMITS) -> list[Any]:
    """Every document of `data` as Python values (YAML 1.1 types), within `limits`."""
    text = decode(data, source=source, limits=limits)
    loader = yaml.CSafeLoader(text)
    try:
        nodes = []
        while loader.check_node():
            nodes.append(loader.get_node())
        check_nodes(nodes, size=len(text), source=source, limits=limits)
        return [loader.construct_document(node) for node in nodes]
    except yaml.YAMLError as err:
        line = _line_of(err)
        where = f"{source}: line {line}" if line is not None else source
        raise InvalidYaml(
            f"{where}: not valid YAML ({_problem(err)})", unquoted=f"{where}: not valid YAML"
        ) from None
    except ValueError as err:  # the constructor's own checks, e.g. a timestamp with month 13
        raise InvalidYaml(f"{source}: not valid YAML ({err})", unquoted=f"{source}: not valid YAML") from None
    finally:
        loader.dispose()


def load_mapping(
    data: bytes | str, *, source: str, expected: str, limits: YamlLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """The single document of `data`, which must be a mapping (empty: `{}`); `expected` says what
    the mapping holds, for the error."""
    documents = load_documents(data, source=source, limits=limits)
    if len(documents) > 1:
        raise InvalidYaml(f"{source}: holds {len(documents)} YAML documents; expected one")
    document = documents[0] if documents else None
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise InvalidYaml(f"{source}: expected {expected} at the top, got {type_name(document)}")
    return document


def type_name(value: object) -> str:
    """How errors name the type of a loaded value: `a list`, `a boolean`, `a number`, ..."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    names = {dict: "a mapping", list: "a list", str: "a string", type(None): "null"}
    return names.get(type(value), f"a {type(value).__name__}")


def _line_of(err: yaml.YAMLError) -> int | None:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def _problem(err: yaml.YAMLError) -> str:
    if isinstance(err, yaml.MarkedYAMLError) and err.problem:
        return str(err.problem)
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def _too_large(source: str, limits: YamlLimits) -> InvalidYaml:
    return InvalidYaml(
        f"{source}: larger than {limits.max_bytes} bytes, the YAML size limit (--max-yaml-size)"
    )
