"""The plan read from a cycle report: each outcome reason's plan status (a reason added later is
"skipped" without editing plan), Applications that failed before their images, errors no
Application owns, `git diff` output split per file, credentials cut from repository URLs, the
JSON schema's keys (git writes and Application patches), current values filled in where the cycle
had none, and hostile text escaped in the text form."""

from __future__ import annotations

import json

import pytest

from image_updater.applications import Application, from_manifest
from image_updater.resources.status import ImageOutcome
from image_updater.runtime.outcomes import CycleReport
from image_updater.runtime.plan import PlannedWrite, as_json, as_text, build, shown_url, split_diff
from image_updater.runtime.writing import Written


def outcome(reason: str, *, app: str = "argocd/web", old: str = "", new: str = "") -> ImageOutcome:
    return ImageOutcome(
        app=app, alias="web", image="r.example/web", reason=reason, message="m", old=old, new=new
    )


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        pytest.param("DryRun", "pending", id="dry-run-is-pending"),
        pytest.param("Updated", "updated", id="updated"),
        pytest.param("UpToDate", "up-to-date", id="up-to-date"),
        pytest.param("NotLive", "skipped", id="not-live"),
        pytest.param("NoMatchingTag", "skipped", id="constraint-or-filter"),
        pytest.param("RegistryAuthFailed", "failed", id="auth"),
        pytest.param("RegistryError", "failed", id="registry"),
        pytest.param("ConfigError", "failed", id="config"),
        pytest.param("WriteBackFailed", "failed", id="write-back"),
        pytest.param("TimedOut", "failed", id="timed-out"),
        pytest.param("Failed", "failed", id="internal"),
        pytest.param("Pinned", "skipped", id="pinned"),
        pytest.param("Held", "skipped", id="held"),
        pytest.param("WaitingForPromotion", "skipped", id="a-reason-added-later-is-skipped"),
    ],
)
def test_each_reason_has_a_status(reason: str, status: str) -> None:
    report = CycleReport(outcomes=[outcome(reason, old="1.0.0", new="1.1.0")])

    [image] = build(report, []).applications[0].images

    assert (image.status, image.reason, image.message) == (status, reason, "m")
    assert (image.current, image.chosen) == ("1.0.0", "1.1.0")


def test_pending_is_only_a_pending_image() -> None:
    assert build(CycleReport(outcomes=[outcome("DryRun")]), []).pending
    assert not build(CycleReport(outcomes=[outcome("UpToDate"), outcome("NotLive")]), []).pending


def test_a_failed_application_and_errors_no_application_owns() -> None:
    failed = ImageOutcome(app="argocd/bad", reason="ConfigError", message="application argocd/bad: no")
    report = CycleReport(
        outcomes=[failed, outcome("DryRun")],
        errors=["application argocd/bad: no", "apps/x.yaml: not YAML"],
    )
    source = {"repoURL": "https://git.example/a.git"}
    bad_app = from_manifest({"metadata": {"name": "bad", "namespace": "argocd"}, "spec": {"source": source}})
    report.failed_apps.append((bad_app, "application argocd/bad: no"))

    plan = build(report, [])

    bad, web = plan.applications
    assert (bad.name, bad.error, bad.images) == ("argocd/bad", "application argocd/bad: no", ())
    assert (web.name, web.error) == ("argocd/web", None)
    assert plan.errors == ("apps/x.yaml: not YAML",)


TWO_FILES = (
    "diff --git a/a.yaml b/a.yaml\nindex 1..2 100644\n--- a/a.yaml\n+++ b/a.yaml\n@@ -1 +1 @@\n-x\n+y\n"
    'diff --git "a/caf\\303\\251.yaml" "b/caf\\303\\251.yaml"\nnew file mode 100644\n'
    '--- /dev/null\n+++ "b/caf\\303\\251.yaml"\n@@ -0,0 +1 @@\n+z\n'
    "diff --git a/gone.yaml b/gone.yaml\ndeleted file mode 100644\n--- a/gone.yaml\n+++ /dev/null\n"
)


def test_a_diff_is_split_per_file_with_git_quoting_undone() -> None:
    parts = split_diff(TWO_FILES)

    assert [path for path, _ in parts] == ["a.yaml", "café.yaml", "gone.yaml"]
    assert "".join(part for _, part in parts) == TWO_FILES
    assert split_diff("") == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        pytest.param("https://bot:s3cret@git.example/a.git", "https://git.example/a.git", id="user-password"),
        pytest.param("https://ghp_token@git.example/a.git", "https://git.example/a.git", id="token-as-user"),
        pytest.param("ssh://git@git.example:22/a.git", "ssh://git.example:22/a.git", id="ssh-user"),
        pytest.param("https://git.example/a@b.git", "https://git.example/a@b.git", id="at-in-path"),
        pytest.param("git@github.com:org/a.git", "git@github.com:org/a.git", id="scp-like-kept"),
    ],
)
def test_repository_urls_are_shown_without_credentials(url: str, shown: str) -> None:
    assert shown_url(url) == shown


def test_the_json_schema() -> None:
    """Version 2: writes[] entries have a `kind`; the argocd method's patches are entries too."""
    write = PlannedWrite(repository="https://git.example/a.git", branch="main", path="a.yaml", diff="d")
    patch = {"spec": {"source": {"kustomize": {"images": ["r.example/web:1.1.0"]}}}}
    report = CycleReport(outcomes=[outcome("DryRun")])
    report.written.append(Written(app("web"), (), diff="+r.example/web:1.1.0\n", patch=patch))

    document = json.loads(as_json(build(report, [write])))

    assert list(document) == ["version", "pending", "applications", "writes", "errors"]
    assert document["version"] == 2
    [entry] = document["applications"]
    assert list(entry) == ["name", "error", "images"]
    assert list(entry["images"][0]) == ["alias", "image", "current", "chosen", "status", "reason", "message"]
    assert document["writes"] == [
        {"repository": write.repository, "branch": "main", "path": "a.yaml", "diff": "d", "kind": "git"},
        {
            "namespace": "argocd",
            "name": "web",
            "patch": patch,
            "diff": "+r.example/web:1.1.0\n",
            "kind": "application",
        },
    ]
    assert "\nwould patch application argocd/web\n+r.example/web:1.1.0\n" in as_text(build(report, []))


@pytest.mark.parametrize(
    ("old", "known", "current"),
    [
        pytest.param("1.0.0", "0.9.0", "1.0.0", id="the-cycle's-own-value-wins"),
        pytest.param("", "0.9.0", "0.9.0", id="filled-in-from-the-target"),
        pytest.param("", None, None, id="unknown-is-null"),
    ],
)
def test_current_is_filled_in_where_the_outcome_has_none(
    old: str, known: str | None, current: str | None
) -> None:
    report = CycleReport(outcomes=[outcome("NoMatchingTag", old=old)])
    currents = {} if known is None else {("argocd/web", "web", "r.example/web"): known}

    [image] = build(report, [], currents=currents).applications[0].images

    assert image.current == current


def app(name: str) -> Application:
    source = {"repoURL": "https://git.example/a.git"}
    return from_manifest({"metadata": {"name": name, "namespace": "argocd"}, "spec": {"source": source}})


def test_text_escapes_what_it_quotes() -> None:
    hostile = ImageOutcome(
        app="argocd/web",
        alias="web",
        image="r/web",
        reason="RegistryError",
        message="boom\x1b[2J\nforged line",
    )
    write = PlannedWrite(repository="r", branch="main", path="a\x1b.yaml", diff="+tag: x\x1b[31m\u202e\n")

    plan = build(CycleReport(outcomes=[hostile]), [write])
    text = as_text(plan)

    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "boom\\x1b[2J\\nforged line" in text
    assert "+tag: x\\x1b[31m\\u202e" in text
    document = as_json(plan)
    assert document.isascii()
    assert json.loads(document)["writes"][0]["diff"] == write.diff  # escaped, not altered
