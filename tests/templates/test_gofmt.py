"""`print`, `println`, `printf` and the escapers, verb by verb, as Go's fmt prints them.

Expectations are what Go 1.27 printed for the same call and data (the data is JSON-shaped there,
so `.N` is a float64, as here).
"""

from __future__ import annotations

import pytest

from image_updater.templates import compile_template

DATA = {"L": ["a", "b"], "M": {"k": "v", "n": [1.0, 2.0]}, "N": 3.0}

CALLS = [
    (
        'printf "%d|%5d|%-5d|%05d|%+05d|% d|%x|%.3d|%.0d|" -42 -42 -42 -42 42 42 -255 7 0',
        "-42|  -42|-42  |-0042|+0042| 42|-ff|007||",
    ),
    (
        'printf "%x|%X|%o|%O|%b|%#x|%#o|%#b|%08b|%#08x" 255 255 8 8 5 255 8 5 5 255',
        "ff|FF|10|0o10|101|0xff|010|0b101|00000101|0x000000ff",
    ),
    (
        "printf \"%c|%q|%U|%#U|%+q\" 0x1F600 'x' 0x1F600 0x1F600 0x1F600",
        "😀|'x'|U+1F600|U+1F600 '😀'|'\\U0001f600'",
    ),
    (
        'printf "%v|%v|%v|%v|%v|%v" 0.1 100000.0 1e-7 -0.0 1e6 123456789.0',
        "0.1|100000|1e-07|-0|1e+06|1.23456789e+08",
    ),
    (
        'printf "%g|%G|%.10g|%f|%.0f|%.1f|%e|%E|%.2e|%08.3f|%+.1e|%-8.2f|" 1e100 1e-10 3.0 2.5 2.5 0.05'
        " 1234.5678 0.000123 5.0 3.14159 12345.678 2.0",
        "1e+100|1E-10|3|2.500000|2|0.1|1.234568e+03|1.230000E-04|5.00e+00|0003.142|+1.2e+04|2.00    |",
    ),
    (
        'printf "%s|%10s|%-10s|%.3s|%10.3s|%05s|%q|%#q|%+q|%x|% x|%X" "héllo" "ab" "ab" "abcdef" "abcde'
        'f" "ab" "a\\"b\\n" "a`b" "é\\t" "hi" "hi" "hi"',
        'héllo|        ab|ab        |abc|       abc|000ab|"a\\"b\\n"|"a`b"|"\\u00e9\\t"|6869|68 69|6869',
    ),
    ('printf "%t|%5t|%-6t|%v" true false true false', "true|false|true  |false"),
    ('printf "%v|%s|%d|%q|%5v|" .L .L .N .L .N', '[a b]|[a b]|%!d(float64=3)|["a" "b"]|    3|'),
    (
        'printf "%v|%+v|%#v" .M .M .M',
        'map[k:v n:[1 2]]|map[k:v n:[1 2]]|map[string]interface {}{"k":"v", "n":[]interface {}{1, 2}}',
    ),
    (
        'printf "%T|%T|%T|%T|%T|%T|%T" 1 1.5 "s" true nil .L .M',
        "int|float64|string|bool|<nil>|[]interface {}|map[string]interface {}",
    ),
    (
        'printf "%[2]d %[1]d|%[3]d|%*d|%-*d|%.*f|%[1]*d" 1 2 5 1 5 2 2 3.14159',
        "2 1|5|5|2 |%!(BADPREC)%!f(MISSING)|2",
    ),
    (
        'printf "%!|%|%z|%d|%s|%v" 1 "x" nil',
        "%!!(int=1)|%!|(string=x)%!z(<nil>)|%!d(MISSING)|%!s(MISSING)|%!v(MISSING)",
    ),
    ('printf "%d %s %v" "x" 1 nil', "%!d(string=x) %!s(int=1) <nil>"),
    ('printf "%s" 1 2 "x" nil', "%!s(int=1)%!(EXTRA int=2, string=x, <nil>)"),
    ('printf "%%|%5%|%-5%|"', "%|%|%|"),
    ('print 1 2 "a" "b" 3 nil .L', "1 2ab3 <nil> [a b]"),
    ('println 1 "a" nil .L', "1 a <nil> [a b]\n"),
    ('html "<>&\'\\"\\x00" 1 nil', "&lt;&gt;&amp;&#39;&#34;�1&lt;no value&gt;"),
    ('js "<>&\'\\"=\\\\ \\x01 é \\u2028"', "\\u003C\\u003E\\u0026\\'\\\"\\u003D\\\\ \\u0001 é \\u2028"),
    ('urlquery "a b&c=d/é~-_." 1', "a+b%26c%3Dd%2F%C3%A9~-_.1"),
]


@pytest.mark.parametrize(
    ("call", "expected"), CALLS, ids=[c.split('"')[1][:30] if '"' in c else c for c, _ in CALLS]
)
def test_fmt_as_go(call: str, expected: str) -> None:
    assert compile_template("{{ " + call + " }}", name="t").render(DATA) == expected
