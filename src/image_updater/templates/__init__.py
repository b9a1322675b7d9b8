"""Go's `text/template`, for branch names and commit messages. Pure: no I/O.

`compile_template` parses as Go's `template.New(name).Parse(text)` does (a template that does not
parse is an error now, with Go's message: `template: NAME:LINE: unexpected "}" in operand`);
`Template.render` executes it as `Execute` does, with Go's default option (a missing map key
prints `<no value>`; a missing struct field is an error). Everything of text/template is
supported (actions, pipelines, variables, `define`/`template`/`block`, `break`/`continue`,
`else with`, trim markers, every literal but complex numbers, every built-in function, `fmt`'s
verbs), except what needs Go values this data never holds (methods, function values for `call`,
channels, iterators, pointers). Execution is bounded (see `execute`).

Data: see `values` for how Python values stand for Go values; structs are dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass

from image_updater.templates.execute import execute
from image_updater.templates.functions import BUILTINS
from image_updater.templates.nodes import Node
from image_updater.templates.parser import parse
from image_updater.templates.values import StringMap

__all__ = ["StringMap", "Template", "compile_template"]


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed template. Build it with `compile_template`; `render` never mutates its input."""

    name: str
    source: str
    trees: tuple[tuple[str, tuple[Node, ...]], ...]  # (name, nodes) of each template, hashable

    def render(self, data: object) -> str:
        """Execute with `data` as `.` and `$`; an execution error raises InvalidWriteBackConfig."""
        return execute(dict(self.trees), name=self.name, text=self.source, data=data)


def compile_template(text: str, *, name: str) -> Template:
    """Parse `text`; raise InvalidWriteBackConfig with Go's message if it does not parse."""
    trees = parse(text, name=name, functions=frozenset(BUILTINS))
    return Template(name=name, source=text, trees=tuple(trees.items()))
