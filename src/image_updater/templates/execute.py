"""Go text/template's executor (text/template/exec.go): a parsed template applied to data.

Errors are Go's: `template: NAME:LINE:COL: executing "NAME" at <node>: message` (COL is Go's
0-based byte offset in the line). A missing map key is `<no value>` (Go's default), a missing
struct field is an error. Unlike Go, execution is bounded, because branch templates come from
Application annotations: at most MAX_STEPS actions and iterations, MAX_OUTPUT characters of
output (or of any string a function makes), MAX_WORK units of work in functions in all (the
characters of the strings they take and make, plus a fixed cost per call and per other argument:
a million turns of `printf "%999999d"` stop early instead of holding the event loop for minutes)
and MAX_TEMPLATE_DEPTH nested `{{template}}` calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NoReturn

from image_updater.errors import InvalidWriteBackConfig
from image_updater.templates import nodes as n
from image_updater.templates.functions import BUILTINS
from image_updater.templates.gofmt import format_value, quote
from image_updater.templates.values import go_type, kind, sorted_keys, struct_fields, truth

MAX_STEPS = 1_000_000
MAX_OUTPUT = 1_000_000
MAX_TEMPLATE_DEPTH = 50
MAX_WORK = 10_000_000  # work units of function calls, well under a second (see `call`)
_CALL_COST = 100  # units per call and per non-string argument: Python-level work, not C string copying
_MISSING = object()  # "no value piped in", distinct from nil


def execute(trees: Mapping[str, tuple[n.Node, ...]], *, name: str, text: str, data: object) -> str:
    """Run template `name` of `trees` (parsed from `text`) with `data` as dot and `$`."""
    state = _State(trees, name=name, text=text, data=data)
    try:
        state.walk(data, trees[name])
    except RecursionError:
        raise state.error("templates nested too deeply") from None
    return "".join(state.out)


class _State:  # one method per Go exec.go function, with the same names
    def __init__(
        self, trees: Mapping[str, tuple[n.Node, ...]], *, name: str, text: str, data: object
    ) -> None:
        self.trees, self.parse_name, self.text = trees, name, text
        self.tmpl = name  # the template being executed, for messages
        self.vars: list[tuple[str, object]] = [("$", data)]
        self.node: object = None
        self.out: list[str] = []
        self.size = self.steps = self.depth = self.work = 0

    # --- errors and budget -----------------------------------------------------------------
    def error(self, message: str) -> InvalidWriteBackConfig:
        """Go's execution error, naming the node evaluated last."""
        pos = getattr(self.node, "pos", None)
        if pos is None:
            return InvalidWriteBackConfig(f"template: {self.tmpl}: {message}")
        start = self.text.rfind("\n", 0, pos) + 1
        location = (
            f"{self.parse_name}:{self.text.count(chr(10), 0, pos) + 1}:{len(self.text[start:pos].encode())}"
        )
        context = str(self.node)
        context = context[:20] + "..." if len(context) > 20 else context
        return InvalidWriteBackConfig(
            f"template: {location}: executing {quote(self.tmpl)} at <{context}>: {message}"
        )

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise self.error(
                f"execution stopped after {MAX_STEPS} steps (a loop too long for a branch or commit message?)"
            )

    def write(self, text: str) -> None:
        self.size += len(text)
        if self.size > MAX_OUTPUT:
            raise self.error(f"output longer than {MAX_OUTPUT} characters")
        self.out.append(text)

    # --- statements ------------------------------------------------------------------------
    def walk(self, dot: object, nodes: Sequence[n.Node]) -> str | None:
        """Run `nodes`; returns "break" or "continue" when one ends the enclosing range's turn."""
        for node in nodes:
            self.step()
            if isinstance(node, n.Text):
                self.write(node.text)
            elif isinstance(node, n.Action):
                value = self.eval_pipeline(dot, node.pipe)
                if not node.pipe.decls:
                    self.node = node
                    self.write("<no value>" if value is None else format_value(value))
            elif isinstance(node, n.Loop):
                return node.keyword
            elif isinstance(node, n.TemplateCall):
                self.walk_template(dot, node)
            elif (signal := self.walk_control(dot, node)) is not None:
                return signal
        return None

    def walk_control(self, dot: object, node: n.Control) -> str | None:
        mark = len(self.vars)
        try:
            value = self.eval_pipeline(dot, node.pipe)
            if node.keyword == "range":
                return self.walk_range(dot, node, value)
            if truth(value):
                return self.walk(value if node.keyword == "with" else dot, node.body)
            return None if node.otherwise is None else self.walk(dot, node.otherwise)
        finally:
            del self.vars[mark:]

    def walk_range(self, dot: object, node: n.Control, value: object) -> str | None:
        mark, ran = len(self.vars), False
        for index, elem in self.range_items(node, value):
            ran = True
            self.step()
            self.set_range_vars(node.pipe, index, elem)
            signal = self.walk(elem, node.body)
            del self.vars[mark:]
            if signal == "break":
                break
        if not ran and node.otherwise is not None:
            return self.walk(dot, node.otherwise)
        return None

    def range_items(self, node: n.Control, value: object) -> Iterable[tuple[object, object]]:
        k = kind(value)
        if k == "slice":
            return enumerate(value)  # type: ignore[arg-type]
        if k == "map":
            return ((key, value[key]) for key in sorted_keys(value))  # type: ignore[arg-type,index]
        if k == "int":
            if len(node.pipe.decls) > 1:
                raise self.error(f"can't use {value} to iterate over more than one variable")
            return ((i, i) for i in range(value))  # type: ignore[call-overload]
        if k == "invalid":
            return ()
        raise self.error(f"range can't iterate over {format_value(value)}")

    def set_range_vars(self, pipe: n.Pipe, index: object, elem: object) -> None:
        decls = pipe.decls
        if not decls:
            return
        if pipe.is_assign:
            self.set_var(decls[0].idents[0], index if len(decls) > 1 else elem)
            if len(decls) > 1:
                self.set_var(decls[1].idents[0], elem)
            return
        self.vars[-1] = (self.vars[-1][0], elem)
        if len(decls) > 1:
            self.vars[-2] = (self.vars[-2][0], index)

    def walk_template(self, dot: object, node: n.TemplateCall) -> None:
        self.node = node
        tree = self.trees.get(node.name)
        if tree is None:
            raise self.error(f"template {quote(node.name)} not defined")
        if self.depth >= MAX_TEMPLATE_DEPTH:
            raise self.error(f"exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})")
        value = None if node.pipe is None else self.eval_pipeline(dot, node.pipe)
        saved = self.vars, self.tmpl
        self.vars, self.tmpl = [("$", value)], node.name
        self.depth += 1
        self.walk(value, tree)
        self.depth -= 1
        self.vars, self.tmpl = saved

    # --- variables -------------------------------------------------------------------------
    def set_var(self, name: str, value: object) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i] = (name, value)
                return
        raise self.error(f"undefined variable: {name}")

    def var_value(self, name: str) -> object:
        for var, value in reversed(self.vars):
            if var == name:
                return value
        raise self.error(f"undefined variable: {name}")

    # --- expressions -----------------------------------------------------------------------
    def eval_pipeline(self, dot: object, pipe: n.Pipe) -> object:
        self.node = pipe
        value: object = _MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
        for var in pipe.decls:
            if pipe.is_assign:
                self.set_var(var.idents[0], value)
            else:
                self.vars.append((var.idents[0], value))
        return value

    def eval_command(self, dot: object, cmd: n.Command, final: object) -> object:
        first = cmd.args[0]
        if isinstance(first, n.Field):
            self.node = first
            return self.eval_field_chain(dot, dot, first, first.idents, cmd.args, final)
        if isinstance(first, n.Chain):
            return self.eval_chain(dot, first, cmd.args, final)
        if isinstance(first, n.Identifier):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, n.Variable):
            return self.eval_variable(dot, first, cmd.args, final)
        self.node = first
        self.not_a_function(cmd.args, final)
        if isinstance(first, n.Pipe):
            return self.eval_pipeline(dot, first)
        if isinstance(first, n.Nil):
            raise self.error("nil is not a command")
        return self.eval_arg(dot, first)

    def not_a_function(self, args: Sequence[n.Operand], final: object) -> None:
        if len(args) > 1 or final is not _MISSING:
            raise self.error(f"can't give argument to non-function {args[0]}")

    def eval_chain(self, dot: object, chain: n.Chain, args: Sequence[n.Operand], final: object) -> object:
        self.node = chain
        if isinstance(chain.node, n.Nil):
            raise self.error(f"indirection through explicit nil in {chain}")
        receiver = self.eval_arg(dot, chain.node)
        return self.eval_field_chain(dot, receiver, chain, chain.fields, args, final)

    def eval_variable(self, dot: object, var: n.Variable, args: Sequence[n.Operand], final: object) -> object:
        self.node = var
        value = self.var_value(var.idents[0])
        if len(var.idents) == 1:
            self.not_a_function(args, final)
            return value
        return self.eval_field_chain(dot, value, var, var.idents[1:], args, final)

    def eval_field_chain(
        self,
        dot: object,
        receiver: object,
        node: object,
        idents: Sequence[str],
        args: Sequence[n.Operand],
        final: object,
    ) -> object:
        for ident in idents[:-1]:
            receiver = self.eval_field(ident, node, (), _MISSING, receiver)
        return self.eval_field(idents[-1], node, args, final, receiver)

    def eval_field(
        self, name: str, node: object, args: Sequence[n.Operand], final: object, receiver: object
    ) -> object:
        """Field `name` of `receiver`; errors name the node last evaluated, as Go's do."""
        if receiver is None:
            return None
        has_args = len(args) > 1 or final is not _MISSING
        k = kind(receiver)
        if k == "struct" and name in (fields := struct_fields(receiver)):
            if has_args:
                raise self.error(f"{name} has arguments but cannot be invoked as function")
            return fields[name]
        if k == "map":
            if has_args:
                raise self.error(f"{name} is not a method but has arguments")
            return receiver.get(name)  # type: ignore[attr-defined]
        raise self.error(f"can't evaluate field {name} in type {go_type(receiver)}")

    def eval_arg(self, dot: object, node: n.Operand) -> object:
        self.node = node
        if isinstance(node, n.Dot):
            return dot
        if isinstance(node, n.Nil):
            return None
        if isinstance(node, n.Field):
            return self.eval_field_chain(dot, dot, node, node.idents, (node,), _MISSING)
        if isinstance(node, n.Variable):
            return self.eval_variable(dot, node, (), _MISSING)
        if isinstance(node, n.Pipe):
            return self.eval_pipeline(dot, node)
        if isinstance(node, n.Identifier):
            return self.eval_function(dot, node, node, (node,), _MISSING)
        if isinstance(node, n.Chain):
            return self.eval_chain(dot, node, (), _MISSING)
        if isinstance(node, n.Number):
            if node.overflows:
                raise self.error(f"{node.text} overflows int")
            return node.value
        return node.value if isinstance(node, n.Bool) else node.text

    def eval_string_arg(self, dot: object, node: n.Operand) -> str:
        """An argument to a `string` parameter (printf's format), with Go's type errors."""
        if isinstance(node, n.Bool | n.Number):
            self.node = node
            raise self.error(f"expected string; found {node}")
        if isinstance(node, n.Nil):
            self.node = node
            raise self.error("cannot assign nil to string")
        return self.check_string(self.eval_arg(dot, node))

    def check_string(self, value: object) -> str:
        if value is None:
            raise self.error("invalid value; expected string")
        if not isinstance(value, str):
            raise self.error(f"wrong type for value; expected string; got {go_type(value)}")
        return value

    def eval_function(
        self, dot: object, ident: n.Identifier, node: object, args: Sequence[n.Operand], final: object
    ) -> object:
        self.node = ident
        builtin = BUILTINS[ident.name]
        given = list(args[1:])
        self.check_arity(ident.name, len(given), final)
        if ident.name in ("and", "or"):
            return self.eval_and_or(dot, ident.name, given, final)
        if ident.name == "call":
            self.eval_call_builtin(dot, node, given, final)
        values = [
            self.eval_string_arg(dot, arg) if i == 0 and ident.name == "printf" else self.eval_arg(dot, arg)
            for i, arg in enumerate(given)
        ]
        if final is not _MISSING:
            values.append(self.check_string(final) if ident.name == "printf" and not given else final)
        return self.call(builtin.call, ident.name, node, values)

    def check_arity(self, name: str, given: int, final: object) -> None:
        builtin = BUILTINS[name]
        count = given + (final is not _MISSING)
        if builtin.variadic and count < builtin.fixed:
            raise self.error(f"wrong number of args for {name}: want at least {builtin.fixed} got {given}")
        if not builtin.variadic and count != builtin.fixed:
            raise self.error(f"wrong number of args for {name}: want {builtin.fixed} got {count}")

    def call(self, function: object, name: str, node: object, values: list[object]) -> object:
        try:
            result = function(*values)  # type: ignore[operator]
        except InvalidWriteBackConfig as err:
            self.node = node
            raise self.error(f"error calling {name}: {err}") from err
        if isinstance(result, str) and len(result) > MAX_OUTPUT:
            self.node = node
            raise self.error(f"{name} made a string longer than {MAX_OUTPUT} characters")
        # strings cost their length (copied and compared in C), anything else a Python-level call
        self.work += _CALL_COST + sum(len(v) if isinstance(v, str) else _CALL_COST for v in (*values, result))
        if self.work > MAX_WORK:
            self.node = node
            raise self.error(
                f"execution stopped after {MAX_WORK} units of work in functions (strings too long?)"
            )
        return result

    def eval_and_or(self, dot: object, name: str, args: Sequence[n.Operand], final: object) -> object:
        value: object = None
        for arg in args:
            value = self.eval_arg(dot, arg)
            if truth(value) == (name == "or"):
                return value
        return final if final is not _MISSING else value

    def eval_call_builtin(
        self, dot: object, node: object, args: Sequence[n.Operand], final: object
    ) -> NoReturn:
        """`call FN ARGS`: no template value is a function, so it fails as Go's does then."""
        fn = self.eval_arg(dot, args[0]) if args else final
        self.node = node
        if fn is None:
            raise self.error("error calling call: call of nil")
        raise self.error(f"error calling call: non-function {args[0] if args else ''} of type {go_type(fn)}")
