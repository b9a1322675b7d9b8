"""The parse tree of a template (text/template/parse/node.go). `str(node)` is Go's `String()`,
which execution errors quote as `at <…>`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from image_updater.templates.gofmt import quote


@dataclass(frozen=True, slots=True)
class Text:
    pos: int
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Field:
    """`.A.B`: fields looked up from dot."""

    pos: int
    idents: tuple[str, ...]

    def __str__(self) -> str:
        return "".join("." + i for i in self.idents)


@dataclass(frozen=True, slots=True)
class Variable:
    """`$x.A.B`: `idents[0]` is the variable, the rest are fields."""

    pos: int
    idents: tuple[str, ...]

    def __str__(self) -> str:
        return ".".join(self.idents)


@dataclass(frozen=True, slots=True)
class Dot:
    pos: int

    def __str__(self) -> str:
        return "."


@dataclass(frozen=True, slots=True)
class Nil:
    pos: int

    def __str__(self) -> str:
        return "nil"


@dataclass(frozen=True, slots=True)
class Bool:
    pos: int
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True, slots=True)
class Number:
    """A numeric or character constant; `value` is what Go's idealConstant makes of it."""

    pos: int
    text: str
    value: int | float
    overflows: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class String:
    pos: int
    quoted: str
    text: str

    def __str__(self) -> str:
        return self.quoted


@dataclass(frozen=True, slots=True)
class Identifier:
    """A function name."""

    pos: int
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Chain:
    """`(pipeline).A.B` or `func.A`: fields of a term's value."""

    pos: int
    node: Operand
    fields: tuple[str, ...]

    def __str__(self) -> str:
        head = f"({self.node})" if isinstance(self.node, Pipe) else str(self.node)
        return head + "".join("." + f for f in self.fields)


@dataclass(frozen=True, slots=True)
class Command:
    pos: int
    args: tuple[Operand, ...]

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, Pipe) else str(a) for a in self.args)


@dataclass(frozen=True, slots=True)
class Pipe:
    """`$x, $y := cmd | cmd`; `is_assign` for `=` rather than `:=`."""

    pos: int
    decls: tuple[Variable, ...]
    is_assign: bool
    cmds: tuple[Command, ...]

    def __str__(self) -> str:
        decls = ", ".join(map(str, self.decls)) + " := " if self.decls else ""
        return decls + " | ".join(map(str, self.cmds))


Operand: TypeAlias = Field | Variable | Dot | Nil | Bool | Number | String | Identifier | Chain | Pipe


@dataclass(frozen=True, slots=True)
class Action:
    pos: int
    pipe: Pipe

    def __str__(self) -> str:
        return f"{{{{{self.pipe}}}}}"


@dataclass(frozen=True, slots=True)
class Control:
    """`{{if}}`, `{{range}}` or `{{with}}`, with its `{{else}}` part (None if absent)."""

    pos: int
    keyword: str
    pipe: Pipe
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...] | None

    def __str__(self) -> str:
        body = "".join(map(str, self.body))
        otherwise = "" if self.otherwise is None else "{{else}}" + "".join(map(str, self.otherwise))
        return f"{{{{{self.keyword} {self.pipe}}}}}{body}{otherwise}{{{{end}}}}"


@dataclass(frozen=True, slots=True)
class Loop:
    """`{{break}}` or `{{continue}}`."""

    pos: int
    keyword: str

    def __str__(self) -> str:
        return f"{{{{{self.keyword}}}}}"


@dataclass(frozen=True, slots=True)
class TemplateCall:
    """`{{template "name" pipeline}}` (also what `{{block}}` leaves in place)."""

    pos: int
    name: str
    pipe: Pipe | None

    def __str__(self) -> str:
        arg = "" if self.pipe is None else f" {self.pipe}"
        return f"{{{{template {quote(self.name)}{arg}}}}}"


Node: TypeAlias = Text | Action | Control | Loop | TemplateCall
