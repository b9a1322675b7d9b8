"""`image-updater webhook`: the webhook server alone, no polling, as upstream's `webhook` command.

Every flag of `run` except `--interval`, `--once` and `--enable-webhook` (the server always
runs); `--webhook-port` defaults to 8080 as upstream's, and the separate health server is off
by default since the webhook server answers `/healthz` itself. A push then runs selection and
write-back for the Applications watching its repository; nothing else ever runs, so a lost
webhook is not caught: run `run --enable-webhook` (with a long `--interval`) for a safety net.
"""

from __future__ import annotations

import copy
from typing import Any

import click

from image_updater.cli.run_command import run_command, start

_RUN_ONLY = frozenset({"interval", "once", "enable_webhook"})
_DEFAULTS = {"webhook_port": 8080, "health_port": 0}


def _params() -> list[click.Parameter]:
    params = []
    for param in run_command.params:
        if param.name in _RUN_ONLY:
            continue
        if param.name in _DEFAULTS:
            param = copy.copy(param)
            param.default = _DEFAULTS[param.name]
        params.append(param)
    return params


@click.command("webhook", params=_params())
def webhook_command(loglevel: str, logformat: str, **flags: Any) -> None:
    """Serve registry webhooks and update the Applications watching each pushed repository."""
    if not flags["webhook_port"]:
        raise click.BadParameter("the webhook command needs a port", param_hint="--webhook-port")
    flags.update(interval=3600.0, once=False, enable_webhook=True, polling=False)  # interval: unused
    start(loglevel=loglevel, logformat=logformat, flags=flags)
