"""`image-updater run --once --applications-dir` end to end: the seed article's Applications against
a real registry and a real git server. Every example updates correctly, a second run changes
nothing, a newer tag gives exactly one more commit, and broken Applications fail alone with clear
messages. The suite runs three times: against smart HTTP with Basic auth and the credentials in
`--secrets-dir`, and with no `--secrets-dir` at all against smart HTTP without auth and a `file://`
repository (git then uses the machine's own credentials, as upstream)."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from devtools import git_http, gitops_sample, oci
from devtools.registry import LocalRegistry, start_registry
from image_updater.cli.main import cli

P = gitops_sample.P


@dataclass(frozen=True)
class Setup:
    registry: LocalRegistry
    bare: Path
    repo_url: str
    apps: Path
    secrets: Path | None  # None: no --secrets-dir
    workdir: Path

    def run(self, *extra: str, apps: Path | None = None) -> Result:
        args = ["run", "--once", "--applications-dir", str(apps or self.apps)]
        args += ["--secrets-dir", str(self.secrets)] if self.secrets else []
        args += ["--git-workdir", str(self.workdir), "--metrics-port", "0", "--health-port", "0", *extra]
        return CliRunner().invoke(cli, args, catch_exceptions=False)

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "--git-dir", str(self.bare), *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def show(self, path: str, branch: str = "main") -> str:
        return self.git("show", f"{branch}:{path}")

    def commits(self, branch: str = "main") -> list[str]:
        return self.git("log", "--format=%an|%s", branch).splitlines()


CREDENTIALS = (gitops_sample.GIT_USER, gitops_sample.GIT_PASSWORD)


@contextlib.contextmanager
def _setup(tmp_path: Path, mode: str) -> Iterator[Setup]:
    """`secret`: Basic auth, credentials in --secrets-dir; `anonymous-http`/`file`: no --secrets-dir;
    `auth-without-secret`: Basic auth and nothing to authenticate with."""
    with start_registry(tmp_path / "registry") as registry:
        gitops_sample.push_images(registry.url)
        root = tmp_path / "git"
        root.mkdir()
        bare = git_http.make_bare_repo(root, "manifests.git", files=gitops_sample.repo_files(registry.host))
        gitops_sample.create_env_branches(bare)
        auth = CREDENTIALS if mode in ("secret", "auth-without-secret") else None
        with git_http.serve(root, credentials=auth) as server:
            url = bare.as_uri() if mode == "file" else server.url_for("manifests.git")
            gitops_sample.write_applications(tmp_path / "apps", registry=registry.host, repo_url=url)
            secrets = tmp_path / "secrets" if mode == "secret" else None
            if secrets:
                gitops_sample.write_secrets(secrets, repo_url=url)
            yield Setup(registry, bare, url, tmp_path / "apps", secrets, tmp_path / "work")


@pytest.fixture(params=["secret", "anonymous-http", "file"])
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Setup]:
    with _setup(tmp_path, request.param) as ready:
        yield ready


@pytest.fixture
def secret_setup(tmp_path: Path) -> Iterator[Setup]:
    with _setup(tmp_path, "secret") as ready:
        yield ready


def test_every_seed_example_updates_and_a_second_run_changes_nothing(setup: Setup) -> None:
    host = setup.registry.host
    result = setup.run()
    assert result.exit_code == 0, result.output

    production = setup.show("apps/api-service/overlays/production/kustomization.yaml")
    assert production == gitops_sample.KUSTOMIZATION + f"images:\n- name: {host}/org/api\n  newTag: v1.5.0\n"

    values = setup.show("charts/api/values.yaml")
    assert "  tag: v2.1.0  # set by image-updater\n" in values
    assert f"  repository: {host}/org/api\n" in values

    platform = setup.show("apps/platform/kustomization.yaml")
    migrator = oci.manifest_digest(setup.registry.url, "org/migrator", "latest")
    assert f"- name: {host}/org/api\n  newTag: v2.1.0\n" in platform
    assert f"- name: {host}/org/worker\n  newTag: 1.3.0\n" in platform
    assert f"- name: {host}/org/migrator\n  newTag: latest\n  digest: {migrator}\n" in platform

    dev = setup.show("apps/api/overlays/dev/.argocd-source-api-dev.yaml", "deploy/dev")
    assert dev == f"kustomize:\n  images:\n  - {host}/org/api:main-9e8d7c6\n"
    staging = setup.show("apps/api/overlays/staging/.argocd-source-api-staging.yaml", "deploy/staging")
    assert f"{host}/org/api:v1.6.0-rc.1" in staging
    prod = setup.show("apps/api/overlays/prod/.argocd-source-api-prod.yaml", "deploy/prod")
    assert f"{host}/org/api:v1.5.0" in prod

    main_log = setup.commits("main")
    assert (
        main_log[0] == "argocd-image-updater|build: automatic update of 3 applications"
    )  # one batched commit
    assert len(main_log) == 2
    for branch in gitops_sample.ENV_BRANCHES:
        assert setup.commits(branch)[0].startswith("argocd-image-updater|build: automatic update of api-")

    message = setup.git("log", "-1", "--format=%B", "main")
    assert "updates image org/api tag 'v1.0.0' to 'v2.1.0'" in message  # old tag read from values.yaml
    assert "updates image org/api tag '' to 'v1.5.0'" in message  # production had no images: entry yet
    tips = {b: setup.git("rev-parse", b) for b in ("main", *gitops_sample.ENV_BRANCHES)}
    again = setup.run()
    assert again.exit_code == 0, again.output
    assert {b: setup.git("rev-parse", b) for b in tips} == tips


def test_a_newer_release_gives_one_more_commit(setup: Setup) -> None:
    assert setup.run().exit_code == 0
    before = len(setup.commits("deploy/prod"))
    oci.push_image(setup.registry.url, "org/api", "v1.5.1", created=dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    assert setup.run().exit_code == 0
    assert len(setup.commits("deploy/prod")) == before + 1
    assert setup.commits("deploy/prod")[0].endswith("api-prod")
    assert "updates image org/api tag 'v1.5.0' to 'v1.5.1'" in setup.git(
        "log", "-1", "--format=%B", "deploy/prod"
    )
    assert f"{setup.registry.host}/org/api:v1.5.1" in setup.show(
        "apps/api/overlays/prod/.argocd-source-api-prod.yaml", "deploy/prod"
    )


def test_dry_run_writes_nothing(setup: Setup) -> None:
    tips = {b: setup.git("rev-parse", b) for b in ("main", *gitops_sample.ENV_BRANCHES)}
    result = setup.run("--dry-run")
    assert result.exit_code == 0, result.output
    assert {b: setup.git("rev-parse", b) for b in tips} == tips
    assert "would update" in result.output


def test_broken_applications_fail_alone(secret_setup: Setup, tmp_path: Path) -> None:
    setup = secret_setup
    assert setup.secrets is not None
    apps = tmp_path / "mixed"
    apps.mkdir()
    good = (setup.apps / "api-prod.yaml").read_text().replace("name: api-prod", "name: good")
    (apps / "good.yaml").write_text(good)
    host, url = setup.registry.host, setup.repo_url
    broken = {
        "bad-strategy": {
            "image-list": f"api={host}/org/api",
            "api.update-strategy": "newest",
            "write-back-method": "git",
        },
        "bad-regexp": {
            "image-list": f"api={host}/org/api",
            "api.allow-tags": "regexp:([",
            "write-back-method": "git",
        },
        "missing-secret": {
            "image-list": f"api={host}/org/api",
            "write-back-method": "git:secret:argocd/nope",
        },
        "unreachable": {"image-list": "api=127.0.0.1:9/org/api", "write-back-method": "git"},
        "bad-git-auth": {
            "image-list": f"api={host}/org/api",
            "write-back-method": "git:secret:argocd/wrong-git",
        },
        "argocd-in-dir-mode": {"image-list": f"api={host}/org/api", "write-back-method": "argocd"},
    }
    for name, notes in broken.items():
        (apps / f"{name}.yaml").write_text(
            gitops_sample.application(name, path="apps/api/overlays/dev", repo_url=url, annotations=notes)
        )
    (setup.secrets / "wrong-git.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: wrong-git, namespace: argocd}\n"
        "stringData: {username: bot, password: not-the-password}\n"
    )
    (apps / "not-yaml.yaml").write_text("metadata: [unclosed\n")
    result = setup.run(apps=apps)
    assert result.exit_code == 1
    output = result.output
    assert "update-strategy 'newest' is unknown" in output
    assert "regexp:([" in output
    assert "Secret argocd/nope" in output
    assert "127.0.0.1:9" in output
    assert "application argocd/bad-git-auth: write-back failed" in output
    assert "application argocd/argocd-in-dir-mode: write-back-method argocd needs a cluster" in output
    assert "not-yaml.yaml" in output
    assert "not-the-password" not in output
    assert "Traceback" not in output
    assert f"{host}/org/api:v1.5.0" in setup.show(
        "apps/api/overlays/prod/.argocd-source-good.yaml", "deploy/prod"
    )


def test_multi_source_helm_values_in_another_repository(setup: Setup, tmp_path: Path) -> None:
    apps = tmp_path / "multi"
    apps.mkdir()
    host = setup.registry.host
    (apps / "multi.yaml").write_text(
        f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: api-chart
  namespace: argocd
  annotations:
    {P}image-list: api={host}/org/api:~1.4
    {P}api.helm.image-name: image.repository
    {P}api.helm.image-tag: image.tag
    {P}write-back-method: git
    {P}write-back-target: helmvalues
spec:
  sources:
  - repoURL: https://charts.example.com
    chart: api
    targetRevision: 0.1.0
    helm:
      valueFiles:
      - $values/envs/prod/values.yaml
  - repoURL: {setup.repo_url}
    targetRevision: main
    ref: values
"""
    )
    result = setup.run(apps=apps)
    assert result.exit_code == 0, result.output
    assert "  tag: v1.4.2  # set by image-updater\n" in setup.show("envs/prod/values.yaml")
    assert "v1.4.2" not in setup.show("charts/api/values.yaml")


def test_a_broken_target_does_not_stop_its_batch_and_untouched_apps_are_not_reported(
    setup: Setup, tmp_path: Path
) -> None:
    apps = tmp_path / "batch"
    apps.mkdir()
    (apps / "api-service.yaml").write_text((setup.apps / "api-service.yaml").read_text())
    (apps / "api-helm.yaml").write_text((setup.apps / "api-helm.yaml").read_text())
    host, url = setup.registry.host, setup.repo_url
    notes = {
        "image-list": f"api={host}/org/api",
        "write-back-method": "git",
        "write-back-target": "kustomization:no-such-dir",
        "git-branch": "main",
    }
    (apps / "broken.yaml").write_text(
        gitops_sample.application("broken", path="apps/platform", repo_url=url, annotations=notes)
    )
    first = setup.run(apps=apps)
    assert first.exit_code == 1
    assert "application argocd/broken: write-back failed: no kustomization.yaml" in first.output
    message = setup.git("log", "-1", "--format=%B", "main")
    assert message.startswith("build: automatic update of 2 applications")
    assert "broken" not in message
    # api-helm's values.yaml already holds v2.1.0: a new release for the 1.x line touches api-service only
    oci.push_image(setup.registry.url, "org/api", "v1.5.1", created=dt.datetime(2026, 11, 20, tzinfo=dt.UTC))
    (apps / "broken.yaml").unlink()
    second = setup.run(apps=apps)
    assert second.exit_code == 0, second.output
    message = setup.git("log", "-1", "--format=%B", "main")
    assert message.startswith("build: automatic update of api-service\n")
    assert "updated=1" in second.output


@pytest.mark.parametrize("secrets_dir", [False, True], ids=["no-secrets-dir", "no-matching-secret"])
def test_refused_without_a_secret_says_where_it_looked_and_how_to_add_one(
    tmp_path: Path, secrets_dir: bool
) -> None:
    with _setup(tmp_path, "auth-without-secret") as setup:
        if secrets_dir:
            (tmp_path / "empty").mkdir()
            setup = dataclasses.replace(setup, secrets=tmp_path / "empty")
        result = setup.run()
    assert result.exit_code == 1
    lines = [
        ln for ln in result.output.splitlines() if "application argocd/api-prod: write-back failed" in ln
    ]
    assert len(lines) == 1, result.output
    (line,) = lines
    assert "Authentication failed" in line or "401" in line
    assert f"no repository Secret matched {setup.repo_url}" in line
    where = (
        f"looked in --secrets-dir {tmp_path / 'empty'}, namespace argocd"
        if secrets_dir
        else "no --secrets-dir"
    )
    assert where in line
    assert "add a Secret labelled argocd.argoproj.io/secret-type=repository" in line
    assert "Traceback" not in result.output
