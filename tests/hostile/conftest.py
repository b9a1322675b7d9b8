"""Hostile git repositories and the witnesses that prove an attack did nothing.

`new_remote` serves a fresh bare repository (the sample files of `tests/writeback`, then one
commit shaped by the test: symlinks, `.gitattributes`, anything a repository writer can push)
over smart HTTP with Basic auth. `sentinel` is a directory outside every clone, full of files an
attack would like to change; `Snapshot` records a directory tree (content, mode, link targets) so
a test can assert it is exactly as before. `MARKER` is the file a command injected into git would
create; tests assert it never appears. `cycle` is the seed's GitOps setup (registry, repository,
Applications) for `image-updater run --once --applications-dir`, with hostile Applications added.
`hostile` is the same setup with room for hostile files (extra repository files, Application
manifests, Secret files) beside one well-formed Application, `good`, which each test checks is
still updated in the same cycle.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from devtools import git_http, gitops_sample
from devtools.registry import LocalRegistry, start_registry
from image_updater.cli.main import cli
from image_updater.writeback.git import GitWriter, RetryPolicy
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_cli import GitTrace
from image_updater.writeback.git_repo import GitRepoCache

GIT_USER, GIT_PASSWORD = "image-updater-bot", "hostile-suite-s3cret"
SAMPLE_FILES = {
    "README.md": "sample\n",
    "apps/guestbook/values.yaml": "image:\n  tag: 1.0.0\n",
    "apps/shop/values.yaml": "image:\n  tag: 2.0.0\n",
}
_numbers = itertools.count()


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every entry under `root` (links not followed): path → (content digest or link target, mode)."""
    entries = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            info = path.lstat()
            if path.is_symlink():
                what = "link:" + os.readlink(path)
            elif path.is_file():
                what = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                what = "dir"
            entries[str(path.relative_to(root))] = (what, info.st_mode)
    return entries


@dataclass(frozen=True)
class HostileRemote:
    bare: Path
    url: str

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "--git-dir", str(self.bare), *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def show(self, path: str, branch: str = "main") -> str:
        return self.git("show", f"{branch}:{path}")

    def tip(self, branch: str = "main") -> str:
        return self.git("rev-parse", f"refs/heads/{branch}").strip()

    def push_commit(self, build: Callable[[Path], None], *, root: Path) -> None:
        """Clone, let `build` shape the checkout (symlinks and all), commit everything, push."""
        seed = root / f"seed-{next(_numbers)}"
        subprocess.run(["git", "clone", "-q", str(self.bare), str(seed)], check=True)
        build(seed)
        ident = ["-c", "user.name=attacker", "-c", "user.email=attacker@example.com"]
        subprocess.run(["git", "-C", str(seed), "add", "-A"], check=True)
        subprocess.run(["git", "-C", str(seed), *ident, "commit", "-q", "-m", "hostile"], check=True)
        subprocess.run(["git", "-C", str(seed), "push", "-q", "origin", "HEAD:main"], check=True)


@dataclass(frozen=True)
class Cycle:
    host: str
    bare: Path
    repo_url: str
    root: Path

    def show(self, path: str, branch: str = "main") -> str:
        return HostileRemote(bare=self.bare, url=self.repo_url).show(path, branch)

    def applications(self, hostile: dict[str, tuple[str, dict[str, str]]]) -> Path:
        """The seed's Applications plus `hostile` (name → (source path, annotations)), and Secrets."""
        apps = self.root / "apps"
        gitops_sample.write_applications(apps, registry=self.host, repo_url=self.repo_url)
        for name, (path, notes) in hostile.items():
            manifest = gitops_sample.application(name, path=path, repo_url=self.repo_url, annotations=notes)
            (apps / f"{name}.yaml").write_text(manifest)
        gitops_sample.write_secrets(self.root / "secrets", repo_url=self.repo_url)
        return apps

    def run(self, apps: Path, workdir: Path) -> Result:
        """`image-updater run --once --applications-dir apps`, as a user runs it."""
        args = ["run", "--once", "--applications-dir", str(apps), "--secrets-dir", str(self.root / "secrets")]
        args += ["--git-workdir", str(workdir), "--metrics-port", "0", "--health-port", "0"]
        return CliRunner().invoke(cli, args, catch_exceptions=False)

    def assert_good_applications_written(self) -> None:
        """The seed's Applications on main (batched with any hostile ones) and on deploy/prod."""
        production = self.show("apps/api-service/overlays/production/kustomization.yaml")
        assert f"- name: {self.host}/org/api\n  newTag: v1.5.0\n" in production
        prod = self.show("apps/api/overlays/prod/.argocd-source-api-prod.yaml", "deploy/prod")
        assert f"{self.host}/org/api:v1.5.0" in prod


@pytest.fixture
def cycle(tmp_path: Path) -> Iterator[Cycle]:
    with start_registry(tmp_path / "registry") as registry:
        gitops_sample.push_images(registry.url)
        root = tmp_path / "git"
        root.mkdir()
        bare = git_http.make_bare_repo(root, "manifests.git", files=gitops_sample.repo_files(registry.host))
        gitops_sample.create_env_branches(bare)
        with git_http.serve(root, credentials=(gitops_sample.GIT_USER, gitops_sample.GIT_PASSWORD)) as server:
            yield Cycle(registry.host, bare, server.url_for("manifests.git"), tmp_path)


@pytest.fixture(scope="session")
def git_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile-remotes")


@pytest.fixture(scope="session")
def http_git(git_root: Path) -> Iterator[git_http.GitHttpServer]:
    with git_http.serve(git_root, credentials=(GIT_USER, GIT_PASSWORD)) as server:
        yield server


@pytest.fixture
def new_remote(git_root: Path, http_git: git_http.GitHttpServer) -> Callable[[], HostileRemote]:
    def make() -> HostileRemote:
        name = f"hostile-{next(_numbers)}.git"
        bare = git_http.make_bare_repo(git_root, name, files=SAMPLE_FILES)
        return HostileRemote(bare=bare, url=http_git.url_for(name))

    return make


@pytest.fixture
def remote(new_remote: Callable[[], HostileRemote]) -> HostileRemote:
    return new_remote()


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    """A directory outside every clone, holding what an attacker would like to read or replace."""
    root = tmp_path / "sentinel"
    (root / "etc").mkdir(parents=True)
    (root / "values.yaml").write_text("image:\n  tag: 0.0.1\n")
    (root / "etc" / "secret").write_text("TOP-SECRET-CONTENT\n")
    (root / ".argocd-source-guestbook.yaml").write_text("kustomize: {}\n")
    return root


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    """The file an injected command would create (it must never exist)."""
    return tmp_path / "MARKER-command-ran"


@pytest.fixture
def auth() -> HttpsAuth:
    return HttpsAuth(username=GIT_USER, password=GIT_PASSWORD)


@pytest.fixture
def writer(tmp_path: Path) -> GitWriter:
    retry = RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.1)
    return GitWriter(cache=GitRepoCache(tmp_path / "cache"), trace=GitTrace(record_argv=True), retry=retry)


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
