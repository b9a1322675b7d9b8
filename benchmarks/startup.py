"""Start-up cost: whole processes of `image-updater --help` and `image-updater test` for one repository,
against `skopeo list-tags` of the same repository, measured in the same run.

Run: `.venv/bin/python -m benchmarks.startup [--runs N]`. A local Debian docker-registry (loopback)
holds one repository with 200 tags. Each command runs N times; the table shows the median wall
time and the median CPU time (user + system of the child), each as a ratio against
`skopeo list-tags` (the baseline: one process that lists the same tags).

Bytecode: the image and `make` install with compiled bytecode, but an editable checkout's own
sources have none (and this machine sets PYTHONDONTWRITEBYTECODE), so every run would compile
them again. The children therefore get a private `PYTHONPYCACHEPREFIX` filled by one unmeasured
warm-up run of each command, as an installed package would have it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from devtools import oci
from devtools.registry import start_registry

REPOSITORY = "bench/startup"


def measure(argv: list[str], runs: int, environ: dict[str, str]) -> tuple[float, float]:
    """(median wall s, median CPU s) of `runs` runs of `argv` (after one warm-up), each on its own."""
    walls, cpus = [], []
    for _ in range(runs + 1):
        with tempfile.TemporaryFile() as errors:
            actions = [
                (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                (os.POSIX_SPAWN_DUP2, errors.fileno(), 2),
            ]
            started = time.perf_counter()
            pid = os.posix_spawn(argv[0], argv, environ, file_actions=actions)
            _, status, usage = os.wait4(pid, 0)
            walls.append(time.perf_counter() - started)
            cpus.append(usage.ru_utime + usage.ru_stime)
            if os.waitstatus_to_exitcode(status) != 0:
                errors.seek(0)
                raise SystemExit(f"{' '.join(argv)} failed: {errors.read().decode()[-500:]}")
    return statistics.median(walls[1:]), statistics.median(cpus[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    skopeo = shutil.which("skopeo")
    if skopeo is None:
        raise SystemExit("skopeo is needed for the baseline (make deps installs it)")
    tool = str(Path(sys.executable).with_name("image-updater"))
    with tempfile.TemporaryDirectory() as work, start_registry(Path(work) / "registry") as registry:
        digest = oci.push_image(
            registry.url, REPOSITORY, "1.0.0", created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
        oci.write_tags_on_disk(
            registry.root, REPOSITORY, {f"1.{i // 20}.{i % 20}": digest for i in range(200)}
        )
        image = f"{registry.host}/{REPOSITORY}"
        commands = {
            "skopeo list-tags (baseline)": [skopeo, "list-tags", "--tls-verify=false", f"docker://{image}"],
            "image-updater --help": [tool, "--help"],
            "image-updater version": [tool, "version"],
            "image-updater test": [tool, "test", image, "--semver-constraint", "^1.0"],
        }
        environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        environ["PYTHONPYCACHEPREFIX"] = str(Path(work) / "pycache")
        results = {label: measure(argv, runs, environ) for label, argv in commands.items()}
    base_wall, base_cpu = results["skopeo list-tags (baseline)"]
    print(f"{'command':<30} {'wall s':>7} {'x':>6} {'CPU s':>7} {'x':>6}  (median of {runs})")
    for label, (wall, cpu) in results.items():
        print(f"{label:<30} {wall:7.3f} {wall / base_wall:6.1f} {cpu:7.3f} {cpu / base_cpu:6.1f}")


if __name__ == "__main__":
    main()
