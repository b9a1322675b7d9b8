"""Go text/template's parser (text/template/parse/parse.go): items to trees of nodes.

The result maps each template name (the main one, and every `{{define}}`/`{{block}}`) to its
nodes. Errors are Go's, as `template: NAME:LINE: message`, raised as InvalidWriteBackConfig.
Functions are checked at parse time against the built-ins; variables must be declared before use;
`{{break}}`/`{{continue}}` only inside `{{range}}`. Complex constants are rejected.
"""

from __future__ import annotations

from image_updater.errors import InvalidWriteBackConfig
from image_updater.templates import nodes as n
from image_updater.templates.gofmt import quote
from image_updater.templates.lexer import Item, lex
from image_updater.templates.literals import number_value, unquote

MAX_DEPTH = 100  # nested controls and parentheses (Go allows 10000; Python's stack does not)


def parse(text: str, *, name: str, functions: frozenset[str]) -> dict[str, tuple[n.Node, ...]]:
    """Every template defined by `text`; the main one is `name`."""
    return _Parser(text, name=name, functions=functions).parse()


class _Parser:  # one method per Go parser function, with the same names
    def __init__(self, text: str, *, name: str, functions: frozenset[str]) -> None:
        self.text, self.name, self.functions = text, name, functions
        self.items = lex(text)
        self.i = self.furthest = 0
        self.vars = ["$"]
        self.range_depth = self.depth = 0
        self.action_line = 0
        self.trees: dict[str, tuple[n.Node, ...]] = {}

    # --- items -----------------------------------------------------------------------------
    def next(self) -> Item:
        item = self.items[min(self.i, len(self.items) - 1)]
        self.i += 1
        self.furthest = max(self.furthest, self.i - 1)
        return item

    def backup(self, count: int = 1) -> None:
        self.i -= count

    def peek(self) -> Item:
        item = self.next()
        self.backup()
        return item

    def next_non_space(self) -> Item:
        item = self.next()
        while item.type == "space":
            item = self.next()
        return item

    def peek_non_space(self) -> Item:
        item = self.next_non_space()
        self.backup()
        return item

    def line_of(self, pos: int) -> int:
        return self.text.count("\n", 0, pos) + 1

    def error(self, message: str) -> InvalidWriteBackConfig:
        """Go's parse error, on the line of the last item read."""
        item = self.items[min(self.furthest, len(self.items) - 1)]
        return InvalidWriteBackConfig(f"template: {self.name}:{self.line_of(item.pos)}: {message}")

    def unexpected(self, item: Item, context: str) -> InvalidWriteBackConfig:
        if item.type == "error":
            extra = ""
            line = self.line_of(item.pos)
            if self.action_line and self.action_line != line:
                extra = f" in action started at {self.name}:{self.action_line}"
                if item.value.endswith(" action"):
                    extra = extra[len(" in action") :]
            return self.error(f"{item}{extra}")
        return self.error(f"unexpected {item} in {context}")

    def expect(self, kind: str, context: str) -> Item:
        item = self.next_non_space()
        if item.type != kind:
            raise self.unexpected(item, context)
        return item

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("max expression depth exceeded")

    # --- structure -------------------------------------------------------------------------
    def parse(self) -> dict[str, tuple[n.Node, ...]]:
        root: list[n.Node] = []
        while self.peek().type != "eof":
            if self.peek().type == "left_delim":
                delim = self.i
                self.next()
                if self.next_non_space().value == "define" and self.items[self.i - 1].type == "keyword":
                    self.parse_definition()
                    continue
                self.i = delim
            node = self.text_or_action()
            if isinstance(node, _End | _Else):
                raise self.error(f"unexpected {node}")
            root.append(node)
        self.add(self.name, tuple(root))
        return self.trees

    def add(self, name: str, tree: tuple[n.Node, ...]) -> None:
        existing = self.trees.get(name)
        if existing is None or _is_empty(existing):
            self.trees[name] = tree
        elif not _is_empty(tree):
            raise self.error(f"template: multiple definition of template {_q(name)}")

    def parse_definition(self) -> None:
        context = "define clause"
        item = self.next_non_space()
        if item.type not in ("string", "raw_string"):
            raise self.unexpected(item, context)
        name = self.unquote(item)
        self.expect("right_delim", context)
        saved_vars, self.vars = self.vars, ["$"]
        body, end = self.item_list()
        if not isinstance(end, _End):
            raise self.error(f"unexpected {end} in {context}")
        self.vars = saved_vars
        self.add(name, body)

    def item_list(self) -> tuple[tuple[n.Node, ...], _End | _Else]:
        nodes: list[n.Node] = []
        while self.peek_non_space().type != "eof":
            node = self.text_or_action()
            if isinstance(node, _End | _Else):
                return tuple(nodes), node
            nodes.append(node)
        raise self.error("unexpected EOF")

    def text_or_action(self) -> n.Node | _End | _Else:
        item = self.next_non_space()
        if item.type == "text":
            return n.Text(item.pos, item.value)
        if item.type == "left_delim":
            self.action_line = self.line_of(item.pos)
            try:
                return self.action()
            finally:
                self.action_line = 0
        raise self.unexpected(item, "input")

    def action(self) -> n.Node | _End | _Else:
        item = self.next_non_space()
        if item.type == "keyword":
            control = self.control(item)
            if control is not None:
                return control
        self.backup()
        start = self.peek()
        return n.Action(start.pos, self.pipeline("command", "right_delim"))

    def control(self, item: Item) -> n.Node | _End | _Else | None:
        """The node a keyword starts, or None for one that does not start an action."""
        if item.value in ("if", "range", "with"):
            return self.parse_control(item.value, item.pos)
        if item.value in ("break", "continue"):
            return self.loop_control(item)
        if item.value in ("block", "template"):
            return self.block_control() if item.value == "block" else self.template_control()
        if item.value in ("else", "end"):
            return self.else_control() if item.value == "else" else self.end_control()
        return None

    def loop_control(self, item: Item) -> n.Loop:
        after = self.next_non_space()
        if after.type != "right_delim":
            raise self.unexpected(after, f"{{{{{item.value}}}}}")
        if self.range_depth == 0:
            raise self.error(f"{{{{{item.value}}}}} outside {{{{range}}}}")
        return n.Loop(item.pos, item.value)

    def parse_control(self, context: str, pos: int) -> n.Control:
        self.nest()
        saved = len(self.vars)
        pipe = self.pipeline(context, "right_delim")
        self.range_depth += context == "range"
        body, end = self.item_list()
        self.range_depth -= context == "range"
        otherwise: tuple[n.Node, ...] | None = None
        if isinstance(end, _Else):
            after = self.peek()
            if context in ("if", "with") and after.type == "keyword" and after.value == context:
                # `{{else if x}}` is `{{else}}{{if x}}…{{end}}{{end}}` sharing the last `{{end}}`.
                self.next()
                otherwise = (self.parse_control(context, after.pos),)
            else:
                otherwise, end = self.item_list()
                if not isinstance(end, _End):
                    raise self.error(f"expected end; found {end}")
        del self.vars[saved:]
        self.depth -= 1
        return n.Control(pos, context, pipe, body, otherwise)

    def else_control(self) -> _Else:
        after = self.peek_non_space()
        if after.type == "keyword" and after.value in ("if", "with"):
            return _Else()
        self.expect("right_delim", "else")
        return _Else()

    def end_control(self) -> _End:
        self.expect("right_delim", "end")
        return _End()

    def template_control(self) -> n.TemplateCall:
        context = "template clause"
        item = self.next_non_space()
        name = self.template_name(item, context)
        pipe = None
        if self.next_non_space().type != "right_delim":
            self.backup()
            pipe = self.pipeline(context, "right_delim")
        return n.TemplateCall(item.pos, name, pipe)

    def block_control(self) -> n.TemplateCall:
        context = "block clause"
        item = self.next_non_space()
        name = self.template_name(item, context)
        pipe = self.pipeline(context, "right_delim")
        saved_vars, saved_range, self.vars, self.range_depth = self.vars, self.range_depth, ["$"], 0
        self.nest()
        body, end = self.item_list()
        if not isinstance(end, _End):
            raise self.error(f"unexpected {end} in {context}")
        self.depth -= 1
        self.vars, self.range_depth = saved_vars, saved_range
        self.add(name, body)
        return n.TemplateCall(item.pos, name, pipe)

    def template_name(self, item: Item, context: str) -> str:
        if item.type not in ("string", "raw_string"):
            raise self.unexpected(item, context)
        return self.unquote(item)

    # --- pipelines -------------------------------------------------------------------------
    def pipeline(self, context: str, end: str) -> n.Pipe:
        start = self.peek_non_space()
        decls, is_assign = self.declarations(context)
        cmds: list[n.Command] = []
        while True:
            item = self.next_non_space()
            if item.type == end:
                pipe = n.Pipe(start.pos, tuple(decls), is_assign, tuple(cmds))
                self.check_pipeline(pipe, context)
                return pipe
            if item.type in _OPERAND_STARTS:
                self.backup()
                cmds.append(self.command())
            else:
                raise self.unexpected(item, context)

    def declarations(self, context: str) -> tuple[list[n.Variable], bool]:
        decls: list[n.Variable] = []
        while (var := self.peek_non_space()).type == "variable":
            mark = self.i
            self.next_non_space()
            follow = self.next_non_space()
            if follow.type in ("assign", "declare"):
                decls.append(self.declare(var))
                return decls, follow.type == "assign"
            if follow.type == "char" and follow.value == ",":
                decls.append(self.declare(var))
                if context == "range" and len(decls) < 2:
                    if self.peek_non_space().type in ("variable", "right_delim", "right_paren"):
                        continue
                    raise self.error("range can only initialize variables")
                raise self.error(f"too many declarations in {context}")
            self.i = mark
            break
        return decls, False

    def declare(self, var: Item) -> n.Variable:
        self.vars.append(var.value)
        return n.Variable(var.pos, (var.value,))

    def check_pipeline(self, pipe: n.Pipe, context: str) -> None:
        if not pipe.cmds:
            raise self.error(f"missing value for {context}")
        for stage, cmd in enumerate(pipe.cmds[1:], start=2):
            if isinstance(cmd.args[0], n.Bool | n.Dot | n.Nil | n.Number | n.String):
                raise self.error(f"non executable command in pipeline stage {stage}")

    def command(self) -> n.Command:
        start = self.peek_non_space()
        args: list[n.Operand] = []
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                args.append(operand)
            item = self.next()
            if item.type == "space":
                continue
            if item.type in ("right_delim", "right_paren"):
                self.backup()
            elif item.type != "pipe":
                raise self.unexpected(item, "operand")
            break
        if not args:
            raise self.error("empty command")
        return n.Command(start.pos, tuple(args))

    def operand(self) -> n.Operand | None:
        node = self.term()
        if node is None or self.peek().type != "field":
            return node
        fields: list[str] = []
        chain_pos = self.peek().pos  # Go places a chained field or variable at its second part
        while self.peek().type == "field":
            fields.append(self.next().value[1:])
        if isinstance(node, n.Field | n.Variable):
            return type(node)(chain_pos, node.idents + tuple(fields))
        if isinstance(node, n.Bool | n.String | n.Number | n.Nil | n.Dot):
            raise self.error(f"unexpected . after term {_q(str(node))}")
        return n.Chain(node.pos, node, tuple(fields))

    def term(self) -> n.Operand | None:
        """An operand's first term, or None (nothing consumed) if the next item starts none."""
        item = self.next_non_space()
        kind = item.type
        if kind == "identifier":
            if item.value not in self.functions:
                raise self.error(f"function {_q(item.value)} not defined")
            return n.Identifier(item.pos, item.value)
        if kind == "variable":
            return self.use_var(item)
        if kind == "field":
            return n.Field(item.pos, (item.value[1:],))
        if kind == "left_paren":
            self.nest()
            pipe = self.pipeline("parenthesized pipeline", "right_paren")
            self.depth -= 1
            return pipe
        literal = self.literal(item)
        if literal is None:
            self.backup()
        return literal

    def literal(self, item: Item) -> n.Operand | None:
        if item.type == "dot":
            return n.Dot(item.pos)
        if item.type == "nil":
            return n.Nil(item.pos)
        if item.type == "bool":
            return n.Bool(item.pos, item.value == "true")
        if item.type in ("number", "char_constant", "complex"):
            return self.number(item)
        if item.type in ("string", "raw_string"):
            return n.String(item.pos, item.value, self.unquote(item))
        return None

    def use_var(self, item: Item) -> n.Variable:
        if item.value not in self.vars:
            raise self.error(f"undefined variable {_q(item.value)}")
        return n.Variable(item.pos, (item.value,))

    # --- literals -------------------------------------------------------------------------
    def unquote(self, item: Item) -> str:
        try:
            return unquote(item.value)
        except InvalidWriteBackConfig as err:
            raise self.error(str(err)) from None

    def number(self, item: Item) -> n.Number:
        try:
            value, overflows = number_value(item.value, char=item.type == "char_constant")
        except InvalidWriteBackConfig as err:
            raise self.error(str(err)) from None
        return n.Number(item.pos, item.value, value, overflows=overflows)


class _End:
    def __str__(self) -> str:
        return "{{end}}"


class _Else:
    def __str__(self) -> str:
        return "{{else}}"


_OPERAND_STARTS = frozenset(
    {
        "bool",
        "char_constant",
        "complex",
        "dot",
        "field",
        "identifier",
        "number",
        "nil",
        "raw_string",
        "string",
    }
    | {"variable", "left_paren"}
)


def _q(text: str) -> str:
    return quote(text)


def _is_empty(tree: tuple[n.Node, ...]) -> bool:
    return all(isinstance(node, n.Text) and not node.text.strip() for node in tree)
