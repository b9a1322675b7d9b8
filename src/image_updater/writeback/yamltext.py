"""Shared helpers for editing YAML as text: parse with positions, find spans, render scalars.

Pure, no I/O. We never re-dump a user's file: libyaml (PyYAML's C composer, ~30x ruamel's pure
one) composes it into nodes that carry their character positions, and the editors (`yamledit`)
splice new text into exactly those spans. This module knows how to read positions (`key_colon`,
`value_span`, `last_line`), anchors (`anchor_of`: libyaml keeps no anchor names on nodes, the text
does), how to render a scalar so it stays a string under YAML 1.1 and 1.2 (Helm's and kustomize's
readers differ), and how to translate parse errors into WriteBackError naming the file.

Every parse is bounded by `yamlsafe` (size before parsing; nesting, alias expansion and duplicate
keys over the composed nodes), so a YAML bomb in a repository fails only the Applications writing
to that file.

Types are resolved as YAML 1.1 (Helm's reader, go-yaml v2): a value such as `on` counts as a
boolean, so an equal but unquoted value is re-quoted rather than trusted to read as a string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from image_updater import yamlsafe
from image_updater.errors import InvalidYaml, WriteBackError
from image_updater.settings.goyaml import reads_as_text

STR_TAG = "tag:yaml.org,2002:str"
NULL_TAG = "tag:yaml.org,2002:null"
Path = tuple[str | int, ...]
# What may stay unquoted: image names, tags, digests and specs use only these characters.
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./@+~=-]*(?::[A-Za-z0-9_./@+~=-]+)*")
_ALIAS = re.compile(r"\*[^\s,\[\]{}]+")
_PROPERTY = re.compile(r"[&!][^\s,\[\]{}]*\s+")
_ANCHOR = re.compile(r"&([^\s,\[\]{}]+)")
# Of the implicit types of YAML 1.1 and 1.2, only these words start with a letter (booleans, nulls);
# numbers, dates, merge and value keys start with a digit, a sign, `.`, `<` or `=`.
_WORDS = frozenset(
    {
        *("y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"),
        *("true", "True", "TRUE", "false", "False", "FALSE", "null", "Null", "NULL"),
    }
)


def newline_of(text: str) -> str:
    """The line ending new lines must use: CRLF when the file already uses it."""
    return "\r\n" if "\r\n" in text else "\n"


def compose_documents(text: str, *, path: str) -> list[Node | None]:
    """Every document of `text` as position-carrying nodes (an empty document is a null scalar).

    Composing is enough: comments are never needed, because the file is never dumped, only spliced."""
    try:
        yamlsafe.decode(text, source=path)
        documents = list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
        yamlsafe.check_nodes(documents, size=len(text), source=path)
    except yaml.YAMLError as err:
        raise WriteBackError(f"{path} is not valid YAML ({yaml_problem(err)}); fix it by hand") from err
    except InvalidYaml as err:
        raise WriteBackError(str(err)) from err
    return [doc if doc is not None else _empty_document(text) for doc in documents] or []


@dataclass(frozen=True, slots=True)
class Composed:
    """One parse of a file, shared by what reads it and what edits it; a failed parse is kept, not
    raised, so reading the current values can answer "unknown" while an edit reports the problem."""

    text: str
    path: str
    nodes: tuple[Node | None, ...] = ()
    problem: WriteBackError | None = None

    @classmethod
    def of(cls, text: str, *, path: str) -> Composed:
        try:
            return cls(text, path, tuple(compose_documents(text, path=path)))
        except WriteBackError as err:
            return cls(text, path, problem=err)

    def documents(self) -> list[Node | None]:
        """The documents; the parse problem (WriteBackError naming the file) when there was one."""
        if self.problem is not None:
            raise self.problem
        return list(self.nodes)


def _empty_document(text: str) -> ScalarNode:
    # an empty document: libyaml gives None; the editors expect a null scalar at its place
    mark = yaml.Mark("<text>", len(text), text.count("\n"), 0, "", 0)
    return ScalarNode(NULL_TAG, "", mark, mark, style="")


def yaml_problem(err: Exception) -> str:
    """A parse error (PyYAML's or libyaml's) in one line: the problem and its line when marked."""
    problem, mark = getattr(err, "problem", None), getattr(err, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} at line {mark.line + 1}"
    return str(err).splitlines()[0]


def anchor_of(text: str, node: Node) -> str | None:
    """The anchor name a node is defined with (`&name` where it starts), None when it has none."""
    match = _ANCHOR.match(text, cast(int, node.start_mark.index))
    return match.group(1) if match else None


def tag_of(node: Node) -> str:
    return str(node.tag)


def pairs(node: MappingNode) -> list[tuple[ScalarNode, Node]]:
    return cast(list[tuple[ScalarNode, Node]], node.value)


def items(node: SequenceNode) -> list[Node]:
    return cast(list[Node], node.value)


def find_pair(node: MappingNode, key: str) -> tuple[ScalarNode, Node] | None:
    """The (key, value) pair whose key is the scalar `key`; merge keys (`<<`) are not followed."""
    for key_node, value in pairs(node):
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return key_node, value
    return None


def is_flow(node: Node) -> bool:
    return bool(getattr(node, "flow_style", False))


def is_alias_use(key: ScalarNode, value: Node) -> bool:
    """True when `value` appears here through `*alias`: its node sits where the anchor was defined."""
    return cast(int, value.start_mark.index) < cast(int, key.end_mark.index)


def key_colon(text: str, key: ScalarNode) -> int:
    """Index just after the `:` that ends `key`."""
    index = cast(int, key.end_mark.index)
    while text[index] in " \t":
        index += 1
    if text[index] != ":":
        raise WriteBackError(
            f"cannot locate the ':' after key {key.value!r} on line {key.start_mark.line + 1}"
        )
    return index + 1


def value_span(text: str, key: ScalarNode, value: ScalarNode) -> tuple[int, int]:
    """The characters of `value`'s scalar text, without anchor or tag properties.

    An alias use spans the `*alias` token; an empty (null) value is the empty span after the colon.
    """
    colon = key_colon(text, key)
    if is_alias_use(key, value):
        match = _ALIAS.search(text, colon)
        if match is None:
            raise WriteBackError(f"cannot locate the alias after key {key.value!r}")
        return match.start(), match.end()
    start, end = cast(int, value.start_mark.index), cast(int, value.end_mark.index)
    if start == end:
        return colon, colon
    while (prop := _PROPERTY.match(text, start)) is not None and prop.end() <= end:
        start = prop.end()
    if value.style in ("|", ">"):
        end = start + len(text[start:end].rstrip("\r\n"))
    return start, end


def last_line(text: str, node: Node) -> int:
    """The 0-based line holding the last character of `node`'s own text (not trailing comments
    or blank lines)."""
    if isinstance(node, MappingNode) and pairs(node) and not is_flow(node):
        return pair_last_line(text, *pairs(node)[-1])
    if isinstance(node, SequenceNode) and items(node) and not is_flow(node):
        return last_line(text, items(node)[-1])
    start, end = cast(int, node.start_mark.index), cast(int, node.end_mark.index)
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return cast(int, node.start_mark.line) + text.count("\n", start, end)


def pair_last_line(text: str, key: ScalarNode, value: Node) -> int:
    """The last line of a mapping entry; an alias use or an empty value ends on the key's line."""
    if is_alias_use(key, value) or value.start_mark.index == value.end_mark.index:
        return cast(int, key.end_mark.line)
    return last_line(text, value)


def line_start(text: str, line: int) -> int:
    """Index of the first character of 0-based `line` (len(text) past the end)."""
    index = 0
    for _ in range(line):
        found = text.find("\n", index)
        if found < 0:
            return len(text)
        index = found + 1
    return index


def walk(
    node: Node | None, prefix: Path = (), *, within: frozenset[int] = frozenset()
) -> Iterator[tuple[Path, Node]]:
    """Every leaf (scalar or empty collection) with its path; keys are scalar key texts."""
    if id(node) in within:
        raise WriteBackError(f"{show(prefix)} refers to itself through an alias; cannot edit this file")
    inner = within | {id(node)}
    if isinstance(node, MappingNode) and pairs(node):
        for key, value in pairs(node):
            yield from walk(value, (*prefix, str(key.value)), within=inner)
    elif isinstance(node, SequenceNode) and items(node):
        for index, item in enumerate(items(node)):
            yield from walk(item, (*prefix, index), within=inner)
    elif node is not None:
        yield prefix, node


def plain(node: Node | None) -> Any:
    """The data of a composed node graph with every scalar as written (`1.10` stays "1.10"); only
    for graphs `compose_documents` returned, whose size and depth it bounded."""
    if isinstance(node, MappingNode):
        return {str(key.value): plain(value) for key, value in pairs(node)}
    if isinstance(node, SequenceNode):
        return [plain(item) for item in items(node)]
    return None if node is None else node.value


def show(path: Path) -> str:
    """`a.b[0].c`, the way users write Helm parameter names."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def is_plain_string(value: str) -> bool:
    """True when `value` written plain reads back as this same string under YAML 1.1 and 1.2."""
    if not _PLAIN_SAFE.fullmatch(value):
        return False
    if value[0].isalpha() and value not in _WORDS:
        return True  # what every tag, name and key looks like: no resolver needed
    return reads_as_text(value)


def render_scalar(value: str, *, style: str | None = None) -> str:
    """`value` as a YAML scalar that reads back as a string, in `style` when one is given
    (`'` or `"`), else plain when that is safe, else double-quoted."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"' or not is_plain_string(value):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value
