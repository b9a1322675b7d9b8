"""Git servers for write-back tests: smart HTTP with Basic auth and sshd with a key, on 127.0.0.1.

Both serve bare repositories from one temporary root per test session; each test takes its own
repository from `remote` (a fresh bare repo whose `main` holds sample files), so tests cannot
interfere through the servers.
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools import git_http, git_ssh
from image_updater.writeback.git import GitWriter, RetryPolicy
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_cli import GitTrace
from image_updater.writeback.git_repo import GitRepoCache

GIT_USER = "image-updater-bot"
GIT_PASSWORD = "pa55-w0rd-very-secret"
SAMPLE_FILES = {
    "README.md": "sample\n",
    "apps/guestbook/values.yaml": "image:\n  tag: 1.0.0\n",
    "apps/shop/values.yaml": "image:\n  tag: 2.0.0\n",
}
_numbers = itertools.count()


@dataclass(frozen=True)
class Remote:
    """A bare repository served over HTTP (Basic auth) and SSH."""

    bare: Path
    http_url: str
    http_server: git_http.GitHttpServer

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "--git-dir", str(self.bare), *args], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def show(self, path: str, branch: str = "main") -> str:
        return self.git("show", f"{branch}:{path}")

    def log(self, branch: str = "main") -> list[tuple[str, list[str], str]]:
        """(commit, parents, subject) newest first."""
        lines = self.git("log", "--format=%H %P%x00%s", branch).splitlines()
        return [
            (ln.split("\0")[0].split()[0], ln.split("\0")[0].split()[1:], ln.split("\0")[1]) for ln in lines
        ]

    def tip(self, branch: str = "main") -> str:
        return self.git("rev-parse", f"refs/heads/{branch}").strip()


@pytest.fixture(scope="session")
def git_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("git-remotes")


@pytest.fixture(scope="session")
def http_git(git_root: Path) -> Iterator[git_http.GitHttpServer]:
    with git_http.serve(git_root, credentials=(GIT_USER, GIT_PASSWORD)) as server:
        yield server


@pytest.fixture(scope="session")
def ssh_git(tmp_path_factory: pytest.TempPathFactory) -> Iterator[git_ssh.GitSshServer]:
    with git_ssh.serve(tmp_path_factory.mktemp("sshd")) as server:
        yield server


@pytest.fixture
def remote(git_root: Path, http_git: git_http.GitHttpServer) -> Remote:
    name = f"repo-{next(_numbers)}.git"
    bare = git_http.make_bare_repo(git_root, name, files=SAMPLE_FILES)
    return Remote(bare=bare, http_url=http_git.url_for(name), http_server=http_git)


@pytest.fixture
def https_auth() -> HttpsAuth:
    return HttpsAuth(username=GIT_USER, password=GIT_PASSWORD)


@pytest.fixture
def trace() -> GitTrace:
    return GitTrace(record_argv=True)


@pytest.fixture
def writer(tmp_path: Path, trace: GitTrace) -> GitWriter:
    retry = RetryPolicy(attempts=20, base_delay=0.01, max_delay=0.2)
    return GitWriter(cache=GitRepoCache(tmp_path / "cache"), trace=trace, retry=retry)
