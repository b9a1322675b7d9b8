"""Every row Masterminds/semver v3.4.0 itself produced: NewConstraint(c).Check(NewVersion(v)).

Columns: constraint, version, result (true, false, ERR-constraint when the constraint does not
parse, ERR-version when the constraint parses but the version does not). Lines starting with `#`
are comments.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from image_updater.semver import Constraint, Version

TABLE = Path(__file__).parent / "data" / "semver-masterminds-v3.4.0.tsv"


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line:
            continue
        constraint, version, result = line.split("\t")
        rows.append((constraint, version, result))
    return rows


ROWS = _rows()


def _outcome(constraint: str, version: str, compiled: dict[str, Constraint | ValueError]) -> str:
    if constraint not in compiled:
        try:
            compiled[constraint] = Constraint(constraint)
        except ValueError as err:
            compiled[constraint] = err
    parsed = compiled[constraint]
    if isinstance(parsed, ValueError):
        return "ERR-constraint"
    try:
        return "true" if parsed.check(Version(version)) else "false"
    except ValueError:
        return "ERR-version"


# Each constraint is compiled once for the whole table (51 distinct constraints, 2150 rows).
_COMPILED: dict[str, Constraint | ValueError] = {}


def test_table_is_complete() -> None:
    assert len(ROWS) >= 2150
    assert {result for _, _, result in ROWS} <= {"true", "false", "ERR-constraint", "ERR-version"}


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [pytest.param(c, v, r, id=f"{c!r}~{v!r}") for c, v, r in ROWS],
)
def test_matches_masterminds(constraint: str, version: str, expected: str) -> None:
    assert _outcome(constraint, version, _COMPILED) == expected


@pytest.mark.parametrize(
    ("constraint", "version"),
    [pytest.param(c, v, id=f"{c!r}~{v!r}") for c, v, r in ROWS if r == "true"],
)
def test_key_ranges_hold_every_admitted_version(constraint: str, version: str) -> None:
    """`Constraint.key_ranges` may only leave out what `check` refuses (the cycle skips it unasked)."""
    parsed, key = Constraint(constraint), Version(version).key
    assert any(
        (low is None or low <= key)
        and (high is None or key < high)
        and (prereleases or not Version(version).prerelease)
        for low, high, prereleases in parsed.key_ranges()
    )
