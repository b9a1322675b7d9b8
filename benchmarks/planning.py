"""Planning-only cycles (issue #10): 1,000 / 10,000 / 100,000 Applications, no registry, no git.

Run: `.venv/bin/python -m benchmarks.planning [--apps 1000,10000,100000] [--profile N]`.

The Applications, repositories and tags are `benchmarks.cycle`'s plan (300 repositories x 200
tags, two images per Application, semver / newest-build / digest mixed). Each size runs in its
own process: a real `Cycle` over a directory of Application manifests, whose registry pool
answers from the plan in memory (tag lists, digests, `created`; no request) and whose write-back
receives the planned changes and writes nothing. So the figures are our own per-Application work:
listing and parsing manifests and annotations, screening and selection, deciding changes.

Printed per size: CPU seconds of the cycle (process time), CPU ms per Application (linear growth:
the same figure at every size), changes planned, and peak RSS. `--profile N`: one extra process
at N Applications under tracemalloc, printing the top allocation sites alive at the end of the
cycle (what holds memory while the write-back runs).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.cycle import IMAGES_PER_REPO, Sizes, image_of_tag, tags_of, write_apps

WORK = Path(__file__).resolve().parent.parent / ".bench" / "planning"
HOST = "registry.planning.invalid"
SIZES = Sizes(repos=300, tags=200, apps=0, big_apps=0, runs=1)


@functools.cache
def _listed(repository: str) -> list[str]:
    """One list per repository, its strings shared, as a client's parsed tag list is per cycle."""
    return tags_of(repository, SIZES.tags)


class PlanRegistry:
    """A `TagSource` (and pool client) answering from the plan; never on the network."""

    def __init__(self) -> None:
        self.registry = HOST

    def _digest(self, repository: str, tag: str) -> str:
        image = image_of_tag(_listed(repository).index(tag), tag)
        return "sha256:" + hashlib.sha256(f"{repository}/{image}".encode()).hexdigest()

    async def list_tags(self, repository: str) -> list[str]:
        return list(_listed(repository))

    async def manifest_digest(self, repository: str, reference: str) -> str:
        return self._digest(repository, reference)

    async def fetch_manifest(self, repository: str, reference: str) -> Any:
        from image_updater.registry.manifests import OCI_MANIFEST, Manifest

        return Manifest(reference, OCI_MANIFEST, config_digest=None)

    async def tag_info(self, repository: str, tag: str, **_: Any) -> Any:
        from image_updater.selection.types import TagInfo

        image = image_of_tag(_listed(repository).index(tag), tag)
        created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=image % IMAGES_PER_REPO)
        return TagInfo(tag, self._digest(repository, tag), created=created)


async def worker(apps_dir: Path, profile: bool) -> dict[str, Any]:
    import aiohttp

    from image_updater.registry.credentials import CredentialResolver
    from image_updater.runtime.appsources import AppFilter, DirectorySource, RepoCredsFromSecrets
    from image_updater.runtime.cycle import Cycle, CycleOptions
    from image_updater.runtime.metrics import Metrics
    from image_updater.runtime.registries import RegistryPool
    from image_updater.runtime.writing import CommitSettings, PendingApp, WriteBack, Written
    from image_updater.settings.registries import RegistryConfig
    from image_updater.sources.secret_files import SecretFiles
    from image_updater.templates import compile_template
    from image_updater.writeback.git import GitWriter
    from image_updater.writeback.git_commit import DEFAULT_COMMIT_TEMPLATE
    from image_updater.writeback.git_repo import GitRepoCache

    planned: list[int] = []
    snapshot: list[tracemalloc.Snapshot] = []

    class PlanPool(RegistryPool):
        def client(self, endpoint: Any, credentials: Any) -> Any:
            return PlanRegistry()

    class PlanWriteBack(WriteBack):
        async def write_all(self, pending: Sequence[PendingApp]) -> list[Written]:
            planned.append(sum(len(p.changes) for p in pending))
            if profile:
                snapshot.append(tracemalloc.take_snapshot())
            return []

    secrets = SecretFiles(WORK / "secrets")
    async with aiohttp.ClientSession() as session:
        cycle = Cycle(
            source=DirectorySource(apps_dir, app_filter=AppFilter()),
            registries=RegistryConfig(),
            pool=PlanPool(
                session=session,
                resolver=CredentialResolver(secrets=secrets, environ=os.environ, clock=time.monotonic),
            ),
            writer=PlanWriteBack(
                git=GitWriter(cache=GitRepoCache(WORK / "git-work")),
                api=None,
                secrets=secrets,
                repo_creds=RepoCredsFromSecrets(files=secrets, namespace="argocd"),
                commit=CommitSettings(template=compile_template(DEFAULT_COMMIT_TEMPLATE, name="default")),
                controller_namespace="argocd",
                dry_run=True,
            ),
            metrics=Metrics(),
            options=CycleOptions(dry_run=True),
        )
        if profile:
            tracemalloc.start(8)
        cpu = time.process_time()
        report = await cycle.run()
        cpu = time.process_time() - cpu
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"cpu_s": cpu, "apps": report.applications, "planned": planned[0], "rss_mb": rss}
    result["errors"] = report.errors[:3]
    if snapshot:
        stats = snapshot[0].statistics("traceback")  # frames: the allocating one first below
        result["top"] = [
            f"{s.size / 1e6:6.1f} MB {s.count:8} blocks  "
            + " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in list(s.traceback)[::-1][:4])
            for s in stats[:12]
        ]
        result["traced_mb"] = sum(s.size for s in stats) / 1e6
    return result


def run(apps: int, profile: bool = False) -> dict[str, Any]:
    directory = WORK / f"apps-{apps}"
    if not directory.exists():
        write_apps(directory, apps=apps, sizes=SIZES, host=HOST, repo_url="http://git.planning.invalid/m.git")
    args = [sys.executable, "-m", "benchmarks.planning", "--worker", str(directory)]
    args += ["--profile", "1"] if profile else []
    done = subprocess.run(args, stdout=subprocess.PIPE, check=True)
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", default="1000,10000,100000", help="comma-separated sizes")
    parser.add_argument("--profile", type=int, default=0, help="tracemalloc top entries at N apps")
    parser.add_argument("--worker", help="internal")
    parser.add_argument("--keep", action="store_true", help="keep .bench/planning")
    args = parser.parse_args()
    if args.worker:
        from image_updater.runtime import logs

        logs.configure(level="warn")
        print(json.dumps(asyncio.run(worker(Path(args.worker), bool(args.profile)))))
        return
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "secrets").mkdir(parents=True)
    try:
        print(f"{'apps':>8} {'CPU s':>8} {'ms/app':>7} {'changes':>8} {'RSS MB':>7}")
        for apps in (int(n) for n in args.apps.split(",")):
            r = run(apps)
            print(
                f"{r['apps']:8} {r['cpu_s']:8.2f} {r['cpu_s'] / r['apps'] * 1e3:7.3f} {r['planned']:8} "
                f"{r['rss_mb']:7.0f}  {'; '.join(r['errors'])}",
                flush=True,
            )
        if args.profile:
            r = run(args.profile, profile=True)
            print(
                f"\ntracemalloc at {args.profile} apps: {r['traced_mb']:.0f} MB traced, peak RSS "
                f"{r['rss_mb']:.0f} MB (tracing included); top allocation sites alive before write-back:"
            )
            for line in r["top"]:
                print("  " + line)
    finally:
        if not args.keep:
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
