"""`image-updater plan --applications-dir` end to end against the real registry and git server: one
pending update (its exact diff), one up to date, one with no tag matching its constraint, one
broken Application (its one-line error, the others still planned); the JSON schema; the exit
status table; and that no ref of the git server moved (plan never commits or pushes). A `run`
afterwards writes exactly the diff the plan showed, and the next plan has nothing pending. Skipped
images (no tag matched, pinned) show what their target holds, read from the tree a write of the
cycle fetched, and null when none did or the file holds no value."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from devtools import git_http, gitops_sample, oci
from devtools.registry import LocalRegistry
from image_updater.cli.main import cli
from tests.conftest import CREATED

VALUES = "image:\n  repository: {image}\n  tag: {tag}\n"


@pytest.fixture(scope="module")
def images(registry: LocalRegistry) -> dict[str, str]:
    """web: 1.0.0 and 1.1.0; api: 2.0.0; worker: 1.0.0 (read-only for the tests)."""
    pushed = {"web": ("1.0.0", "1.1.0"), "api": ("2.0.0",), "worker": ("1.0.0",)}
    for name, tags in pushed.items():
        for tag in tags:
            oci.push_image(registry.url, f"t/plan-{name}", tag, created=CREATED)
    return {name: f"{registry.host}/t/plan-{name}" for name in pushed}


@pytest.fixture(scope="module")
def git_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, git_http.GitHttpServer]]:
    root = tmp_path_factory.mktemp("plan-git")
    with git_http.serve(root) as server:
        yield root, server


@dataclass(frozen=True)
class Repo:
    bare: Path
    url: str
    apps: Path
    workdir: Path
    images: dict[str, str]

    def app(self, name: str, image: str, **notes: str) -> None:
        annotations = {
            "image-list": f"{name}={image}",
            f"{name}.update-strategy": "semver",
            f"{name}.helm.image-name": "image.repository",
            f"{name}.helm.image-tag": "image.tag",
            "write-back-method": "git",
            "write-back-target": "helmvalues:values.yaml",
            **notes,
        }
        manifest = gitops_sample.application(name, path=name, repo_url=self.url, annotations=annotations)
        (self.apps / f"{name}.yaml").write_text(manifest)

    def invoke(self, command: str, *extra: str) -> Result:
        args = [command, "--applications-dir", str(self.apps), "--git-workdir", str(self.workdir)]
        args += ["--cache-dir", "", *extra]
        if command == "run":
            args += ["--once", "--metrics-port", "0", "--health-port", "0"]
        return CliRunner().invoke(cli, args, catch_exceptions=False)

    def refs(self) -> str:
        return _git(self.bare, "for-each-ref", "--format=%(refname) %(objectname)")


def _git(bare: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(bare), *args], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def repo(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    images: dict[str, str],
    git_root: tuple[Path, git_http.GitHttpServer],
) -> Repo:
    """A fresh repository with web and web2 at 1.0.0 of the web image, api at 2.0.0 and worker at
    1.0.0 (helm values files)."""
    root, server = git_root
    name = f"{request.node.name.replace('[', '-').replace(']', '')}.git"
    files = {"README.md": "plan test\n"}
    for app, image, tag in (
        ("web", "web", "1.0.0"),
        ("web2", "web", "1.0.0"),
        ("api", "api", "2.0.0"),
        ("worker", "worker", "1.0.0"),
    ):
        files[f"{app}/Chart.yaml"] = f"apiVersion: v2\nname: {app}\nversion: 0.1.0\n"
        files[f"{app}/values.yaml"] = VALUES.format(image=images[image], tag=tag)
    bare = git_http.make_bare_repo(root, name, files=files)
    apps = tmp_path / "apps"
    apps.mkdir()
    return Repo(bare, server.url_for(name), apps, tmp_path / "work", images)


def four_apps(repo: Repo) -> None:
    """web pending, api up to date, worker filtered by its constraint, broken misconfigured."""
    repo.app("web", repo.images["web"])
    repo.app("api", repo.images["api"])
    repo.app("worker", repo.images["worker"] + ":~3.0")
    repo.app("broken", repo.images["web"], **{"broken.update-strategy": "newest"})


def blob(text: str) -> str:
    done = subprocess.run(
        ["git", "hash-object", "--stdin"], input=text, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()[:7]


def web_diff(image: str, app: str = "web") -> str:
    old, new = VALUES.format(image=image, tag="1.0.0"), VALUES.format(image=image, tag="1.1.0")
    return (
        f"diff --git a/{app}/values.yaml b/{app}/values.yaml\n"
        f"index {blob(old)}..{blob(new)} 100644\n"
        f"--- a/{app}/values.yaml\n+++ b/{app}/values.yaml\n"
        "@@ -1,3 +1,3 @@\n image:\n"
        f"   repository: {image}\n-  tag: 1.0.0\n+  tag: 1.1.0\n"
    )


def test_plan_explains_every_image_and_writes_nothing(repo: Repo) -> None:
    four_apps(repo)
    before = repo.refs()

    result = repo.invoke("plan", "--output", "json")

    assert result.exit_code == 1, result.output  # the broken Application is an error, as with run
    assert repo.refs() == before
    plan = json.loads(result.stdout)
    apps = {app["name"]: app for app in plan["applications"]}
    assert sorted(apps) == ["argocd/api", "argocd/broken", "argocd/web", "argocd/worker"]
    assert "update-strategy 'newest' is unknown" in apps["argocd/broken"]["error"]
    assert "\n" not in apps["argocd/broken"]["error"]
    assert apps["argocd/broken"]["images"] == []
    web, api, worker = (apps[f"argocd/{name}"]["images"] for name in ("web", "api", "worker"))
    assert web == [
        {
            "alias": "web",
            "image": repo.images["web"],
            "current": "1.0.0",
            "chosen": "1.1.0",
            "status": "pending",
            "reason": "DryRun",
            "message": "dry run: would update 1.0.0 to 1.1.0",
        }
    ]
    assert api[0] | {"message": ""} == {
        "alias": "api",
        "image": repo.images["api"],
        "current": "2.0.0",
        "chosen": "2.0.0",
        "status": "up-to-date",
        "reason": "UpToDate",
        "message": "",
    }
    assert (worker[0]["status"], worker[0]["reason"]) == ("skipped", "NoMatchingTag")
    assert (worker[0]["current"], worker[0]["chosen"]) == ("1.0.0", None)  # read from web's tree
    assert "~3.0" in worker[0]["message"]
    assert plan["writes"] == [
        {
            "repository": repo.url,
            "branch": "main",
            "path": "web/values.yaml",
            "diff": web_diff(repo.images["web"]),
            "kind": "git",
        }
    ]
    assert plan["errors"] == []
    assert (plan["version"], plan["pending"]) == (2, True)


def test_text_output_names_each_image_and_shows_the_diff(repo: Repo) -> None:
    four_apps(repo)

    result = repo.invoke("plan")

    assert result.exit_code == 1, result.output
    out = result.stdout
    web = repo.images["web"]
    assert f"  web ({web}): 1.0.0 -> 1.1.0: pending (DryRun): dry run: would update 1.0.0 to 1.1.0" in out
    assert f"  api ({repo.images['api']}): 2.0.0: up-to-date (UpToDate): " in out
    assert f"  worker ({repo.images['worker']}): 1.0.0: skipped (NoMatchingTag): " in out
    assert "application argocd/broken: failed: " in out
    assert f"would write {repo.url} branch main: web/values.yaml\n" + web_diff(web) in out
    assert out.rstrip().endswith(
        "plan: 1 pending, 1 up-to-date, 1 skipped, 0 failed, 1 application(s) failed, 0 other error(s)"
    )


def test_run_writes_what_plan_showed_and_the_next_plan_has_nothing_pending(repo: Repo) -> None:
    repo.app("web", repo.images["web"])
    planned = json.loads(repo.invoke("plan", "-o", "json").stdout)["writes"][0]["diff"]

    assert repo.invoke("run").exit_code == 0
    assert _git(repo.bare, "show", "--format=", "main") == planned
    after = repo.invoke("plan", "-o", "json")

    assert after.exit_code == 0, after.output
    plan = json.loads(after.stdout)
    assert [i["status"] for i in plan["applications"][0]["images"]] == ["up-to-date"]
    assert (plan["writes"], plan["pending"]) == ([], False)


def test_a_batched_commit_is_one_write_per_file(repo: Repo) -> None:
    repo.app("web", repo.images["web"])
    repo.app("web2", repo.images["web"])

    result = repo.invoke("plan", "-o", "json")

    assert result.exit_code == 3, result.output
    writes = json.loads(result.stdout)["writes"]
    assert [(w["branch"], w["path"]) for w in writes] == [
        ("main", "web/values.yaml"),
        ("main", "web2/values.yaml"),
    ]
    assert [w["diff"] for w in writes] == [web_diff(repo.images["web"], app) for app in ("web", "web2")]
    assert repo.invoke("run").exit_code == 0
    assert _git(repo.bare, "show", "--format=", "main") == "".join(w["diff"] for w in writes)  # one commit


@pytest.mark.parametrize(
    ("apps", "extra", "status"),
    [
        pytest.param(("web",), (), 3, id="an-update-pending-3"),
        pytest.param(("api",), (), 0, id="up-to-date-0"),
        pytest.param(("worker",), (), 0, id="only-skipped-0"),
        pytest.param(("api", "broken"), (), 1, id="an-error-1"),
        pytest.param(("web", "broken"), (), 1, id="pending-and-an-error-1"),
        pytest.param(("web",), ("--output", "yaml"), 2, id="usage-error-2"),
        pytest.param(("web",), ("--registries-conf-path", "/nonexistent.conf"), 2, id="bad-input-2"),
    ],
)
def test_exit_status(repo: Repo, apps: tuple[str, ...], extra: tuple[str, ...], status: int) -> None:
    images = {"web": repo.images["web"], "api": repo.images["api"], "worker": repo.images["worker"] + ":~3.0"}
    for name in apps:
        if name == "broken":
            repo.app(name, repo.images["api"], **{"broken.update-strategy": "newest"})
        else:
            repo.app(name, images[name])
    before = repo.refs()

    result = repo.invoke("plan", *extra)

    assert result.exit_code == status, result.output
    assert repo.refs() == before


def skipped_images(repo: Repo, *, current: str | None) -> list[dict[str, object]]:
    """worker (nothing matches ~3.0) and api (pinned at 1.9.0; its file holds 2.0.0), exactly."""
    pin = "pinned by argocd-image-updater.argoproj.io/api.pin or the ImageUpdater's pin field (at 1.9.0)"
    return [
        {
            "alias": "api",
            "image": repo.images["api"],
            "current": current and "2.0.0",  # the file's value, not the pin's
            "chosen": None,
            "status": "skipped",
            "reason": "Pinned",
            "message": f"{pin}; remove it to resume",
        },
        {
            "alias": "worker",
            "image": repo.images["worker"],
            "current": current,
            "chosen": None,
            "status": "skipped",
            "reason": "NoMatchingTag",
            "message": "no tag matched: 1 tags listed; dropped: 1 outside constraint ~3.0",
        },
    ]


@pytest.mark.parametrize(
    ("with_web", "current"),
    [
        pytest.param(True, "1.0.0", id="read-from-the-tree-web's-write-fetched"),
        pytest.param(False, None, id="unknown-when-no-write-fetched-the-branch"),
    ],
)
def test_skipped_images_show_what_the_target_holds_without_a_fetch_of_their_own(
    repo: Repo, with_web: bool, current: str | None
) -> None:
    """A skipped image's current value is read from the tree a write of the same branch fetched in
    this cycle; when no write fetched it, plan fetches nothing more and says null."""
    if with_web:
        repo.app("web", repo.images["web"])
    repo.app("worker", repo.images["worker"] + ":~3.0")
    repo.app("api", repo.images["api"], **{"api.pin": "1.9.0"})

    result = repo.invoke("plan", "-o", "json")

    assert result.exit_code == (3 if with_web else 0), result.output
    apps = {app["name"]: app["images"] for app in json.loads(result.stdout)["applications"]}
    assert apps.pop("argocd/web", None) == (
        [
            {
                "alias": "web",
                "image": repo.images["web"],
                "current": "1.0.0",
                "chosen": "1.1.0",
                "status": "pending",
                "reason": "DryRun",
                "message": "dry run: would update 1.0.0 to 1.1.0",
            }
        ]
        if with_web
        else None
    )
    assert [*apps["argocd/api"], *apps["argocd/worker"]] == skipped_images(repo, current=current)


@pytest.mark.parametrize(
    ("target", "current"),
    [
        pytest.param("helmvalues:/worker/values.yaml", "1.0.0", id="from-the-repository-root"),
        pytest.param("helmvalues:missing.yaml", None, id="file-absent-unknown"),
        pytest.param("helmvalues:/README.md", None, id="not-helm-values-unknown"),
    ],
)
def test_a_target_that_holds_no_value_leaves_current_unknown(
    repo: Repo, target: str, current: str | None
) -> None:
    """The repository's content decides what is read: an absent file or one that is no values file
    is an unknown current value (null), never an error of the plan."""
    repo.app("web", repo.images["web"])
    repo.app("worker", repo.images["worker"] + ":~3.0", **{"write-back-target": target})

    result = repo.invoke("plan", "-o", "json")

    assert result.exit_code == 3, result.output
    apps = {app["name"]: app["images"] for app in json.loads(result.stdout)["applications"]}
    [worker] = apps["argocd/worker"]
    assert (worker["current"], worker["status"], worker["reason"]) == (current, "skipped", "NoMatchingTag")
