"""Cycle benchmark (issue #4): one dry-run `run` cycle over many Applications, cold and warm.

Run: `.venv/bin/python -m benchmarks.cycle [--quick] [--runs N] [--keep]` (`--quick`: ~10x smaller).

Setup, all on 127.0.0.1: a Debian docker-registry with 300 repositories x 200 tags (4 real images
pushed per repository through the API with different `created` dates, then 200 tag links written
straight into the storage: `1.<i//20>.<i%20>`, 8 `main-<hex>`, `latest`), a smart-HTTP git server
with one manifests repository (`apps/appNNNNN/kustomization.yaml` per Application, repocreds from
a Secret file), and a directory of 1,000 Application manifests x 2 images spread round-robin over
the 300 repositories: semver with constraints (50%), newest-build with
`allow-tags: regexp:^main-[a-f0-9]{7}$` (30%) and digest on `latest` (20%), write-back-method
git, target kustomization, dry run.

The directory Applications carry no `status`, so every image is a change and the dry run plans
the whole write-back honestly: one shallow clone of the manifests repository (cold only), every
kustomization edit computed and staged, nothing committed or pushed. Wall time is split into
listing Applications (`list`), parsing + registry selection (`select`), write-back planning
(`write`) and what follows it, mostly logging (`log`).

Each scenario runs in its own subprocess (peak RSS isolated: ru_maxrss after each cycle) that
builds the pieces as `image-updater run` does and runs a cold cycle, then a warm one (same
process, same caches), logging at `run`'s default level (info) into .bench/cycle/cycles.log.
Scenarios: registries.conf `limit: 0` (our code's own speed; median of `--runs`), no
registries.conf (the inferred endpoint's default 20 requests/s, what a user gets), and 10,000
Applications over the same repositories for memory (one cold cycle, log level warn: see below).

Restart: two more processes with the registry metadata cache on disk (`--cache-dir`, a fresh
directory): a cold one, then a second right after it, whose requests are held to the warm floor.

The floor is `benchmarks.floor` (shared with `registry_cost`), counted from the plan: the unique
repositories' tag-list pages, one HEAD per unique (repository, `latest`) tracked by digest, and,
cold only, one GET confirming each tracked digest before it is written (directory Applications
carry no running digest, so every one is new; except where a newest-build scan of the same
repository fetches that manifest anyway: the cycle pays the GET when the digest scan happens to
confirm first, a ratio just above 1), and for newest-build one manifest GET per unique candidate
tag plus one config GET per unique image among them. Warm and after a restart: tag pages and
HEADs only.

Baseline, same run: `skopeo list-tags` over the same repositories, sequentially as a user's shell
loop would, and 4 at a time; `x skopeo` is the whole cycle over the sequential loop, `sel x` the
select phase alone (the part comparable with listing tags) over the same.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.floor import Floor

WORK = Path(__file__).resolve().parent.parent / ".bench" / "cycle"
IMAGES_PER_REPO = 4
MAIN_TAGS = 8
NEWEST = "regexp:^main-[a-f0-9]{7}$"
CONSTRAINTS = ("~1.3", ">=1.2.0 <1.8.0", "^1.0", "1.5.x")
GIT_USER, GIT_PASSWORD = "bench-bot", "bench-password"


# ---------------------------------------------------------------------------------------------------
# The plan: repositories, tags, Applications (deterministic, so the floor is computed from it)


@dataclass(frozen=True)
class Sizes:
    repos: int
    tags: int
    apps: int
    big_apps: int
    runs: int


def repo_name(r: int) -> str:
    return f"bench/r{r:03}"


def tags_of(repo: str, count: int) -> list[str]:
    """`1.<i//20>.<i%20>`, then MAIN_TAGS `main-<hex>`, then `latest`."""
    mains = [f"main-{hashlib.sha1(f'{repo}/{k}'.encode()).hexdigest()[:7]}" for k in range(MAIN_TAGS)]
    semver = [f"1.{i // 20}.{i % 20}" for i in range(count - MAIN_TAGS - 1)]
    return semver + mains + ["latest"]


def image_of_tag(index: int, tag: str) -> int:
    """Which of the repository's pushed images a tag points at (`latest` = the newest one)."""
    return IMAGES_PER_REPO - 1 if tag == "latest" else index % IMAGES_PER_REPO


@dataclass(frozen=True)
class ImageUse:
    repo: str
    strategy: str  # semver | newest-build | digest
    constraint: str = ""


def image_uses(apps: int, repos: int) -> list[tuple[ImageUse, ImageUse]]:
    """Two images per Application, spread round-robin over the repositories, strategies mixed."""
    out = []
    for i in range(apps):
        pair = []
        for k in range(2):
            j = 2 * i + k
            kind = (j + j // repos) % 10
            repo = repo_name(j % repos)
            if kind < 5:
                pair.append(ImageUse(repo, "semver", CONSTRAINTS[j % len(CONSTRAINTS)]))
            elif kind < 8:
                pair.append(ImageUse(repo, "newest-build"))
            else:
                pair.append(ImageUse(repo, "digest"))
        out.append((pair[0], pair[1]))
    return out


def app_path(i: int) -> str:
    return f"apps/app{i:05}"


def annotations(pair: Sequence[ImageUse], host: str) -> dict[str, str]:
    notes: dict[str, str] = {}
    entries = []
    for alias, use in zip(("a", "b"), pair, strict=True):
        suffix = ":latest" if use.strategy == "digest" else ""
        entries.append(f"{alias}={host}/{use.repo}{suffix}")
        notes[f"{alias}.update-strategy"] = use.strategy
        if use.constraint:
            notes[f"{alias}.semver-constraint"] = use.constraint
        if use.strategy == "newest-build":
            notes[f"{alias}.allow-tags"] = NEWEST
    return {
        "image-list": ",".join(entries),
        **notes,
        "write-back-method": "git",
        "write-back-target": "kustomization",
        "git-branch": "main",
    }


def floor(apps: int, sizes: Sizes) -> Floor:
    """The cold floor of one cycle over `apps` Applications (`benchmarks.floor`; `.warm` for warm)."""
    uses = [u for pair in image_uses(apps, sizes.repos) for u in pair]
    repos = {u.repo for u in uses}
    heads = {u.repo for u in uses if u.strategy == "digest"}  # one tracked tag (latest) per repository
    newest = {u.repo for u in uses if u.strategy == "newest-build"}
    candidates = [(i, t) for i, t in enumerate(tags_of("x", sizes.tags)) if t.startswith("main-")]
    latest = image_of_tag(0, "latest")
    fetched_anyway = newest if any(image_of_tag(i, t) == latest for i, t in candidates) else set()
    return Floor(
        tag_pages=len(repos),  # one page each: tag counts are under the 1,000-tag page size
        tracked_heads=len(heads),
        confirmations=len(heads - fetched_anyway),
        tag_manifests=len(newest) * len(candidates),
        configs=len(newest) * len({image_of_tag(i, t) for i, t in candidates}),
    )


# ---------------------------------------------------------------------------------------------------
# Setup (main process)


def populate(url: str, root: Path, sizes: Sizes) -> None:
    from devtools.oci import push_image, write_tags_on_disk

    base = datetime(2026, 1, 1, tzinfo=UTC)

    def one(r: int) -> None:
        repo = repo_name(r)
        tags = tags_of(repo, sizes.tags)
        digests = [
            push_image(url, repo, tags[k], created=base + timedelta(days=r, hours=k))
            for k in range(IMAGES_PER_REPO)
        ]
        write_tags_on_disk(root, repo, {t: digests[image_of_tag(i, t)] for i, t in enumerate(tags)})

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, range(sizes.repos)))


def write_apps(directory: Path, *, apps: int, sizes: Sizes, host: str, repo_url: str) -> None:
    from devtools.gitops_sample import application

    directory.mkdir(parents=True)
    for i, pair in enumerate(image_uses(apps, sizes.repos)):
        text = application(
            f"app{i:05}", path=app_path(i), repo_url=repo_url, annotations=annotations(pair, host)
        )
        (directory / f"app{i:05}.yaml").write_text(text)


def write_secrets(directory: Path, repo_url: str) -> None:
    directory.mkdir(parents=True)
    (directory / "repo-creds.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: manifests-repo\n  namespace: argocd\n"
        "  labels:\n    argocd.argoproj.io/secret-type: repository\n"
        f"stringData:\n  url: {repo_url}\n  username: {GIT_USER}\n  password: {GIT_PASSWORD}\n"
    )


KUSTOMIZATION = (
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- deployment.yaml\n"
)


def skopeo_baseline(host: str, repos: int, parallel: int) -> float:
    def one(r: int) -> None:
        subprocess.run(
            ["skopeo", "list-tags", "--tls-verify=false", f"docker://{host}/{repo_name(r)}"],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(one, range(repos)))
    return time.perf_counter() - started


# ---------------------------------------------------------------------------------------------------
# Worker (one subprocess per scenario): the pieces `image-updater run` builds, cycles in-process


@dataclass
class CycleRun:
    seconds: float
    list_s: float
    select_s: float
    write_s: float
    after_s: float
    requests: dict[str, int]
    rss_mb: float
    apps: int
    images: int
    planned: int
    errors: list[str] = field(default_factory=list)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def worker(
    apps_dir: Path, secrets_dir: Path, git_work: Path, conf: Path | None, cycles: int, cache_dir: Path | None
) -> dict[str, Any]:
    import aiohttp

    from image_updater.registry.cache import MetadataCache
    from image_updater.registry.credentials import CredentialResolver
    from image_updater.registry.diskcache import DiskStore
    from image_updater.runtime.appsources import AppFilter, DirectorySource, Listing, RepoCredsFromSecrets
    from image_updater.runtime.configfiles import load_registries_conf
    from image_updater.runtime.cycle import Cycle, CycleOptions
    from image_updater.runtime.metrics import Metrics
    from image_updater.runtime.registries import RegistryPool
    from image_updater.runtime.writing import CommitSettings, PendingApp, WriteBack, Written
    from image_updater.sources.secret_files import SecretFiles
    from image_updater.templates import compile_template
    from image_updater.writeback.git import GitWriter
    from image_updater.writeback.git_commit import DEFAULT_COMMIT_TEMPLATE
    from image_updater.writeback.git_repo import GitRepoCache

    timings = {"list": 0.0, "write": 0.0, "write_start": 0.0, "write_end": 0.0}

    class TimedSource(DirectorySource):
        async def list(self) -> Listing:
            started = time.perf_counter()
            try:
                return await super().list()
            finally:
                timings["list"] = time.perf_counter() - started

    class TimedWriteBack(WriteBack):
        async def write_all(self, pending: Sequence[PendingApp]) -> list[Written]:
            timings["write_start"] = time.perf_counter()
            try:
                return await super().write_all(pending)
            finally:
                timings["write_end"] = time.perf_counter()

    rss_before = _rss_mb()
    runs: list[CycleRun] = []
    store = DiskStore.open(cache_dir) if cache_dir is not None else None  # as `run --cache-dir`
    async with aiohttp.ClientSession() as session:
        secrets = SecretFiles(secrets_dir)
        pool = RegistryPool(
            session=session,
            resolver=CredentialResolver(secrets=secrets, environ=os.environ, clock=time.monotonic),
            cache=MetadataCache(store=store),
        )
        writer = TimedWriteBack(
            git=GitWriter(cache=GitRepoCache(git_work)),
            api=None,
            secrets=secrets,
            repo_creds=RepoCredsFromSecrets(files=secrets, namespace="argocd"),
            commit=CommitSettings(template=compile_template(DEFAULT_COMMIT_TEMPLATE, name="default")),
            controller_namespace="argocd",
            dry_run=True,
        )
        cycle = Cycle(
            source=TimedSource(apps_dir, app_filter=AppFilter()),
            registries=load_registries_conf(conf),
            pool=pool,
            writer=writer,
            metrics=Metrics(),
            options=CycleOptions(dry_run=True),
        )
        for _ in range(cycles):
            before = dict(pool.counter.by_kind())
            started = time.perf_counter()
            report = await cycle.run()
            ended = time.perf_counter()
            seconds = ended - started
            after = pool.counter.by_kind()
            requests = {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0)}
            runs.append(
                CycleRun(
                    seconds=seconds,
                    list_s=timings["list"],
                    select_s=timings["write_start"] - started - timings["list"],
                    write_s=timings["write_end"] - timings["write_start"],
                    after_s=ended - timings["write_end"],
                    requests=requests,
                    rss_mb=_rss_mb(),
                    apps=report.applications,
                    images=report.images_checked,
                    planned=sum(len(w.changes) for w in report.written if w.error is None),
                    errors=report.errors[:3]
                    + ([f"... {len(report.errors)} errors"] if report.errors else []),
                )
            )
    if store is not None:
        store.close()
    return {"rss_before_mb": rss_before, "runs": [asdict(r) for r in runs]}


def run_worker(apps: str, conf: str, cycles: int, level: str = "info", cache: str = "-") -> dict[str, Any]:
    """One scenario in a fresh process: `cycles` dry-run cycles over WORK/`apps`; conf "-" = none;
    `level` the log level (`run` defaults to info; its log goes to WORK/cycles.log); `cache` the
    disk cache directory under WORK ("-" = memory only, as `--cache-dir ""`)."""
    git_work, log = WORK / "git-work", WORK / "cycles.log"
    shutil.rmtree(git_work, ignore_errors=True)
    args = [sys.executable, "-m", "benchmarks.cycle", "--worker", str(WORK / apps), str(WORK / "secrets")]
    args += [str(git_work), conf, str(cycles), level, cache if cache == "-" else str(WORK / cache)]
    size = log.stat().st_size if log.exists() else 0
    with log.open("ab") as stderr:
        done = subprocess.run(args, stdout=subprocess.PIPE, stderr=stderr, check=True)
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    result["log_mb"] = (log.stat().st_size - size) / 1e6 / cycles
    return result


# ---------------------------------------------------------------------------------------------------
# Report


def med(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(results: Sequence[dict[str, Any]], index: int) -> dict[str, Any]:
    runs = [CycleRun(**r["runs"][index]) for r in results]
    kinds = sorted({k for r in runs for k in r.requests})
    return {
        "seconds": med([r.seconds for r in runs]),
        "list_s": med([r.list_s for r in runs]),
        "select_s": med([r.select_s for r in runs]),
        "write_s": med([r.write_s for r in runs]),
        "after_s": med([r.after_s for r in runs]),
        "requests": {k: int(med([r.requests.get(k, 0) for r in runs])) for k in kinds},
        "rss_mb": med([r.rss_mb for r in runs]),
        "rss_before_mb": med([r["rss_before_mb"] for r in results]),
        "log_mb": med([r["log_mb"] for r in results]),
        "spread": [round(r.seconds, 2) for r in runs],
        "first": runs[0],
    }


def print_table(rows: Sequence[tuple[str, str, dict[str, Any], Floor]], skopeo: dict[str, float]) -> None:
    header = (
        f"{'scenario':18} {'cycle':5} {'wall s':>7} {'list s':>7} {'select s':>8} {'write s':>8} "
        f"{'log s':>6} {'reqs':>6} {'floor':>6} {'ratio':>6} {'RSS MB':>7} {'x skopeo':>8} {'sel x':>6}"
        "  by kind"
    )
    print(header)
    print("-" * len(header))
    for scenario, label, s, fl in rows:
        total = sum(s["requests"].values())
        limit = fl.total
        kinds = ", ".join(f"{k} {v}" for k, v in s["requests"].items())
        print(
            f"{scenario:18} {label:5} {s['seconds']:7.2f} {s['list_s']:7.2f} {s['select_s']:8.2f} "
            f"{s['write_s']:8.2f} {s['after_s']:6.2f} {total:6} {limit:6} {total / limit:6.2f} "
            f"{s['rss_mb']:7.0f} {s['seconds'] / skopeo['sequential']:8.2f} "
            f"{s['select_s'] / skopeo['sequential']:6.2f}  {kinds}"
        )
    print(
        "\nx skopeo: whole cycle / sequential skopeo list-tags loop; sel x: the select phase alone (what "
        "skopeo's loop does: list tags) / the same"
    )
    for name, seconds in skopeo.items():
        print(f"baseline skopeo list-tags, {name:10}: {seconds:6.2f} s")
    print()
    for scenario, label, s, fl in rows:
        first: CycleRun = s["first"]
        print(
            f"{scenario} {label}: {first.apps} apps, {first.images} image refs -> {fl.tag_pages} unique "
            f"repositories; tags requests {s['requests'].get('tags', 0)}; changes planned {first.planned}; "
            f"RSS before cycles {s['rss_before_mb']:.0f} MB; log {s['log_mb']:.0f} MB/cycle; "
            f"runs {s['spread']}; floor = {fl.detail}"
        )
        for err in first.errors:
            print(f"    error: {err}")


# ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~10x smaller, for a smoke run")
    parser.add_argument("--runs", type=int, default=None, help="worker runs per scenario (median)")
    parser.add_argument("--keep", action="store_true", help="keep .bench/cycle (logs, manifests)")
    parser.add_argument(
        "--worker",
        nargs=7,
        metavar=("APPS", "SECRETS", "GITWORK", "CONF", "CYCLES", "LEVEL", "CACHE"),
        help="internal",
    )
    args = parser.parse_args()
    if args.worker:
        from image_updater.runtime import logs

        apps_dir, secrets_dir, git_work, conf, cycles, level, cache = args.worker
        logs.configure(level=level)
        paths = Path(apps_dir), Path(secrets_dir), Path(git_work), None if conf == "-" else Path(conf)
        cache_dir = None if cache == "-" else Path(cache)
        print(json.dumps(asyncio.run(worker(*paths, int(cycles), cache_dir))))
        return
    if args.quick:
        sizes = Sizes(repos=30, tags=40, apps=100, big_apps=1000, runs=args.runs or 1)
    else:
        sizes = Sizes(repos=300, tags=200, apps=1000, big_apps=10_000, runs=args.runs or 3)
    bench(sizes, keep=args.keep)


def source_version() -> str:
    """Where image_updater is imported from, and its commit (other work may land during a run)."""
    import image_updater

    where = Path(image_updater.__file__).parent
    done = subprocess.run(
        ["git", "-C", str(where), "log", "-1", "--format=%h %cd", "--date=format:%H:%M"],
        capture_output=True,
        text=True,
    )
    return f"{where} at {done.stdout.strip() or 'unknown commit'}"


def bench(sizes: Sizes, *, keep: bool) -> None:
    from devtools import git_http
    from devtools.registry import start_registry

    print(f"image_updater: {source_version()}")
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    try:
        with start_registry(WORK / "registry") as registry:
            started = time.perf_counter()
            populate(registry.url, registry.root, sizes)
            took = time.perf_counter() - started
            print(f"registry: {sizes.repos} repositories x {sizes.tags} tags in {took:.1f} s")
            (WORK / "unlimited.conf").write_text(
                "registries:\n- name: bench\n"
                f"  api_url: {registry.url}\n  prefix: {registry.host}\n  limit: 0\n"
            )
            git_root = WORK / "git"
            git_root.mkdir()
            files = {f"{app_path(i)}/kustomization.yaml": KUSTOMIZATION for i in range(sizes.big_apps)}
            git_http.make_bare_repo(git_root, "manifests.git", files=files)
            with git_http.serve(git_root, credentials=(GIT_USER, GIT_PASSWORD)) as server:
                url = server.url_for("manifests.git")
                write_secrets(WORK / "secrets", url)
                for name, count in (("apps", sizes.apps), ("apps-big", sizes.big_apps)):
                    write_apps(WORK / name, apps=count, sizes=sizes, host=registry.host, repo_url=url)
                print(f"setup done in {time.perf_counter() - started:.1f} s; cycle logs: {WORK}/cycles.log\n")
                rows = measure(registry.host, sizes)
    finally:
        if not keep:
            shutil.rmtree(WORK, ignore_errors=True)
    print()
    print_table(rows[0], rows[1])


def measure(host: str, sizes: Sizes) -> tuple[list[tuple[str, str, dict[str, Any], Floor]], dict[str, float]]:
    skopeo = {
        "sequential": med([skopeo_baseline(host, sizes.repos, 1) for _ in range(2)]),
        "4 parallel": med([skopeo_baseline(host, sizes.repos, 4) for _ in range(2)]),
    }
    conf = str(WORK / "unlimited.conf")
    small = [run_worker("apps", conf, 2) for _ in range(sizes.runs)]
    limited = [run_worker("apps", "-", 2)]
    # warn, not info: at info every Application of a batched group logs the whole group's diff
    # (O(apps^2) bytes: ~300 MB per cycle at 1,000 Applications, ~30 GB at 10,000)
    big = [run_worker("apps-big", conf, 1, "warn")]
    # restart: a cold `run --once` with the disk cache, then a second process right after it
    first, second = (run_worker("apps", conf, 1, cache="disk-cache") for _ in range(2))
    name, big_name = f"{sizes.apps} apps", f"{sizes.big_apps} apps"
    small_floor, big_floor = floor(sizes.apps, sizes), floor(sizes.big_apps, sizes)
    rows = [
        (name, "cold", summarise(small, 0), small_floor),
        (name, "warm", summarise(small, 1), small_floor.warm),
        (f"{name} 20 req/s", "cold", summarise(limited, 0), small_floor),
        (f"{name} 20 req/s", "warm", summarise(limited, 1), small_floor.warm),
        (f"{big_name} (warn)", "cold", summarise(big, 0), big_floor),
        (f"{name} disk cache", "cold", summarise([first], 0), small_floor),
        (f"{name} restart", "2nd", summarise([second], 0), small_floor.warm),
    ]
    return rows, skopeo


if __name__ == "__main__":
    main()
