"""Log lines escape what they quote: registry and repository text cannot forge a line or drive
the reader's terminal (docs/security.md)."""

from __future__ import annotations

import json

import pytest
import structlog

from image_updater.runtime import logs


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_log_values_are_printable_and_bounded(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(level="info", fmt=fmt)
    try:
        structlog.get_logger("t").error(
            "bad tag \x1b[31m\nforged line", tag="9.9.9\u202e\r\n", body="x" * 100_000
        )
    finally:
        structlog.reset_defaults()
    [line] = capsys.readouterr().err.splitlines()
    assert line.isprintable()
    assert len(line) < logs.VALUE_LIMIT + 1000
    if fmt == "json":
        record = json.loads(line)
        assert record["event"] == "bad tag \\x1b[31m\\nforged line"
        assert record["tag"] == "9.9.9\\u202e\\r\\n"
