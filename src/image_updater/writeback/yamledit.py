"""Edit a YAML document by splicing text at the positions ruamel records; verify the meaning after.

Pure, no I/O. Three edits cover every target: set a string value (creating missing mapping keys),
delete a key, append a mapping entry to a sequence (creating the sequence). Only the characters of
changed values and whole inserted or removed lines differ from the input: comments, quoting,
indentation, key order, anchors, directives and line endings stay as the user wrote them.

Limits: lists are never created by a path (`a[3]` must exist); keys are not created or removed
inside flow collections written on one line (`{...}`) except by appending; edits through an alias
of a collection are refused. After editing, the result is parsed again and compared, leaf by leaf,
with what the edits should mean; any difference raises WriteBackError and nothing is returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from image_updater.errors import WriteBackError
from image_updater.writeback import yamlcheck
from image_updater.writeback import yamltext as yt
from image_updater.writeback.edits import AppendEntry, DeleteKey, Edit, SetValue
from image_updater.writeback.yamltext import STR_TAG, Path, show


def apply(
    text: str,
    edits: Sequence[Edit],
    *,
    path: str,
    loose: bool = False,
    multi: bool = False,
    documents: list[Node | None] | None = None,
) -> str:
    """Apply `edits` to the first document of `text`; `multi` allows (and keeps) further documents.

    `loose`: the reader types every field as a string (kustomize), so an equal value written
    unquoted, like `newTag: 1.10`, is already right and stays untouched. `documents`: `text`
    already composed by the caller. Values of existing keys are replaced in one pass over one
    parse (large values files); edits that add or remove lines then run one at a time.
    """
    original = documents if documents is not None else yt.compose_documents(text, path=path)
    if len(original) > 1 and not multi:
        raise WriteBackError(f"{path} holds {len(original)} YAML documents; keep a single document in it")
    editor = _Editor(text, path=path, loose=loose, documents=original)
    spans: list[tuple[int, int, str]] = []
    structural: list[Edit] = []
    for edit in edits:
        span = editor.replacement(edit) if isinstance(edit, SetValue) else None
        if span is None or any(span[0] < end and start < span[1] for start, end, _ in spans):
            structural.append(edit)
        else:
            spans.append(span)
    result = text
    for start, end, replacement in sorted(spans, reverse=True):
        result = result[:start] + replacement + result[end:]
    parsed = original if result == text else None  # the first line edit needs no new parse then
    for edit in structural:
        result = _Editor(result, path=path, loose=loose, documents=parsed).apply(edit)
        parsed = None
    yamlcheck.verify(original, yt.compose_documents(result, path=path), edits, path=path, loose=loose)
    return result


def current(root: Node | None, target: Path) -> str | None:
    """The scalar text at `target` under `root`, None when absent or not a scalar."""
    node = root
    for step in target:
        if isinstance(node, MappingNode) and isinstance(step, str) and (pair := yt.find_pair(node, step)):
            node = pair[1]
        elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(yt.items(node)):
            node = yt.items(node)[step]
        else:
            return None
    return str(node.value) if isinstance(node, ScalarNode) and yt.tag_of(node) != yt.NULL_TAG else None


class _Editor:
    """One edit against one text; `apply` returns the new text."""

    def __init__(
        self, text: str, *, path: str, loose: bool, documents: list[Node | None] | None = None
    ) -> None:
        self.text, self.path, self.loose = text, path, loose
        self.nl = yt.newline_of(text)
        docs = (documents if documents is not None else yt.compose_documents(text, path=path)) or [None]
        # an empty document composes to a null scalar; `{}` is as empty, and is replaced
        self.root = None if _is_empty(docs[0]) else docs[0]
        self.empty_span = (
            (docs[0].start_mark.index, docs[0].end_mark.index) if docs[0] is not None else (0, 0)
        )
        self.multi = len(docs) > 1

    def apply(self, edit: Edit) -> str:
        if self.root is None:
            return self._fill_empty(edit)
        parent, key = self._parent(self._top(), edit.path)
        if isinstance(edit, SetValue) and (span := self.replacement(edit)) is not None:
            return self.text[: span[0]] + span[2] + self.text[span[1] :]
        if (anchor := yt.anchor_of(self.text, parent)) is not None:
            where = show(edit.path[: len(edit.path) - len(key)]) or "the top level"
            raise WriteBackError(f"{self.path}: {where} is anchored (&{anchor}); change it by hand")
        if isinstance(edit, SetValue):
            return self._set(parent, key, edit)
        if isinstance(edit, DeleteKey):
            return self._delete(parent, key)
        return self._append(parent, key, edit)

    def replacement(self, edit: SetValue) -> tuple[int, int, str] | None:
        """The (start, end, text) splice that sets an existing value; None when keys must be added.
        An equal value is the empty splice at 0."""
        if self.root is None:
            return None
        parent, rest = self._parent(self._top(), edit.path)
        pair = yt.find_pair(parent, str(rest[0])) if isinstance(rest[0], str) else None
        if pair is None or len(rest) > 1:
            return None
        key, value = pair
        if not isinstance(value, ScalarNode):
            raise WriteBackError(f"{self.path}: {show(edit.path)} is not a single value; check the key path")
        if _same(value, edit.value, loose=self.loose):
            return 0, 0, ""
        start, end = yt.value_span(self.text, key, value)
        style = value.style if value.style in ("'", '"') and not yt.is_alias_use(key, value) else None
        scalar = yt.render_scalar(edit.value, style=style)
        return start, end, (" " + scalar if start == end else scalar)

    # navigation ---------------------------------------------------------------------------------

    def _top(self) -> MappingNode:
        if not isinstance(self.root, MappingNode) or yt.is_flow(self.root):
            raise WriteBackError(f"{self.path} does not hold a block mapping at the top; cannot edit it")
        return self.root

    def _parent(self, root: MappingNode, path: Path) -> tuple[MappingNode, Path]:
        """The deepest existing mapping on `path` and the rest of `path` from there."""
        node: Node = root
        for index, step in enumerate(path[:-1]):
            if isinstance(node, MappingNode):
                pair = yt.find_pair(node, str(step)) if isinstance(step, str) else None
                if pair is None or _is_empty(pair[1]):
                    return node, path[index:]
                if yt.is_alias_use(*pair) and not isinstance(pair[1], ScalarNode):
                    raise WriteBackError(
                        f"{self.path}: {show(path[: index + 1])} is an alias; edit its anchor"
                    )
                node = pair[1]
            elif isinstance(node, SequenceNode) and isinstance(step, int) and step < len(yt.items(node)):
                node = yt.items(node)[step]
            else:
                raise WriteBackError(f"{self.path} has no {show(path[: index + 1])}; check the key path")
        if not isinstance(node, MappingNode):
            raise WriteBackError(f"{self.path}: {show(path[:-1])} is not a mapping; check the key path")
        return node, path[-1:]

    # edits -------------------------------------------------------------------------------------

    def _set(self, parent: MappingNode, rest: Path, edit: SetValue) -> str:
        pair = yt.find_pair(parent, str(rest[0])) if isinstance(rest[0], str) else None
        return self._insert(parent, rest, edit.value, after=edit.after, empty=pair)

    def _delete(self, parent: MappingNode, rest: Path) -> str:
        pair = yt.find_pair(parent, str(rest[0])) if len(rest) == 1 else None
        if pair is None:
            return self.text
        if yt.is_flow(parent):
            raise WriteBackError(
                f"{self.path}: cannot remove {rest[0]!r} from a flow mapping; use block style"
            )
        key, value = pair
        first = yt.line_start(self.text, cast(int, key.start_mark.line))
        if not self.text[first : key.start_mark.index].strip():
            end = yt.line_start(self.text, yt.pair_last_line(self.text, key, value) + 1)
            return self.text[:first] + self.text[end:]
        following = [k for k, _ in yt.pairs(parent) if k.start_mark.index > key.start_mark.index]
        if not following:
            raise WriteBackError(f"{self.path}: cannot remove the only key {key.value!r} of an entry")
        return self.text[: key.start_mark.index] + self.text[following[0].start_mark.index :]

    def _append(self, parent: MappingNode, rest: Path, edit: AppendEntry) -> str:
        pair = yt.find_pair(parent, str(rest[0])) if len(rest) == 1 else None
        if pair is None or _is_empty(pair[1]):
            return self._insert_sequence(parent, rest, edit.entry, empty=pair)
        key, seq = pair
        if not isinstance(seq, SequenceNode) or yt.is_alias_use(key, seq) or yt.anchor_of(self.text, seq):
            raise WriteBackError(f"{self.path}: {show(edit.path)} is not a plain list; change it by hand")
        if yt.is_flow(seq):
            close = cast(int, seq.end_mark.index) - 1
            sep = ", " if yt.items(seq) else ""
            return self.text[:close] + sep + _flow_entry(edit.entry) + self.text[close:]
        first = yt.items(seq)[0]
        dash = self._dash_column(first)
        column = (
            yt.pairs(first)[0][0].start_mark.column
            if isinstance(first, MappingNode)
            else first.start_mark.column
        )
        lines = _entry_lines(edit.entry, dash=dash, column=cast(int, column))
        return _insert_lines(self.text, yt.last_line(self.text, seq) + 1, lines, nl=self.nl)

    # insertion helpers --------------------------------------------------------------------------

    def _insert(
        self, parent: MappingNode, rest: Path, value: str, *, after: tuple[str, ...], empty: object
    ) -> str:
        if any(isinstance(step, int) for step in rest):
            raise WriteBackError(
                f"{self.path} has no {show(rest)}; list entries are never created, add it by hand"
            )
        keys = cast(tuple[str, ...], rest)
        if isinstance(empty, tuple):
            step = self._step()
            return self._fill_key(empty, _nested_lines(keys[1:], value, indent=step, step=step))
        if yt.is_flow(parent):
            close = cast(int, parent.end_mark.index) - 1
            sep = ", " if yt.pairs(parent) else ""
            return self.text[:close] + sep + _flow_nested(keys, value) + self.text[close:]
        column = cast(int, yt.pairs(parent)[0][0].start_mark.column)
        anchor = [p for p in yt.pairs(parent) if p[0].value in after] or yt.pairs(parent)
        line = yt.pair_last_line(self.text, *anchor[-1]) + 1
        return _insert_lines(
            self.text, line, _nested_lines(keys, value, indent=column, step=self._step()), nl=self.nl
        )

    def _insert_sequence(
        self, parent: MappingNode, rest: Path, entry: tuple[tuple[str, str], ...], *, empty: object
    ) -> str:
        offset = self._sequence_offset()
        if isinstance(empty, tuple):
            return self._fill_key(empty, _entry_lines(entry, dash=offset, column=offset + 2))
        if len(rest) != 1 or yt.is_flow(parent):
            raise WriteBackError(f"{self.path}: cannot create {show(rest)} here; add the list by hand")
        column = cast(int, yt.pairs(parent)[0][0].start_mark.column)
        lines = [" " * column + f"{_key(str(rest[0]))}:"]
        lines += _entry_lines(entry, dash=column + offset, column=column + offset + 2)
        return _insert_lines(
            self.text, yt.pair_last_line(self.text, *yt.pairs(parent)[-1]) + 1, lines, nl=self.nl
        )

    def _fill_key(self, pair: tuple[ScalarNode, Node], lines: list[str]) -> str:
        """Replace an empty value (`key:`, `key: ~`, `key: {}`) by block lines under the key."""
        key, value = pair
        colon = yt.key_colon(self.text, key)
        end = colon if value.start_mark.index == value.end_mark.index else cast(int, value.end_mark.index)
        text = self.text[:colon] + self.text[end:]
        indent = " " * cast(int, key.start_mark.column)
        return _insert_lines(
            text, cast(int, key.end_mark.line) + 1, [indent + ln for ln in lines], nl=self.nl
        )

    def _fill_empty(self, edit: Edit) -> str:
        if self.multi:
            raise WriteBackError(f"{self.path}: the first YAML document is empty; add the values by hand")
        if isinstance(edit, DeleteKey):
            return self.text
        if isinstance(edit, AppendEntry):
            lines = [f"{_key(str(edit.path[0]))}:", *_entry_lines(edit.entry, dash=0, column=2)]
        else:
            lines = _nested_lines(cast(tuple[str, ...], edit.path), edit.value, indent=0, step=2)
        start, end = self.empty_span
        if self.text[start:end].strip() in ("{}", "[]"):
            return self.text[:start] + self.nl.join(lines) + self.text[end:]
        return _insert_lines(self.text, self.text.count("\n") + 1, lines, nl=self.nl)

    def _dash_column(self, item: Node) -> int:
        start = yt.line_start(self.text, cast(int, item.start_mark.line))
        dash = self.text.rfind("-", start, cast(int, item.start_mark.index))
        return dash - start if dash >= 0 else cast(int, item.start_mark.column) - 2

    def _step(self) -> int:
        """The file's mapping indentation step (2 when nothing tells)."""
        for _, value in yt.pairs(cast(MappingNode, self.root)):
            if isinstance(value, MappingNode) and yt.pairs(value) and not yt.is_flow(value):
                return max(1, cast(int, yt.pairs(value)[0][0].start_mark.column))
        return 2

    def _sequence_offset(self) -> int:
        """How far the file indents `- ` under its key: 0 (`key:\\n- a`) or more (`key:\\n  - a`)."""
        for key, value in yt.pairs(cast(MappingNode, self.root)):
            if isinstance(value, SequenceNode) and yt.items(value) and not yt.is_flow(value):
                return max(0, self._dash_column(yt.items(value)[0]) - cast(int, key.start_mark.column))
        return 0


def _insert_lines(text: str, line: int, lines: list[str], *, nl: str) -> str:
    """`lines` inserted before 0-based `line` of `text` (at the end past it), each ended by `nl`."""
    index = yt.line_start(text, line)
    head = text[:index]
    if head and not head.endswith("\n"):
        head += nl
    return head + "".join(new + nl for new in lines) + text[index:]


def _is_empty(node: Node | None) -> bool:
    if node is None:
        return True
    if isinstance(node, ScalarNode):
        return yt.tag_of(node) == yt.NULL_TAG
    return isinstance(node, MappingNode | SequenceNode) and yt.is_flow(node) and not node.value


def _same(node: ScalarNode, value: str, *, loose: bool) -> bool:
    return str(node.value) == value and (loose or yt.tag_of(node) == STR_TAG)


def _key(key: str) -> str:
    return yt.render_scalar(key)


def _nested_lines(keys: tuple[str, ...], value: str, *, indent: int, step: int) -> list[str]:
    lines = [" " * (indent + step * depth) + f"{_key(key)}:" for depth, key in enumerate(keys)]
    lines[-1] += " " + yt.render_scalar(value)
    return lines


def _flow_nested(keys: tuple[str, ...], value: str) -> str:
    text = yt.render_scalar(value)
    for key in reversed(keys[1:]):
        text = "{" + f"{_key(key)}: {text}" + "}"
    return f"{_key(keys[0])}: {text}"


def _entry_lines(entry: tuple[tuple[str, str], ...], *, dash: int, column: int) -> list[str]:
    fields = [f"{_key(k)}: {yt.render_scalar(v)}" for k, v in entry]
    first = " " * dash + "-" + " " * max(1, column - dash - 1) + fields[0]
    return [first, *(" " * column + field for field in fields[1:])]


def _flow_entry(entry: tuple[tuple[str, str], ...]) -> str:
    return "{" + ", ".join(f"{_key(k)}: {yt.render_scalar(v)}" for k, v in entry) + "}"
