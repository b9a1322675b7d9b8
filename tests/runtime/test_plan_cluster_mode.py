"""`image-updater plan` in a cluster, against the strict fake API server and the real registry:
each image is planned (argocd write-back pending with the exact merge patch and diff it would
send, up to date, not live, pinned with what it runs, a broken Application) and the server
records no write at all: no Application patch, no Event, no
ImageUpdater status. The same Applications under `run --once` do patch and record Events, so the
fake would have seen them. Applications that cannot be listed give no plan and status 1."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from devtools import oci
from devtools.registry import LocalRegistry
from image_updater.cli.main import cli
from image_updater.runtime.pinning import RECORD_ANNOTATION
from tests.conftest import CREATED
from tests.runtime.conftest import APPS, RefusingKube, application, write_kubeconfig

IMAGE_UPDATERS = ("argocd-image-updater.argoproj.io/v1alpha1", "imageupdaters")


@pytest.fixture(scope="module")
def image(registry: LocalRegistry) -> str:
    """`<registry>/t/plan-cluster` with tags 1.0.0 and 1.1.0 (read-only for the tests)."""
    for tag in ("1.0.0", "1.1.0"):
        oci.push_image(registry.url, "t/plan-cluster", tag, created=CREATED)
    return f"{registry.host}/t/plan-cluster"


def kustomize_app(name: str, image: str, *, running: str, **notes: str) -> dict[str, Any]:
    return application(
        name,
        annotations={"image-list": f"x={image}:^1.0", **notes},
        source={"repoURL": "https://git.example/apps.git", "path": name, "kustomize": {}},
        running=[running],
    )


def put_cluster(fake: RefusingKube, image: str) -> None:
    fake.put(*APPS, kustomize_app("pending", image, running=f"{image}:1.0.0"))
    fake.put(*APPS, kustomize_app("current", image, running=f"{image}:1.1.0"))
    fake.put(*APPS, kustomize_app("not-live", image, running="elsewhere.example/other:1"))
    fake.put(*APPS, kustomize_app("pinned", image, running=f"{image}:1.0.0", **{"x.pin": "1.0.0"}))
    broken = {"x.update-strategy": "newest"}
    fake.put(*APPS, kustomize_app("broken", image, running=f"{image}:1.0.0", **broken))
    # an ImageUpdater selecting them all: once resources are read from the cluster, `run` writes its
    # status; `plan` must not (test_plan_explains_each_image_and_writes_nothing_to_the_cluster)
    fake.put(
        *IMAGE_UPDATERS,
        {
            "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
            "kind": "ImageUpdater",
            "metadata": {"name": "all", "namespace": "argocd", "generation": 1},
            "spec": {"applicationRefs": [{"namePattern": "*", "useAnnotations": True}]},
        },
    )


async def invoke(tmp_path: Path, fake: RefusingKube, *args: str) -> Result:
    """The CLI in a thread (it runs its own event loop) while the fake serves on this one."""
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", fake.url)
    common = ["--kubeconfig", str(kubeconfig), "--git-workdir", str(tmp_path / "work"), "--cache-dir", ""]
    return await asyncio.to_thread(CliRunner().invoke, cli, [*args, *common], catch_exceptions=False)


async def test_plan_explains_each_image_and_writes_nothing_to_the_cluster(
    fake: RefusingKube, image: str, tmp_path: Path
) -> None:
    put_cluster(fake, image)

    result = await invoke(tmp_path, fake, "plan", "--output", "json")

    assert result.exit_code == 1, result.output  # the broken Application
    assert fake.writes() == []
    apps = {app["name"]: app for app in json.loads(result.stdout)["applications"]}
    statuses = {
        name: [(i["current"], i["chosen"], i["status"], i["reason"]) for i in app["images"]]
        for name, app in apps.items()
    }
    new = f"{image}:1.1.0"
    assert statuses == {
        "argocd/pending": [("1.0.0", "1.1.0", "pending", "DryRun")],
        "argocd/current": [("1.1.0", "1.1.0", "up-to-date", "UpToDate")],
        "argocd/not-live": [(None, None, "skipped", "NotLive")],
        "argocd/pinned": [("1.0.0", None, "skipped", "Pinned")],  # what it runs
        "argocd/broken": [],
    }
    assert "update-strategy 'newest' is unknown" in apps["argocd/broken"]["error"]
    assert "force-update" in apps["argocd/not-live"]["images"][0]["message"]
    assert json.loads(result.stdout)["writes"] == [  # the exact patch `run` would send, less its guard
        {
            "kind": "application",
            "namespace": "argocd",
            "name": "pending",
            "patch": {
                "metadata": {"annotations": {RECORD_ANNOTATION: json.dumps({f"0/kustomize/{image}": new})}},
                "spec": {"source": {"kustomize": {"images": [new]}}},
            },
            "diff": (
                "--- a/spec.source.kustomize.images\n+++ b/spec.source.kustomize.images\n"
                f"@@ -0,0 +1 @@\n+{new}\n"
            ),
        }
    ]


async def test_run_writes_where_plan_did_not(fake: RefusingKube, image: str, tmp_path: Path) -> None:
    """The control: the fake records `run`'s patch and Events for the same Applications."""
    put_cluster(fake, image)

    result = await invoke(tmp_path, fake, "run", "--once", "--metrics-port", "0", "--health-port", "0")

    assert result.exit_code == 1, result.output
    paths = [(r.method, r.path) for r in fake.writes()]
    assert ("PATCH", "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/pending") in paths
    assert any(method == "POST" and path.endswith("/events") for method, path in paths)


async def test_applications_that_cannot_be_listed_print_no_plan_and_exit_1(
    fake: RefusingKube, image: str, tmp_path: Path
) -> None:
    put_cluster(fake, image)
    fake.refuse("GET", "/applications", 403)

    result = await invoke(tmp_path, fake, "plan", "--output", "json")

    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "cycle failed" in result.stderr
    assert fake.writes() == []


async def test_a_helm_override_we_wrote_is_planned_as_its_before_and_after(
    fake: RefusingKube, image: str, tmp_path: Path
) -> None:
    """The parameter our last write set (its record says so, so it is no pin) moves to the new tag:
    the plan shows the whole parameter list the merge patch replaces, and the diff of it."""
    old_tag = {"name": "image.tag", "value": "1.0.0", "forceString": True}
    helm = application(
        "helm",
        annotations={"image-list": f"x={image}:^1.0"},
        source={"repoURL": "https://git.example/apps.git", "path": "helm", "helm": {"parameters": [old_tag]}},
        running=[f"{image}:1.0.0"],
    )
    helm["metadata"]["annotations"][RECORD_ANNOTATION] = json.dumps({"0/helm/image.tag": "1.0.0"})
    fake.put(*APPS, helm)

    result = await invoke(tmp_path, fake, "plan", "--output", "json")

    assert result.exit_code == 3, result.output
    assert fake.writes() == []
    written = {"0/helm/image.tag": "1.1.0", "0/helm/image.name": image}
    parameters = [
        {"name": "image.tag", "value": "1.1.0", "forceString": True},
        {"name": "image.name", "value": image, "forceString": True},
    ]
    assert json.loads(result.stdout)["writes"] == [
        {
            "kind": "application",
            "namespace": "argocd",
            "name": "helm",
            "patch": {
                "metadata": {"annotations": {RECORD_ANNOTATION: json.dumps(written)}},
                "spec": {"source": {"helm": {"parameters": parameters}}},
            },
            "diff": (
                "--- a/spec.source.helm.parameters\n+++ b/spec.source.helm.parameters\n@@ -1 +1,2 @@\n"
                '-{"forceString": true, "name": "image.tag", "value": "1.0.0"}\n'
                '+{"forceString": true, "name": "image.tag", "value": "1.1.0"}\n'
                f'+{{"forceString": true, "name": "image.name", "value": "{image}"}}\n'
            ),
        }
    ]
