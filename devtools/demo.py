"""`make demo`: the whole loop on one machine, no cluster, no docker, no network.

A local OCI registry receives a series of image tags; a local git server holds a GitOps repository
laid out as in the "ArgoCD Image Updater" article (dev/staging/prod overlays, a Helm chart, a
multi-container app); six Argo CD Application manifests carry the article's annotations.
`image-updater run --once --applications-dir ...` then writes the new tags back to git. A newer
release is pushed and a second run adds exactly the commits it should. Idempotent: everything
lives in ./demo-work (recreated each run); servers are stopped on exit, also on failure.
With `--serve` (`make demo-serve`) the servers stay up afterwards, until Ctrl-C, and the commands to
try against them are printed.
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from devtools import git_http, gitops_sample
from devtools.oci import push_image
from devtools.registry import start_registry

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "demo-work"
BIN = ROOT / ".venv" / "bin"
BRANCHES = ("main", *gitops_sample.ENV_BRANCHES)
CONTROLLER_FLAGS = (
    *("--applications-dir", str(WORK / "applications"), "--secrets-dir", str(WORK / "secrets")),
    *("--git-workdir", str(WORK / "clones"), "--metrics-port", "0", "--health-port", "0"),
)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="keep the servers up afterwards, until Ctrl-C")
    serve = parser.parse_args(argv).serve
    started = time.monotonic()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir()
    with start_registry(WORK / "registry") as registry:
        gitops_sample.push_images(registry.url)
        _say(f"Local registry at {registry.url}: pushed org/api (v0.9.0 … v2.1.0, an rc, main-<sha>),")
        _say("org/worker (1.2.0, 1.3.0, 2.0.0) and org/migrator:latest (amd64 + arm64).")
        git_root = WORK / "git"
        git_root.mkdir()
        bare = git_http.make_bare_repo(
            git_root, "manifests.git", files=gitops_sample.repo_files(registry.host)
        )
        gitops_sample.create_env_branches(bare)
        with git_http.serve(
            git_root, credentials=(gitops_sample.GIT_USER, gitops_sample.GIT_PASSWORD)
        ) as server:
            url = server.url_for("manifests.git")
            gitops_sample.write_applications(WORK / "applications", registry=registry.host, repo_url=url)
            gitops_sample.write_secrets(WORK / "secrets", repo_url=url)
            _say(f"Local git server at {url} (Basic auth): main, deploy/dev, deploy/staging, deploy/prod.")
            _say("Six Application manifests with the article's annotations are in demo-work/applications/.")
            _section("What would production get? (the troubleshooting view)")
            _run(
                BIN / "argocd-image-updater",
                "test",
                f"{registry.host}/org/api",
                "--semver-constraint",
                ">=1.0.0 <2.0.0",
                "--ignore-tags",
                "regexp:(-rc|-alpha|-beta)",
                "--explain",
            )
            tips = _tips(bare)
            _section("First run: image-updater run --once")
            _run_controller()
            _show_history(bare, tips)
            _say("In words: production and the multi-container platform app (main) got their semver releases")
            _say("in kustomization.yaml, in ONE batched commit together with the Helm chart's values.yaml;")
            _say("dev got the newest main-<sha> build, staging the release candidate, prod the newest 1.x")
            _say("release, each as .argocd-source-<app>.yaml on its own branch; the migrator is pinned.")
            tips = _tips(bare)
            _section("Second run with nothing new: no commit")
            _run_controller()
            _say("unchanged" if _tips(bare) == tips else "UNEXPECTED: something changed")
            push_image(registry.url, "org/api", "v1.5.1", created=datetime(2026, 11, 20, tzinfo=UTC))
            _section("CI pushed org/api:v1.5.1 — third run")
            _run_controller()
            _show_history(bare, tips)
            _say("In words: v1.5.1 is inside '>=1.0.0 <2.0.0', so production (main) and prod (deploy/prod)")
            _say("each got one more commit; dev, staging and the 2.x apps were left alone.")
            _say(f"Done in {time.monotonic() - started:.0f} s.")
            if serve:
                _keep_playing(registry_url=registry.url, registry_host=registry.host, repo_url=url, bare=bare)
    _say("Servers stopped; demo-work/ keeps the data. Look:")
    print(f"    git --git-dir {bare.relative_to(ROOT)} log --all --oneline --author=argocd-image-updater")
    if not serve:
        _say("To keep playing: `make demo-serve` runs the same demo and keeps the registry and the git")
        _say("server up until Ctrl-C, with commands to try against them.")
    return 0


def _keep_playing(*, registry_url: str, registry_host: str, repo_url: str, bare: Path) -> None:
    """Print the running servers and what to try against them, then wait for Ctrl-C."""
    push = (
        "import datetime as d; from devtools.oci import push_image; "
        f'push_image("{registry_url}", "org/api", "v1.5.2", created=d.datetime.now(d.UTC))'
    )
    _section("The servers stay up until Ctrl-C")
    print(f"registry    {registry_url}  (org/api, org/worker, org/migrator; no auth)")
    print(f"git server  {repo_url}  (user {gitops_sample.GIT_USER}, password {gitops_sample.GIT_PASSWORD})")
    print("\nIn another terminal, from this directory:")
    print(f"  .venv/bin/argocd-image-updater test {registry_host}/org/api --semver-constraint '^1' --explain")
    print(f"  .venv/bin/python -c {shlex.quote(push)}")
    print(f"  .venv/bin/image-updater run --once {_shown(CONTROLLER_FLAGS)}")
    print(f"  git --git-dir {bare.relative_to(ROOT)} log --all --oneline --graph", flush=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops the servers as Ctrl-C does
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print(flush=True)


def _run_controller() -> None:
    _run(BIN / "image-updater", "run", "--once", *CONTROLLER_FLAGS)


def _tips(bare: Path) -> dict[str, str]:
    return {b: _git(bare, "rev-parse", b).strip() for b in BRANCHES}


def _show_history(bare: Path, before: dict[str, str]) -> None:
    for branch in BRANCHES:
        new = _git(bare, "log", "--format=%h %an: %s", f"{before[branch]}..{branch}").strip()
        if not new:
            continue
        print(f"\n--- {branch}: new commits by argocd-image-updater\n{new}")
        print(_git(bare, "diff", "--stat", before[branch], branch).rstrip())
        print(_git(bare, "diff", "-U1", before[branch], branch).rstrip())


def _git(bare: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(bare), *args], capture_output=True, text=True, check=True
    ).stdout


def _run(*argv: object) -> None:
    words = [str(a) for a in argv]
    print(f"$ {_shown(words)}", flush=True)
    done = subprocess.run(words, capture_output=True, text=True, check=False)
    print((done.stdout + done.stderr).rstrip(), flush=True)
    if done.returncode != 0:
        raise SystemExit(f"demo failed: exit status {done.returncode}")


def _shown(words: Sequence[str]) -> str:
    """The command line as the user would type it from the repository root."""
    return " ".join(
        shlex.quote(w if not w.startswith(str(ROOT)) else str(Path(w).relative_to(ROOT))) for w in words
    )


def _section(title: str) -> None:
    print(f"\n### {title}", flush=True)


def _say(text: str) -> None:
    print(f"==> {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
