"""Holds for one cycle against the real git HTTP server: trailers of a batched commit, a human's
revert holding every Application it rolled back, one history read per branch, what is never read
(argocd write-back), and a history that cannot be read (its Applications fail closed)."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

from image_updater.holds import parse_trailers
from image_updater.runtime.holding import Holds, find_holds
from tests.runtime.test_writing import Repo, git_root, pending, repo

__all__ = ["git_root", "repo"]  # fixtures
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _revert_as_human(repo: Repo) -> None:
    clone = repo.workdir / "human"
    subprocess.run(["git", "clone", "-q", repo.url, str(clone)], check=True)
    ident = ["-c", "user.name=Jane", "-c", "user.email=jane@example.com"]
    subprocess.run(
        ["git", "-C", str(clone), *ident, "revert", "--no-edit", "HEAD"], check=True, capture_output=True
    )
    subprocess.run(["git", "-C", str(clone), "push", "-q", "origin", "HEAD:main"], check=True)


async def test_a_reverted_batched_commit_holds_each_application_it_held(repo: Repo) -> None:
    apps = [pending("a1", repo), pending("a2", repo), pending("a3", repo, notes={"git-branch": "deploy/dev"})]
    writer = repo.writer()
    await writer.write_all(apps)
    trailers = parse_trailers(repo.git("log", "-1", "--format=%B", "main"))
    assert [(t.app, t.alias, t.image, t.old, t.new) for t in trailers] == [
        ("argocd/a1", "x", "quay.io/org/web", "1.0.0", "1.1.0"),
        ("argocd/a2", "x", "quay.io/org/web", "1.0.0", "1.1.0"),
    ]
    _revert_as_human(repo)
    trace = writer.git.trace
    logs_before = trace.counts["log"]

    holds = (await find_holds(writer, [(p.app, p.settings) for p in apps], now=NOW)).held

    assert sorted(holds) == [("argocd/a1", "quay.io/org/web"), ("argocd/a2", "quay.io/org/web")]
    hold = holds[("argocd/a1", "quay.io/org/web")]
    assert (hold.wrote, hold.current) == ("1.1.0", None)  # the revert removed the override file
    assert hold.held_versions().tag == "1.1.0"
    assert trace.counts["log"] - logs_before == 2  # main and deploy/dev: one read each


async def test_argocd_write_back_reads_no_history(repo: Repo) -> None:
    app = pending("a1", repo, notes={"write-back-method": "argocd"})
    writer = repo.writer()
    assert await find_holds(writer, [(app.app, app.settings)], now=NOW) == Holds()
    assert writer.git.trace.counts["log"] == 0


async def test_an_unreadable_history_fails_its_applications_closed(repo: Repo) -> None:
    """A hold cannot be ruled out: the Application is reported, with the error a write would give."""
    missing = {"repoURL": repo.url, "path": "apps/a1", "targetRevision": "nope", "kustomize": {}}
    apps = [pending("a1", repo, source=missing), pending("a2", repo)]
    holds = await find_holds(repo.writer(), [(p.app, p.settings) for p in apps], now=NOW)
    assert holds.held == {}
    assert list(holds.unreadable) == ["argocd/a1"]
    assert str(holds.unreadable["argocd/a1"]) == f"branch 'nope' does not exist in {repo.url}"
