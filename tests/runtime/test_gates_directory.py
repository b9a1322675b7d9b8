"""The gates in directory mode, end to end: the real registry, a real smart-HTTP git server, the
controller run with an injected clock. A Helm parameter override in an Application manifest pins
its image under git write-back (Argo CD would render the override, not our commit) until it is
removed; a dev → staging → prod chain on three branches where each waits for the one before it
to hold the tag for its soak time (commit times in Git)."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import structlog

from devtools import git_http, gitops_sample
from devtools.registry import LocalRegistry, start_registry
from image_updater.runtime import controller
from image_updater.runtime.controller import RunSettings

P = gitops_sample.P
API = "apps/api/overlays/{env}/.argocd-source-api-{env}.yaml"


@dataclass(frozen=True)
class Repo:
    registry: LocalRegistry
    bare: Path
    url: str
    apps: Path
    workdir: Path

    async def run(self, *, clock: Callable[[], dt.datetime] | None = None) -> list[dict[str, Any]]:
        settings = RunSettings(
            once=True,
            interval=0,
            applications_dir=self.apps,
            git_workdir=self.workdir,
            metrics_port=0,
            health_port=0,
            leader_election=False,
            clock=clock,
        )
        with structlog.testing.capture_logs() as logs:
            assert await controller.run(settings) == 0
        return logs

    def show(self, path: str, branch: str = "main") -> str | None:
        done = subprocess.run(
            ["git", "--git-dir", str(self.bare), "show", f"{branch}:{path}"], capture_output=True, text=True
        )
        return done.stdout if done.returncode == 0 else None

    def app(self, name: str, *, path: str, branch: str = "main", extra: str = "", **notes: str) -> None:
        text = gitops_sample.application(name, path=path, repo_url=self.url, annotations=notes)
        (self.apps / f"{name}.yaml").write_text(
            text.replace(f"    path: {path}\n", f"    path: {path}\n{extra}")
        )


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    with start_registry(tmp_path / "registry") as registry:
        gitops_sample.push_images(registry.url)
        root = tmp_path / "git"
        root.mkdir()
        bare = git_http.make_bare_repo(root, "manifests.git", files=gitops_sample.repo_files(registry.host))
        gitops_sample.create_env_branches(bare)
        with git_http.serve(root) as server:
            apps = tmp_path / "apps"
            apps.mkdir()
            yield Repo(registry, bare, server.url_for("manifests.git"), apps, tmp_path / "work")


def skips(logs: list[dict[str, Any]]) -> dict[str, str]:
    return {e["app"]: e["reason"] for e in logs if e["event"] == "skipping image"}


OVERRIDE = "    helm:\n      parameters:\n      - name: image.tag\n        value: v1.4.2\n"


async def test_a_helm_override_in_the_application_pins_the_git_write_back(repo: Repo) -> None:
    notes = {
        "image-list": f"api={repo.registry.host}/org/api",
        "api.helm.image-name": "image.repository",
        "api.helm.image-tag": "image.tag",
        "write-back-method": "git",
        "write-back-target": "helmvalues:values.yaml",
    }
    repo.app("api-helm", path="charts/api", extra=OVERRIDE, **notes)
    logs = await repo.run()
    assert "  tag: v1.0.0  # set by image-updater\n" in (repo.show("charts/api/values.yaml") or "")
    assert skips(logs)["argocd/api-helm"].startswith(
        "pinned by spec.source.helm.parameters image.tag=v1.4.2 "
        "(an override in the Application wins over Git)"
    )

    repo.app("api-helm", path="charts/api", **notes)  # the override removed: image-updater resumes
    await repo.run()
    assert "  tag: v2.1.0  # set by image-updater\n" in (repo.show("charts/api/values.yaml") or "")


def chain(repo: Repo) -> None:
    """dev takes every release below 2.0; staging promotes from dev after 30m, prod from staging after 1h."""
    image = {"image-list": f"api={repo.registry.host}/org/api", "api.semver-constraint": ">=1.0.0 <2.0.0"}
    repo.app(
        "api-dev",
        path="apps/api/overlays/dev",
        **image,
        **{"write-back-method": "git", "git-branch": "deploy/dev"},
    )
    for env, source, after in (("staging", "dev", "30m"), ("prod", "staging", "1h")):
        repo.app(
            f"api-{env}",
            path=f"apps/api/overlays/{env}",
            **image,
            **{
                "write-back-method": "git",
                "git-branch": f"deploy/{env}",
                "api.promote-from": f"argocd/api-{source}",
                "api.promote-after": after,
            },
        )


def written(repo: Repo, env: str) -> str | None:
    text = repo.show(API.format(env=env), f"deploy/{env}")
    return text.rsplit(":", 1)[1].strip() if text else None


def later(minutes: float) -> Callable[[], dt.datetime]:
    start = dt.datetime.now(dt.UTC)
    return lambda: start + dt.timedelta(minutes=minutes)


async def test_a_promotion_chain_waits_for_each_soak_time(repo: Repo) -> None:
    chain(repo)
    logs = await repo.run()
    assert (written(repo, "dev"), written(repo, "staging"), written(repo, "prod")) == ("v1.5.0", None, None)
    waiting = {e["app"]: e["reason"] for e in logs if e["event"] == "no update"}
    assert (
        "waiting for promotion from argocd/api-dev (it runs no tag of this image)"
        in waiting["argocd/api-staging"]
    )

    logs = await repo.run(clock=later(10))
    assert written(repo, "staging") is None  # dev has held v1.5.0 for 10 minutes, not 30
    reason = {e["app"]: e["reason"] for e in logs if e["event"] == "no update"}["argocd/api-staging"]
    assert reason.startswith(
        "no tag eligible yet: v1.5.0 is waiting for promotion from argocd/api-dev (running since "
    )

    await repo.run(clock=later(31))
    assert (written(repo, "staging"), written(repo, "prod")) == ("v1.5.0", None)

    logs = await repo.run(clock=later(50))  # staging has held it for ~20 minutes: prod waits for 1h
    assert written(repo, "prod") is None
    reason = {e["app"]: e["reason"] for e in logs if e["event"] == "no update"}["argocd/api-prod"]
    assert "waiting for promotion from argocd/api-staging (running since " in reason

    await repo.run(clock=later(120))
    assert written(repo, "prod") == "v1.5.0"
