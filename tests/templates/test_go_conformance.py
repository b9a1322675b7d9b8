"""Every row Go 1.27's text/template itself produced, for templates covering the whole language.

tests/data/go-text-template-1.27.jsonl: the first line (`# {"data": …}`) is the data, as JSON
(so every number is a float64, as Go's encoding/json decodes it); each further line is a
template and Go's output, or Go's error, for a template named `stdin`. The rows were made by
running Go's `text/template` on each template once; Go is not needed here.

Left out, as deliberate differences: Go names a map element's type `interface {}` in
"can't evaluate field" errors where this implementation names the element's own type (`string`,
`[]interface {}`), complex constants (unsupported), and the template depth (50, not 100000).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from image_updater.errors import InvalidWriteBackConfig
from image_updater.templates import compile_template

TABLE = Path(__file__).parent.parent / "data" / "go-text-template-1.27.jsonl"
_HEADER, *_LINES = TABLE.read_text(encoding="utf-8").splitlines()
DATA = json.loads(_HEADER.removeprefix("# "), parse_int=float)["data"]
ROWS = [json.loads(line) for line in _LINES]


@pytest.mark.parametrize("row", ROWS, ids=[row["template"][:60] for row in ROWS])
def test_same_as_go(row: dict[str, str]) -> None:
    if "error" in row:
        with pytest.raises(InvalidWriteBackConfig) as err:
            compile_template(row["template"], name="stdin").render(DATA)
        assert str(err.value) == row["error"]
    else:
        assert compile_template(row["template"], name="stdin").render(DATA) == row["output"]
