from dataclasses import dataclass

import pytest

from image_updater.errors import InvalidWriteBackConfig
from image_updater.templates import compile_template

DEFAULT_COMMIT = (
    "build: automatic update of {{ .AppName }}\n\n{{ range .AppChanges -}}\n"
    "updates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'\n{{ end -}}\n"
)
CHANGES = {
    "AppName": "guestbook",
    "AppChanges": [
        {"Image": "org/web", "OldTag": "1.0.0", "NewTag": "1.1.0"},
        {"Image": "org/api", "OldTag": "2.0.0", "NewTag": "2.0.1"},
    ],
}
IMAGES = {
    "Images": [
        {"Name": "org/web", "Alias": "web", "OldTag": "1.0.0", "NewTag": "1.1.0"},
        {"Name": "org/api", "Alias": "", "OldTag": "2.0.0", "NewTag": "2.0.1"},
    ],
    "SHA256": "ab12",
    "AppName": "guestbook",
}


@dataclass(frozen=True)
class Obj:
    Name: str
    Inner: object = None


RENDER_CASES = [
    ("plain-text", "hello", {}, "hello"),
    ("field", "{{ .AppName }}", CHANGES, "guestbook"),
    ("field-no-spaces", "{{.AppName}}", CHANGES, "guestbook"),
    (
        "upstream-default-commit",
        DEFAULT_COMMIT,
        CHANGES,
        "build: automatic update of guestbook\n\n"
        "updates image org/web tag '1.0.0' to '1.1.0'\nupdates image org/api tag '2.0.0' to '2.0.1'\n",
    ),
    (
        "branch-range",
        "image-updater{{range .Images}}-{{.Name}}-{{.NewTag}}{{end}}",
        IMAGES,
        "image-updater-org/web-1.1.0-org/api-2.0.1",
    ),
    ("branch-sha", "image-updater-{{.SHA256}}", IMAGES, "image-updater-ab12"),
    ("nested", "{{ .A.B.C }}", {"A": {"B": {"C": "deep"}}}, "deep"),
    ("dot", "{{ . }}", "x", "x"),
    (
        "root-in-range",
        "{{range .Images}}{{$.AppName}}/{{.Alias}};{{end}}",
        IMAGES,
        "guestbook/web;guestbook/;",
    ),
    ("root-alone", "{{ $.AppName }}", IMAGES, "guestbook"),
    ("if-true", "{{if .X}}yes{{else}}no{{end}}", {"X": "a"}, "yes"),
    ("if-false-empty-string", "{{if .X}}yes{{else}}no{{end}}", {"X": ""}, "no"),
    ("if-empty-list", "{{if .X}}yes{{else}}no{{end}}", {"X": []}, "no"),
    ("if-no-else", "{{if .X}}yes{{end}}.", {"X": False}, "."),
    ("else-if", "{{if .A}}a{{else if .B}}b{{else}}c{{end}}", {"A": 0, "B": 1}, "b"),
    ("range-else", "{{range .X}}{{.}}{{else}}none{{end}}", {"X": []}, "none"),
    ("range-map-sorted", "{{range .X}}{{.}},{{end}}", {"X": {"b": 2, "a": 1}}, "1,2,"),
    ("with", "{{with .A}}{{.B}}{{end}}", {"A": {"B": "in"}}, "in"),
    ("trim-left", "a  \n {{- .X}}", {"X": "b"}, "ab"),
    ("trim-right", "{{.X -}} \n\t c", {"X": "b"}, "bc"),
    ("minus-without-space-is-not-trim", "a {{.X}} -", {"X": "b"}, "a b -"),
    ("comment", "a{{/* ignored */}}b", {}, "ab"),
    ("bool-and-nil", "{{.T}} {{.N}} {{.I}}", {"T": True, "N": None, "I": 3}, "true <nil> 3"),
    ("attribute-lookup", "{{.O.Name}}", {"O": Obj(Name="obj")}, "obj"),
    ("labels-map", "{{.Labels.team}}", {"Labels": {"team": "core"}}, "core"),
]


@pytest.mark.parametrize(
    ("text", "data", "expected"), [c[1:] for c in RENDER_CASES], ids=[c[0] for c in RENDER_CASES]
)
def test_render(text: str, data: object, expected: str) -> None:
    assert compile_template(text, name="t").render(data) == expected


COMPILE_ERRORS = [
    ("unknown-function", "{{ printf .X }}", "unknown function 'printf'", "line 1, column 1"),
    ("pipeline", "{{ .X | upper }}", "pipelines are not supported", "line 1, column 1"),
    ("variable", "ok\n  {{ $x }}", "variables are not supported", "line 2, column 3"),
    ("unclosed-action", "a {{ .X", "unclosed action", "line 1, column 3"),
    ("missing-end", "{{ if .X }}a", "has no {{end}}", "line 1, column 13"),
    ("stray-end", "a{{end}}", "unexpected {{end}}", "line 1, column 2"),
    ("stray-else", "{{else}}", "unexpected {{else}}", "line 1, column 1"),
    ("empty-action", "{{ }}", "missing value", "line 1, column 1"),
    ("literal", '{{ "x" }}', "unsupported expression", "line 1, column 1"),
    ("if-without-arg", "{{if}}x{{end}}", "missing value", "line 1, column 1"),
    ("two-else", "{{if .X}}a{{else}}b{{else}}c{{end}}", "after {{else}}", "line 1, column 20"),
]


@pytest.mark.parametrize(
    ("text", "problem", "where"), [c[1:] for c in COMPILE_ERRORS], ids=[c[0] for c in COMPILE_ERRORS]
)
def test_compile_errors_name_template_and_position(text: str, problem: str, where: str) -> None:
    with pytest.raises(InvalidWriteBackConfig) as err:
        compile_template(text, name="commit-message")
    assert "'commit-message'" in str(err.value)
    assert problem in str(err.value)
    assert where in str(err.value)


RENDER_ERRORS = [
    ("missing-field", "{{ .Nope }}", {"AppName": "x"}, "no field 'Nope'"),
    ("missing-nested", "{{ .A.B }}", {"A": {}}, "no field 'A.B'"),
    ("missing-in-range", "{{range .L}}{{.X}}{{end}}", {"L": [{"Y": 1}]}, "no field 'X'"),
    ("field-of-nil", "{{ .A.B }}", {"A": None}, "cannot evaluate 'A.B'"),
    ("range-over-string", "{{range .S}}{{end}}", {"S": "abc"}, "cannot range over .S"),
]


@pytest.mark.parametrize(
    ("text", "data", "problem"), [c[1:] for c in RENDER_ERRORS], ids=[c[0] for c in RENDER_ERRORS]
)
def test_render_errors_are_not_silent(text: str, data: object, problem: str) -> None:
    template = compile_template(text, name="branch")
    with pytest.raises(InvalidWriteBackConfig, match=problem):
        template.render(data)
