"""A branch template from an Application annotation (`git-branch`) with `printf` numbers Python's
`int()` refuses: non-ASCII digits (`str.isdigit` takes '²') and numbers past Python's digit
limit. They print as Go's fmt prints a bad verb or index, never escaping as a ValueError
(which the cycle would report as an internal error) (docs/security.md, "Application annotators").
"""

from __future__ import annotations

import pytest

from image_updater.templates import compile_template


@pytest.mark.parametrize(
    ("text", "rendered"),
    [
        pytest.param('{{printf "%[\u00b2]d" 1}}', "%!d(BADINDEX)", id="superscript-argument-index"),
        pytest.param('{{printf "%\u00b2d" 1}}', "%!\u00b2(int=1)d", id="superscript-width"),
        pytest.param('{{printf "%.\u00b2f" 1.0}}', "%!\u00b2(float64=1)f", id="superscript-precision"),
        pytest.param('{{printf "%[' + "9" * 5000 + ']d" 1}}', "%!d(BADINDEX)", id="5000-digit-index"),
        pytest.param('{{printf "%' + "9" * 5000 + 'd" 1}}', "1", id="5000-digit-width"),
        pytest.param('{{printf "%[2]d-%[1]d" 1 2}}', "2-1", id="ordinary-index"),
        pytest.param('{{printf "%4d" 7}}', "   7", id="ordinary-width"),
    ],
)
def test_printf_numbers_python_cannot_read_print_as_go_does(text: str, rendered: str) -> None:
    assert compile_template(text, name="branch").render({}) == rendered
