"""Logging setup: structlog to stderr, as text or JSON, with a level. Called once by the CLI.

Log lines carry registry data, repository content and error messages about both: every string
value passes `text.printable` (control characters and bidi overrides escaped, length bounded)
before it is rendered, so no input can forge a log line or drive the reader's terminal.
"""

from __future__ import annotations

import logging
import sys

import structlog

from image_updater.text import printable

VALUE_LIMIT = 16_384  # room for a dry run's diff; beyond it a value is cut


def configure(*, level: str = "info", fmt: str = "text") -> None:
    """Route structlog and stdlib logging to stderr at `level` (upstream's names: trace..error)."""
    name = {"trace": "DEBUG", "warn": "WARNING"}.get(level.lower(), level.upper())
    numeric = logging.getLevelName(name)
    if not isinstance(numeric, int):
        numeric = logging.INFO
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _printable_values,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=numeric, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def _printable_values(
    logger: object, method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    return {k: printable(v, limit=VALUE_LIMIT) if isinstance(v, str) else v for k, v in event.items()}
