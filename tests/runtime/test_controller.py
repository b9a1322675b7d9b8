"""`controller.run` and its loop: exit statuses, configuration errors, scheduling and stopping.

The loop is driven by a scripted cycle (it only needs `run() -> CycleReport`), so scheduling is
tested without registries; everything else goes through `controller.run` against the fake API
server or an applications directory.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import pytest
import structlog

from image_updater.errors import ConfigError, ImageUpdaterError, InvalidWriteBackConfig, TransientError
from image_updater.runtime import controller, servers
from image_updater.runtime.controller import RunSettings, _Loop
from image_updater.runtime.cycle import Cycle
from image_updater.runtime.dispatch import Dispatcher
from image_updater.runtime.metrics import Metrics
from image_updater.runtime.outcomes import CycleReport
from image_updater.settings.registries import RegistryConfig
from tests.runtime.conftest import Cluster

Step = Callable[[], CycleReport]


@dataclass
class ScriptedCycle:
    """Stands in for `Cycle`: each `run()` plays the next step (a report, or an error to raise)."""

    steps: list[CycleReport | ImageUpdaterError | Step]
    runs: list[float] = field(default_factory=list)

    async def run(self) -> CycleReport:
        self.runs.append(time.monotonic())
        step = self.steps.pop(0)
        if isinstance(step, ImageUpdaterError):
            raise step
        return step() if callable(step) else step


def loop_for(steps: list[Any], **settings: Any) -> tuple[_Loop, ScriptedCycle, servers.Health]:
    cycle, health = ScriptedCycle(steps), servers.Health()
    dispatcher = Dispatcher(cycle=cast(Cycle, cycle), registries=RegistryConfig(), metrics=Metrics())
    loop = _Loop(
        cycle=cast(Cycle, cycle), settings=RunSettings(**settings), health=health, dispatcher=dispatcher
    )
    return loop, cycle, health


@pytest.mark.parametrize(
    ("step", "status"),
    [
        pytest.param(CycleReport(applications=2), 0, id="clean"),
        pytest.param(CycleReport(applications=2, errors=["application argocd/x: boom"]), 1, id="app-error"),
        pytest.param(TransientError("cannot list Applications", delay=1), 1, id="cycle-failed"),
        pytest.param(ConfigError("forbidden"), 1, id="cycle-config-error"),
    ],
)
async def test_once_runs_one_cycle_and_its_exit_status_says_how_it_went(step: Any, status: int) -> None:
    loop, cycle, health = loop_for([step], once=True)

    await loop.run()

    assert loop.exit_status == status
    assert len(cycle.runs) == 1
    assert health.ready


async def test_interval_zero_is_once() -> None:
    loop, cycle, _ = loop_for([CycleReport()], once=False, interval=0)
    await loop.run()
    assert len(cycle.runs) == 1


def _sigterm_then(report: CycleReport) -> Step:
    def step() -> CycleReport:
        # `_Loop.run` has installed its handler: this is the controller's SIGTERM, not pytest's
        os.kill(os.getpid(), signal.SIGTERM)
        return report

    return step


async def test_cycles_repeat_at_the_interval_until_sigterm() -> None:
    loop, cycle, _ = loop_for(
        [CycleReport(seconds=0.0), CycleReport(seconds=0.0), _sigterm_then(CycleReport(seconds=0.0))],
        interval=0.1,
    )

    with structlog.testing.capture_logs() as logs:
        await asyncio.wait_for(loop.run(), timeout=5)

    assert len(cycle.runs) == 3
    gaps = [b - a for a, b in zip(cycle.runs, cycle.runs[1:], strict=False)]
    assert all(gap >= 0.09 for gap in gaps), gaps
    assert loop.exit_status == 0
    assert "stopping after the last cycle, as asked" in [e["event"] for e in logs]


async def test_a_cycle_longer_than_the_interval_is_logged_and_the_next_starts_at_once() -> None:
    loop, cycle, _ = loop_for([CycleReport(seconds=5.0), _sigterm_then(CycleReport(seconds=0.0))], interval=1)

    with structlog.testing.capture_logs() as logs:
        await asyncio.wait_for(loop.run(), timeout=5)

    assert cycle.runs[1] - cycle.runs[0] < 0.5  # 5 s already spent: no wait before the next cycle
    (slow,) = [e for e in logs if e["event"] == "cycle took longer than the interval"]
    assert (slow["seconds"], slow["interval"], slow["log_level"]) == (5.0, 1, "warning")


async def test_a_failed_cycle_does_not_stop_the_loop() -> None:
    loop, cycle, _ = loop_for(
        [TransientError("API down", delay=1), _sigterm_then(CycleReport())], interval=0.05
    )

    with structlog.testing.capture_logs() as logs:
        await asyncio.wait_for(loop.run(), timeout=5)

    assert len(cycle.runs) == 2
    assert {"event": "cycle failed", "error": "API down", "log_level": "error"} in logs


async def test_the_signal_handlers_are_removed_when_the_loop_ends() -> None:
    loop, _, _ = loop_for([CycleReport()], once=True)
    await loop.run()
    assert signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, signal.default_int_handler)


# -- controller.run ------------------------------------------------------------------------------


async def test_listing_failure_in_a_cluster_exits_1_with_the_reason(cluster: Cluster) -> None:
    cluster.fake.fail_next(403, "Forbidden")

    status, logs = await cluster.run()

    assert status == 1
    (failed,) = [e for e in logs if e["event"] == "cycle failed"]
    assert "forbidden; grant the service account RBAC access" in failed["error"]


async def test_leader_election_is_off_for_once_unless_asked(cluster: Cluster) -> None:
    status, _ = await cluster.run(leader_election=None)
    assert status == 0
    assert not [r for r in cluster.fake.requests if "/leases" in r.path]


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        pytest.param(
            {"git_message_path": Path("/nonexistent/template.txt")},
            InvalidWriteBackConfig,
            "cannot read the commit message template /nonexistent/template.txt",
            id="missing-commit-template",
        ),
        pytest.param(
            {"applications_dir": None, "kubeconfig": Path("/nonexistent/kubeconfig")},
            ConfigError,
            "kubeconfig /nonexistent/kubeconfig does not exist",
            id="missing-kubeconfig",
        ),
        pytest.param(
            {"registries_conf": Path("registries.conf")},
            ConfigError,
            "registries.conf",
            id="bad-registries-conf",
        ),
    ],
)
async def test_configuration_errors_stop_run_before_any_cycle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: dict[str, Any], error: type, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "registries.conf").write_text("registries: {not: a list}\n")
    apps = tmp_path / "apps"
    apps.mkdir()
    base = RunSettings(
        once=True, health_port=0, metrics_port=0, applications_dir=apps, git_workdir=tmp_path / "git-work"
    )
    with pytest.raises(error, match=message):
        await controller.run(replace(base, **settings))


async def test_a_port_in_use_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))  # the controller binds every interface, this one included
        taken.listen()
        port = taken.getsockname()[1]
        settings = RunSettings(
            interval=60,
            health_port=0,
            metrics_port=port,
            applications_dir=tmp_path,
            git_workdir=tmp_path / "git-work",  # the default is per user: tests must not share it
        )
        with pytest.raises(ConfigError, match=rf"cannot listen on port.*{port}.*address already in use"):
            await controller.run(settings)
