"""`plan`'s options are `run`'s (the same parameter objects) without those about running as a
service, so an option added to `run` reaches `plan` without editing it; `plan` logs warnings by
default (its standard output is the plan) while `run` keeps `info`; the help states the exit
statuses. The plan itself is tested end to end in tests/runtime/test_plan_*_mode.py."""

from __future__ import annotations

from click.testing import CliRunner

from image_updater.cli.main import cli
from image_updater.cli.plan_command import EXIT_PENDING, SERVICE_FLAGS, WEBHOOK_FLAGS, plan_command
from image_updater.cli.run_command import run_command


def test_plan_takes_every_run_option_but_the_service_ones() -> None:
    run_names = {p.name for p in run_command.params}
    plan_names = {p.name for p in plan_command.params}

    assert plan_names == (run_names - set(SERVICE_FLAGS) - WEBHOOK_FLAGS) | {"output"}
    assert set(SERVICE_FLAGS) | WEBHOOK_FLAGS <= run_names  # each service flag is one of run's
    assert {"enable_webhook", "webhook_port", "docker_webhook_secret"} <= WEBHOOK_FLAGS
    shared = [p for p in plan_command.params if p.name not in ("output", "loglevel")]
    assert all(any(p is q for q in run_command.params) for p in shared)


def test_plan_logs_warnings_by_default_and_run_keeps_info() -> None:
    defaults = {c.name: {p.name: p.default for p in c.params} for c in (plan_command, run_command)}

    assert (defaults["plan"]["loglevel"], defaults["run"]["loglevel"]) == ("warn", "info")


def test_the_help_states_the_exit_statuses() -> None:
    result = CliRunner().invoke(cli, ["plan", "--help"])

    assert result.exit_code == 0
    assert f"{EXIT_PENDING} updates pending" in result.output
    assert "--output [text|json]" in result.output
    assert "--interval" not in result.output
    assert "--dry-run" not in result.output
    assert "webhook" not in result.output
