"""How a command ends on an error: one `error:` line on stderr and an exit status, never a traceback.

`ConfigError` is bad input (status 2); any other `ImageUpdaterError` is the command's own failure
status; anything else is a bug of ours, said in one line, with the traceback only at debug level.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import click

from image_updater.errors import ConfigError, ImageUpdaterError
from image_updater.text import printable

EXIT_BAD_INPUT = 2
T = TypeVar("T")


def exiting_on_error(main: Callable[[], T], *, failed: int) -> T:
    """`main()`'s result; on an error, its one-line message and SystemExit (2, else `failed`)."""
    try:
        return main()
    except ConfigError as err:
        raise SystemExit(fail(str(err), EXIT_BAD_INPUT)) from None
    except ImageUpdaterError as err:
        raise SystemExit(fail(str(err), failed)) from None
    except Exception as err:  # a bug of ours: say so in one line; the traceback only at debug level
        logging.getLogger(__name__).debug("internal error", exc_info=True)
        message = f"internal error ({type(err).__name__}); rerun with --loglevel debug"
        raise SystemExit(fail(message, failed)) from None


def fail(message: str, code: int) -> int:
    """Print `message` as an error line (escaped: it may quote registry or repository text); `code`."""
    click.echo(f"error: {printable(message, limit=4096)}", err=True)
    return code
