"""`image-updater webhook`: run's flags without the polling ones, upstream's default port, and a
clear refusal of a port that would serve nothing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from image_updater.cli.main import cli
from image_updater.cli.webhook_command import webhook_command


@pytest.mark.parametrize(
    ("flag", "present"),
    [
        pytest.param("--interval", False, id="no-interval"),
        pytest.param("--once", False, id="no-once"),
        pytest.param("--enable-webhook", False, id="always-enabled"),
        pytest.param("--distribution-webhook-secret", True, id="secrets"),
        pytest.param("--applications-dir", True, id="run-flags"),
    ],
)
def test_flags(flag: str, present: bool) -> None:
    names = {opt for param in webhook_command.params for opt in param.opts}
    assert (flag in names) is present


def test_upstream_default_port_and_no_separate_health_server() -> None:
    defaults = {param.name: param.default for param in webhook_command.params}
    assert defaults["webhook_port"] == 8080
    assert defaults["health_port"] == 0


def test_run_keeps_its_own_defaults() -> None:
    run = next(c for name, c in cli.commands.items() if name == "run")
    assert {p.name: p.default for p in run.params}["webhook_port"] == 8082


def test_port_zero_is_refused_in_one_line() -> None:
    result = CliRunner().invoke(cli, ["webhook", "--webhook-port", "0"])
    assert result.exit_code == 2
    assert "--webhook-port" in result.output
    assert "needs a port" in result.output
    assert "Traceback" not in result.output
