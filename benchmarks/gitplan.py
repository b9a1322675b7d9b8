"""Write-back planning of one git group (issue #10): N Applications' kustomizations on one branch.

Run: `.venv/bin/python -m benchmarks.gitplan [--apps 1000,10000]`.

The tip is a dict of real kustomization texts (two images each); the targets, the one-pass
planner (`runtime.gitplan.plan_group`) and its check are the real ones; no git runs. Printed per
size: the peak memory traced while planning (the parses a group holds at once) and, in a second
run with tracing off, CPU ms per Application (process time).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from image_updater.changes import Change
from image_updater.refs import parse_image
from image_updater.runtime.gitplan import AppWrite, plan_group
from image_updater.writeback.model import AppTarget, ManifestImage, WriteTarget

KUSTOMIZATION = (
    "# shared base\nresources:\n- deployment.yaml\nimages:\n"
    "- name: ghcr.io/org/api\n  newTag: v1.0.0 # pinned by CI\n"
    "- name: ghcr.io/org/worker\n  newTag: 'v1.0.0'\n"
)
IMAGES = ("ghcr.io/org/api:v1.1.0", "ghcr.io/org/worker:v1.1.0")


def group(apps: int) -> tuple[dict[str, str], list[AppWrite]]:
    files = {f"apps/a{i}/kustomization.yaml": KUSTOMIZATION for i in range(apps)}
    writes = []
    for i in range(apps):
        target = AppTarget(
            app_name=f"a{i}",
            app_namespace="argocd",
            controller_namespace="argocd",
            target=WriteTarget(kind="kustomization", path=None),
            source_path=f"apps/a{i}",
            kind="kustomize",
            images=tuple(ManifestImage(None, parse_image(image)) for image in IMAGES),
        )
        changes = tuple(Change(None, parse_image(i.split(":")[0]), parse_image(i)) for i in IMAGES)
        writes.append(AppWrite(subject=f"application argocd/a{i}", target=target, changes=changes))
    return files, writes


def measure(apps: int, *, traced: bool) -> tuple[float, float]:
    files, writes = group(apps)
    if traced:
        tracemalloc.start()
    started = time.process_time()
    plan = plan_group(writes, files.get)
    cpu = time.process_time() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6 if traced else 0.0
    tracemalloc.stop()
    assert len(plan.edits) == apps
    assert not plan.failures
    return cpu / apps * 1000, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", default="1000,10000", help="comma-separated sizes")
    sizes = [int(n) for n in parser.parse_args().apps.split(",")]
    print(f"{'apps':>8} {'traced peak MB':>15} {'CPU ms/app':>11}")
    for apps in sizes:
        _, peak = measure(apps, traced=True)
        cpu, _ = measure(apps, traced=False)  # tracing slows the planner: CPU is measured without it
        print(f"{apps:8} {peak:15.1f} {cpu:11.3f}")


if __name__ == "__main__":
    main()
