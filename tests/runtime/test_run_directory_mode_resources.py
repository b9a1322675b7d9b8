"""`run --once --applications-dir` with ImageUpdater resources beside the Applications, end to end
against the real registry and git server: upstream's documented git write-back example (only the
repository and image pointed at the local servers), `useAnnotations` beside plain annotated
Applications, conflicts and broken resources reported without stopping the others, and each
resource's status printed and written to `--status-dir`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from devtools import gitops_sample
from image_updater.resources.model import ImageUpdaterStatus
from tests.runtime.test_run_directory_mode import Setup, _setup

P = gitops_sample.P


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    with _setup(tmp_path, "secret") as ready:
        yield ready


def app(
    name: str, path: str, repo_url: str, *, labels: str = "{}", notes: str = "{}", helm: bool = False
) -> str:
    source = "    helm: {}\n" if helm else ""
    return (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        f"metadata:\n  name: {name}\n  namespace: argocd\n  labels: {labels}\n  annotations: {notes}\n"
        f"spec:\n  project: default\n  source:\n    repoURL: {repo_url}\n    targetRevision: main\n"
        f"    path: {path}\n{source}  destination:\n    server: https://kubernetes.default.svc\n"
    )


def git_write_back_example(repo_url: str, image: str) -> str:
    """docs/examples/index.md, "ImageUpdater with Git write-back"."""
    return f"""\
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: my-image-updater
  namespace: argocd
spec:
  writeBackConfig:
    method: "git"
    gitConfig:
      repository: "{repo_url}"
      branch: "main"
      writeBackTarget: "helmvalues:./values.yaml"
  applicationRefs:
    - namePattern: "my-app-*"
      images:
        - alias: "nginx"
          imageName: "{image}:1.x"
          manifestTargets:
            helm:
              name: "image.repository"
              tag: "image.tag"
"""


USE_ANNOTATIONS = """\
apiVersion: argocd-image-updater.argoproj.io/v1alpha1
kind: ImageUpdater
metadata:
  name: argocd-image-updater-sample-short-1
  namespace: argocd
spec:
  applicationRefs:
    - namePattern: "*"
      useAnnotations: true
      labelSelectors:
        matchLabels:
          image-updater: my-image-updater
"""


def test_upstreams_git_write_back_example_updates_the_helm_values(setup: Setup, tmp_path: Path) -> None:
    apps = tmp_path / "resources"
    apps.mkdir()
    host = setup.registry.host
    (apps / "updater.yaml").write_text(git_write_back_example(setup.repo_url, f"{host}/org/api"))
    (apps / "my-app-chart.yaml").write_text(app("my-app-chart", "charts/api", setup.repo_url, helm=True))
    (apps / "other.yaml").write_text(app("other-chart", "charts/api", setup.repo_url, helm=True))
    result = setup.run(apps=apps)
    assert result.exit_code == 0, result.output
    values = setup.show("charts/api/values.yaml")
    assert "  tag: v1.5.0  # set by image-updater\n" in values
    assert f"  repository: {host}/org/api\n" in values
    assert setup.commits()[0].startswith("argocd-image-updater|build: automatic update of my-app-chart")
    tip = setup.git("rev-parse", "main")
    assert setup.run(apps=apps).exit_code == 0
    assert setup.git("rev-parse", "main") == tip


def test_use_annotations_and_plain_annotations_work_side_by_side(setup: Setup, tmp_path: Path) -> None:
    apps = tmp_path / "both"
    apps.mkdir()
    host, url = setup.registry.host, setup.repo_url
    (apps / "updater.yaml").write_text(USE_ANNOTATIONS)

    def notes(branch: str) -> str:
        return (
            f"{{'{P}image-list': 'api={host}/org/api', '{P}api.update-strategy': semver, "
            f"'{P}api.semver-constraint': '>=1.0.0 <2.0.0', '{P}write-back-method': git, "
            f"'{P}git-branch': '{branch}'}}"
        )

    labels = "{image-updater: my-image-updater}"
    labelled = app("api-prod", "apps/api/overlays/prod", url, labels=labels, notes=notes("deploy/prod"))
    (apps / "labelled.yaml").write_text(labelled)
    plain = app("api-staging", "apps/api/overlays/staging", url, notes=notes("deploy/staging"))
    (apps / "v0.yaml").write_text(plain)
    result = setup.run(apps=apps)
    assert result.exit_code == 0, result.output
    for name, branch in (("api-prod", "deploy/prod"), ("api-staging", "deploy/staging")):
        overlay = branch.removeprefix("deploy/")
        shown = setup.show(f"apps/api/overlays/{overlay}/.argocd-source-{name}.yaml", branch)
        assert f"{host}/org/api:v1.5.0" in shown


def test_conflicts_and_broken_resources_are_reported_and_the_rest_updates(
    setup: Setup, tmp_path: Path
) -> None:
    apps = tmp_path / "conflicts"
    apps.mkdir()
    host, url = setup.registry.host, setup.repo_url
    example = git_write_back_example(url, f"{host}/org/api")
    (apps / "updater.yaml").write_text(example)
    (apps / "twin.yaml").write_text(
        example.replace("name: my-image-updater", "name: twin").replace('"my-app-*"', '"my-app-twin"')
    )
    (apps / "broken.yaml").write_text(
        example.replace("name: my-image-updater", "name: broken").replace('alias: "nginx"', 'alias: "-nginx"')
    )
    (apps / "good.yaml").write_text(app("my-app-chart", "charts/api", url, helm=True))
    (apps / "twin-app.yaml").write_text(app("my-app-twin", "charts/api", url, helm=True))
    both = f"{{'{P}image-list': 'api={host}/org/api'}}"
    (apps / "annotated.yaml").write_text(app("my-app-annotated", "charts/api", url, helm=True, notes=both))
    result = setup.run(apps=apps)
    assert result.exit_code == 1
    output = result.output
    assert (
        'imageupdater argocd/broken: spec.applicationRefs[0].images[0].alias: Invalid value: "-nginx": '
        "should match '^[a-zA-Z0-9][a-zA-Z0-9-._]*$'" in output
    )
    assert (
        "application argocd/my-app-twin: selected by imageupdater argocd/my-image-updater and "
        "imageupdater argocd/twin" in output
    )
    assert (
        "application argocd/my-app-annotated: configured by imageupdater argocd/my-image-updater "
        f"(spec.applicationRefs[0]) and by its own {P}image-list annotation" in output
    )
    assert "Traceback" not in output
    assert "  tag: v1.5.0  # set by image-updater\n" in setup.show("charts/api/values.yaml")
    message = setup.git("log", "-1", "--format=%B", "main")
    assert message.startswith("build: automatic update of my-app-chart\n"), message


def status_of(directory: Path, name: str) -> dict[str, Any]:
    document = YAML(typ="safe", pure=True).load((directory / f"argocd_{name}.yaml").read_text())
    assert (document["kind"], document["metadata"]) == ("ImageUpdater", {"name": name, "namespace": "argocd"})
    status: dict[str, Any] = document["status"]
    ImageUpdaterStatus.model_validate(status)  # what the CRD's status schema accepts
    return status


def ready(status: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in status["conditions"] if c["type"] == "Ready")


def test_status_is_printed_and_written_per_resource(setup: Setup, tmp_path: Path) -> None:
    apps, statuses = tmp_path / "with-status", tmp_path / "statuses"
    apps.mkdir()
    host, url = setup.registry.host, setup.repo_url
    example = git_write_back_example(url, f"{host}/org/api")
    (apps / "updater.yaml").write_text(example)
    strict = example.replace("name: my-image-updater", "name: strict").replace('"my-app-*"', '"strict-*"')
    (apps / "strict.yaml").write_text(strict.replace(":1.x", ":9.x"))
    (apps / "broken.yaml").write_text(
        example.replace("name: my-image-updater", "name: broken").replace(
            "  applicationRefs:", "  applicationRef:"
        )
    )
    (apps / "chart.yaml").write_text(app("my-app-chart", "charts/api", url, helm=True))
    (apps / "strict-app.yaml").write_text(app("strict-app", "charts/api", url, helm=True))

    first = setup.run("--status-dir", str(statuses), apps=apps)
    assert first.exit_code == 1, first.output  # the broken resource
    assert (
        "imageupdater argocd/my-image-updater: Ready=True ReconcileSucceeded: "
        "Reconciled 1 applications, 1 images updated.\n"
        "  applications matched: 1, images: 1\n"
        f"  argocd/my-app-chart nginx ({host}/org/api): Updated: updated v1.0.0 to v1.5.0 (commit "
    ) in first.output
    assert "imageupdater argocd/broken: Ready=False ReconcileFailed: Reconciliation failed: " in first.output
    assert sorted(p.name for p in statuses.iterdir()) == [
        "argocd_broken.yaml",
        "argocd_my-image-updater.yaml",
        "argocd_strict.yaml",
    ]
    updated = status_of(statuses, "my-image-updater")
    assert (updated["applicationsMatched"], updated["imagesManaged"]) == (1, 1)
    (recent,) = updated["recentUpdates"]
    assert (recent["alias"], recent["image"], recent["newVersion"]) == ("nginx", f"{host}/org/api", "v1.5.0")
    assert recent["applicationsUpdated"] == 1
    assert updated["lastUpdatedAt"] == updated["lastCheckedAt"] == recent["updatedAt"]
    nothing = status_of(statuses, "strict")
    (result,) = nothing["imageResults"]
    assert (result["application"], result["alias"], result["reason"]) == (
        "argocd/strict-app",
        "nginx",
        "NoMatchingTag",
    )
    assert result["message"].startswith("no tag matched: ")
    assert "outside constraint" in result["message"]
    assert "lastUpdatedAt" not in nothing
    assert ready(nothing)["reason"] == "ReconcileSucceeded"
    refused = status_of(statuses, "broken")
    assert (ready(refused)["status"], ready(refused)["reason"]) == ("False", "ReconcileFailed")
    assert "spec.applicationRefs: Required value" in ready(refused)["message"]

    second = setup.run("--status-dir", str(statuses), apps=apps)
    assert second.exit_code == 1, second.output
    again = status_of(statuses, "my-image-updater")
    assert again["lastUpdatedAt"] == updated["lastUpdatedAt"]  # kept: nothing new was updated
    assert again["recentUpdates"] == updated["recentUpdates"]
    assert ready(again)["lastTransitionTime"] == ready(updated)["lastTransitionTime"]
    assert [r["reason"] for r in again["imageResults"]] == ["UpToDate"]


def test_a_status_dir_inside_the_applications_dir_is_refused(setup: Setup) -> None:
    result = setup.run("--status-dir", str(setup.apps / "statuses"))
    assert result.exit_code != 0
    assert "is inside --applications-dir" in result.output
    assert not (setup.apps / "statuses").exists()


def test_a_dry_run_says_what_would_update_and_records_no_update(setup: Setup, tmp_path: Path) -> None:
    apps, statuses = tmp_path / "dry", tmp_path / "dry-statuses"
    apps.mkdir()
    url = setup.repo_url
    (apps / "updater.yaml").write_text(git_write_back_example(url, f"{setup.registry.host}/org/api"))
    (apps / "chart.yaml").write_text(app("my-app-chart", "charts/api", url, helm=True))
    tip = setup.git("rev-parse", "main")
    result = setup.run("--dry-run", "--status-dir", str(statuses), apps=apps)
    assert result.exit_code == 0, result.output
    assert setup.git("rev-parse", "main") == tip
    status = status_of(statuses, "my-image-updater")
    (only,) = status["imageResults"]
    assert (only["reason"], only["message"]) == ("DryRun", "dry run: would update v1.0.0 to v1.5.0")
    assert "lastUpdatedAt" not in status
    assert "recentUpdates" not in status
