"""docs/security.md names, for each guarantee, the tests that attack it: every one must exist, and every
attack suite in tests/hostile must be named there, so the threat model and the tests stay together."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
NAMED = sorted(set(re.findall(r"`((?:[a-z_]+/)?test_[a-z0-9_]+\.py)(?:::([a-z0-9_]+))?", DOC)))


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)}


@pytest.mark.parametrize(("path", "function"), NAMED, ids=[f"{p}::{f}" if f else p for p, f in NAMED])
def test_every_test_the_threat_model_names_exists(path: str, function: str) -> None:
    file = ROOT / "tests" / path
    assert file.is_file(), f"docs/security.md names tests/{path}, which does not exist"
    if function:
        assert function in functions_in(file), (
            f"docs/security.md names {path}::{function}, which does not exist"
        )


def test_every_hostile_suite_is_in_the_threat_model() -> None:
    suites = {f"hostile/{p.name}" for p in (ROOT / "tests" / "hostile").glob("test_*.py")}
    named = {path for path, _ in NAMED}
    assert suites <= named, f"tests/hostile suites missing from docs/security.md: {sorted(suites - named)}"
