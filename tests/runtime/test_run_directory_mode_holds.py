"""Revert-aware holds end to end in directory mode: the real registry, the real git HTTP server,
a human who `git revert`s our commit and pushes. The image then moves only to a strictly newer
version (never back to the reverted one); with `forever` not even then; with a duration it
resumes once the (injected) clock has passed it. The hold is read from Git each run: every run
here is a fresh process state, as after a restart."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from structlog.testing import capture_logs

from devtools import git_http, gitops_sample
from devtools.oci import push_image
from devtools.registry import LocalRegistry, start_registry
from image_updater.cli.main import cli
from image_updater.holds import parse_trailers
from image_updater.runtime import controller
from image_updater.runtime.controller import RunSettings

FILE = "apps/api-service/overlays/production/kustomization.yaml"
BASE = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Repo:
    registry: LocalRegistry
    root: Path
    bare: Path
    url: str
    apps: Path
    workdir: Path

    def run(self, *, now: datetime | None = None) -> list[dict[str, object]]:
        settings = RunSettings(
            once=True,
            applications_dir=self.apps,
            git_workdir=self.workdir,
            metrics_port=0,
            health_port=0,
            clock=lambda: now or datetime.now(UTC),
        )
        with capture_logs() as logs:
            assert asyncio.run(controller.run(settings)) == 0
        return logs

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", str(self.bare), *args], capture_output=True, text=True, check=True
        ).stdout

    def tag(self) -> str:
        text = self.git("show", f"main:{FILE}")
        return text.split("newTag: ", 1)[1].split("\n", 1)[0] if "newTag: " in text else ""

    def human_revert(self) -> None:
        clone = self.root / ".human"
        subprocess.run(["git", "clone", "-q", self.url, str(clone)], check=True)
        ident = ["-c", "user.name=Jane Human", "-c", "user.email=jane@example.com"]
        subprocess.run(
            ["git", "-C", str(clone), *ident, "revert", "--no-edit", "HEAD"], check=True, capture_output=True
        )
        subprocess.run(["git", "-C", str(clone), "push", "-q", "origin", "HEAD:main"], check=True)
        subprocess.run(["rm", "-rf", str(clone)], check=True)

    def push(self, tag: str, day: int) -> None:
        push_image(self.registry.url, "org/api", tag, created=BASE + timedelta(days=day))


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    with start_registry(tmp_path / "registry") as registry:
        for day, tag in enumerate(["v1.4.0", "v1.5.0"]):
            push_image(registry.url, "org/api", tag, created=BASE + timedelta(days=day))
        root = tmp_path / "git"
        root.mkdir()
        files = gitops_sample.repo_files(registry.host)
        bare = git_http.make_bare_repo(root, "manifests.git", files=files)
        with git_http.serve(root) as server:
            yield Repo(
                registry, root, bare, server.url_for("manifests.git"), tmp_path / "apps", tmp_path / "work"
            )


def _application(repo: Repo, **extra: str) -> None:
    repo.apps.mkdir(exist_ok=True)
    notes = {
        "image-list": f"api={repo.registry.host}/org/api",
        "api.update-strategy": "semver",
        "write-back-method": "git",
        "write-back-target": "kustomization",
        "git-branch": "main",
        **extra,
    }
    text = gitops_sample.application(
        "api-service", path="apps/api-service/overlays/production", repo_url=repo.url, annotations=notes
    )
    (repo.apps / "api-service.yaml").write_text(text)


def _written_and_reverted(repo: Repo, **extra: str) -> None:
    _application(repo, **extra)
    repo.run()
    assert repo.tag() == "v1.5.0"
    (trailer,) = parse_trailers(repo.git("log", "-1", "--format=%B", "main"))
    assert (trailer.app, trailer.alias, trailer.new) == ("argocd/api-service", "api", "v1.5.0")
    assert trailer.image == f"{repo.registry.host}/org/api"
    repo.human_revert()
    assert repo.tag() == ""


def _held(logs: list[dict[str, object]]) -> list[str]:
    return [str(e["reason"]) for e in logs if e["event"] == "held after revert"]


def test_a_reverted_version_is_not_written_again_and_a_newer_one_is(repo: Repo) -> None:
    _written_and_reverted(repo)
    head = repo.git("rev-parse", "main")
    logs = repo.run()
    assert repo.git("rev-parse", "main") == head  # v1.5.0 is not written back
    (reason,) = _held(logs)
    assert "we wrote v1.5.0" in reason
    assert "until a newer version exists" in reason
    repo.push("v1.5.1", day=5)
    repo.run()
    assert repo.tag() == "v1.5.1"
    assert _held(repo.run()) == []  # the newer write released the hold: nothing more to do
    assert repo.tag() == "v1.5.1"


def test_forever_holds_even_when_a_newer_version_appears(repo: Repo) -> None:
    _written_and_reverted(repo, **{"api.hold-after-revert": "forever"})
    repo.push("v1.5.1", day=5)
    head = repo.git("rev-parse", "main")
    assert len(_held(repo.run())) == 1
    assert repo.git("rev-parse", "main") == head


def test_a_duration_hold_resumes_after_it(repo: Repo) -> None:
    _written_and_reverted(repo, **{"hold-after-revert": "2h"})  # the app-wide key
    reverted = datetime.fromtimestamp(int(repo.git("log", "-1", "--format=%ct", "main")), tz=UTC)
    head = repo.git("rev-parse", "main")
    repo.run(now=reverted + timedelta(hours=1, minutes=59))
    assert repo.git("rev-parse", "main") == head
    repo.run(now=reverted + timedelta(hours=2))
    assert repo.tag() == "v1.5.0"


def test_releasing_with_an_annotation_change(repo: Repo) -> None:
    _written_and_reverted(repo)
    _application(repo, **{"api.hold-after-revert": "0s"})
    repo.run()
    assert repo.tag() == "v1.5.0"


def test_plan_explains_a_held_image(repo: Repo) -> None:
    _written_and_reverted(repo)
    args = ["plan", "--applications-dir", str(repo.apps), "--git-workdir", str(repo.workdir), "-o", "json"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output  # nothing pending: the held version is not written
    (app,) = json.loads(result.stdout)["applications"]
    (image,) = app["images"]
    assert (image["status"], image["reason"]) == ("skipped", "Held")
    assert "held after revert: we wrote v1.5.0" in image["message"]
