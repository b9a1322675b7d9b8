"""Templates that do not parse fail at load time with Go's message; execution errors are Go's too.

The parse messages are those Go 1.27 printed for the same text, `template: NAME:LINE: …`.
"""

from __future__ import annotations

import pytest

from image_updater.errors import InvalidWriteBackConfig
from image_updater.templates import compile_template
from tests.templates.data import COMMIT

PARSE_ERRORS = [
    ("{{ .AppName }", 'template: commit:1: unexpected "}" in operand'),
    ("{{ if .AppName }}x", "template: commit:1: unexpected EOF"),
    ("{{ end }}", "template: commit:1: unexpected {{end}}"),
    ("{{ else }}", "template: commit:1: unexpected {{else}}"),
    ("{{ if .AppName }}a{{ else }}b{{ else }}c{{ end }}", "template: commit:1: expected end; found {{else}}"),
    (
        "{{ range .AppChanges }}{{ else if .AppName }}{{ end }}",
        "template: commit:1: unexpected <if> in input",
    ),
    ("{{ printf }", 'template: commit:1: unexpected "}" in operand'),
    ("{{ nosuchfunc .AppName }}", 'template: commit:1: function "nosuchfunc" not defined'),
    ("{{ $undefined }}", 'template: commit:1: undefined variable "$undefined"'),
    ("{{ .AppName", "template: commit:1: unclosed action"),
    ('{{ "unterminated }}', "template: commit:1: unterminated quoted string"),
    ("{{ break }}", "template: commit:1: {{break}} outside {{range}}"),
    ("{{ if }}{{ end }}", "template: commit:1: missing value for if"),
    ("{{ range $i, $c, $x := .AppChanges }}{{ end }}", "template: commit:1: too many declarations in range"),
    ("{{ .AppName | 3 }}", "template: commit:1: non executable command in pipeline stage 2"),
    ("{{ ( .AppName }}", "template: commit:1: unclosed left paren"),
    ("{{ .AppName ) }}", "template: commit:1: unexpected right paren"),
    ("{{ .AppName.. }}", "template: commit:1: unexpected <.> in operand"),
    ("{{ /* not a comment */ }}", 'template: commit:1: unexpected "/" in command'),
    ("{{/* unclosed", "template: commit:1: unclosed comment"),
    ("{{/* x */ .AppName }}", "template: commit:1: comment ends before closing delimiter"),
    (
        '{{ define "a" }}{{ end }}{{ define "a" }}x{{ end }}{{ define "a" }}y{{ end }}',
        'template: commit:1: template: multiple definition of template "a"',
    ),
    (
        "line one\nline two {{ if .X }}\nline three {{ .AppName }",
        'template: commit:3: unexpected "}" in operand',
    ),
    ("{{ 99999999999999999999 }}", 'template: commit:1: integer overflow: "99999999999999999999"'),
    ("{{ 'ab' }}", "template: commit:1: malformed character constant: 'ab'"),
    ("{{ @ }}", 'template: commit:1: unexpected "@" in command'),
    ("{{ template }}", 'template: commit:1: unexpected "}}" in template clause'),
]


@pytest.mark.parametrize(
    ("text", "message"), PARSE_ERRORS, ids=[m.split(": ", 2)[-1] for _, m in PARSE_ERRORS]
)
def test_broken_templates_fail_to_load_with_gos_message(text: str, message: str) -> None:
    with pytest.raises(InvalidWriteBackConfig) as err:
        compile_template(text, name="commit")
    assert str(err.value) == message


EXEC_ERRORS = [
    # Upstream's data are structs: a misspelt field is an error, as in Go.
    (
        "{{ .Nope }}",
        'template: commit:1:3: executing "commit" at <.Nope>: can\'t evaluate field Nope in type Commit',
    ),
    (
        "{{ range .AppChanges }}{{ .Tag }}{{ end }}",
        'template: commit:1:26: executing "commit" at <.Tag>: can\'t evaluate field Tag in type Change',
    ),
    (
        "{{ .AppName.X }}",
        'template: commit:1:11: executing "commit" at <.AppName.X>: can\'t evaluate field X in type string',
    ),
    (
        "{{ range .AppName }}{{ end }}",
        'template: commit:1:9: executing "commit" at <.AppName>: range can\'t iterate over guestbook',
    ),
    (
        "{{ index .AppChanges 5 }}",
        'template: commit:1:3: executing "commit" at <index .AppChanges 5>: error calling index: index '
        "out of range: 5",
    ),
    (
        "{{ lt 1 2.5 }}",
        'template: commit:1:3: executing "commit" at <lt 1 2.5>: error calling lt: incompatible types f'
        "or comparison: int and float64",
    ),
    (
        "{{ eq .AppName 1 }}",
        'template: commit:1:3: executing "commit" at <eq .AppName 1>: error calling eq: incompatible ty'
        "pes for comparison: string and int",
    ),
    (
        "{{ len 3 }}",
        'template: commit:1:3: executing "commit" at <len 3>: error calling len: len of type int',
    ),
    (
        "{{ len }}",
        'template: commit:1:3: executing "commit" at <len>: wrong number of args for len: want 1 got 0',
    ),
    ("{{ printf 3 }}", 'template: commit:1:10: executing "commit" at <3>: expected string; found 3'),
    ("{{ nil }}", 'template: commit:1:3: executing "commit" at <nil>: nil is not a command'),
    (
        '{{ template "x" }}',
        'template: commit:1:12: executing "commit" at <{{template "x"}}>: template "x" not defined',
    ),
    (
        "{{ .AppName 1 }}",
        'template: commit:1:3: executing "commit" at <.AppName>: AppName has arguments but cannot be in'
        "voked as function",
    ),
    (
        "{{ call .AppName }}",
        'template: commit:1:3: executing "commit" at <call .AppName>: error calling call: non-function '
        ".AppName of type string",
    ),
    (
        "line 1\n{{ with .AppChanges }}\n  {{ slice .AppName 1 }}{{ end }}",
        'template: commit:3:11: executing "commit" at <.AppName>: can\'t evaluate field AppName in type'
        " []Change",
    ),
]


@pytest.mark.parametrize(
    ("text", "message"), EXEC_ERRORS, ids=[m.split(": ", 3)[-1][:40] for _, m in EXEC_ERRORS]
)
def test_execution_errors_are_gos(text: str, message: str) -> None:
    template = compile_template(text, name="commit")
    with pytest.raises(InvalidWriteBackConfig) as err:
        template.render(COMMIT)
    assert str(err.value) == message


HOSTILE = [
    # Branch templates come from Application annotations: execution is bounded, never a hang.
    ("endless-range", "{{ range 1000000000000 }}x{{ end }}", "steps"),
    ("nested-ranges", "{{ range 100000 }}{{ range 100000 }}{{ end }}{{ end }}", "steps"),
    ("huge-width", '{{ range 10 }}{{ printf "%999999d" 1 }}{{ end }}', "output longer than"),
    (
        "doubling-string",
        '{{ $s := "xx" }}{{ range 40 }}{{ $s = printf "%s%s" $s $s }}{{ end }}',
        "printf made a string longer than",
    ),
    (
        "recursive-template",
        '{{ define "r" }}{{ template "r" }}{{ end }}{{ template "r" }}',
        "maximum template depth",
    ),
]


@pytest.mark.parametrize(("text", "problem"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_templates_stop_with_an_error(text: str, problem: str) -> None:
    template = compile_template(text, name="git-branch")
    with pytest.raises(InvalidWriteBackConfig, match=problem):
        template.render(COMMIT)


def test_deep_nesting_is_a_load_error_not_a_crash() -> None:
    with pytest.raises(InvalidWriteBackConfig, match="max expression depth exceeded"):
        compile_template("{{ " + "(" * 500 + "1" + ")" * 500 + " }}", name="git-branch")
    with pytest.raises(InvalidWriteBackConfig, match="max expression depth exceeded"):
        compile_template("{{ if 1 }}" * 500 + "{{ end }}" * 500, name="git-branch")


def test_only_fields_of_the_data_are_reachable() -> None:
    for text in ("{{ .__class__ }}", "{{ .AppName.__len__ }}", "{{ .__slots__ }}"):
        with pytest.raises(InvalidWriteBackConfig, match="can't evaluate field"):
            compile_template(text, name="commit").render(COMMIT)
