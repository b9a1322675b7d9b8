"""A subset of Go's `text/template`, enough for branch names and commit messages. Pure: no I/O.

Supported: text, `{{ .Field }}`, nested `.A.B`, `.` and `$` (the root, also `$.A`), `{{if X}}`,
`{{else if X}}`, `{{else}}`, `{{range X}}` (dot is rebound to each element; `{{else}}` runs when empty),
`{{with X}}`, `{{end}}`, comments `{{/* ... */}}`, and the trim markers `{{- ` / ` -}}`.
Not supported (rejected when compiling, naming the template and position): functions, pipelines,
variables other than `$`, literals.

Unlike Go, a missing field is an error rather than `<no value>`: a broken template must never
silently produce a wrong branch name or commit message. Fields are looked up in mappings by key
and on other objects by public attribute.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn, TypeAlias

from image_updater.errors import InvalidWriteBackConfig

_FIELD_RE = re.compile(r"^(\$(\.[A-Za-z_]\w*)*|\.|(\.[A-Za-z_]\w*)+)$")
_TRIM_CHARS = " \t\r\n"


@dataclass(frozen=True, slots=True)
class _Field:
    root: bool  # `$...` starts at the data given to render, `.` at the current dot
    path: tuple[str, ...]
    pos: int
    text: str


@dataclass(frozen=True, slots=True)
class _Block:
    kind: str  # "if", "range" or "with"
    expr: _Field
    body: tuple[_Node, ...]
    otherwise: tuple[_Node, ...]


_Node: TypeAlias = str | _Field | _Block


@dataclass(frozen=True, slots=True)
class _Action:
    words: tuple[str, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Template:
    """A compiled template. Build it with `compile_template`; `render` never mutates its input."""

    name: str
    source: str
    nodes: tuple[_Node, ...]

    def render(self, data: object) -> str:
        """Render with `data` as both `.` and `$`; a missing field raises InvalidWriteBackConfig."""
        out: list[str] = []
        _render_nodes(self, self.nodes, dot=data, root=data, out=out)
        return "".join(out)


def compile_template(text: str, *, name: str) -> Template:
    """Parse `text`; raise InvalidWriteBackConfig naming `name` and the position of a syntax error."""
    tokens = _lex(text, name)
    nodes, stop, rest = _parse(tokens, 0, text=text, name=name, inside=None)
    if stop is not None:
        _fail(text, name, stop.pos, f"unexpected {{{{{' '.join(stop.words)}}}}}")
    assert rest == len(tokens)
    return Template(name=name, source=text, nodes=nodes)


def _position(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {column}"


def _fail(text: str, name: str, pos: int, problem: str) -> NoReturn:
    raise InvalidWriteBackConfig(f"template {name!r} {_position(text, pos)}: {problem}")


def _lex(text: str, name: str) -> list[str | _Action]:
    tokens: list[str | _Action] = []
    pos, trim_next = 0, False
    while (start := text.find("{{", pos)) != -1:
        end = text.find("}}", start + 2)
        if end == -1:
            _fail(text, name, start, "unclosed action: missing '}}'")
        inner = text[start + 2 : end]
        trim_left = inner[:1] == "-" and inner[1:2] in tuple(_TRIM_CHARS)
        trim_right = inner[-1:] == "-" and inner[-2:-1] in tuple(_TRIM_CHARS)
        chunk = text[pos:start]
        chunk = chunk.lstrip(_TRIM_CHARS) if trim_next else chunk
        tokens.append(chunk.rstrip(_TRIM_CHARS) if trim_left else chunk)
        body = inner[1 if trim_left else 0 : len(inner) - (1 if trim_right else 0)].strip()
        if not (body.startswith("/*") and body.endswith("*/")):
            tokens.append(_Action(words=tuple(body.split()), pos=start))
        pos, trim_next = end + 2, trim_right
    tail = text[pos:]
    tokens.append(tail.lstrip(_TRIM_CHARS) if trim_next else tail)
    return [t for t in tokens if t != ""]


def _parse(
    tokens: list[str | _Action], i: int, *, text: str, name: str, inside: str | None
) -> tuple[tuple[_Node, ...], _Action | None, int]:
    """Parse until `{{end}}`/`{{else}}` (returned as the stop action) or the end of input."""
    nodes: list[_Node] = []
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if isinstance(token, str):
            nodes.append(token)
            continue
        head = token.words[0] if token.words else ""
        if head in ("end", "else"):
            if inside is None:
                _fail(text, name, token.pos, f"unexpected {{{{{head}}}}}")
            return tuple(nodes), token, i
        if head in ("if", "range", "with"):
            block, i = _parse_block(tokens, i, token, text=text, name=name)
            nodes.append(block)
            continue
        nodes.append(_parse_field(token, token.words, text=text, name=name))
    if inside is not None:
        _fail(text, name, len(text), f"unexpected end of template: {{{{{inside}}}}} has no {{{{end}}}}")
    return tuple(nodes), None, i


def _parse_block(
    tokens: list[str | _Action], i: int, opener: _Action, *, text: str, name: str
) -> tuple[_Block, int]:
    kind = opener.words[0]
    expr = _parse_field(opener, opener.words[1:], text=text, name=name)
    body, stop, i = _parse(tokens, i, text=text, name=name, inside=kind)
    assert stop is not None
    otherwise: tuple[_Node, ...] = ()
    if stop.words[:2] == ("else", "if") and kind == "if":
        # `{{else if X}}` is `{{else}}{{if X}}...{{end}}` sharing the outer `{{end}}`.
        nested, i = _parse_block(tokens, i, _Action(words=stop.words[1:], pos=stop.pos), text=text, name=name)
        otherwise = (nested,)
    elif stop.words == ("else",):
        otherwise, stop, i = _parse(tokens, i, text=text, name=name, inside=kind)
        assert stop is not None
        if stop.words != ("end",):
            _fail(text, name, stop.pos, f"unexpected {{{{{' '.join(stop.words)}}}}} after {{{{else}}}}")
    elif stop.words != ("end",):
        _fail(text, name, stop.pos, f"unexpected {{{{{' '.join(stop.words)}}}}}")
    return _Block(kind=kind, expr=expr, body=body, otherwise=otherwise), i


def _parse_field(action: _Action, words: tuple[str, ...], *, text: str, name: str) -> _Field:
    if not words:
        _fail(text, name, action.pos, "missing value for action")
    word = words[0]
    if not _FIELD_RE.match(word):
        _fail(text, name, action.pos, _unsupported(word))
    if len(words) > 1:
        problem = "pipelines are not supported" if "|" in words else f"unexpected {words[1]!r} after {word}"
        _fail(text, name, action.pos, problem)
    root = word.startswith("$")
    path = tuple(part for part in word.lstrip("$").split(".") if part)
    return _Field(root=root, path=path, pos=action.pos, text=word)


def _unsupported(word: str) -> str:
    if word.startswith("$"):
        return f"variables are not supported (only $): {word}"
    if re.match(r"^[A-Za-z_]\w*$", word):
        return f"unknown function {word!r} (functions are not supported)"
    return f"unsupported expression {word!r} (use .Field, .A.B, . or $)"


def _render_nodes(
    tpl: Template, nodes: Sequence[_Node], *, dot: object, root: object, out: list[str]
) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Field):
            out.append(_format(_evaluate(tpl, node, dot=dot, root=root)))
        else:
            _render_block(tpl, node, dot=dot, root=root, out=out)


def _render_block(tpl: Template, block: _Block, *, dot: object, root: object, out: list[str]) -> None:
    value = _evaluate(tpl, block.expr, dot=dot, root=root)
    if not _truthy(value):
        _render_nodes(tpl, block.otherwise, dot=dot, root=root, out=out)
    elif block.kind == "if":
        _render_nodes(tpl, block.body, dot=dot, root=root, out=out)
    elif block.kind == "with":
        _render_nodes(tpl, block.body, dot=value, root=root, out=out)
    else:
        for item in _iterate(tpl, block.expr, value):
            _render_nodes(tpl, block.body, dot=item, root=root, out=out)


def _evaluate(tpl: Template, field: _Field, *, dot: object, root: object) -> object:
    value = root if field.root else dot
    for depth, key in enumerate(field.path):
        value = _lookup(tpl, field, value, key, ".".join(field.path[: depth + 1]))
    return value


def _lookup(tpl: Template, field: _Field, value: object, key: str, walked: str) -> object:
    if isinstance(value, Mapping):
        if key in value:
            return value[key]
        known = ", ".join(sorted(str(k) for k in value)) or "none"
        _fail(tpl.source, tpl.name, field.pos, f"no field {walked!r} in {field.text} (known: {known})")
    if value is not None and not key.startswith("_") and hasattr(value, key):
        return getattr(value, key)
    _fail(tpl.source, tpl.name, field.pos, f"cannot evaluate {walked!r} in {field.text}: no such field")


def _iterate(tpl: Template, field: _Field, value: object) -> list[object]:
    if isinstance(value, Mapping):
        return [value[k] for k in sorted(value)]
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return list(range(value))
    _fail(tpl.source, tpl.name, field.pos, f"cannot range over {field.text} ({type(value).__name__})")


def _truthy(value: object) -> bool:
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return bool(value)
    if isinstance(value, Mapping | Sequence):
        return len(value) > 0
    return True  # Go: a struct is always true


def _format(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "<nil>"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_format(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return "[" + " ".join(_format(v) for v in value) + "]"
    return str(value)
