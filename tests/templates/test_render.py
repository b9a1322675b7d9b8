"""Upstream-style commit and branch templates and their exact output.

Each expectation is what Go 1.27's text/template printed for the same template and data (run
once with a Go binary, not needed by these tests). Three differ from that run only because the
data there was JSON (maps) where upstream's is structs: `index` of a missing label in
upstream's `map[string]string` is "" (not `<no value>`), and `%v` of a struct is `{…}`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from image_updater.templates import compile_template
from tests.templates.data import BRANCH, COMMIT

CASES = [
    (
        "upstream-default",
        COMMIT,
        "build: automatic update of {{ .AppName }}\n\n{{ range .AppChanges -}}\nupdates image {{ .Image"
        " }} tag '{{ .OldTag }}' to '{{ .NewTag }}'\n{{ end -}}\n",
        "build: automatic update of guestbook\n\nupdates image org/web tag '1.0.0' to '1.1.0'\nupdates "
        "image org/api tag '2.0.0' to '2.0.1'\n",
    ),
    (
        "docs-example-with-labels",
        COMMIT,
        '{{ .AppName }}: {{ range .AppChanges }}{{ .Image }} ({{ index .Labels "org.opencontainers.imag'
        'e.source" }}) {{ end }}',
        "guestbook: org/web (https://github.com/org/web) org/api () ",
    ),
    (
        "printf-count",
        COMMIT,
        "chore({{ .AppName }}): update {{ len .AppChanges }} image{{ if gt (len .AppChanges) 1 }}s{{ en"
        "d }}\n",
        "chore(guestbook): update 2 images\n",
    ),
    (
        "printf-padding",
        COMMIT,
        '{{ range .AppChanges }}{{ printf "%-10s %8s -> %-8s|" .Image .OldTag .NewTag }}\n{{ end }}',
        "org/web       1.0.0 -> 1.1.0   |\norg/api       2.0.0 -> 2.0.1   |\n",
    ),
    (
        "printf-quote",
        COMMIT,
        '{{ range .AppChanges }}{{ printf "%s: %q => %q" .Image .OldTag .NewTag }};{{ end }}',
        'org/web: "1.0.0" => "1.1.0";org/api: "2.0.0" => "2.0.1";',
    ),
    (
        "range-index-comma",
        COMMIT,
        "Updated {{ range $i, $c := .AppChanges }}{{ if $i }}, {{ end }}{{ $c.Image }}@{{ $c.NewTag }}{"
        "{ end }}",
        "Updated org/web@1.1.0, org/api@2.0.1",
    ),
    (
        "root-in-range",
        COMMIT,
        "{{ range .AppChanges }}[{{ $.AppName }}] {{ .Image }}\n{{ end }}",
        "[guestbook] org/web\n[guestbook] org/api\n",
    ),
    (
        "variables",
        COMMIT,
        "{{ $app := .AppName }}{{ $n := len .AppChanges }}{{ $app }} has {{ $n }} changes",
        "guestbook has 2 changes",
    ),
    (
        "assign-in-range",
        COMMIT,
        '{{ $last := "" }}{{ range .AppChanges }}{{ $last = .NewTag }}{{ end }}last={{ $last }}',
        "last=2.0.1",
    ),
    (
        "pipeline",
        COMMIT,
        '{{ .AppName | printf "app=%s" }} {{ .AppName | len | printf "%03d" }}',
        "app=guestbook 009",
    ),
    ("paren-subexpr", COMMIT, '{{ printf "%s has %d" .AppName (len .AppChanges) }}', "guestbook has 2"),
    (
        "eq-multi",
        COMMIT,
        '{{ range .AppChanges }}{{ if eq .Image "org/web" "org/db" }}W{{ else }}-{{ end }}{{ end }}',
        "W-",
    ),
    (
        "ne-lt-ge",
        COMMIT,
        '{{ range .AppChanges }}{{ if ne .OldTag .NewTag }}changed {{ end }}{{ if lt .OldTag "2" }}old '
        '{{ end }}{{ if ge .NewTag "2" }}new {{ end }}{{ end }}',
        "changed old changed new ",
    ),
    (
        "and-or-not",
        COMMIT,
        "{{ if and .AppName (not .AppChanges) }}x{{ else if or .AppChanges .AppName }}y{{ end }}",
        "y",
    ),
    ("or-returns-value", COMMIT, '{{ or "" .AppName }} {{ and .AppName "z" }} {{ or 0 "" }}', "guestbook z "),
    (
        "index-list",
        COMMIT,
        '{{ (index .AppChanges 1).Image }} {{ index .AppChanges 0 | printf "%v" }}',
        "org/api {org/web 1.0.0 1.1.0 map[org.opencontainers.image.source:https://github.com/org/web te"
        "am:web]}",
    ),
    ("index-labels-missing", COMMIT, '[{{ index (index .AppChanges 1).Labels "team" }}]', "[]"),
    (
        "slice",
        COMMIT,
        "{{ slice .AppName 0 5 }} {{ range slice .AppChanges 1 }}{{ .Image }}{{ end }}",
        "guest org/api",
    ),
    (
        "with-else",
        COMMIT,
        "{{ with index .AppChanges 0 }}{{ .Image }}{{ else }}none{{ end }} {{ with .AppName }}{{ . }}{{"
        " end }}",
        "org/web guestbook",
    ),
    (
        "range-else-empty",
        COMMIT,
        "{{ range (slice .AppChanges 0 0) }}x{{ else }}no changes{{ end }}",
        "no changes",
    ),
    (
        "range-map-sorted",
        COMMIT,
        "{{ range $k, $v := (index .AppChanges 0).Labels }}{{ $k }}={{ $v }};{{ end }}",
        "org.opencontainers.image.source=https://github.com/org/web;team=web;",
    ),
    (
        "break-continue",
        COMMIT,
        "{{ range $i, $c := .AppChanges }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ $c.Image }}{{ end }}|{"
        '{ range .AppChanges }}{{ if eq .Image "org/web" }}{{ continue }}{{ end }}{{ .Image }}{{ end }}',
        "org/web|org/api",
    ),
    (
        "trim-markers",
        COMMIT,
        "  {{- .AppName -}}  \n  {{- range .AppChanges }}\n  * {{ .Image }}\n{{- end }}\n",
        "guestbook\n  * org/web\n  * org/api\n",
    ),
    ("comment", COMMIT, "a {{- /* a comment\nover lines */ -}} b{{/* c */}}", "ab"),
    (
        "define-template",
        COMMIT,
        '{{ define "line" }}- {{ .Image }} {{ .NewTag }}\n{{ end }}{{ range .AppChanges }}{{ template "'
        'line" . }}{{ end }}',
        "- org/web 1.1.0\n- org/api 2.0.1\n",
    ),
    (
        "block",
        COMMIT,
        '{{ block "list" .AppChanges }}{{ range . }}{{ .Image }} {{ end }}{{ end }}',
        "org/web org/api ",
    ),
    (
        "print-println",
        COMMIT,
        '{{ print .AppName 1 2 "x" }}|{{ println .AppName 3 }}|',
        "guestbook1 2x|guestbook 3\n|",
    ),
    (
        "printf-verbs",
        COMMIT,
        '{{ printf "%d %5.2f %x %X %t %v %s %% %c %U %e %g" 42 3.14159 255 "hi" true .AppName .AppName '
        "65 65 1234.5678 0.5 }}",
        "42  3.14 ff 6869 true guestbook guestbook % A U+0041 1.234568e+03 0.5",
    ),
    (
        "printf-v-list",
        COMMIT,
        '{{ printf "%v" (index .AppChanges 0).Labels }} {{ printf "%v" (slice .AppName 0 3) }}',
        "map[org.opencontainers.image.source:https://github.com/org/web team:web] gue",
    ),
    (
        "html-js-urlquery",
        COMMIT,
        '{{ html "<a & \'b\'>" }} {{ js "it\'s <x>" }} {{ urlquery "a b/c?d" }}',
        "&lt;a &amp; &#39;b&#39;&gt; it\\'s \\u003Cx\\u003E a+b%2Fc%3Fd",
    ),
    (
        "literals",
        COMMIT,
        "{{ \"s\" }} {{ `raw\n` }} {{ 'a' }} {{ 1.5 }} {{ 0x10 }} {{ -7 }} {{ true }} {{ 1e3 }}",
        "s raw\n 97 1.5 16 -7 true 1000",
    ),
    ("missing-map-key", COMMIT, "{{ (index .AppChanges 0).Labels.nope }}", "<no value>"),
    (
        "printf-mismatch",
        COMMIT,
        '{{ printf "%d %s" "x" }} {{ printf "%s" 1 2 }}',
        "%!d(string=x) %!s(MISSING) %!s(int=1)%!(EXTRA int=2)",
    ),
    (
        "with-else-with",
        COMMIT,
        "{{ with (index .AppChanges 1).Labels }}labels{{ else with .AppName }}app {{ . }}{{ end }}",
        "app guestbook",
    ),
    (
        "nested-range",
        COMMIT,
        "{{ range $c := .AppChanges }}{{ range $k, $v := $c.Labels }}{{ $c.Image }}:{{ $k }} {{ end }}{"
        "{ end }}",
        "org/web:org.opencontainers.image.source org/web:team ",
    ),
    ("range-int", COMMIT, "{{ range $i := 3 }}{{ $i }}{{ end }}", "012"),
    (
        "upstream-images",
        BRANCH,
        "image-updater{{range .Images}}-{{.Name}}-{{.NewTag}}{{end}}",
        "image-updater-org/web-1.1.0-org/api-2.0.1",
    ),
    ("upstream-sha", BRANCH, "image-updater-{{.SHA256}}", "image-updater-ab12cd"),
    ("alias-or-name", BRANCH, "iu{{range .Images}}-{{or .Alias .Name}}{{end}}", "iu-web-org/api"),
    (
        "first-image",
        BRANCH,
        "iu/{{ (index .Images 0).Alias }}-{{ (index .Images 0).NewTag }}",
        "iu/web-1.1.0",
    ),
    ("app-and-count", BRANCH, "iu/{{.AppNamespace}}/{{.AppName}}-{{len .Images}}", "iu/argocd/guestbook-2"),
    ("trimmed", BRANCH, "iu/ {{- range .Images -}} {{ .Alias }} {{- end -}}", "iu/web"),
    ("printf-sha", BRANCH, 'iu-{{ printf "%.7s" .SHA256 }}', "iu-ab12cd"),
]


@pytest.mark.parametrize(("data", "text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_upstream_style_templates(data: object, text: str, expected: str) -> None:
    assert compile_template(text, name="commit").render(data) == expected


MAP_CASES = [
    # Plain mappings are Go's map[string]interface {}: a missing key is `<no value>`, nil too.
    (
        "missing-key",
        "{{ .Nope }}|{{ .A.Nope }}|{{ .Nope.Deeper }}",
        {"A": {}},
        "<no value>|<no value>|<no value>",
    ),
    (
        "nil-prints-no-value",
        '{{ .N }} {{ print .N }} {{ printf "%v" .N }}',
        {"N": None},
        "<no value> <nil> <nil>",
    ),
    ("map-sorted-keys", "{{ . }} {{ range . }}{{ . }}{{ end }}", {"b": 2, "a": 1}, "map[a:1 b:2] 12"),
    ("list-and-nested", "{{ .L }} {{ .M }}", {"L": ["a", "b"], "M": {"k": [1, 2]}}, "[a b] map[k:[1 2]]"),
    (
        "truthiness",
        "{{ range .V }}{{ if . }}T{{ else }}F{{ end }}{{ end }}",
        {"V": [0, 1, "", "x", [], [0], {}, False, None, 0.0]},
        "FTFTFTFFFF",
    ),
    ("eq-missing-is-false", '{{ eq .Nope "x" }} {{ eq .Nope nil }}', {}, "false true"),
    (
        "floats-as-go",
        "{{ .A }} {{ .B }} {{ .C }} {{ .D }}",
        {"A": 1000000.0, "B": 123456.0, "C": 0.0001, "D": 1e21},
        "1e+06 123456 0.0001 1e+21",
    ),
    ("len-counts-bytes", "{{ len . }}", "héllo", "6"),
    ("dot-scalar", "{{ . }}", "x", "x"),
]


@pytest.mark.parametrize(
    ("text", "data", "expected"), [c[1:] for c in MAP_CASES], ids=[c[0] for c in MAP_CASES]
)
def test_map_data_as_go_maps(text: str, data: object, expected: str) -> None:
    assert compile_template(text, name="t").render(data) == expected


def test_templates_are_values() -> None:
    text = '{{ define "a" }}{{ . }}{{ end }}{{ range . }}{{ template "a" . }}{{ end }}'
    assert compile_template(text, name="t") == compile_template(text, name="t")
    assert hash(compile_template(text, name="t")) == hash(compile_template(text, name="t"))


def test_render_does_not_mutate_or_keep_state() -> None:
    template = compile_template(
        "{{ $n := 0 }}{{ range .AppChanges }}{{ $n = .Image }}{{ end }}{{ $n }}", name="t"
    )
    assert template.render(COMMIT) == template.render(COMMIT) == "org/api"


DEFAULT_COMMIT = (
    "build: automatic update of {{ .AppName }}\n\n{{ range .AppChanges -}}\n"
    "updates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'\n{{ end -}}\n"
)
CHANGES: dict[str, object] = {
    "AppName": "guestbook",
    "AppChanges": [
        {"Image": "org/web", "OldTag": "1.0.0", "NewTag": "1.1.0"},
        {"Image": "org/api", "OldTag": "2.0.0", "NewTag": "2.0.1"},
    ],
}
IMAGES: dict[str, object] = {
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


SUBSET_CASES = [
    # The subset this module implemented before; all still hold, but for nil: Go prints a nil
    # interface value as `<no value>`.
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
    ("bool-and-nil", "{{.T}} {{.N}} {{.I}}", {"T": True, "N": None, "I": 3}, "true <no value> 3"),
    ("attribute-lookup", "{{.O.Name}}", {"O": Obj(Name="obj")}, "obj"),
    ("labels-map", "{{.Labels.team}}", {"Labels": {"team": "core"}}, "core"),
]


@pytest.mark.parametrize(
    ("text", "data", "expected"), [c[1:] for c in SUBSET_CASES], ids=[c[0] for c in SUBSET_CASES]
)
def test_former_subset_still_renders(text: str, data: object, expected: str) -> None:
    assert compile_template(text, name="t").render(data) == expected
