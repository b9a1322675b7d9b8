"""Commands import only what they use: a fresh interpreter runs each command and lists its modules.

`test`, `template`, `version` and `--help` never load the Kubernetes client, prometheus or the
controller; a directory-mode `run` never loads the Kubernetes client (it is 63 MB and ~1 s of CPU).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from image_updater.refs import ImageRef
from tests.conftest import PushedImage

KUBE, PROMETHEUS, CONTROLLER = "kubernetes_asyncio", "prometheus_client", "image_updater.runtime.controller"

PROBE = """
import json, sys
from image_updater.cli.main import cli
try:
    cli.main(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_modules(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60, check=False
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def roots(modules: set[str]) -> set[str]:
    return {name for name in modules if name.split(".")[0] in {KUBE, PROMETHEUS}} | (modules & {CONTROLLER})


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--help"], id="help"),
        pytest.param(["version"], id="version"),
        pytest.param(["test", "--help"], id="test-help"),
        pytest.param(["run", "--help"], id="run-help"),
        pytest.param(["template"], id="template"),
    ],
)
def test_light_commands_load_no_cluster_client_metrics_or_controller(args: list[str]) -> None:
    assert roots(loaded_modules(*args)) == set()


def test_test_command_loads_no_cluster_client_metrics_or_controller(pushed_image: PushedImage) -> None:
    image = ImageRef(pushed_image.registry.host, pushed_image.repository).name
    modules = loaded_modules("test", image)
    assert "image_updater.registry.client" in modules  # it really ran
    assert roots(modules) == set()


def test_directory_mode_run_loads_no_cluster_client(tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    apps.mkdir()
    flags = ["--once", "--applications-dir", str(apps), "--metrics-port", "0", "--git-workdir", str(tmp_path)]
    modules = loaded_modules("run", *flags)
    assert CONTROLLER in modules  # it really ran
    assert {name for name in modules if name.split(".")[0] == KUBE} == set()


def test_test_command_without_a_registries_conf_loads_no_file_parsers(pushed_image: PushedImage) -> None:
    """pydantic, ruamel and the template engine cost ~0.1 s to import; `test` reads no file."""
    image = ImageRef(pushed_image.registry.host, pushed_image.repository).name
    modules = loaded_modules("test", image)
    assert "image_updater.registry.client" in modules  # it really ran
    heavy = {"pydantic", "ruamel", "image_updater.templates", "image_updater.settings.registries_conf"}
    assert {name for name in modules if name in heavy or name.split(".")[0] in heavy} == set()
