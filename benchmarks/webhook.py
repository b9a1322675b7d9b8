"""Webhook benchmark (issue #12): registry push → commit latency through the registry's own
notifications, registry requests per event against the floor, and polling for comparison.

Run: `.venv/bin/python -m benchmarks.webhook [--quick] [--rate N]` (`--quick`: 5 repositories,
50 Applications, 25 pushes).

Setup, all on 127.0.0.1 and all real: a Debian docker-registry whose `notifications.endpoints`
entry posts to our webhook (`?type=distribution`, `Authorization: Bearer <secret>`), a smart-HTTP
git server with one manifests repository (`apps/appNNN/kustomization.yaml` per Application) whose
`post-receive` hook records when each commit lands, a directory of 200 Applications watching 20
repositories (10 each, semver, write-back git/kustomization), and `image-updater run
--enable-webhook` (in this process: `controller.run`, its default registry limit of 20 requests/s
for the inferred endpoint, a 1 h interval so polling stays out of the measurement).

Webhook phase: after the first cycle (nothing new) and the notifications of the initial pushes,
100 pushes (`1.0.1` … `1.0.5` of each repository, repositories interleaved) go through the
registry API at `--rate` pushes/s. A push's latency is from the moment its manifest PUT returned
to the moment the post-receive hook saw the first commit after which every Application watching
its repository is at that tag or a later one. Registry requests are read from the controller's
own /metrics; the floor is one tag list per (targeted run, repository): the payload's tag is never
trusted, and semver needs nothing else (the Applications carry no running digest).

Polling phase: the same kind of 100 pushes with the webhook off, then one polling cycle measured
(`run` with the webhook disabled). At the default 2 m interval a push waits for the next cycle:
uniform arrival gives latency `U(0, 120 s) + cycle`, so p50 ≈ 60 s + cycle, p95 ≈ 114 s + cycle,
max ≈ 120 s + cycle; and every cycle costs its tag lists whether anything was pushed or not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

WORK = Path(__file__).resolve().parent.parent / ".bench" / "webhook"
SECRET = "bench-webhook-secret"
DEFAULT_INTERVAL = 120.0
CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Sizes:
    repos: int
    apps: int
    pushes_per_repo: int


def repo_name(r: int) -> str:
    return f"bench/r{r:02}"


def app_name(i: int) -> str:
    return f"app{i:03}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _kustomization(image: str, tag: str) -> str:
    return (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"
        f"images:\n- name: {image}\n  newTag: {tag}\n"
    )


@dataclass
class Setup:
    registry: Any
    bare: Path
    apps: Path
    landed: Path  # the post-receive hook's log: "<new sha> <unix time>" per update
    sizes: Sizes

    def watchers(self, r: int) -> list[str]:
        return [app_name(i) for i in range(self.sizes.apps) if i % self.sizes.repos == r]


@contextlib.contextmanager
def setup(work: Path, sizes: Sizes, webhook_port: int) -> Any:
    from devtools import git_http, gitops_sample, oci
    from devtools.registry import Notify, start_registry

    url = f"http://127.0.0.1:{webhook_port}/webhook?type=distribution"
    with start_registry(work / "registry", notify=Notify(url, SECRET)) as registry:
        for r in range(sizes.repos):
            oci.push_image(registry.url, repo_name(r), "1.0.0", created=CREATED)
        files = {
            f"apps/{app_name(i)}/kustomization.yaml": _kustomization(
                f"{registry.host}/{repo_name(i % sizes.repos)}", "1.0.0"
            )
            for i in range(sizes.apps)
        }
        root = work / "git"
        root.mkdir()
        bare = git_http.make_bare_repo(root, "manifests.git", files=files)
        landed = work / "landed.log"
        hook = bare / "hooks" / "post-receive"
        hook.write_text(
            f'#!/bin/sh\nwhile read old new ref; do echo "$new $(date +%s.%N)" >> {landed}; done\n'
        )
        hook.chmod(0o755)
        apps = work / "apps"
        apps.mkdir()
        with git_http.serve(root) as server:
            repo_url = server.url_for("manifests.git")
            for i in range(sizes.apps):
                notes = {
                    "image-list": f"app={registry.host}/{repo_name(i % sizes.repos)}",
                    "app.update-strategy": "semver",
                    "write-back-method": "git",
                    "write-back-target": "kustomization",
                    "git-branch": "main",
                }
                text = gitops_sample.application(
                    app_name(i), path=f"apps/{app_name(i)}", repo_url=repo_url, annotations=notes
                )
                (apps / f"{app_name(i)}.yaml").write_text(text)
            yield Setup(registry, bare, apps, landed, sizes)


@dataclass
class Controller:
    metrics_url: str
    logs: list[dict[str, Any]]

    async def scrape(self) -> dict[str, float]:
        import aiohttp
        from prometheus_client.parser import text_string_to_metric_families

        async with aiohttp.ClientSession() as http, http.get(self.metrics_url) as answer:
            text = await answer.text()
        values: dict[str, float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()) if k != "registry")
                key = sample.name + (f"{{{labels}}}" if labels else "")
                values[key] = values.get(key, 0.0) + sample.value
        return values

    def events(self, name: str) -> list[dict[str, Any]]:
        return [e for e in self.logs if e["event"] == name]

    async def until(self, condition: Any, timeout: float = 300.0) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def controller(
    s: Setup, work: Path, *, webhook_port: int | None, interval: float
) -> AsyncIterator[Controller]:
    import structlog

    from image_updater.runtime import controller as run
    from image_updater.runtime.controller import RunSettings
    from image_updater.runtime.webhook_server import WebhookSettings

    metrics_port = _free_port()
    webhook = (
        WebhookSettings(port=webhook_port, secrets={"distribution": SECRET}, tls=None)
        if webhook_port
        else None
    )
    settings = RunSettings(
        interval=interval,
        health_port=0,
        metrics_port=metrics_port,
        applications_dir=s.apps,
        git_workdir=work / "git-work",
        leader_election=False,
        cache_dir=None,
        webhook=webhook,
    )
    with structlog.testing.capture_logs() as logs:
        task = asyncio.ensure_future(run.run(replace(settings)))
        state = Controller(f"http://127.0.0.1:{metrics_port}/metrics", logs)
        try:
            await state.until(lambda: state.events("cycle done") or task.done())
            if task.done():
                task.result()
            yield state
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


async def push_all(s: Setup, tags: list[str], rate: float) -> dict[tuple[int, str], float]:
    """Push every tag of every repository (repositories interleaved) at `rate` pushes/s from another
    process (as CI would: not on the controller's CPU time); the wall time each manifest PUT returned."""
    order = [(r, tag) for tag in tags for r in range(s.sizes.repos)]
    plan = ";".join(f"{repo_name(r)},{tag}" for r, tag in order)
    script = (
        "import sys, time, datetime as dt\n"
        "from devtools import oci\n"
        "url, rate, plan = sys.argv[1], float(sys.argv[2]), sys.argv[3].split(';')\n"
        "start = time.monotonic()\n"
        "for n, item in enumerate(plan):\n"
        "    time.sleep(max(0.0, start + n / rate - time.monotonic()))\n"
        "    repo, tag = item.split(',')\n"
        "    oci.push_image(url, repo, tag, created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))\n"
        "    print(repo, tag, time.time(), flush=True)\n"
    )
    root = Path(__file__).resolve().parent.parent
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        s.registry.url,
        str(rate),
        plan,
        cwd=root,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    if process.returncode:
        raise SystemExit("pushing failed")
    index = {repo_name(r): r for r in range(s.sizes.repos)}
    pushed = {}
    for line in out.decode().splitlines():
        repo, tag, at = line.split()
        pushed[(index[repo], tag)] = float(at)
    return pushed


def landings(s: Setup) -> list[tuple[float, dict[str, str]]]:
    """Each landed commit: when, and the tag it set per Application."""
    out = []
    for line in s.landed.read_text().splitlines() if s.landed.exists() else []:
        sha, stamp = line.split()
        diff = subprocess.run(
            ["git", "--git-dir", str(s.bare), "show", "--format=", "-p", sha],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        tags, app = {}, None
        for row in diff.splitlines():
            if row.startswith("+++ b/apps/"):
                app = row.split("/")[2]
            elif row.startswith("+  newTag: ") and app:
                tags[app] = row.split(": ", 1)[1].strip()
        out.append((float(stamp), tags))
    return sorted(out, key=lambda x: x[0])


def latencies(s: Setup, pushed: dict[tuple[int, str], float]) -> list[float]:
    current: dict[str, str] = {app_name(i): "1.0.0" for i in range(s.sizes.apps)}
    waiting = dict(pushed)
    out: list[float] = []
    for when, tags in landings(s):
        current.update(tags)
        for (r, tag), at in list(waiting.items()):
            if all(_version(current[a]) >= _version(tag) for a in s.watchers(r)):
                out.append(when - at)
                del waiting[(r, tag)]
    if waiting:
        raise SystemExit(f"{len(waiting)} pushes never reached git, e.g. {next(iter(waiting))}")
    return out


def _version(tag: str) -> tuple[int, ...]:
    return tuple(int(part) for part in tag.split("."))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _requests(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    prefix = "argocd_image_updater_registry_requests_by_kind_total{kind="
    return {
        k[len(prefix) : -1]: after[k] - before.get(k, 0.0)
        for k in after
        if k.startswith(prefix) and after[k] - before.get(k, 0.0)
    }


async def webhook_phase(work: Path, sizes: Sizes, rate: float) -> None:
    port = _free_port()
    with setup(work / "webhook", sizes, port) as s:
        async with controller(s, work / "webhook", webhook_port=port, interval=3600.0) as c:
            # the notifications of the 1.0.0 pushes came first (and changed nothing)
            await c.until(lambda: sum(e["pushes"] for e in c.events("webhook run done")) >= sizes.repos)
            runs_before = len(c.events("webhook run done"))
            before = await c.scrape()
            tags = [f"1.0.{k}" for k in range(1, sizes.pushes_per_repo + 1)]
            started = time.monotonic()
            pushed = await push_all(s, tags, rate)
            pushing = time.monotonic() - started
            final = tags[-1]
            await c.until(lambda: _all_at(s, final))
            await c.until(
                lambda: sum(e["pushes"] for e in c.events("webhook run done")[runs_before:]) >= len(pushed)
            )
            after = await c.scrape()
        lat = latencies(s, pushed)
        runs = c.events("webhook run done")[runs_before:]
        floor = sum(len(e["repositories"].split(", ")) for e in runs)
        requests = _requests(before, after)
        coalesced = after.get("argocd_image_updater_webhook_events_coalesced_total", 0) - before.get(
            "argocd_image_updater_webhook_events_coalesced_total", 0
        )
        events = len(pushed)
        print(
            f"webhook: {events} pushes over {sizes.repos} repositories watched by {sizes.apps} Applications, "
            f"pushed at {rate:g}/s ({pushing:.1f} s)"
        )
        print(
            f"  push-to-commit latency: p50 {statistics.median(lat):.2f} s, p95 {_pct(lat, 0.95):.2f} s, "
            f"max {max(lat):.2f} s (target p95 < 2 s)"
        )
        seconds = sorted(float(e["seconds"]) for e in runs)
        print(
            f"  targeted runs {len(runs)} (median {statistics.median(seconds):.2f} s, "
            f"max {seconds[-1]:.2f} s), "
            f"events coalesced {coalesced:g}, commits {len(landings(s))}"
        )
        tag_lists = requests.get("tags", 0.0)
        total = sum(requests.values())
        print(
            f"  registry requests: {total:g} ({_kinds(requests)}), "
            f"{total / events:.2f} per event; floor {floor} tag lists (one per run and repository): "
            f"x{tag_lists / floor:.2f}"
            if floor
            else "  no runs"
        )


def _kinds(requests: dict[str, float]) -> str:
    return ", ".join(f"{kind} {count:g}" for kind, count in sorted(requests.items()))


def _all_at(s: Setup, tag: str) -> bool:
    if not s.landed.exists():
        return False
    text = subprocess.run(
        ["git", "--git-dir", str(s.bare), "grep", "-c", f"newTag: {tag}", "main", "--", "apps"],
        capture_output=True,
        text=True,
    ).stdout
    return sum(int(line.rsplit(":", 1)[1]) for line in text.splitlines()) == s.sizes.apps


async def polling_phase(work: Path, sizes: Sizes, rate: float) -> None:
    with setup(work / "polling", sizes, _free_port()) as s:  # notifications go nowhere: not listened to
        tags = [f"1.0.{k}" for k in range(1, sizes.pushes_per_repo + 1)]
        await push_all(s, tags, rate * 4)
        async with controller(s, work / "polling", webhook_port=None, interval=3600.0) as c:
            cycle = c.events("cycle done")[0]
            after = await c.scrape()
        requests = _requests({}, after)
        seconds = float(cycle["seconds"])
        assert _all_at(s, tags[-1]), "the polling cycle did not write every Application"
        i = DEFAULT_INTERVAL
        print(
            f"polling at the default {i:g} s interval: one cycle over the same pushes took {seconds:.2f} s "
            f"and {sum(requests.values()):g} registry requests ({_kinds(requests)}), "
            "the same every cycle whether anything was pushed or not"
        )
        print(
            f"  push-to-commit latency (uniform arrival within the interval): p50 {i / 2 + seconds:.1f} s, "
            f"p95 {0.95 * i + seconds:.1f} s, max {i + seconds:.1f} s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 repositories, 50 Applications, 25 pushes")
    parser.add_argument("--rate", type=float, default=20.0, help="pushes per second (default 20)")
    args = parser.parse_args()
    sizes = Sizes(5, 50, 5) if args.quick else Sizes(20, 200, 5)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    asyncio.run(webhook_phase(WORK, sizes, args.rate))
    asyncio.run(polling_phase(WORK, sizes, args.rate))


if __name__ == "__main__":
    main()
