"""A hostile registry in a real `run --once` (directory mode, real git server over HTTP): every
attack of `test_registry_*` at once, next to honest images on the real `docker-registry` and on
the stub itself (docs/security.md, "Registry operators").

Tags that are no OCI tags and tags whose metadata is gone or malformed are dropped and the right
valid tag is written; a lying digest, a registry that stays down and a foreign `Link` fail only
their own Application, with one line naming it; the honest images of the same cycle are written
in the same commit, whose message carries no control character; nothing is an internal error.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from click.testing import CliRunner, Result

from devtools import git_http, gitops_sample, oci
from devtools.registry import LocalRegistry, start_registry
from image_updater.cli.main import cli
from image_updater.registry.manifests import OCI_MANIFEST
from tests.hostile.threaded import serve_in_thread
from tests.registry import StubRegistry, digest_of

BAD_TAGS = ["~~~", "a: b", "9.9.9\n", "9" * 5000, "\x1b[31m9.9.9", "9.9.9\u202e"]
LIE = "sha256:" + "ab" * 32
DROPPED = {  # app: (stub repository, tag to be written)
    "stub-fine": ("stub/fine", "1.1.0"),
    "hostile-tags": ("hostile/tags", "1.2.0"),
    "hostile-gone": ("hostile/gone", "v2"),
    "hostile-malformed": ("hostile/malformed", "v2"),
    "hostile-nested": ("hostile/nested", "v2"),
    "hostile-oversized": ("hostile/oversized", "v2"),
}
FAILED = {  # app: (stub repository, the one-line reason)
    "hostile-mismatch": ("hostile/mismatch", "content does not match digest"),
    "hostile-down": ("hostile/down", "HTTP 500 after 4 attempts"),
    "hostile-link": ("hostile/link", "links its next page to another origin"),
    "hostile-digest": ("hostile/digest", "cannot be confirmed"),
}


def _hostile_stub(elsewhere: str) -> StubRegistry:
    stub = StubRegistry()
    for tag in ("1.0.0", "1.1.0"):
        stub.add_image("stub/fine", tag)
    for tag in ("1.0.0", "1.2.0", *BAD_TAGS):
        stub.add_image("hostile/tags", tag)
    for repo in ("gone", "malformed", "nested", "oversized", "mismatch", "down"):
        for day, tag in enumerate(("v1", "v2", "v3"), start=1):
            stub.add_image(f"hostile/{repo}", tag, created=f"2026-01-0{day}T00:00:00Z")
    stub.add_image("hostile/link", "1.0.0")
    stub.add_image("hostile/digest", "stable")
    stub.add_image("stub/pinned", "stable")
    bodies = {"malformed": b'{"mediaType": ', "nested": b"[" * 200_000, "oversized": b" " * (5 << 20)}

    async def hook(request: web.Request) -> web.StreamResponse | None:
        path = request.path
        repo = path.removeprefix("/v2/hostile/").partition("/")[0] if path.startswith("/v2/hostile/") else ""
        if path.endswith("/manifests/v3") and repo in bodies:
            body = bodies[repo]
            return web.Response(body=body, headers={"Docker-Content-Digest": digest_of(body)})
        if path.endswith("/manifests/v3") and repo in ("gone", "down", "mismatch"):
            status = {"gone": 404, "down": 500, "mismatch": 200}[repo]
            headers = {"Docker-Content-Digest": LIE} if repo == "mismatch" else {}
            return web.Response(status=status, body=b'{"mediaType": "x"}', headers=headers)
        if repo == "link" and path.endswith("/tags/list"):
            link = f'<{elsewhere}/v2/hostile/link/tags/list?last=1.0.0>; rel="next"'
            return web.json_response({"tags": ["1.0.0"]}, headers={"Link": link})
        if repo == "digest" and request.method == "HEAD":
            return web.Response(headers={"Docker-Content-Digest": LIE}, content_type=OCI_MANIFEST)
        return None

    stub.hooks.append(hook)
    return stub


@dataclass(frozen=True)
class World:
    registry: LocalRegistry
    stub: StubRegistry
    stub_host: str
    elsewhere: StubRegistry
    bare: Path
    apps: Path
    secrets: Path
    workdir: Path

    def run(self) -> Result:
        args = ["run", "--once", "--applications-dir", str(self.apps), "--secrets-dir", str(self.secrets)]
        args += ["--git-workdir", str(self.workdir), "--metrics-port", "0", "--health-port", "0"]
        return CliRunner().invoke(cli, args, catch_exceptions=False)

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", "--git-dir", str(self.bare), *args], capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else ""


def _app(name: str, image: str, strategy: str, repo_url: str) -> str:
    notes = {
        "image-list": f"app={image}",
        "app.update-strategy": strategy,
        "write-back-method": "git",
        "git-branch": "main",
    }
    return gitops_sample.application(name, path=f"apps/{name}", repo_url=repo_url, annotations=notes)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    elsewhere = StubRegistry()
    with (
        start_registry(tmp_path / "registry") as registry,
        serve_in_thread(elsewhere.app()) as elsewhere_url,
    ):
        stub = _hostile_stub(elsewhere_url)
        with serve_in_thread(stub.app()) as stub_url:
            for day, tag in enumerate(("v1.0.0", "v1.1.0"), start=1):
                oci.push_image(
                    registry.url, "org/good", tag, created=dt.datetime(2026, 1, day, tzinfo=dt.UTC)
                )
            stub_host = stub_url.removeprefix("http://")
            images = {"good": (f"{registry.host}/org/good", "semver")}
            images |= {name: (f"{stub_host}/{repo}", _strategy(repo)) for name, (repo, _) in DROPPED.items()}
            images |= {name: (f"{stub_host}/{repo}", _strategy(repo)) for name, (repo, _) in FAILED.items()}
            images["hostile-digest"] = (f"{stub_host}/hostile/digest:stable", "digest")
            images["stub-pinned"] = (f"{stub_host}/stub/pinned:stable", "digest")
            files = {f"apps/{name}/kustomization.yaml": gitops_sample.KUSTOMIZATION for name in images}
            root = tmp_path / "git"
            root.mkdir()
            bare = git_http.make_bare_repo(root, "manifests.git", files=files)
            credentials = (gitops_sample.GIT_USER, gitops_sample.GIT_PASSWORD)
            with git_http.serve(root, credentials=credentials) as server:
                url = server.url_for("manifests.git")
                apps = tmp_path / "apps"
                apps.mkdir()
                for name, (image, strategy) in images.items():
                    (apps / f"{name}.yaml").write_text(_app(name, image, strategy, url))
                gitops_sample.write_secrets(tmp_path / "secrets", repo_url=url)
                yield World(
                    registry, stub, stub_host, elsewhere, bare, apps, tmp_path / "secrets", tmp_path / "work"
                )


def _strategy(repo: str) -> str:
    if repo in ("hostile/tags", "stub/fine", "hostile/link"):
        return "semver"
    return "digest" if repo == "hostile/digest" else "newest-build"


def test_a_hostile_registry_fails_only_its_own_images(world: World) -> None:
    result = world.run()
    output = result.output
    assert result.exit_code == 1, output
    assert "internal error" not in output
    assert "Traceback" not in output
    assert all(line.isprintable() for line in output.splitlines())

    def written(name: str) -> str:
        return world.git("show", f"main:apps/{name}/.argocd-source-{name}.yaml")

    assert f"{world.registry.host}/org/good:v1.1.0" in written("good")
    for name, (repo, tag) in DROPPED.items():
        assert f"  - {world.stub_host}/{repo}:{tag}\n" in written(name), (name, output)
    pinned = digest_of(world.stub.manifests[("stub/pinned", "stable")][0])
    assert f"{world.stub_host}/stub/pinned:stable@{pinned}" in written("stub-pinned")
    for name, (repo, reason) in FAILED.items():
        [line] = [line for line in output.splitlines() if f"application argocd/{name}:" in line]
        assert reason in line, line
        assert f"{world.stub_host}/{repo}" in line  # names the image
        assert written(name) == ""
    assert LIE not in world.git("log", "-p", "main")
    assert world.elsewhere.seen == []

    message = world.git("log", "-1", "--format=%B", "main")
    assert message.startswith(f"build: automatic update of {len(DROPPED) + 2} applications\n")
    assert all(line.isprintable() for line in message.splitlines())
    for bad in BAD_TAGS:
        assert bad not in message
    assert json.dumps(message).count("\\u") == 0
