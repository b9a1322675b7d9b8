"""Git write-back benchmark: one monorepo, many Applications, one branch.

Run: `.venv/bin/python -m benchmarks.writeback [--apps 200] [--fresh-apps 40]`.

A local smart-HTTP git server (Basic auth) serves one repository holding `apps/appNNN/values.yaml`
for every Application; each Application changes one image (one file). Strategies:

  batched        one `GitWriter.write` with every Application's edit: one commit, one push
  per-app        one write per Application through one writer (the clone cache is reused)
  per-app-fresh  one write per Application with a new cache each time — what upstream does
                 (temp dir, init, shallow fetch, commit, push per Application); run on
                 `--fresh-apps` Applications and reported per Application to keep it short

Printed per strategy: wall time, git network operations counted in our git layer (fetch, push,
ls-remote), HTTP requests the server saw, commits made, and ratios to the batched row.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from devtools import git_http
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_cli import GitTrace
from image_updater.writeback.git_commit import combine_messages
from image_updater.writeback.git_edits import Edit
from image_updater.writeback.git_repo import GitRepoCache

AUTH = HttpsAuth(username="bench", password="bench-password")
MAIN = TargetBranch(base="main")


@dataclass(frozen=True)
class Row:
    name: str
    apps: int
    seconds: float
    network_ops: int
    http_requests: int
    commits: int


def values_path(i: int) -> str:
    return f"apps/app{i:03}/values.yaml"


def edit_for(i: int, tag: str) -> Edit:
    return lambda text: f"image:\n  repository: registry.example.com/app{i:03}\n  tag: {tag}\n"


def commit_count(bare: Path) -> int:
    out = subprocess.run(["git", "--git-dir", str(bare), "rev-list", "--count", "main"], capture_output=True)
    return int(out.stdout)


async def batched(server: git_http.GitHttpServer, url: str, bare: Path, work: Path, apps: int) -> Row:
    trace, before, commits = GitTrace(), sum(server.requests.values()), commit_count(bare)
    writer = GitWriter(cache=GitRepoCache(work / "batched"), trace=trace)
    start = time.perf_counter()
    edits = {values_path(i): edit_for(i, "2.0.0") for i in range(apps)}
    message = combine_messages([f"build: automatic update of app{i:03}\n" for i in range(apps)])
    await writer.write(repo_url=url, branch=MAIN, auth=AUTH, edits=edits, message=message)
    elapsed = time.perf_counter() - start
    requests = sum(server.requests.values()) - before
    return Row("batched", apps, elapsed, trace.network_operations, requests, commit_count(bare) - commits)


async def per_app(
    server: git_http.GitHttpServer, url: str, bare: Path, work: Path, apps: int, *, fresh: bool, tag: str
) -> Row:
    trace, before, commits = GitTrace(), sum(server.requests.values()), commit_count(bare)
    shared = GitWriter(cache=GitRepoCache(work / f"per-app-{tag}"), trace=trace)
    start = time.perf_counter()
    for i in range(apps):
        writer = GitWriter(cache=GitRepoCache(work / f"fresh-{tag}-{i}"), trace=trace) if fresh else shared
        edits = {values_path(i): edit_for(i, tag)}
        await writer.write(repo_url=url, branch=MAIN, auth=AUTH, edits=edits, message=f"update app{i:03}")
    elapsed = time.perf_counter() - start
    requests = sum(server.requests.values()) - before
    name = "per-app-fresh" if fresh else "per-app"
    return Row(name, apps, elapsed, trace.network_operations, requests, commit_count(bare) - commits)


def print_table(rows: list[Row], total_apps: int) -> None:
    base = rows[0]
    print(f"{total_apps} Applications, one monorepo, one branch, local smart-HTTP git server\n")
    header = f"{'strategy':<14}{'apps':>6}{'wall s':>9}{'s/app':>8}{'git net ops':>13}{'HTTP reqs':>11}"
    print(header + f"{'commits':>9}{'time x':>9}{'net ops x':>11}")
    for row in rows:
        scale = total_apps / row.apps  # per-app-fresh runs on fewer apps; scale to the full count
        time_ratio = row.seconds * scale / base.seconds
        ops_ratio = row.network_ops * scale / base.network_ops
        print(
            f"{row.name:<14}{row.apps:>6}{row.seconds:>9.2f}{row.seconds / row.apps:>8.3f}"
            f"{row.network_ops:>13}{row.http_requests:>11}{row.commits:>9}{time_ratio:>9.1f}{ops_ratio:>11.1f}"
        )
    print("\nratios are to 'batched', scaled to the full application count")


async def main(apps: int, fresh_apps: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-writeback-") as tmp:
        root, work = Path(tmp) / "remotes", Path(tmp) / "work"
        root.mkdir()
        files = {values_path(i): edit_for(i, "1.0.0")(None) or "" for i in range(apps)}
        bare = git_http.make_bare_repo(root, "mono.git", files=files)
        with git_http.serve(root, credentials=(AUTH.username, AUTH.password)) as server:
            url = server.url_for("mono.git")
            rows = [await batched(server, url, bare, work, apps)]
            rows.append(await per_app(server, url, bare, work, apps, fresh=False, tag="3.0.0"))
            rows.append(await per_app(server, url, bare, work, fresh_apps, fresh=True, tag="4.0.0"))
        print_table(rows, apps)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=200)
    parser.add_argument("--fresh-apps", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.apps, args.fresh_apps))
