"""A repository writer commits links, hoping a write-back lands in `.git` or outside the clone
(docs/security.md, "Repository writers").

Every path is walked without following links (`writeback.tree_files`), so each attack ends in a
one-line error naming the path and the link, the store, the sentinel directory outside the clone
and the remote are exactly as before, and a write to another repository in the same cycle
goes through. The cache layout is public (`<key>/trees/<branch-key>` beside `<key>/repo.git`), so
links aim at the store's `config` and `hooks` from where a worktree sits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import HostileRemote, snapshot
from devtools import git_http, gitops_sample
from devtools.registry import start_registry
from image_updater.cli.main import cli
from image_updater.errors import InvalidWriteBackConfig
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_edits import Reader
from image_updater.writeback.git_repo import GitRepoCache

MAIN = TargetBranch(base="main")


def set_tag(tag: str) -> Callable[[str | None], str]:
    return lambda text: f"image:\n  tag: {tag}\n"


def link(seed: Path, path: str, target: str | Path) -> None:
    where = seed / path
    if where.is_dir() and not where.is_symlink():
        for child in where.iterdir():
            child.unlink()
        where.rmdir()
    where.unlink(missing_ok=True)
    where.parent.mkdir(parents=True, exist_ok=True)
    where.symlink_to(target)


# id, links to commit (path → target; "<sentinel>" is replaced by the sentinel dir), the path written,
# the link the error must name
ATTACKS = [
    (
        "file-to-store-config",
        {"apps/guestbook/values.yaml": "../../../../repo.git/config"},
        "apps/guestbook/values.yaml",
        "apps/guestbook/values.yaml",
    ),
    (
        "file-to-worktree-gitfile",
        {"apps/guestbook/values.yaml": "../../.git"},
        "apps/guestbook/values.yaml",
        "apps/guestbook/values.yaml",
    ),
    (
        "dir-to-store-hooks-new-file",
        {"apps/hooks": "../../../repo.git/hooks"},
        "apps/hooks/pre-commit",
        "apps/hooks",
    ),
    (
        "dir-to-outside-absolute",
        {"apps/guestbook": "<sentinel>"},
        "apps/guestbook/values.yaml",
        "apps/guestbook",
    ),
    (
        "new-file-in-dir-linked-outside",
        {"apps/linked": "<sentinel>"},
        "apps/linked/.argocd-source-guestbook.yaml",
        "apps/linked",
    ),
    (
        "chain-of-links-to-outside",
        {
            "apps/guestbook/values.yaml": "hop1",
            "apps/guestbook/hop1": "../hop2",
            "apps/hop2": "<sentinel>/values.yaml",
        },
        "apps/guestbook/values.yaml",
        "apps/guestbook/values.yaml",
    ),
    (
        "link-inside-the-repository",
        {"apps/guestbook/values.yaml": "../shop/values.yaml"},
        "apps/guestbook/values.yaml",
        "apps/guestbook/values.yaml",
    ),
    (
        "dir-link-to-worktree-root",
        {"apps/up": ".."},
        "apps/up/.git",
        "apps/up/.git",  # refused by name before any link is looked at
    ),
]


@pytest.mark.parametrize(("links", "path", "culprit"), [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
async def test_a_write_through_a_committed_link_is_refused_and_others_still_write(
    writer: GitWriter,
    new_remote: Callable[[], HostileRemote],
    auth: HttpsAuth,
    sentinel: Path,
    tmp_path: Path,
    links: dict[str, str],
    path: str,
    culprit: str,
) -> None:
    hostile, other = new_remote(), new_remote()
    await writer.write(
        repo_url=hostile.url, branch=MAIN, auth=auth, edits={"README.md": set_tag("x")}, message="warm"
    )

    def build(seed: Path) -> None:
        for name, target in links.items():
            link(seed, name, target.replace("<sentinel>", str(sentinel)))

    hostile.push_commit(build, root=tmp_path)
    store = writer.cache.repo_dir(hostile.url)
    before = (snapshot(sentinel), snapshot(store / "hooks"), (store / "config").read_bytes(), hostile.tip())

    bad, good = await asyncio.gather(
        writer.write(
            repo_url=hostile.url, branch=MAIN, auth=auth, edits={path: set_tag("6.6.6")}, message="evil"
        ),
        writer.write(
            repo_url=other.url,
            branch=MAIN,
            auth=auth,
            edits={"apps/guestbook/values.yaml": set_tag("1.1.0")},
            message="fine",
        ),
        return_exceptions=True,
    )

    assert isinstance(bad, InvalidWriteBackConfig), bad
    message = str(bad)
    assert "\n" not in message
    assert repr(path) in message
    assert f"symlink {culprit!r}" in message or "points into .git" in message
    after = (snapshot(sentinel), snapshot(store / "hooks"), (store / "config").read_bytes(), hostile.tip())
    assert after == before
    assert not isinstance(good, BaseException)
    assert other.show("apps/guestbook/values.yaml") == "image:\n  tag: 1.1.0\n"


async def test_nothing_is_read_through_a_link_for_the_commit_message(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth, sentinel: Path, tmp_path: Path
) -> None:
    remote.push_commit(
        lambda seed: link(seed, "apps/guestbook/notes.yaml", sentinel / "etc" / "secret"), root=tmp_path
    )
    seen: list[str | None] = []

    def message(read: Reader) -> str:
        seen.append(read("apps/guestbook/notes.yaml"))
        return "m"

    with pytest.raises(
        InvalidWriteBackConfig, match=r"goes through the symlink 'apps/guestbook/notes\.yaml'"
    ):
        await writer.write(
            repo_url=remote.url,
            branch=MAIN,
            auth=auth,
            edits={"apps/guestbook/values.yaml": set_tag("2.0.0")},
            message=message,
        )
    assert seen == []
    assert "TOP-SECRET" not in remote.git("log", "--format=%B", "main")


GIT_SPELLINGS = [
    ".GIT/config",
    ".Git/hooks/pre-commit",
    "apps/sub/.git/config",
    ".git./config",
    ".git /config",
    "git~1/config",
    "GIT~1/hooks/post-checkout",
    ".g\u200cit/config",
    ".git\ufeff/config",
    ".git::$INDEX_ALLOCATION/config",
]


@pytest.mark.parametrize("path", GIT_SPELLINGS, ids=[repr(p) for p in GIT_SPELLINGS])
async def test_every_spelling_of_dot_git_is_refused_before_any_git_runs(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth, path: str
) -> None:
    with pytest.raises(InvalidWriteBackConfig, match=r"points into \.git") as caught:
        await writer.write(
            repo_url=remote.url, branch=MAIN, auth=auth, edits={path: set_tag("1")}, message="x"
        )
    assert repr(path) in str(caught.value)
    assert sum(writer.trace.counts.values()) == 0


async def test_a_planner_naming_dot_git_is_refused(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth
) -> None:
    before = remote.tip()
    with pytest.raises(InvalidWriteBackConfig, match=r"points into \.git"):
        await writer.write(
            repo_url=remote.url,
            branch=MAIN,
            auth=auth,
            edits=lambda read: {"apps/.GIT/config": set_tag("1")},
            message="x",
        )
    assert remote.tip() == before


# ---- end to end: `run --once --applications-dir`, hostile Applications next to good ones ----


@dataclass(frozen=True)
class Cycle:
    host: str
    bare: Path
    repo_url: str
    root: Path

    def show(self, path: str, branch: str = "main") -> str:
        return HostileRemote(bare=self.bare, url=self.repo_url).show(path, branch)


@pytest.fixture
def cycle(tmp_path: Path) -> Iterator[Cycle]:
    with start_registry(tmp_path / "registry") as registry:
        gitops_sample.push_images(registry.url)
        root = tmp_path / "git"
        root.mkdir()
        bare = git_http.make_bare_repo(root, "manifests.git", files=gitops_sample.repo_files(registry.host))
        gitops_sample.create_env_branches(bare)
        with git_http.serve(root, credentials=(gitops_sample.GIT_USER, gitops_sample.GIT_PASSWORD)) as server:
            yield Cycle(registry.host, bare, server.url_for("manifests.git"), tmp_path)


def test_directory_mode_hostile_links_fail_their_applications_only(cycle: Cycle, sentinel: Path) -> None:
    host, url = cycle.host, cycle.repo_url
    store_config = "../../../../../../repo.git/config"  # from apps/evil/k/ in a worktree

    def build(seed: Path) -> None:
        link(seed, "apps/evil/k/kustomization.yaml", store_config)
        link(seed, "apps/evil/outside", str(sentinel))
        link(seed, "apps/evil/values.yaml", str(sentinel / "values.yaml"))

    HostileRemote(bare=cycle.bare, url=url).push_commit(build, root=cycle.root)
    apps = cycle.root / "apps"
    gitops_sample.write_applications(apps, registry=host, repo_url=url)
    hostile = {
        "evil-kustomization": ("apps/evil/k", {"write-back-target": "kustomization"}),
        "evil-outside": ("apps/evil/outside", {"write-back-target": "kustomization"}),
        "evil-argocd-source": ("apps/evil/outside", {}),
        "evil-helm": ("apps/evil", {"write-back-target": "helmvalues", "api.helm.image-tag": "image.tag"}),
    }
    for name, (path, extra) in hostile.items():
        notes = {
            "image-list": f"api={host}/org/api",
            "write-back-method": "git",
            "git-branch": "main",
            **extra,
        }
        (apps / f"{name}.yaml").write_text(
            gitops_sample.application(name, path=path, repo_url=url, annotations=notes)
        )
    gitops_sample.write_secrets(cycle.root / "secrets", repo_url=url)
    workdir = cycle.root / "work"
    before = snapshot(sentinel)

    args = ["run", "--once", "--applications-dir", str(apps), "--secrets-dir", str(cycle.root / "secrets")]
    args += ["--git-workdir", str(workdir), "--metrics-port", "0", "--health-port", "0"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)

    assert result.exit_code == 1, result.output
    output = result.output
    assert "Traceback" not in output
    kustomization = "apps/evil/k/kustomization.yaml"
    expected = {
        "evil-kustomization": f"path {kustomization!r} goes through the symlink {kustomization!r}",
        "evil-outside": "goes through the symlink 'apps/evil/outside'",
        "evil-argocd-source": "goes through the symlink 'apps/evil/outside'",  # the source-type probe
        "evil-helm": "'apps/evil/values.yaml' goes through the symlink 'apps/evil/values.yaml'",
    }
    for name, text in expected.items():
        line = next(ln for ln in output.splitlines() if f"application argocd/{name}:" in ln)
        assert f"application argocd/{name}: write-back failed: write-back path" in line
        assert text in line, line
    assert snapshot(sentinel) == before
    assert GitRepoCache(workdir).store_intact(url)  # the store's config is still the one we wrote
    # the good Applications of the same cycle, on the same branch and others, were written
    production = cycle.show("apps/api-service/overlays/production/kustomization.yaml")
    assert f"- name: {host}/org/api\n  newTag: v1.5.0\n" in production
    assert f"{host}/org/api:v1.5.0" in cycle.show(
        "apps/api/overlays/prod/.argocd-source-api-prod.yaml", "deploy/prod"
    )
