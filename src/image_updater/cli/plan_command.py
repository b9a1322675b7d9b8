"""`image-updater plan`: one cycle of `run`, writing nothing, said per Application and image.

It takes `run`'s options (the same parameter objects, so an option added to `run` is a plan
option too) except those about running as a service (servers, webhooks, leader election); the
cycle is `run --once --dry-run` with no Events, no status written and no servers. Exit status:
0 nothing pending, 3 updates pending, 1 an Application or image failed (or the Applications
could not be listed), 2 bad input (docs/plan.md).
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from typing import Any

import click

from image_updater.cli.failing import exiting_on_error

# `plan` is `run`'s sibling: it shares run's option set, its settings builder and its webhook flags
# (service flags, left out here)
from image_updater.cli.run_command import EXIT_ERRORS, EXIT_OK, _settings, _webhook_options, run_command

EXIT_PENDING = 3  # click and bad input use 2; Terraform's -detailed-exitcode 2 would be ambiguous

# `run`'s options about running as a service; a plan runs one cycle that writes nothing
SERVICE_FLAGS: dict[str, Any] = {
    "interval": 0.0,
    "once": True,
    "dry_run": True,
    "health_port": 0,
    "metrics_port": 0,
    "leader_election": False,
    "disable_kube_events": True,
    "status_dir": None,
    "enable_webhook": False,
}
WEBHOOK_FLAGS = frozenset(p.name for p in _webhook_options(click.Command("webhook")).params)


def _params() -> list[click.Parameter]:
    """`run`'s parameters without the service ones; logs default to warnings (stdout is the plan)."""
    params: list[click.Parameter] = []
    for param in run_command.params:
        if param.name in SERVICE_FLAGS or param.name in WEBHOOK_FLAGS:
            continue
        if param.name == "loglevel":
            param = copy.copy(param)
            param.default = "warn"
        params.append(param)
    return params


@click.command("plan", params=_params())
@click.option(
    "--output",
    "-o",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: one object, schema in docs/plan.md.",
)
def plan_command(output: str, loglevel: str, logformat: str, **flags: Any) -> None:
    """Show what `run` would change, per Application and image, with the diffs; write nothing.

    Exit status: 0 nothing pending, 3 updates pending, 1 errors, 2 bad input."""
    from image_updater.runtime import logs, plan
    from image_updater.runtime.controller import run

    logs.configure(level=loglevel, fmt=logformat)
    recorder = plan.PlanRecorder()
    settings = dataclasses.replace(_settings({**flags, **SERVICE_FLAGS}), plan=recorder)
    status = exiting_on_error(lambda: asyncio.run(run(settings)), failed=EXIT_ERRORS)
    if recorder.report is None:  # the cycle failed as a whole: its error is logged
        raise SystemExit(status or EXIT_ERRORS)
    planned = plan.build(recorder.report, recorder.writes, currents=recorder.currents)
    click.echo(plan.as_json(planned) if output == "json" else plan.as_text(planned))
    raise SystemExit(status or (EXIT_PENDING if planned.pending else EXIT_OK))
