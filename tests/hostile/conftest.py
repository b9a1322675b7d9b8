"""A directory-mode controller against a real registry and a real git server, with room for
hostile files: extra repository files, extra Application manifests and Secret files.

`good` is one well-formed Application (the seed article's production kustomization); each test
adds its attacks next to it and checks that `good` is still updated in the same cycle.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from devtools import git_http, gitops_sample
from devtools.registry import LocalRegistry, start_registry
from image_updater.cli.main import cli

GOOD_TARGET = "apps/api-service/overlays/production/kustomization.yaml"


@dataclass(frozen=True)
class Hostile:
    registry: LocalRegistry
    bare: Path
    repo_url: str
    apps: Path
    secrets: Path
    workdir: Path

    def app(self, name: str, *, path: str, annotations: dict[str, str]) -> None:
        """An Application of this repository, `image-list` on the real registry unless given."""
        notes = {"image-list": f"api={self.registry.host}/org/api", "write-back-method": "git", **annotations}
        (self.apps / f"{name}.yaml").write_text(
            gitops_sample.application(name, path=path, repo_url=self.repo_url, annotations=notes)
        )

    def run(self, *extra: str) -> Result:
        args = ["run", "--once", "--applications-dir", str(self.apps), "--secrets-dir", str(self.secrets)]
        args += ["--git-workdir", str(self.workdir), "--metrics-port", "0", "--health-port", "0", *extra]
        return CliRunner().invoke(cli, args, catch_exceptions=False)

    def show(self, path: str, branch: str = "main") -> str:
        done = subprocess.run(
            ["git", "--git-dir", str(self.bare), "show", f"{branch}:{path}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout

    def good_was_updated(self) -> bool:
        return f"- name: {self.registry.host}/org/api\n  newTag: v1.5.0\n" in self.show(GOOD_TARGET)


HostileFactory = Callable[[dict[str, str]], Hostile]


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[HostileFactory]:
    """Call with the extra repository files; gives a setup whose only Application is `good`."""
    with start_registry(tmp_path / "registry") as registry:
        gitops_sample.push_images(registry.url)
        root = tmp_path / "git"
        root.mkdir()
        with git_http.serve(root, credentials=(gitops_sample.GIT_USER, gitops_sample.GIT_PASSWORD)) as server:

            def make(files: dict[str, str]) -> Hostile:
                bare = git_http.make_bare_repo(
                    root, "manifests.git", files={**gitops_sample.repo_files(registry.host), **files}
                )
                url = server.url_for("manifests.git")
                gitops_sample.write_secrets(tmp_path / "secrets", repo_url=url)
                setup = Hostile(
                    registry, bare, url, tmp_path / "apps", tmp_path / "secrets", tmp_path / "work"
                )
                setup.apps.mkdir()
                setup.app(
                    "good",
                    path="apps/api-service/overlays/production",
                    annotations={
                        "api.update-strategy": "semver",
                        "api.semver-constraint": ">=1.0.0 <2.0.0",
                        "write-back-target": "kustomization",
                        "git-branch": "main",
                    },
                )
                return setup

            yield make
