"""`make demo`: a local registry, a few pushed images, and `image-updater test` for each strategy.

Idempotent: everything lives in ./demo-work (recreated each run) and the registry process is
stopped on exit, also on failure. Needs no cluster, no docker, no network.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devtools.oci import move_tag, push_image, push_index
from devtools.registry import start_registry

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "demo-work"
CLI = ROOT / ".venv" / "bin" / "argocd-image-updater"


def main() -> int:
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir()
    with start_registry(WORK / "registry") as registry:
        host = registry.host
        _say(f"Started a local OCI registry (Debian docker-registry) at {registry.url}.")
        _push_samples(registry.url)
        api, migrator = f"{host}/org/api", f"{host}/org/migrator"
        _run(
            "Production: semver inside >=1.0.0 <2.0.0, pre-releases ignored",
            api,
            "--update-strategy",
            "semver",
            "--semver-constraint",
            ">=1.0.0 <2.0.0",
            "--ignore-tags",
            "regexp:(-rc|-alpha|-beta)",
        )
        _run(
            "Staging: release candidates",
            api,
            "--update-strategy",
            "semver",
            "--semver-constraint",
            ">=1.0.0-rc.0",
            "--allow-tags",
            r"regexp:^v[0-9]+\.[0-9]+\.[0-9]+-rc",
        )
        _run(
            "Dev: newest build of main-<sha> (legacy name 'latest')",
            api,
            "--update-strategy",
            "latest",
            "--allow-tags",
            "regexp:^main-[a-f0-9]{7}$",
        )
        _run("Alphabetical", api, "--update-strategy", "alphabetical", "--allow-tags", "regexp:^main-")
        _run(
            "Digest: track the mutable tag 'latest' (multi-arch index)",
            f"{migrator}:latest",
            "--update-strategy",
            "digest",
        )
        move_tag_to_new_build(registry.url)
        _run(
            "Digest again after 'latest' was pushed anew: the digest moved",
            f"{migrator}:latest",
            "--update-strategy",
            "digest",
        )
        _run(
            "Why was each tag kept or dropped? (--explain)",
            api,
            "--semver-constraint",
            ">=1.0.0 <2.0.0",
            "--explain",
        )
        _run("Nothing matches: exit status 1 and the reason", api, "--semver-constraint", ">=3.0.0", expect=1)
        _run("Bad input: exit status 2 and one line", api, "--update-strategy", "newest", expect=2)
    _say("Done: the registry is stopped and demo-work/ holds its data.")
    return 0


def _push_samples(url: str) -> None:
    base = datetime(2026, 11, 1, tzinfo=UTC)
    for day, tag in enumerate(["v0.9.0", "v1.0.0", "v1.4.2", "v1.5.0", "v1.6.0-rc.1", "v2.0.0"]):
        push_image(url, "org/api", tag, created=base + timedelta(days=day))
    for hour, tag in enumerate(["main-3f2a1bc", "main-9e8d7c6", "main-0a1b2c3", "feature-x-1234567"]):
        push_image(url, "org/api", tag, created=base + timedelta(days=10, hours=hour))
    push_index(url, "org/migrator", "latest", platforms=[("linux/amd64", base), ("linux/arm64/v8", base)])
    _say("Pushed org/api (semver, rc and main-<sha> tags) and org/migrator:latest (amd64 + arm64).")


def move_tag_to_new_build(url: str) -> None:
    later = datetime(2026, 11, 20, tzinfo=UTC)
    digest = push_index(
        url, "org/migrator", "build-2", platforms=[("linux/amd64", later), ("linux/arm64/v8", later)]
    )
    move_tag(url, "org/migrator", "latest", digest)
    _say("Pushed a new org/migrator build and moved 'latest' to it.")


def _run(title: str, image: str, *flags: str, expect: int = 0) -> None:
    argv = [str(CLI), "test", image, *flags]
    shown = " ".join(shlex.quote(a) for a in ["argocd-image-updater", "test", image, *flags])
    print(f"\n### {title}\n$ {shown}", flush=True)
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    print((done.stdout + done.stderr).rstrip())
    print(f"(exit status {done.returncode})")
    if done.returncode != expect:
        raise SystemExit(f"demo failed: expected exit status {expect}, got {done.returncode}")


def _say(text: str) -> None:
    print(f"==> {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
