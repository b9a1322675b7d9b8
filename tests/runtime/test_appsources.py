"""Where Applications come from: label selectors and name globs, directories of manifests, the
cluster (server-side selectors), and Argo CD repository Secrets from files or the cluster."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from image_updater.errors import ConfigError, KindNotServed
from image_updater.kube import Api, connect
from image_updater.kube.imageupdaters import FINALIZER
from image_updater.kube.secrets import ClusterSecrets
from image_updater.resources.assigning import ConfigSource
from image_updater.runtime.appsources import (
    AppFilter,
    ClusterSource,
    DirectorySource,
    RepoCredsFromSecrets,
    matches_labels,
    secret_source,
)
from image_updater.sources.secret_files import SecretFiles
from tests.kube.conftest import IMAGE_UPDATERS, image_updater
from tests.kube.fakeapi import FakeKube
from tests.runtime.conftest import APPS, RefusingKube, application, write_kubeconfig

LABELS = {"tier": "front", "env": "prod", "team": ""}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        pytest.param(None, True, id="none"),
        pytest.param("", True, id="empty"),
        pytest.param("tier=front", True, id="equals"),
        pytest.param("tier==front", True, id="double-equals"),
        pytest.param(" tier = front ", True, id="spaces"),
        pytest.param("tier=back", False, id="equals-other-value"),
        pytest.param("tier!=back", True, id="not-equals"),
        pytest.param("tier!=front", False, id="not-equals-same"),
        pytest.param("owner!=me", True, id="not-equals-absent-label"),
        pytest.param("env", True, id="exists"),
        pytest.param("team", True, id="exists-empty-value"),
        pytest.param("owner", False, id="exists-absent"),
        pytest.param("!owner", True, id="not-exists"),
        pytest.param("!env", False, id="not-exists-present"),
        pytest.param("tier=front,env=prod", True, id="all-terms"),
        pytest.param("tier=front,env=dev", False, id="one-term-fails"),
        pytest.param("tier=front,,", True, id="empty-terms-ignored"),
        pytest.param("team=", True, id="empty-value"),
    ],
)
def test_matches_labels(selector: str | None, matches: bool) -> None:
    assert matches_labels(LABELS, selector) is matches


@pytest.mark.parametrize("selector", ["tier in (front)", "tier notin (back)"])
def test_set_based_selectors_need_a_cluster(selector: str) -> None:
    with pytest.raises(ConfigError, match="set-based terms need a cluster; use key=value"):
        matches_labels(LABELS, selector)


@pytest.mark.parametrize(
    ("globs", "name", "matches"),
    [
        pytest.param((), "anything", True, id="no-globs"),
        pytest.param(("api-*",), "api-prod", True, id="star"),
        pytest.param(("api-*",), "web-prod", False, id="star-miss"),
        pytest.param(("api-*",), "my-api-prod", False, id="anchored"),
        pytest.param(("api-?",), "api-1", True, id="question"),
        pytest.param(("api-?",), "api-10", False, id="question-one-char"),
        pytest.param(("api-[ps]*",), "api-staging", True, id="class"),
        pytest.param(("api-[^ps]*",), "api-dev", True, id="negated-class"),
        pytest.param(("api-[!ps]*",), "api-dev", False, id="bang-is-not-negation-in-go"),
        pytest.param(("web", "api-*"), "web", True, id="any-glob-matches"),
        pytest.param(("api.prod",), "apixprod", False, id="dot-is-literal"),
    ],
)
def test_name_globs(globs: tuple[str, ...], name: str, matches: bool) -> None:
    assert AppFilter(name_globs=globs).names(name) is matches


def test_a_malformed_glob_is_a_config_error_naming_it() -> None:
    with pytest.raises(ConfigError, match=r"\[a-"):
        AppFilter(name_globs=("[a-",)).names("web")


def _manifest(name: str, labels: str = "{}") -> str:
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        f"metadata: {{name: {name}, namespace: argocd, labels: {labels}}}\n"
        "spec: {source: {repoURL: https://git.example/a.git}}\n"
    )


@pytest.fixture
def apps_dir(tmp_path: Path) -> Path:
    root = tmp_path / "apps"
    (root / "team").mkdir(parents=True)
    (root / "api.yaml").write_text(_manifest("api-prod", "{tier: back}"))
    (root / "team" / "web.yml").write_text(
        _manifest("web-prod", "{tier: front}") + "---\n" + _manifest("web-dev", "{tier: front, env: dev}")
    )
    (root / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: not-an-app}\n")
    (root / "other-crd.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Application\nmetadata: {name: x}\n"
    )
    (root / "notes.txt").write_text(_manifest("ignored-not-yaml"))
    return root


@pytest.mark.parametrize(
    ("app_filter", "names"),
    [
        pytest.param(AppFilter(), ["api-prod", "web-prod", "web-dev"], id="all"),
        pytest.param(AppFilter(name_globs=("web-*",)), ["web-prod", "web-dev"], id="glob"),
        pytest.param(AppFilter(label_selector="tier=front,env!=dev"), ["web-prod"], id="labels"),
        pytest.param(AppFilter(name_globs=("*-prod",), label_selector="tier=back"), ["api-prod"], id="both"),
    ],
)
async def test_directory_source_lists_and_filters(
    apps_dir: Path, app_filter: AppFilter, names: list[str]
) -> None:
    listing = await DirectorySource(apps_dir, app_filter=app_filter).list()

    assert [app["metadata"]["name"] for app in listing.applications] == names
    assert listing.problems == ()


async def test_directory_source_reports_unreadable_files_and_keeps_the_rest(apps_dir: Path) -> None:
    (apps_dir / "broken.yaml").write_text("metadata: [unclosed\n")

    listing = await DirectorySource(apps_dir, app_filter=AppFilter()).list()

    assert len(listing.applications) == 3
    (problem,) = listing.problems
    assert problem.startswith(f"{apps_dir / 'broken.yaml'}: not readable as YAML")


async def test_directory_source_reports_a_missing_directory(tmp_path: Path) -> None:
    listing = await DirectorySource(tmp_path / "nope", app_filter=AppFilter()).list()
    assert listing.applications == ()
    assert listing.problems == (f"applications directory {tmp_path / 'nope'} does not exist",)


async def test_directory_source_keeps_image_updaters_apart_and_unfiltered(apps_dir: Path) -> None:
    (apps_dir / "updater.yaml").write_text(
        "apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\nmetadata: {name: u}\n"
        "---\napiVersion: example.com/v1\nkind: ImageUpdater\nmetadata: {name: not-ours}\n"
    )
    listing = await DirectorySource(apps_dir, app_filter=AppFilter(name_globs=("web-*",))).list()
    assert [a["metadata"]["name"] for a in listing.applications] == ["web-prod", "web-dev"]
    assert [u["metadata"]["name"] for u in listing.image_updaters] == ["u"]


async def test_directory_source_reads_fresh_each_cycle(apps_dir: Path) -> None:
    source = DirectorySource(apps_dir, app_filter=AppFilter(name_globs=("new",)))
    assert (await source.list()).applications == ()
    (apps_dir / "new.yaml").write_text(_manifest("new"))
    assert [a["metadata"]["name"] for a in (await source.list()).applications] == ["new"]


# -- the cluster -----------------------------------------------------------------------------------


@pytest.fixture
async def api(tmp_path: Path) -> AsyncIterator[tuple[FakeKube, Api]]:
    fake = FakeKube()
    async with fake.serve():
        connected = await connect(kubeconfig=write_kubeconfig(tmp_path / "kubeconfig", fake.url))
        async with connected.client:
            yield fake, connected


@pytest.mark.parametrize(
    ("namespaces", "app_filter", "keys"),
    [
        pytest.param((), AppFilter(), ["argocd/api", "argocd/web", "team/web"], id="all-namespaces"),
        pytest.param(("team",), AppFilter(), ["team/web"], id="one-namespace"),
        pytest.param(
            (), AppFilter(label_selector="tier in (front,edge)"), ["argocd/web", "team/web"], id="set-based"
        ),
        pytest.param(("argocd",), AppFilter(name_globs=("w*",)), ["argocd/web"], id="namespace-and-glob"),
    ],
)
async def test_cluster_source(
    api: tuple[FakeKube, Api], namespaces: tuple[str, ...], app_filter: AppFilter, keys: list[str]
) -> None:
    fake, connected = api
    for namespace, name, tier in [
        ("argocd", "api", "back"),
        ("argocd", "web", "front"),
        ("team", "web", "edge"),
    ]:
        fake.put(*APPS, application(name, namespace=namespace, annotations={}, labels={"tier": tier}))

    listing = await ClusterSource(connected, namespaces=namespaces, app_filter=app_filter).list()

    found = [f"{a['metadata']['namespace']}/{a['metadata']['name']}" for a in listing.applications]
    assert sorted(found) == keys
    if app_filter.label_selector:  # filtered by the API server, not here
        apps = [r for r in fake.requests if r.path.endswith("/applications")]
        assert {r.query.get("labelSelector") for r in apps} == {app_filter.label_selector}


# -- ImageUpdaters in the cluster ------------------------------------------------------------------

OTHER = "example.com/keep"


@pytest.mark.parametrize(
    ("config_source", "installed", "listed"),
    [
        pytest.param("both", True, ["argocd/iu", "team/iu"], id="both"),
        pytest.param("resources", True, ["argocd/iu", "team/iu"], id="resources"),
        pytest.param("annotations", True, [], id="annotations-lists-none"),
        pytest.param("both", False, [], id="both-without-the-crd-is-none"),
        pytest.param("annotations", False, [], id="annotations-without-the-crd"),
    ],
)
async def test_cluster_source_lists_image_updaters_as_configured(
    api: tuple[FakeKube, Api], config_source: ConfigSource, installed: bool, listed: list[str]
) -> None:
    fake, connected = api
    for namespace in ("argocd", "team"):
        fake.put(*IMAGE_UPDATERS, image_updater(namespace, "iu"))
    if not installed:
        fake.uninstall(*IMAGE_UPDATERS)
    source = ClusterSource(connected, namespaces=(), app_filter=AppFilter(), config_source=config_source)

    listing = await source.list()

    assert [f"{r['metadata']['namespace']}/{r['metadata']['name']}" for r in listing.image_updaters] == listed
    assert listing.problems == ()
    if config_source == "annotations":
        assert not [r for r in fake.requests if "imageupdaters" in r.path]


async def test_cluster_source_with_resources_only_needs_the_crd(api: tuple[FakeKube, Api]) -> None:
    fake, connected = api
    fake.uninstall(*IMAGE_UPDATERS)
    source = ClusterSource(
        connected, namespaces=("argocd",), app_filter=AppFilter(), config_source="resources"
    )
    with pytest.raises(
        KindNotServed, match=r"cannot list ImageUpdaters in namespace argocd: .*CRD installed"
    ):
        await source.list()


# (id, finalizers, being deleted, finalize, finalizers afterwards (None: gone), listed)
FINALIZING = [
    ("first-seen-gets-ours", [OTHER], False, True, [OTHER, FINALIZER], True),
    ("dry-run-adds-none", [], False, False, [], True),
    ("already-there-is-left-alone", [FINALIZER], False, True, [FINALIZER], True),
    ("deleted-loses-ours-and-goes", [FINALIZER], True, True, None, False),
    ("deleted-keeps-the-others", [FINALIZER, OTHER], True, True, [OTHER], False),
    ("dry-run-still-releases-a-deleted-one", [FINALIZER], True, False, None, False),
    ("deleted-for-someone-else-is-not-touched", [OTHER], True, True, [OTHER], False),
]


@pytest.mark.parametrize(
    ("before", "deleting", "finalize", "after", "listed"),
    [c[1:] for c in FINALIZING],
    ids=[c[0] for c in FINALIZING],
)
async def test_cluster_source_keeps_upstreams_finalizer(
    api: tuple[FakeKube, Api],
    before: list[str],
    deleting: bool,
    finalize: bool,
    after: list[str] | None,
    listed: bool,
) -> None:
    fake, connected = api
    fake.put(*IMAGE_UPDATERS, image_updater("argocd", "iu", finalizers=before))
    if deleting:
        fake.delete(*IMAGE_UPDATERS, "argocd", "iu")
    source = ClusterSource(connected, namespaces=("argocd",), app_filter=AppFilter(), finalize=finalize)

    listing = await source.list()

    assert len(listing.image_updaters) == (1 if listed else 0)
    key = (*IMAGE_UPDATERS, "argocd", "iu")
    assert (fake.objects[key]["metadata"].get("finalizers", []) if key in fake.objects else None) == after
    if before == after:
        assert fake.writes() == []


async def test_a_finalizer_that_cannot_be_written_is_a_problem_not_a_lost_resource(
    tmp_path: Path,
) -> None:
    fake = RefusingKube()
    fake.refuse("PATCH", "/imageupdaters/", 403)
    async with fake.serve():
        connected = await connect(kubeconfig=write_kubeconfig(tmp_path / "kubeconfig", fake.url))
        async with connected.client:
            fake.put(*IMAGE_UPDATERS, image_updater("argocd", "iu"))
            source = ClusterSource(connected, namespaces=("argocd",), app_filter=AppFilter())
            listing = await source.list()
    assert [r["metadata"]["name"] for r in listing.image_updaters] == ["iu"]
    (problem,) = listing.problems
    assert problem.startswith("cannot update the finalizers of ImageUpdater argocd/iu: forbidden; grant")


def _repo_secret(name: str, namespace: str, url: str) -> str:
    return (
        "apiVersion: v1\nkind: Secret\n"
        f"metadata: {{name: {name}, namespace: {namespace}, "
        "labels: {argocd.argoproj.io/secret-type: repository}}\n"
        f"stringData: {{url: '{url}', username: bot, password: pw}}\n"
    )


async def test_repository_secrets_from_files_are_those_of_the_controller_namespace(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(_repo_secret("repo-b", "argocd", "https://git.example/b.git"))
    (tmp_path / "b.yaml").write_text(_repo_secret("repo-a", "argocd", "https://git.example/a.git"))
    (tmp_path / "c.yaml").write_text(_repo_secret("elsewhere", "team", "https://git.example/c.git"))

    found = await RepoCredsFromSecrets(
        files=SecretFiles(tmp_path), namespace="argocd"
    ).list_repository_secrets()

    assert [s["url"] for s in found] == [b"https://git.example/a.git", b"https://git.example/b.git"]


async def test_repository_secrets_from_the_cluster(api: tuple[FakeKube, Api]) -> None:
    fake, connected = api

    def secret(name: str, kind: str) -> dict[str, object]:
        data = {"url": base64.b64encode(f"https://git.example/{name}.git".encode()).decode()}
        labels = {"argocd.argoproj.io/secret-type": kind}
        return {"metadata": {"name": name, "namespace": "argocd", "labels": labels}, "data": data}

    fake.put("v1", "secrets", secret("repo", "repository"))
    fake.put("v1", "secrets", secret("creds", "repo-creds"))
    fake.put("v1", "secrets", secret("cluster", "cluster"))

    source = RepoCredsFromSecrets(cluster=ClusterSecrets(connected), namespace="argocd")
    found = await source.list_repository_secrets()

    assert sorted(s["url"] for s in found) == [
        b"https://git.example/creds.git",
        b"https://git.example/repo.git",
    ]


async def test_repocreds_without_any_secrets_source_are_none_and_say_so() -> None:
    # deliberate change (issue 9): no Secret source means git runs with the machine's credentials
    source = RepoCredsFromSecrets(namespace="argocd")
    assert await source.list_repository_secrets() == []
    assert source.looked_in == "no --secrets-dir was given"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(True, "looked in --secrets-dir {dir}, namespace argocd", id="secrets-dir"),
        pytest.param(False, "no --secrets-dir was given", id="nothing"),
    ],
)
def test_repocreds_say_where_they_looked(tmp_path: Path, files: bool, expected: str) -> None:
    source = RepoCredsFromSecrets(files=SecretFiles(tmp_path) if files else None, namespace="argocd")
    assert source.looked_in == expected.format(dir=tmp_path)


async def test_secret_source_prefers_the_cluster(api: tuple[FakeKube, Api], tmp_path: Path) -> None:
    _, connected = api
    assert isinstance(secret_source(secrets_dir=tmp_path, api=connected), ClusterSecrets)
    assert isinstance(secret_source(secrets_dir=tmp_path, api=None), SecretFiles)
    assert secret_source(secrets_dir=None, api=None) is None
