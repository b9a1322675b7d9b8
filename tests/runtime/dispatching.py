"""A GitOps setup for the dispatch tests, all real: the session's registry, a smart-HTTP git
server with one kustomization per Application, a directory of Applications, and the pieces
`image-updater run` builds (a `Cycle` and its `Dispatcher`) on one aiohttp session.

Every Application starts at `1.0.0` of its repository (its kustomization already says so, so a
cycle with nothing new writes nothing); `push` adds a tag to the registry through its API.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from devtools import git_http, gitops_sample, oci
from devtools.registry import LocalRegistry
from image_updater.registry.credentials import CredentialResolver
from image_updater.runtime.appsources import AppFilter, DirectorySource, RepoCredsFromSecrets
from image_updater.runtime.configfiles import load_commit_template
from image_updater.runtime.cycle import Cycle, CycleOptions
from image_updater.runtime.dispatch import Dispatcher
from image_updater.runtime.metrics import Metrics
from image_updater.runtime.registries import RegistryPool
from image_updater.runtime.statuses import StatusFiles
from image_updater.runtime.writing import CommitSettings, WriteBack
from image_updater.settings.registries import RegistryConfig
from image_updater.webhooks.events import RegistryPush
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_repo import GitRepoCache

CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n"


def kustomization(image: str, tag: str) -> str:
    return KUSTOMIZATION + f"images:\n- name: {image}\n  newTag: {tag}\n"


@dataclass
class World:
    registry: LocalRegistry
    bare: Path
    watches: Mapping[str, str]  # Application name → repository it watches
    cycle: Cycle
    dispatcher: Dispatcher
    writer: WriteBack
    apps: Path
    pool: RegistryPool
    metrics: Metrics

    def image(self, repository: str) -> str:
        return f"{self.registry.host}/{repository}"

    def push(self, repository: str, tag: str) -> None:
        oci.push_image(self.registry.url, repository, tag, created=CREATED + dt.timedelta(hours=len(tag)))

    def event(self, repository: str, tag: str | None = None) -> RegistryPush:
        return RegistryPush(registry=self.registry.host, repository=repository, tag=tag)

    def tag_of(self, app: str) -> str:
        text = self.git("show", f"main:apps/{app}/kustomization.yaml")
        return text.rsplit("newTag: ", 1)[1].strip()

    def tags(self) -> dict[str, str]:
        return {app: self.tag_of(app) for app in self.watches}

    def commits(self) -> list[str]:
        return self.git("log", "--format=%s", "main").splitlines()

    def tag_lists(self) -> int:
        """Tag-list requests sent to the registry so far."""
        return sum(n for (_, kind), n in self.pool.counter.snapshot().items() if kind == "tags")

    def statuses(self) -> list[str]:
        """The ImageUpdater status files written so far (`--status-dir`)."""
        directory = self.apps.parent / "statuses"
        return sorted(p.name for p in directory.iterdir()) if directory.exists() else []

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "--git-dir", str(self.bare), *args], capture_output=True, text=True, check=True
        )
        return done.stdout


@contextlib.contextmanager
def gitops(
    registry: LocalRegistry,
    tmp_path: Path,
    watches: Mapping[str, str],
    *,
    by_resource: frozenset[str] = frozenset(),
) -> Iterator[tuple[Path, Path]]:
    """The registry's repositories at `1.0.0`, the manifests repository served over smart HTTP and
    the Applications directory: yields (bare repository, Applications directory). The Applications
    in `by_resource` carry no annotations: one ImageUpdater resource configures each."""
    for repository in set(watches.values()):
        oci.push_image(registry.url, repository, "1.0.0", created=CREATED)
    files = {
        f"apps/{app}/kustomization.yaml": kustomization(f"{registry.host}/{repo}", "1.0.0")
        for app, repo in watches.items()
    }
    root = tmp_path / "git"
    root.mkdir()
    bare = git_http.make_bare_repo(root, "manifests.git", files=files)
    apps = tmp_path / "apps"
    apps.mkdir()
    with git_http.serve(root) as server:
        url = server.url_for("manifests.git")
        for app, repo in watches.items():
            if app in by_resource:
                manifest = gitops_sample.application(app, path=f"apps/{app}", repo_url=url, annotations={})
                (apps / f"{app}.yaml").write_text(manifest)
                (apps / f"updater-{app}.yaml").write_text(image_updater(app, f"{registry.host}/{repo}"))
                continue
            notes = {
                "image-list": f"app={registry.host}/{repo}",
                "app.update-strategy": "semver",
                "write-back-method": "git",
                "write-back-target": "kustomization",
                "git-branch": "main",
            }
            manifest = gitops_sample.application(app, path=f"apps/{app}", repo_url=url, annotations=notes)
            (apps / f"{app}.yaml").write_text(manifest)
        yield bare, apps


def image_updater(app: str, image: str) -> str:
    return (
        "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\n"
        f"metadata:\n  name: for-{app}\n  namespace: argocd\n"
        "spec:\n  writeBackConfig:\n    method: git\n    gitConfig:\n      branch: main\n"
        "      writeBackTarget: kustomization\n"
        f"  applicationRefs:\n    - namePattern: {app}\n      images:\n        - alias: app\n"
        f"          imageName: {image}\n"
    )


@contextlib.asynccontextmanager
async def world(
    registry: LocalRegistry,
    tmp_path: Path,
    watches: Mapping[str, str],
    *,
    by_resource: frozenset[str] = frozenset(),
) -> AsyncIterator[World]:
    """`watches` maps each Application to the repository (of `registry`) it follows by semver."""
    with gitops(registry, tmp_path, watches, by_resource=by_resource) as (bare, apps):
        async with aiohttp.ClientSession() as session:
            pool = RegistryPool(
                session=session, resolver=CredentialResolver(secrets=None, environ={}, clock=time.monotonic)
            )
            writer = WriteBack(
                git=GitWriter(cache=GitRepoCache(tmp_path / "work")),
                api=None,
                secrets=None,
                repo_creds=RepoCredsFromSecrets(namespace="argocd"),
                commit=CommitSettings(template=load_commit_template(None)),
                controller_namespace="argocd",
                dry_run=False,
            )
            metrics = Metrics()
            registries = RegistryConfig()
            cycle = Cycle(
                source=DirectorySource(apps, app_filter=AppFilter()),
                registries=registries,
                pool=pool,
                writer=writer,
                metrics=metrics,
                options=CycleOptions(kube_events=False),
                statuses=[StatusFiles(tmp_path / "statuses")],
            )
            dispatcher = Dispatcher(cycle=cycle, registries=registries, metrics=metrics)
            async with dispatcher.active():
                yield World(registry, bare, watches, cycle, dispatcher, writer, apps, pool, metrics)
