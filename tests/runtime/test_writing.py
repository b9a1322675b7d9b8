"""Write-back dispatch: which source is written, how git writes are grouped into commits (one per
repository branch, or one per Application), and errors that stay with their Application.

Git goes to a real smart-HTTP server (devtools.git_http) holding fresh bare repositories.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devtools import git_http
from image_updater import annotations, applications, refs
from image_updater.applications import Application
from image_updater.changes import Change
from image_updater.errors import InvalidWriteBackConfig
from image_updater.refs import Tag
from image_updater.runtime.appsources import RepoCredsFromSecrets
from image_updater.runtime.writing import CommitSettings, PendingApp, WriteBack, Written
from image_updater.sources.secret_files import SecretFiles
from image_updater.templates import compile_template
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_commit import DEFAULT_COMMIT_TEMPLATE
from image_updater.writeback.git_repo import GitRepoCache
from image_updater.writeback.model import WriteTarget, choose_source
from tests.runtime.conftest import application

GIT = {"repoURL": "https://git.example/apps.git", "path": "apps/web", "targetRevision": "main"}
KUSTOMIZE = {**GIT, "kustomize": {"images": []}}
HELM_CHART = {"repoURL": "https://charts.example", "chart": "web", "targetRevision": "1.0.0", "helm": {}}
VALUES_REF = {"repoURL": "https://git.example/values.git", "targetRevision": "main", "ref": "values"}


def app_of(
    *, source: dict[str, Any] | None = None, sources: list[dict[str, Any]] | None = None, **status: Any
) -> Application:
    manifest = application("web", annotations={}, source=source, sources=sources)
    manifest["status"].update(status)
    return applications.from_manifest(manifest)


@pytest.mark.parametrize(
    ("app", "target", "index", "kind"),
    [
        pytest.param(app_of(source=KUSTOMIZE), None, 0, "kustomize", id="single-kustomize"),
        pytest.param(app_of(source={**GIT, "helm": {}}), None, 0, "helm", id="single-helm"),
        pytest.param(app_of(source=GIT), None, 0, "", id="single-unknown"),
        pytest.param(
            app_of(source=GIT, sourceType="Kustomize"), None, 0, "kustomize", id="single-status-type"
        ),
        pytest.param(app_of(source=GIT, sourceType="Directory"), None, 0, "directory", id="single-directory"),
        pytest.param(app_of(sources=[HELM_CHART, VALUES_REF]), None, 0, "helm", id="multi-chart-first"),
        pytest.param(app_of(sources=[VALUES_REF, HELM_CHART]), None, 1, "helm", id="multi-chart-second"),
        pytest.param(
            app_of(sources=[VALUES_REF, GIT], sourceTypes=["Directory", "Kustomize"]),
            None,
            1,
            "kustomize",
            id="multi-status-types",
        ),
        pytest.param(
            app_of(sources=[VALUES_REF, GIT], sourceTypes=["Directory", "Directory"]),
            None,
            0,
            "directory",
            id="multi-none-writable-first",
        ),
        pytest.param(
            app_of(sources=[KUSTOMIZE, HELM_CHART]),
            WriteTarget(kind="helmvalues", path="/values.yaml"),
            1,
            "helm",
            id="target-helmvalues-wins",
        ),
        pytest.param(
            app_of(sources=[HELM_CHART, KUSTOMIZE]),
            WriteTarget(kind="kustomization"),
            1,
            "kustomize",
            id="target-kustomization-wins",
        ),
        pytest.param(
            app_of(sources=[VALUES_REF, HELM_CHART]),
            WriteTarget(kind="kustomization"),
            0,
            "",
            id="target-type-absent-first-source",
        ),
        pytest.param(
            app_of(sources=[VALUES_REF, HELM_CHART]),
            WriteTarget(kind="argocd-source"),
            1,
            "helm",
            id="argocd-source-target",
        ),
    ],
)
def test_choose_source(app: Application, target: WriteTarget | None, index: int, kind: str) -> None:
    chosen = choose_source(app, target=target)
    assert (chosen.index, chosen.kind) == (index, kind)
    assert chosen == app.sources[index]


def test_choose_source_prefers_an_explicit_block_over_a_status_type() -> None:
    plain_chart = {k: v for k, v in HELM_CHART.items() if k != "helm"}
    app = app_of(sources=[plain_chart, {**HELM_CHART, "chart": "other"}], sourceTypes=["Helm", "Helm"])

    assert choose_source(app, target=None).index == 1


# -- git grouping ----------------------------------------------------------------------------------

_repos = itertools.count()


@pytest.fixture(scope="module")
def git_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, git_http.GitHttpServer]]:
    root = tmp_path_factory.mktemp("git-writing")
    with git_http.serve(root) as server:
        yield root, server


@dataclass
class Repo:
    bare: Path
    url: str
    workdir: Path

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "--git-dir", str(self.bare), *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def log(self, branch: str) -> list[str]:
        return self.git("log", "--format=%H %s", branch).splitlines()

    def files(self, commit: str) -> list[str]:
        return sorted(self.git("diff-tree", "--no-commit-id", "--name-only", "-r", commit).split())

    def writer(self, *, batch: bool = True, dry_run: bool = False) -> WriteBack:
        secrets = self.workdir / "secrets"
        secrets.mkdir(exist_ok=True)
        return WriteBack(
            git=GitWriter(cache=GitRepoCache(self.workdir / "cache")),
            api=None,
            secrets=None,
            repo_creds=RepoCredsFromSecrets(files=SecretFiles(secrets), namespace="argocd"),
            commit=CommitSettings(template=compile_template(DEFAULT_COMMIT_TEMPLATE, name="default")),
            controller_namespace="argocd",
            dry_run=dry_run,
            batch=batch,
        )


@pytest.fixture
def repo(git_root: tuple[Path, git_http.GitHttpServer], tmp_path: Path) -> Repo:
    root, server = git_root
    name = f"apps-{next(_repos)}.git"
    files = {f"apps/{app}/kustomization.yaml": "resources: []\n" for app in ("a1", "a2", "a3", "a4")}
    files["charts/web/values.yaml"] = "image:\n  tag: 1.0.0\n"
    bare = git_http.make_bare_repo(root, name, files=files)
    subprocess.run(["git", "--git-dir", str(bare), "branch", "deploy/dev", "main"], check=True)
    return Repo(bare, server.url_for(name), tmp_path)


def pending(
    name: str,
    repo: Repo,
    *,
    old: str = "quay.io/org/web:1.0.0",
    notes: dict[str, str] | None = None,
    source: dict[str, Any] | None = None,
    **extra: Any,
) -> PendingApp:
    manifest = application(
        name,
        annotations={"image-list": "x=quay.io/org/web", "write-back-method": "git", **(notes or {})},
        source=source
        or {"repoURL": repo.url, "path": f"apps/{name}", "targetRevision": "main", "kustomize": {}},
        **extra,
    )
    app = applications.from_manifest(manifest)
    settings = annotations.parse(app.annotations, app=app.key, namespace=app.namespace)
    change = Change(
        alias="x", old=refs.parse_image(old), new=refs.ImageRef("quay.io", "org/web", Tag("1.1.0"))
    )
    return PendingApp(app=app, settings=settings, changes=((settings.images[0], change),))


def by_app(written: list[Written]) -> dict[str, Written]:
    return {w.app.name: w for w in written}


async def test_apps_on_one_branch_share_one_commit(repo: Repo) -> None:
    apps = [pending("a1", repo), pending("a2", repo), pending("a3", repo, notes={"git-branch": "deploy/dev"})]

    written = by_app(await repo.writer().write_all(apps))

    assert {name: w.error for name, w in written.items()} == {"a1": None, "a2": None, "a3": None}
    main, dev = repo.log("main"), repo.log("deploy/dev")
    assert len(main) == 2
    assert len(dev) == 2
    assert written["a1"].commit == written["a2"].commit == main[0].split()[0]
    assert written["a3"].commit == dev[0].split()[0]
    assert main[0].endswith("build: automatic update of 2 applications")
    assert repo.files(main[0].split()[0]) == [
        "apps/a1/.argocd-source-a1.yaml",
        "apps/a2/.argocd-source-a2.yaml",
    ]
    assert "quay.io/org/web:1.1.0" in repo.git("show", "main:apps/a1/.argocd-source-a1.yaml")


async def test_commit_per_application(repo: Repo) -> None:
    apps = [pending("a1", repo), pending("a2", repo), pending("a3", repo)]

    written = by_app(await repo.writer(batch=False).write_all(apps))

    main = repo.log("main")
    assert len(main) == 4
    assert len({w.commit for w in written.values()}) == 3
    for name, w in written.items():
        assert w.error is None
        assert repo.files(w.commit or "") == [f"apps/{name}/.argocd-source-{name}.yaml"]
    assert sorted(line.split(" ", 1)[1] for line in main[:3]) == [
        f"build: automatic update of {name}" for name in ("a1", "a2", "a3")
    ]


async def test_a_broken_application_fails_alone(repo: Repo) -> None:
    apps = [
        pending("a1", repo),
        pending("a2", repo, notes={"write-back-target": "kustomization.yaml"}),
        pending("a3", repo, notes={"write-back-method": "argocd"}),
        pending("a4", repo, notes={"write-back-method": "git:secret:argocd/nope"}),
    ]

    written = by_app(await repo.writer().write_all(apps))

    assert written["a1"].error is None
    assert written["a1"].commit
    assert "names a kustomization file" in str(written["a2"].error)
    assert "write-back-method argocd needs a cluster" in str(written["a3"].error)
    assert "no Secrets are available" in str(written["a4"].error)
    assert len(repo.log("main")) == 2


async def test_dry_run_commits_nothing_and_reports_the_diff(repo: Repo) -> None:
    tip = repo.log("main")

    written = by_app(await repo.writer(dry_run=True).write_all([pending("a1", repo)]))

    assert repo.log("main") == tip
    assert written["a1"].commit is None
    assert "quay.io/org/web:1.1.0" in written["a1"].diff


async def test_the_branch_is_the_revision_of_the_source_in_the_write_repository(repo: Repo) -> None:
    # A Helm chart from a chart repository with values from git: upstream writes to the git
    # source's targetRevision when git-repository names that source's repository.
    app = pending(
        "a1",
        repo,
        notes={
            "git-repository": repo.url,
            "write-back-target": "helmvalues:/charts/web/values.yaml",
            "x.helm.image-tag": "image.tag",
        },
        sources=[HELM_CHART, {"repoURL": repo.url, "targetRevision": "deploy/dev", "ref": "values"}],
    )

    written = by_app(await repo.writer().write_all([app]))

    assert written["a1"].error is None, written["a1"].error
    assert len(repo.log("main")) == 1
    assert repo.log("deploy/dev")[0].split()[0] == written["a1"].commit
    assert "tag: 1.1.0" in repo.git("show", "deploy/dev:charts/web/values.yaml")


# -- validation when annotations are read ---------------------------------------------------------


@pytest.mark.parametrize(
    ("notes", "sources", "message"),
    [
        pytest.param({"write-back-method": "git"}, None, None, id="git-ok"),
        pytest.param(
            {"write-back-method": "git", "git-branch": "main:image-updater-{{.SHA256}}"},
            None,
            None,
            id="branch-template-ok",
        ),
        pytest.param(
            {"write-back-method": "argocd"},
            None,
            "write-back-method argocd needs a cluster",
            id="argocd-without-cluster",
        ),
        pytest.param(
            {"write-back-method": "git", "write-back-target": "overlays/kustomization.yaml"},
            None,
            "names a kustomization file; use kustomization:overlays",
            id="target-names-a-kustomization-file",
        ),
        pytest.param(
            {"write-back-method": "git", "write-back-target": "values:x"},
            None,
            "has an unknown prefix",
            id="target-unknown-prefix",
        ),
        pytest.param(
            {"write-back-method": "git", "git-branch": "a:b:c"},
            None,
            "more than one ':'",
            id="branch-two-colons",
        ),
        pytest.param(
            {"write-back-method": "git", "git-branch": "main:"},
            None,
            "template after ':' is empty",
            id="branch-empty-template",
        ),
        pytest.param(
            {"write-back-method": "git", "git-branch": "bad..name"},
            None,
            "bad..name",
            id="branch-invalid-name",
        ),
        pytest.param(
            {"write-back-method": "git", "write-back-target": "helmvalues:$values/web.yaml"},
            [HELM_CHART],
            "names ref 'values', but no source has ref: values",
            id="values-ref-missing",
        ),
        pytest.param(
            {"write-back-method": "git", "write-back-target": "helmvalues:$values/web.yaml"},
            [HELM_CHART, VALUES_REF],
            None,
            id="values-ref-ok",
        ),
    ],
)
def test_validate(
    repo_stub: WriteBack, notes: dict[str, str], sources: list[dict[str, Any]] | None, message: str | None
) -> None:
    manifest = application(
        "web", annotations={"image-list": "x=quay.io/org/web", **notes}, source=KUSTOMIZE, sources=sources
    )
    app = applications.from_manifest(manifest)
    settings = annotations.parse(app.annotations, app=app.key, namespace=app.namespace)

    if message is None:
        repo_stub.validate(app, settings)
    else:
        with pytest.raises(InvalidWriteBackConfig, match=re.escape(message)) as raised:
            repo_stub.validate(app, settings)
        assert str(raised.value).startswith("application argocd/web: ")


@pytest.fixture
def repo_stub(tmp_path: Path) -> WriteBack:
    """A WriteBack for validation only: nothing is written, so no server is needed."""
    return Repo(tmp_path / "none.git", "http://127.0.0.1:9/none.git", tmp_path).writer()


async def test_a_values_file_in_a_ref_source_is_written_to_that_source(repo: Repo) -> None:
    app = pending(
        "a1",
        repo,
        notes={"write-back-target": "helmvalues:$values/charts/web/values.yaml"},
        sources=[HELM_CHART, {"repoURL": repo.url, "targetRevision": "deploy/dev", "ref": "values"}],
    )

    written = by_app(await repo.writer().write_all([app]))

    assert written["a1"].error is None, written["a1"].error
    assert repo.log("deploy/dev")[0].split()[0] == written["a1"].commit
    assert "tag: 1.1.0" in repo.git("show", "deploy/dev:charts/web/values.yaml")


async def test_applications_whose_target_already_holds_the_change_are_left_out(repo: Repo) -> None:
    assert (await repo.writer().write_all([pending("a1", repo)]))[0].commit
    tip = repo.log("main")[0]

    written = by_app(await repo.writer().write_all([pending("a1", repo), pending("a2", repo)]))

    assert written["a1"] == Written(written["a1"].app, ())  # nothing to do, nothing reported
    assert written["a2"].commit == repo.log("main")[0].split()[0]
    assert repo.log("main")[1] == tip
    assert repo.log("main")[0].endswith("build: automatic update of a2")  # a1 is not in the message

    again = by_app(await repo.writer().write_all([pending("a1", repo), pending("a2", repo)]))

    assert {name: (w.commit, w.changes, w.error) for name, w in again.items()} == {
        "a1": (None, (), None),
        "a2": (None, (), None),
    }
    assert len(repo.log("main")) == 3


async def test_a_broken_target_in_a_batch_fails_alone(repo: Repo) -> None:
    apps = [pending("a1", repo), pending("a2", repo, notes={"write-back-target": "kustomization:/nowhere"})]

    written = by_app(await repo.writer().write_all(apps))

    assert written["a1"].error is None
    assert written["a1"].commit == repo.log("main")[0].split()[0]
    assert written["a2"].error is not None
    assert "nowhere" in str(written["a2"].error)
    assert repo.log("main")[0].endswith("build: automatic update of a1")


async def test_an_unknown_old_tag_is_read_from_the_target(repo: Repo) -> None:
    app = pending(
        "a1",
        repo,
        old="quay.io/org/web",  # no Argo CD status: what runs is unknown
        notes={"write-back-target": "helmvalues:/charts/web/values.yaml", "x.helm.image-tag": "image.tag"},
    )

    written = by_app(await repo.writer().write_all([app]))

    (change,) = written["a1"].changes
    assert change.old.tag == "1.0.0"
    message = repo.git("log", "-1", "--format=%B", "main")
    assert "updates image org/web tag '1.0.0' to '1.1.0'" in message  # upstream names the path only


# upstream pkg/argocd/update_test.go TestMarshalParamsOverride (v1.3.0, #1771): with one of the two
# annotations set, the other defaults to image.name / image.tag (v0.x refused; see docs/migration.md)
@pytest.mark.parametrize(
    ("notes", "written"),
    [
        pytest.param(
            {"x.helm.image-name": "image.repository"},
            "image:\n  tag: 1.1.0\n  repository: quay.io/org/web\n",
            id="upstream-default-image-tag-for-helmvalues-when-only-image-name-is-set",
        ),
        pytest.param(
            {"x.helm.image-tag": "image.tag"},
            "image:\n  tag: 1.1.0\n  name: quay.io/org/web\n",
            id="upstream-default-image-name-for-helmvalues-when-only-image-tag-is-set",
        ),
    ],
)
async def test_helmvalues_with_one_helm_annotation_defaults_the_other(
    repo: Repo, notes: dict[str, str], written: str
) -> None:
    app = pending("a1", repo, notes={"write-back-target": "helmvalues:/charts/web/values.yaml", **notes})

    result = by_app(await repo.writer().write_all([app]))

    assert result["a1"].error is None, result["a1"].error
    assert repo.git("show", "main:charts/web/values.yaml") == written


@pytest.mark.parametrize("batch", [True, False], ids=["batched", "per-application"])
async def test_a_broken_target_alone_in_its_group_is_an_error(repo: Repo, batch: bool) -> None:
    app = pending("a2", repo, notes={"write-back-target": "kustomization:/nowhere"})

    (written,) = await repo.writer(batch=batch).write_all([app])

    assert written.error is not None
    assert "nowhere" in str(written.error)
    assert len(repo.log("main")) == 1


def test_a_bug_of_ours_becomes_one_line_for_its_application_only() -> None:
    """docs/security.md: an exception that is not one of ours fails the Application it met, in one
    line without a traceback, and is never mistaken for (or hidden as) a deliberate error."""
    from image_updater.errors import GitError, InternalError
    from image_updater.runtime.writing import as_error

    ours = GitError("git push failed: refused")
    assert as_error(ours, "application argocd/web") is ours
    bug = as_error(OverflowError("int too large"), "application argocd/web")
    assert isinstance(bug, InternalError)
    assert str(bug) == "application argocd/web: internal error (OverflowError); rerun with --loglevel debug"
