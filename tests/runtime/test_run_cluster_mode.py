"""`image-updater run --once` in a cluster: the controller against the fake Kubernetes API server
(the real kubernetes_asyncio client, configured from a kubeconfig file) and real registries.

What the fake records is what a real API server would have seen: the merge patches, their
content type, the Events and the Lease. The registries are the session's real ones.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from devtools import git_http, oci
from devtools.registry import LocalRegistry
from image_updater.cli.main import cli
from image_updater.runtime import controller
from tests.conftest import CREATED
from tests.kube.fakeapi import MERGE
from tests.runtime.conftest import APPS, Cluster, P, application


@pytest.fixture(scope="module")
def image(registry: LocalRegistry) -> str:
    """`<registry>/t/cluster-mode` with tags 1.0.0, 1.1.0 and 2.0.0 (read-only for the tests)."""
    for tag in ("1.0.0", "1.1.0", "2.0.0"):
        oci.push_image(registry.url, "t/cluster-mode", tag, created=CREATED)
    return f"{registry.host}/t/cluster-mode"


def kustomize_app(name: str, image: str, **extra: Any) -> dict[str, Any]:
    return application(
        name,
        annotations={"image-list": f"x={image}:^1.0"},
        source={"repoURL": "https://git.example/apps.git", "path": name, "kustomize": {"namePrefix": "p-"}},
        running=[f"{image}:1.0.0"],
        **extra,
    )


def helm_app(name: str, image: str) -> dict[str, Any]:
    return application(
        name,
        annotations={
            "image-list": f"x={image}:^1.0",
            "x.helm.image-name": "image.repository",
            "x.helm.image-tag": "image.tag",
        },
        source={
            "repoURL": "https://charts.example",
            "chart": "web",
            "targetRevision": "1.2.3",
            "helm": {"parameters": [{"name": "replicas", "value": "2"}]},
        },
        running=[f"{image}:1.0.0"],
    )


# -- argocd write-back ---------------------------------------------------------------------------


async def test_argocd_write_back_patches_kustomize_and_helm_overrides(cluster: Cluster, image: str) -> None:
    cluster.put(kustomize_app("kust", image))
    cluster.put(helm_app("chart", image))

    status, _ = await cluster.run()

    assert status == 0
    assert cluster.app("kust")["spec"]["source"]["kustomize"] == {
        "namePrefix": "p-",
        "images": [f"{image}:1.1.0"],
    }
    assert cluster.app("chart")["spec"]["source"]["helm"]["parameters"] == [
        {"name": "replicas", "value": "2"},
        {"name": "image.repository", "value": image, "forceString": True},
        {"name": "image.tag", "value": "1.1.0", "forceString": True},
    ]
    patches = list(cluster.fake.writes("PATCH"))
    assert sorted(r.path.rsplit("/", 1)[1] for r in patches) == ["chart", "kust"]
    assert {r.content_type for r in patches} == {MERGE}


async def test_a_second_cycle_sends_no_patch(cluster: Cluster, image: str) -> None:
    cluster.put(kustomize_app("kust", image))
    cluster.put(helm_app("chart", image))
    assert (await cluster.run())[0] == 0
    stored = {name: cluster.app(name)["metadata"]["resourceVersion"] for name in ("kust", "chart")}
    before = len(cluster.fake.requests)

    status, logs = await cluster.run()

    assert status == 0
    assert [r for r in cluster.fake.requests[before:] if r.method == "PATCH"] == []
    assert {name: cluster.app(name)["metadata"]["resourceVersion"] for name in stored} == stored
    assert {e["app"] for e in logs if e["event"] == "already written"} == {"argocd/kust", "argocd/chart"}
    assert len([e for e in cluster.events() if e["reason"] == "ImagesUpdated"]) == 2  # none the 2nd time


async def test_a_conflicting_write_is_retried_and_keeps_the_other_change(
    cluster: Cluster, image: str
) -> None:
    cluster.put(kustomize_app("kust", image))

    def someone_else_writes(app: dict[str, Any]) -> None:
        app["metadata"]["labels"]["team"] = "web"
        app["spec"]["source"]["targetRevision"] = "release-2"

    cluster.fake.before_next_write(lambda: cluster.fake.modify(*APPS, "argocd", "kust", someone_else_writes))

    status, _ = await cluster.run()

    assert status == 0
    stored = cluster.app("kust")
    assert stored["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.1.0"]
    assert stored["spec"]["source"]["targetRevision"] == "release-2"
    assert stored["metadata"]["labels"] == {"team": "web"}
    assert len(cluster.patches()) == 2  # the first one got 409


# -- liveness ------------------------------------------------------------------------------------


async def test_an_image_not_running_is_skipped_with_a_reason(cluster: Cluster, image: str) -> None:
    cluster.put(
        application(
            "web",
            annotations={"image-list": f"x={image}:^1.0"},
            source={"repoURL": "https://git.example/a.git", "path": "web", "kustomize": {}},
            running=["quay.io/other/thing:1.0"],
        )
    )

    status, logs = await cluster.run()

    assert status == 0
    assert cluster.patches() == []
    (skip,) = [e for e in logs if e["event"] == "skipping image"]
    assert skip["app"] == "argocd/web"
    assert skip["image"] == image
    assert "quay.io/other/thing:1.0" in skip["reason"]
    assert f'{P}x.force-update: "true"' in skip["reason"]


async def test_force_update_writes_an_image_that_is_not_running(cluster: Cluster, image: str) -> None:
    cluster.put(
        application(
            "web",
            annotations={"image-list": f"x={image}:^1.0", "x.force-update": "true"},
            source={"repoURL": "https://git.example/a.git", "path": "web", "kustomize": {}},
            running=[],
        )
    )

    status, logs = await cluster.run()

    assert status == 0
    assert cluster.app("web")["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.1.0"]
    assert not [e for e in logs if e["event"] == "skipping image"]


@pytest.fixture(scope="module")
def hub_name(registry: LocalRegistry) -> str:
    """A one-component ("Docker Hub library") image, served by the local registry as library/<name>."""
    name = f"hubimage{os.getpid()}"
    for tag in ("1.0.0", "1.1.0"):
        oci.push_image(registry.url, f"library/{name}", tag, created=CREATED)
    return name


async def test_docker_hub_spellings_are_the_same_running_image(
    cluster: Cluster, registry: LocalRegistry, hub_name: str, tmp_path: Path
) -> None:
    conf = tmp_path / "registries.conf"
    conf.write_text(
        "registries:\n- name: hub\n  prefix: docker.io\n"
        f"  api_url: {registry.url}\n  defaultns: library\n  default: true\n"
    )
    cluster.put(
        application(
            "hub",
            annotations={"image-list": f"web={hub_name}"},
            source={"repoURL": "https://git.example/a.git", "path": "hub", "kustomize": {}},
            running=[f"docker.io/library/{hub_name}:1.0.0"],
        )
    )

    status, logs = await cluster.run(registries_conf=conf)

    assert status == 0, logs
    assert cluster.app("hub")["spec"]["source"]["kustomize"]["images"] == [f"{hub_name}:1.1.0"]
    (event,) = cluster.events()
    assert event["metadata"]["annotations"]["argocd-image-updater.image-0/old-tag"] == "1.0.0"


# -- multi-source --------------------------------------------------------------------------------

CHART_SOURCE = {
    "repoURL": "https://charts.example",
    "chart": "web",
    "targetRevision": "1.2.3",
    "helm": {"valueFiles": ["$values/web/values.yaml"]},
}
VALUES_SOURCE = {"repoURL": "https://git.example/values.git", "targetRevision": "main", "ref": "values"}


@pytest.mark.parametrize(
    ("sources", "written"),
    [
        pytest.param([CHART_SOURCE, VALUES_SOURCE], 0, id="chart-first"),
        pytest.param([VALUES_SOURCE, CHART_SOURCE], 1, id="values-ref-first"),
    ],
)
async def test_multi_source_override_goes_to_the_helm_source(
    cluster: Cluster, image: str, sources: list[dict[str, Any]], written: int
) -> None:
    cluster.put(
        application(
            "multi",
            annotations={"image-list": f"x={image}:^1.0"},
            sources=sources,
            running=[f"{image}:1.0.0"],
            source_types=["Helm" if s is CHART_SOURCE else "Directory" for s in sources],
        )
    )

    status, _ = await cluster.run()

    assert status == 0
    stored = cluster.app("multi")["spec"]["sources"]
    assert stored[written]["helm"] == {
        "valueFiles": ["$values/web/values.yaml"],
        "parameters": [
            {"name": "image.name", "value": image, "forceString": True},
            {"name": "image.tag", "value": "1.1.0", "forceString": True},
        ],
    }
    assert stored[1 - written] == VALUES_SOURCE
    assert "source" not in cluster.app("multi")["spec"]


# -- Kubernetes Events ---------------------------------------------------------------------------


async def test_a_successful_write_records_an_images_updated_event(cluster: Cluster, image: str) -> None:
    app = cluster.put(kustomize_app("kust", image))

    assert (await cluster.run())[0] == 0

    (event,) = cluster.events()
    assert (event["type"], event["reason"]) == ("Normal", "ImagesUpdated")
    assert event["message"] == "Successfully updated application 'kust'"
    assert event["metadata"]["namespace"] == "argocd"
    involved = event["involvedObject"]
    assert {k: involved[k] for k in ("apiVersion", "kind", "name", "namespace", "uid")} == {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "name": "kust",
        "namespace": "argocd",
        "uid": app["metadata"]["uid"],
    }
    assert event["metadata"]["annotations"] == {
        "argocd-image-updater.image-0/full-image-name": image,
        "argocd-image-updater.image-0/image-name": image.split("/", 1)[1],
        "argocd-image-updater.image-0/old-tag": "1.0.0",
        "argocd-image-updater.image-0/new-tag": "1.1.0",
    }


async def test_an_image_error_records_a_warning_event(cluster: Cluster, image: str) -> None:
    cluster.put(kustomize_app("good", image))
    cluster.put(kustomize_app("broken", image + "-gone"))

    status, _ = await cluster.run()

    assert status == 1
    assert cluster.app("good")["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.1.0"]
    warnings = [e for e in cluster.events() if e["type"] == "Warning"]
    assert [(w["involvedObject"]["name"], w["reason"]) for w in warnings] == [("broken", "ImageUpdateFailed")]
    assert "argocd/broken" in warnings[0]["message"]
    assert "t/cluster-mode-gone" in warnings[0]["message"]


async def test_malformed_annotations_record_a_warning_event(cluster: Cluster, image: str) -> None:
    cluster.put(
        application(
            "typo",
            annotations={"image-list": f"x={image}", "x.update-strategy": "newest"},
            source={"repoURL": "https://git.example/a.git", "path": "typo", "kustomize": {}},
            running=[f"{image}:1.0.0"],
        )
    )

    status, logs = await cluster.run()

    assert status == 1
    assert any("update-strategy 'newest' is unknown" in e["event"] for e in logs)
    (warning,) = cluster.events()
    assert (warning["type"], warning["involvedObject"]["name"]) == ("Warning", "typo")
    assert "newest" in warning["message"]


async def test_malformed_annotations_fail_that_application_alone(cluster: Cluster, image: str) -> None:
    cluster.put(kustomize_app("good", image))
    cluster.put(
        application(
            "typo",
            annotations={"image-list": f"x={image}", "x.update-strategy": "newest"},
            source={"repoURL": "https://git.example/a.git", "path": "typo", "kustomize": {}},
            running=[f"{image}:1.0.0"],
        )
    )

    status, logs = await cluster.run()

    assert status == 1
    (error,) = [e for e in logs if e["log_level"] == "error"]
    assert "argocd/typo" in error["event"]
    assert "update-strategy 'newest' is unknown" in error["event"]
    assert cluster.patches() == ["argocd/good"]


async def test_disable_kube_events_records_none(cluster: Cluster, image: str) -> None:
    cluster.put(kustomize_app("good", image))
    cluster.put(kustomize_app("broken", image + "-gone"))

    status, _ = await cluster.run(kube_events=False)

    assert status == 1
    assert cluster.app("good")["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.1.0"]
    assert cluster.events() == []
    assert [r for r in cluster.fake.requests if "/events" in r.path] == []


# -- Secrets from the cluster --------------------------------------------------------------------


def dockerconfig_secret(name: str, host: str, user: str, password: str) -> dict[str, Any]:
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    config = json.dumps({"auths": {host: {"auth": auth}}}).encode()
    return {
        "metadata": {"name": name, "namespace": "argocd"},
        "type": "kubernetes.io/dockerconfigjson",
        "data": {".dockerconfigjson": base64.b64encode(config).decode()},
    }


@pytest.fixture(scope="module")
def private_image(registry_htpasswd: LocalRegistry, registry_auth: oci.BasicAuth) -> str:
    for tag in ("1.0.0", "1.1.0"):
        oci.push_image(registry_htpasswd.url, "t/private", tag, created=CREATED, auth=registry_auth)
    return f"{registry_htpasswd.host}/t/private"


def private_app(image: str) -> dict[str, Any]:
    return application(
        "private",
        annotations={"image-list": f"x={image}", "x.pull-secret": "pullsecret:argocd/regcreds"},
        source={"repoURL": "https://git.example/a.git", "path": "p", "kustomize": {}},
        running=[f"{image}:1.0.0"],
    )


async def test_a_pull_secret_is_read_from_the_cluster(
    cluster: Cluster, private_image: str, registry_htpasswd: LocalRegistry, registry_auth: oci.BasicAuth
) -> None:
    cluster.fake.put("v1", "secrets", dockerconfig_secret("regcreds", registry_htpasswd.host, *registry_auth))
    cluster.put(private_app(private_image))

    status, logs = await cluster.run()

    assert status == 0, logs
    assert cluster.app("private")["spec"]["source"]["kustomize"]["images"] == [f"{private_image}:1.1.0"]
    reads = [r.path for r in cluster.fake.requests if r.path.endswith("/secrets/regcreds")]
    assert reads == ["/api/v1/namespaces/argocd/secrets/regcreds"]


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        pytest.param(None, "Secret argocd/regcreds does not exist", id="missing"),
        pytest.param(
            ("tester", "wrong-password"),
            "denied access to repository 't/private' (HTTP 401)",
            id="wrong-password",
        ),
    ],
)
async def test_a_bad_pull_secret_fails_that_application(
    cluster: Cluster,
    private_image: str,
    registry_htpasswd: LocalRegistry,
    secret: tuple[str, str] | None,
    message: str,
) -> None:
    if secret is not None:
        cluster.fake.put("v1", "secrets", dockerconfig_secret("regcreds", registry_htpasswd.host, *secret))
    cluster.put(private_app(private_image))

    status, logs = await cluster.run()

    assert status == 1
    (error,) = [e["event"] for e in logs if e["log_level"] == "error"]
    assert "argocd/private" in error
    assert message in error
    assert "wrong-password" not in json.dumps(logs)
    assert cluster.patches() == []


# -- which Applications ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "updated"),
    [
        pytest.param({}, ["argocd/a-api", "argocd/a-web", "argocd/b-web", "team/a-web"], id="all"),
        pytest.param({"name_globs": ("a-*",)}, ["argocd/a-api", "argocd/a-web", "team/a-web"], id="glob"),
        pytest.param(
            {"name_globs": ("*-api", "b-?eb")}, ["argocd/a-api", "argocd/b-web"], id="globs-any-matches"
        ),
        pytest.param({"label_selector": "tier=front"}, ["argocd/a-web", "team/a-web"], id="label"),
        pytest.param({"label_selector": "tier=front,env!=prod"}, ["team/a-web"], id="label-selector-terms"),
        pytest.param({"namespaces": ("team",)}, ["team/a-web"], id="namespace"),
        pytest.param(
            {"namespaces": ("team", "argocd"), "name_globs": ("a-web",)},
            ["argocd/a-web", "team/a-web"],
            id="namespaces-and-glob",
        ),
    ],
)
async def test_application_filters(
    cluster: Cluster, image: str, settings: dict[str, Any], updated: list[str]
) -> None:
    for namespace, name, labels in [
        ("argocd", "a-web", {"tier": "front", "env": "prod"}),
        ("argocd", "a-api", {"tier": "back"}),
        ("argocd", "b-web", {}),
        ("team", "a-web", {"tier": "front"}),
    ]:
        cluster.put(kustomize_app(name, image, namespace=namespace, labels=labels))

    status, _ = await cluster.run(**settings)

    assert status == 0
    patched = sorted(cluster.patches())
    assert patched == updated


async def test_the_cli_runs_against_a_kubeconfig(cluster: Cluster, image: str, tmp_path: Path) -> None:
    cluster.put(kustomize_app("a-web", image))
    cluster.put(kustomize_app("b-web", image))
    args = [
        "run",
        "--once",
        "--kubeconfig",
        str(cluster.settings.kubeconfig),
        "--match-application-name",
        "a-*",
        "--applications-namespace",
        "argocd",
        "--disable-kube-events",
        "--metrics-port",
        "0",
        "--git-workdir",
        str(tmp_path / "work"),
    ]

    # the CLI runs its own event loop: give it a thread, so this loop keeps serving the fake
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert cluster.patches() == ["argocd/a-web"]
    assert cluster.events() == []
    assert next(r.path for r in cluster.fake.requests if r.method == "GET") == (
        "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
    )


# -- leader election -----------------------------------------------------------------------------

LEASES = ("coordination.k8s.io/v1", "leases")
LEASE = "argocd-image-updater-leader"


async def test_leader_election_takes_the_lease_then_runs_the_cycle(
    cluster: Cluster, image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POD_NAME", "updater-0")
    cluster.put(kustomize_app("kust", image))

    status, _ = await cluster.run(leader_election=True)

    assert status == 0
    assert cluster.app("kust")["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.1.0"]
    writes = [(r.method, r.path.split("/")[-1 if r.method == "POST" else -2]) for r in cluster.fake.writes()]
    assert writes[0] == ("POST", "leases")  # the Lease first, then the Application
    assert ("PATCH", "applications") in writes
    held = [obj for _, _, key, obj in cluster.fake.history if key[:2] == LEASES]
    assert held[0]["spec"]["holderIdentity"] == "updater-0"
    released = cluster.fake.get(*LEASES, "argocd", LEASE)["spec"]
    assert released["holderIdentity"] is None  # released on exit: a successor need not wait


async def test_a_standby_does_not_write_while_another_holds_the_lease(cluster: Cluster, image: str) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    cluster.fake.put(
        *LEASES,
        {
            "metadata": {"name": LEASE, "namespace": "argocd"},
            "spec": {"holderIdentity": "updater-1", "leaseDurationSeconds": 15, "renewTime": now},
        },
    )
    cluster.put(kustomize_app("kust", image))

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(cluster.run(leader_election=True), timeout=1.0)

    assert cluster.patches() == []
    assert cluster.fake.get(*LEASES, "argocd", LEASE)["spec"]["holderIdentity"] == "updater-1"


async def test_an_application_edited_to_single_source_mid_write_fails_alone(
    cluster: Cluster, image: str
) -> None:
    cluster.put(
        application(
            "multi",
            annotations={"image-list": f"x={image}:^1.0"},
            sources=[VALUES_SOURCE, CHART_SOURCE],
            running=[f"{image}:1.0.0"],
        )
    )
    cluster.put(kustomize_app("other", image))

    def flatten(app: dict[str, Any]) -> None:
        app["spec"]["source"] = app["spec"].pop("sources")[1]

    cluster.fake.before_next_write(lambda: cluster.fake.modify(*APPS, "argocd", "multi", flatten))

    status, logs = await cluster.run()

    assert status == 1
    assert any("argocd/multi" in e["event"] for e in logs if e["log_level"] == "error")
    assert cluster.app("other")["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.1.0"]


async def test_dry_run_patches_nothing_and_records_no_event(cluster: Cluster, image: str) -> None:
    cluster.put(kustomize_app("kust", image))

    status, logs = await cluster.run(dry_run=True)

    assert status == 0
    assert cluster.patches() == []
    assert cluster.events() == []
    assert "images" not in cluster.app("kust")["spec"]["source"]["kustomize"]
    (would,) = [e for e in logs if e["event"] == "would update"]
    assert (would["app"], would["new"]) == ("argocd/kust", "1.1.0")


# -- git write-back with credentials from the cluster --------------------------------------------

GIT_USER, GIT_PASSWORD = "bot", "git-s3cret"


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    root = tmp_path / "git"
    root.mkdir()
    files = {"apps/web/kustomization.yaml": "resources: []\n"}
    bare = git_http.make_bare_repo(root, "apps.git", files=files)
    with git_http.serve(root, credentials=(GIT_USER, GIT_PASSWORD)) as server:
        yield bare, server.url_for("apps.git")


async def test_git_write_back_with_a_secret_from_the_cluster(
    cluster: Cluster, image: str, git_server: tuple[Path, str]
) -> None:
    bare, url = git_server
    password = base64.b64encode(GIT_PASSWORD.encode()).decode()
    user = base64.b64encode(GIT_USER.encode()).decode()
    cluster.fake.put(
        "v1",
        "secrets",
        {
            "metadata": {"name": "git-creds", "namespace": "team"},
            "data": {"username": user, "password": password},
        },
    )
    cluster.put(
        application(
            "web",
            namespace="team",
            annotations={"image-list": f"x={image}:^1.0", "write-back-method": "git:secret:team/git-creds"},
            source={"repoURL": url, "path": "apps/web", "targetRevision": "main", "kustomize": {}},
            running=[f"{image}:1.0.0"],
        )
    )

    status, logs = await cluster.run()

    assert status == 0, logs
    show = ["git", "--git-dir", str(bare), "show", "main:apps/web/.argocd-source-team_web.yaml"]
    written = subprocess.run(show, capture_output=True, text=True, check=True).stdout
    assert written == f"kustomize:\n  images:\n  - {image}:1.1.0\n"
    assert cluster.patches() == []  # git write-back leaves the Application alone
    (event,) = cluster.events()
    assert (event["reason"], event["metadata"]["namespace"]) == ("ImagesUpdated", "team")
    assert GIT_PASSWORD not in json.dumps(logs)


async def test_a_reverted_git_write_is_held_with_an_event(
    cluster: Cluster, image: str, git_server: tuple[Path, str], tmp_path: Path
) -> None:
    """docs/rollback.md: a human reverts our commit; the next cycle writes nothing, logs the hold
    and records an `ImageHeld` event on the Application."""
    bare, url = git_server
    secret = {"username": base64.b64encode(GIT_USER.encode()).decode()}
    secret["password"] = base64.b64encode(GIT_PASSWORD.encode()).decode()
    cluster.fake.put(
        "v1", "secrets", {"metadata": {"name": "git-creds", "namespace": "team"}, "data": secret}
    )
    cluster.put(
        application(
            "web",
            namespace="team",
            annotations={"image-list": f"x={image}:^1.0", "write-back-method": "git:secret:team/git-creds"},
            source={"repoURL": url, "path": "apps/web", "targetRevision": "main", "kustomize": {}},
            running=[f"{image}:1.0.0"],
        )
    )
    assert (await cluster.run())[0] == 0
    human = tmp_path / "human"
    subprocess.run(["git", "clone", "-q", str(bare), str(human)], check=True)
    ident = ["-c", "user.name=Jane", "-c", "user.email=jane@example.com"]
    subprocess.run(
        ["git", "-C", str(human), *ident, "revert", "--no-edit", "HEAD"], check=True, capture_output=True
    )
    subprocess.run(["git", "-C", str(human), "push", "-q", "origin", "HEAD:main"], check=True)
    tip = subprocess.run(["git", "--git-dir", str(bare), "rev-parse", "main"], capture_output=True, text=True)

    status, logs = await cluster.run()

    assert status == 0, logs
    after = subprocess.run(
        ["git", "--git-dir", str(bare), "rev-parse", "main"], capture_output=True, text=True
    )
    assert after.stdout == tip.stdout
    (held,) = [e for e in logs if e["event"] == "held after revert"]
    assert held["app"] == "team/web"
    assert "we wrote 1.1.0" in str(held["reason"])
    reasons = [e["reason"] for e in cluster.events()]
    assert reasons == ["ImagesUpdated", "ImageHeld"]
    assert "held after revert: we wrote 1.1.0" in cluster.events()[1]["message"]


async def test_an_application_cannot_borrow_another_namespaces_git_secret(
    cluster: Cluster, image: str, git_server: tuple[Path, str]
) -> None:
    """docs/security.md, annotators: the controller's namespace holds the admins' git credentials;
    an Application in a tenant's namespace naming them is refused and nothing is pushed."""
    bare, url = git_server
    data = {"username": base64.b64encode(GIT_USER.encode()).decode()}
    data["password"] = base64.b64encode(GIT_PASSWORD.encode()).decode()
    cluster.fake.put(
        "v1", "secrets", {"metadata": {"name": "git-creds", "namespace": "argocd"}, "data": data}
    )
    cluster.put(
        application(
            "web",
            namespace="team",
            annotations={"image-list": f"x={image}:^1.0", "write-back-method": "git:secret:argocd/git-creds"},
            source={"repoURL": url, "path": "apps/web", "targetRevision": "main", "kustomize": {}},
            running=[f"{image}:1.0.0"],
        )
    )

    status, logs = await cluster.run()

    assert status == 1
    (error,) = [entry["event"] for entry in logs if entry.get("log_level") == "error"]
    assert error.startswith(
        "application team/web: annotation argocd-image-updater.argoproj.io/write-back-method"
    )
    assert "Secret argocd/git-creds is not in the Application's namespace 'team'" in error
    log = subprocess.run(
        ["git", "--git-dir", str(bare), "log", "--format=%s", "main"], capture_output=True, text=True
    )
    assert len(log.stdout.splitlines()) == 1  # only the initial commit


async def test_a_local_repository_is_refused_in_a_cluster(
    cluster: Cluster, image: str, git_server: tuple[Path, str], tmp_path: Path
) -> None:
    """docs/security.md, annotators: `file://` would reach the controller's own disk (its clone cache
    holds every tenant's repositories); refused in a cluster, while the other Application updates."""
    bare, url = git_server
    local = git_http.make_bare_repo(
        tmp_path / "local", "victim.git", files={"apps/web/kustomization.yaml": "{}\n"}
    )
    data = {"username": base64.b64encode(GIT_USER.encode()).decode()}
    data["password"] = base64.b64encode(GIT_PASSWORD.encode()).decode()
    cluster.fake.put(
        "v1", "secrets", {"metadata": {"name": "git-creds", "namespace": "argocd"}, "data": data}
    )
    for name, repo in (("web", url), ("local", f"file://{local}")):
        cluster.put(
            application(
                name,
                annotations={"image-list": f"x={image}:^1.0", "write-back-method": "git:secret:git-creds"},
                source={"repoURL": repo, "path": "apps/web", "targetRevision": "main", "kustomize": {}},
                running=[f"{image}:1.0.0"],
            )
        )

    status, logs = await cluster.run()

    assert status == 1
    (error,) = [entry["event"] for entry in logs if entry.get("log_level") == "error"]
    assert error.startswith("application argocd/local: git repository URL 'file://")
    assert "local repositories are refused in a cluster" in error
    victim = subprocess.run(
        ["git", "--git-dir", str(local), "log", "--format=%s", "main"], capture_output=True, text=True
    )
    assert len(victim.stdout.splitlines()) == 1  # untouched
    written = subprocess.run(
        ["git", "--git-dir", str(bare), "log", "--format=%s", "main"], capture_output=True, text=True
    )
    assert len(written.stdout.splitlines()) == 2  # the other Application's commit landed


@pytest.mark.parametrize(
    "status",
    [
        pytest.param({}, id="no-status-yet"),
        pytest.param({"summary": {}}, id="summary-without-images"),
    ],
)
async def test_in_a_cluster_an_application_without_running_images_runs_none(
    cluster: Cluster, image: str, status: dict[str, Any]
) -> None:
    app = kustomize_app("new", image)
    app["status"] = status
    cluster.put(app)

    status_code, logs = await cluster.run()

    assert status_code == 0
    assert cluster.patches() == []
    assert [e["image"] for e in logs if e["event"] == "skipping image"] == [image]


# -- the API server says no ----------------------------------------------------------------------


async def test_a_forbidden_patch_fails_that_application_with_a_warning_event(
    cluster: Cluster, image: str
) -> None:
    cluster.put(kustomize_app("kust", image))
    cluster.fake.refuse("PATCH", "/applications/kust", 403)

    status, logs = await cluster.run()

    assert status == 1
    (error,) = [e["event"] for e in logs if e["log_level"] == "error"]
    assert error.startswith(
        "application argocd/kust: write-back failed: cannot patch Application argocd/kust"
    )
    assert "grant the service account RBAC access" in error
    (warning,) = cluster.events()
    assert (warning["type"], warning["reason"], warning["involvedObject"]["name"]) == (
        "Warning",
        "ImageUpdateFailed",
        "kust",
    )


async def test_an_event_that_cannot_be_recorded_does_not_fail_the_write(cluster: Cluster, image: str) -> None:
    cluster.put(kustomize_app("kust", image))
    cluster.fake.refuse("POST", "/events", 403)

    status, logs = await cluster.run()

    assert status == 0
    assert cluster.app("kust")["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.1.0"]
    (warning,) = [e for e in logs if e["event"] == "cannot record event"]
    assert warning["app"] == "argocd/kust"
    assert "forbidden" in warning["error"]


async def test_a_write_that_always_conflicts_gives_up_with_a_retryable_error(
    cluster: Cluster, image: str
) -> None:
    cluster.put(kustomize_app("kust", image))
    cluster.put(kustomize_app("other", image))
    bumps = 0

    def bump() -> None:
        nonlocal bumps
        bumps += 1
        cluster.fake.modify(
            *APPS, "argocd", "kust", lambda app: app["metadata"]["labels"].update(n=str(bumps))
        )
        if bumps < 50:
            cluster.fake.before_next_write(bump)

    cluster.fake.before_next_write(bump)

    status, logs = await cluster.run()

    assert status == 1
    errors = [e["event"] for e in logs if e["log_level"] == "error"]
    assert any(
        "Application argocd/kust kept changing under us: 5 writes conflicted; will retry" in e for e in errors
    )
    assert "images" not in cluster.app("kust")["spec"]["source"]["kustomize"]
    assert cluster.app("other")["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.1.0"]


async def test_an_unusable_git_workdir_fails_the_git_application_alone(
    cluster: Cluster, image: str, tmp_path: Path
) -> None:
    not_a_directory = tmp_path / "workdir-is-a-file"
    not_a_directory.write_text("")
    cluster.put(kustomize_app("kust", image))
    cluster.put(
        application(
            "gitapp",
            annotations={"image-list": f"x={image}:^1.0", "write-back-method": "git"},
            source={"repoURL": "http://127.0.0.1:9/apps.git", "path": "apps/web", "targetRevision": "main"},
            running=[f"{image}:1.0.0"],
        )
    )

    status, logs = await cluster.run(git_workdir=not_a_directory)

    assert status == 1
    (error,) = [e["event"] for e in logs if e["log_level"] == "error"]
    assert "argocd/gitapp" in error
    assert str(not_a_directory) in error
    assert cluster.app("kust")["spec"]["source"]["kustomize"]["images"] == [f"{image}:1.1.0"]


async def test_rotated_registry_credentials_are_picked_up_by_the_next_cycle(
    cluster: Cluster,
    private_image: str,
    registry_htpasswd: LocalRegistry,
    registry_auth: oci.BasicAuth,
    tmp_path: Path,
) -> None:
    # registries.conf credentials are cached (credsexpire), but a 401 must drop them at once
    conf = tmp_path / "registries.conf"
    conf.write_text(
        f"registries:\n- name: private\n  prefix: {registry_htpasswd.host}\n"
        f"  api_url: {registry_htpasswd.url}\n  credentials: pullsecret:argocd/regcreds\n  credsexpire: 10h\n"
    )
    host = registry_htpasswd.host
    cluster.fake.put("v1", "secrets", dockerconfig_secret("regcreds", host, "tester", "old-password"))
    app = private_app(private_image)
    del app["metadata"]["annotations"][P + "x.pull-secret"]
    cluster.put(app)
    settings = replace(cluster.settings, once=False, interval=0.1, registries_conf=conf)
    task = asyncio.create_task(controller.run(settings), name="controller-under-test")
    try:
        async with asyncio.timeout(10):
            while not [e for e in cluster.events() if e["type"] == "Warning"]:
                await asyncio.sleep(0.02)
            cluster.fake.put("v1", "secrets", dockerconfig_secret("regcreds", host, *registry_auth))
            while not cluster.patches():
                await asyncio.sleep(0.02)
        # the loop is running (it only ends on a signal), so the signal goes to its handler
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(task, timeout=10) == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    assert cluster.app("private")["spec"]["source"]["kustomize"]["images"] == [f"{private_image}:1.1.0"]


async def test_no_matching_tag_leaves_the_application_alone_and_says_why(
    cluster: Cluster, image: str
) -> None:
    app = kustomize_app("kust", image)
    app["metadata"]["annotations"][P + "image-list"] = f"x={image}:^5.0"
    cluster.put(app)

    status, logs = await cluster.run()

    assert status == 0
    assert cluster.patches() == []
    assert cluster.events() == []
    (quiet,) = [e for e in logs if e["event"] == "no update"]
    assert quiet["app"] == "argocd/kust"
    assert quiet["reason"].startswith("no tag matched: 3 tags listed; dropped: 3 ")


async def test_digest_strategy_pins_the_tracked_tag_digest(cluster: Cluster, registry: LocalRegistry) -> None:
    repository = f"t/cluster-digest-{os.getpid()}"
    old = oci.push_image(registry.url, repository, "stable", created=CREATED)
    new = oci.push_image(registry.url, repository, "stable", created=CREATED)  # the tag moved
    image = f"{registry.host}/{repository}"
    cluster.put(
        application(
            "pinned",
            annotations={"image-list": f"x={image}:stable", "x.update-strategy": "digest"},
            source={"repoURL": "https://git.example/a.git", "path": "p", "kustomize": {}},
            running=[f"{image}:stable@{old}"],
        )
    )

    assert (await cluster.run())[0] == 0
    assert cluster.app("pinned")["spec"]["source"]["kustomize"]["images"] == [f"{image}:stable@{new}"]
    (event,) = cluster.events()
    assert event["metadata"]["annotations"]["argocd-image-updater.image-0/new-tag"] == "stable"

    # Argo CD synced: the running digest is the pinned one, so nothing more is written
    cluster.fake.modify(
        *APPS,
        "argocd",
        "pinned",
        lambda app: app["status"]["summary"].update(images=[f"{image}:stable@{new}"]),
    )
    status, logs = await cluster.run()
    assert status == 0
    assert len(cluster.patches()) == 1
    assert not [e for e in logs if e["event"] in ("updated", "already written")]
