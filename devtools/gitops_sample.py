"""A sample GitOps setup shaped like the seed article: images in a registry, a manifests
repository with dev/staging/production overlays, a Helm chart and a multi-container app, and the
Argo CD Application manifests (with the article's annotations) that point at them.

Used by the end-to-end tests and by `make demo`; it only writes files and pushes images.
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devtools.oci import push_image, push_index

P = "argocd-image-updater.argoproj.io/"
BASE = datetime(2026, 11, 1, tzinfo=UTC)
GIT_USER, GIT_PASSWORD = "image-updater-bot", "bot-s3cret-token"
ENV_BRANCHES = ("deploy/dev", "deploy/staging", "deploy/prod")

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deployment.yaml
- service.yaml
"""
VALUES = """\
# Values for the api chart
replicaCount: 2
image:
  repository: {registry}/org/api
  tag: v1.0.0  # set by image-updater
  pullPolicy: IfNotPresent
"""


def repo_files(registry: str) -> dict[str, str]:
    """The manifests repository's initial content."""
    files = {"README.md": "GitOps manifests\n"}
    for overlay in (
        "api-service/overlays/production",
        "api/overlays/dev",
        "api/overlays/staging",
        "api/overlays/prod",
    ):
        files[f"apps/{overlay}/kustomization.yaml"] = KUSTOMIZATION
        files[f"apps/{overlay}/deployment.yaml"] = "# deployment\n"
    files["apps/platform/kustomization.yaml"] = KUSTOMIZATION
    files["charts/api/Chart.yaml"] = "apiVersion: v2\nname: api\nversion: 0.1.0\n"
    files["charts/api/values.yaml"] = VALUES.format(registry=registry)
    files["envs/prod/values.yaml"] = VALUES.format(registry=registry)  # for a chart from a Helm repository
    return files


def create_env_branches(bare: Path) -> None:
    """deploy/dev, deploy/staging and deploy/prod, starting where main is."""
    for branch in ENV_BRANCHES:
        subprocess.run(["git", "--git-dir", str(bare), "branch", branch, "main"], check=True)


def push_images(registry_url: str) -> None:
    """Tags as a busy CI pushes them: releases, a release candidate, main-<sha> builds, noise."""
    for day, tag in enumerate(["v0.9.0", "v1.0.0", "v1.4.2", "v1.5.0", "v1.6.0-rc.1", "v2.0.0", "v2.1.0"]):
        push_image(registry_url, "org/api", tag, created=BASE + timedelta(days=day))
    for hour, tag in enumerate(["main-3f2a1bc", "feature-x-1234567", "main-9e8d7c6"]):
        push_image(registry_url, "org/api", tag, created=BASE + timedelta(days=10, hours=hour))
    for day, tag in enumerate(["1.2.0", "1.3.0", "2.0.0"]):
        push_image(registry_url, "org/worker", tag, created=BASE + timedelta(days=day))
    platforms = [("linux/amd64", BASE), ("linux/arm64/v8", BASE)]
    push_index(registry_url, "org/migrator", "latest", platforms=platforms)


def write_applications(directory: Path, *, registry: str, repo_url: str) -> None:
    """The article's Applications, one file each."""
    directory.mkdir(parents=True, exist_ok=True)
    api = f"api={registry}/org/api"
    apps = {
        "api-service": (
            "apps/api-service/overlays/production",
            {
                "image-list": api,
                "api.update-strategy": "semver",
                "api.semver-constraint": ">=1.0.0 <2.0.0",
                "write-back-method": "git",
                "write-back-target": "kustomization",
                "git-branch": "main",
            },
        ),
        "api-dev": (
            "apps/api/overlays/dev",
            {
                "image-list": api,
                "api.update-strategy": "latest",
                "api.allow-tags": "regexp:^main-[a-f0-9]{7}$",
                "write-back-method": "git",
                "git-branch": "deploy/dev",
            },
        ),
        "api-staging": (
            "apps/api/overlays/staging",
            {
                "image-list": api,
                "api.update-strategy": "semver",
                "api.semver-constraint": ">=1.0.0-rc.0",
                "api.allow-tags": r"regexp:^v[0-9]+\.[0-9]+\.[0-9]+-rc",
                "write-back-method": "git",
                "git-branch": "deploy/staging",
            },
        ),
        "api-prod": (
            "apps/api/overlays/prod",
            {
                "image-list": api,
                "api.update-strategy": "semver",
                "api.semver-constraint": ">=1.0.0 <2.0.0",
                "api.ignore-tags": "regexp:(-rc|-alpha|-beta)",
                "write-back-method": "git",
                "git-branch": "deploy/prod",
            },
        ),
        "api-helm": (
            "charts/api",
            {
                "image-list": api,
                "api.update-strategy": "semver",
                "api.helm.image-name": "image.repository",
                "api.helm.image-tag": "image.tag",
                "write-back-method": "git",
                "write-back-target": "helmvalues:values.yaml",
            },
        ),
        "platform": (
            "apps/platform",
            {
                "image-list": f"{api},\nworker={registry}/org/worker,\nmigrator={registry}/org/migrator\n",
                "api.update-strategy": "semver",
                "api.semver-constraint": ">=2.0.0 <3.0.0",
                "worker.update-strategy": "semver",
                "worker.semver-constraint": ">=1.0.0 <2.0.0",
                "migrator.update-strategy": "digest",
                "write-back-method": "git",
                "write-back-target": "kustomization",
                "git-branch": "main",
            },
        ),
    }
    for name, (path, notes) in apps.items():
        (directory / f"{name}.yaml").write_text(
            application(name, path=path, repo_url=repo_url, annotations=notes)
        )


def application(
    name: str, *, path: str, repo_url: str, annotations: dict[str, str], revision: str = "main"
) -> str:
    """One Application manifest as a user would write it."""
    lines = [f"    {P}{key}: {_quoted(value)}" for key, value in annotations.items()]
    return "\n".join(
        [
            "apiVersion: argoproj.io/v1alpha1",
            "kind: Application",
            "metadata:",
            f"  name: {name}",
            "  namespace: argocd",
            "  annotations:",
            *lines,
            "spec:",
            "  project: default",
            "  source:",
            f"    repoURL: {repo_url}",
            f"    targetRevision: {revision}",
            f"    path: {path}",
            "  destination:",
            "    server: https://kubernetes.default.svc",
            f"    namespace: {name}",
            "",
        ]
    )


def write_secrets(directory: Path, *, repo_url: str) -> None:
    """The Argo CD repository Secret that `write-back-method: git` uses (repocreds)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "repo-creds.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: manifests-repo\n  namespace: argocd\n"
        "  labels:\n    argocd.argoproj.io/secret-type: repository\n"
        f"stringData:\n  url: {repo_url}\n  username: {GIT_USER}\n  password: {GIT_PASSWORD}\n"
    )


def _quoted(value: str) -> str:
    if "\n" in value:
        return ">\n" + "".join(f"      {line}\n" for line in value.strip().splitlines()).rstrip("\n")
    return "'" + value.replace("'", "''") + "'"
