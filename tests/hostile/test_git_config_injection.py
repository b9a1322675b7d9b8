"""Git configuration, hooks and arguments that would run a command or send data elsewhere
(docs/security.md, "Repository writers" and "Application annotators").

Three layers, each tested on its own: the store's `config` must be byte for byte the one we wrote
(`GitRepoCache.store_intact`), so injected settings make the store be re-created before any git
command reads them; every command pins the settings that run programs (`git_cli._PINNED`), so
hooks planted in the store and settings in a global config stay inert; a repository URL or branch
that git could read as an option or a forbidden transport is refused before git runs. Each test
asserts the marker file the injected command would create never appears.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from image_updater.errors import InvalidWriteBackConfig
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from tests.hostile.conftest import Cycle, HostileRemote

MAIN = TargetBranch(base="main")
HOOKS = (
    "pre-commit",
    "post-commit",
    "post-checkout",
    "pre-push",
    "reference-transaction",
    "post-index-change",
)


def set_tag(tag: str) -> dict[str, Callable[[str | None], str]]:
    return {"apps/guestbook/values.yaml": lambda text: f"image:\n  tag: {tag}\n"}


@pytest.fixture
def evil(tmp_path: Path, marker: Path) -> Path:
    """An executable that records that it ran."""
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\necho ran >> '{marker}'\ncat\n")
    script.chmod(0o755)
    return script


def hooks_dir(root: Path, evil: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for hook in HOOKS:
        (root / hook).symlink_to(evil)
    return root


# id, text appended to the store's config (EVIL = the script, HOOKS = a hooks dir, DECOY = another remote)
INJECTED = [
    ("fsmonitor", "[core]\n\tfsmonitor = EVIL\n"),
    ("hooks-path", "[core]\n\thooksPath = HOOKS\n"),
    ("filter-driver", '[filter "evil"]\n\tclean = EVIL\n\tsmudge = EVIL\n\trequired = true\n'),
    ("textconv-driver", '[diff "evil"]\n\ttextconv = EVIL\n'),
    ("include", "[include]\n\tpath = INCLUDED\n"),
    ("include-if", '[includeIf "gitdir:/"]\n\tpath = INCLUDED\n'),
    ("credential-helper", "[credential]\n\thelper = !EVIL\n"),
    ("worktree-config", "[extensions]\n\tworktreeConfig = true\n"),
    ("insteadof-elsewhere", '[url "DECOY"]\n\tinsteadOf = URL\n\tpushInsteadOf = URL\n'),
    ("origin-elsewhere", '[remote "origin"]\n\turl = DECOY\n'),
]


@pytest.mark.parametrize("config", [c[1] for c in INJECTED], ids=[c[0] for c in INJECTED])
async def test_config_that_reached_the_store_never_runs_and_the_store_is_remade(
    writer: GitWriter,
    new_remote: Callable[[], HostileRemote],
    auth: HttpsAuth,
    evil: Path,
    marker: Path,
    tmp_path: Path,
    config: str,
) -> None:
    remote, decoy = new_remote(), new_remote()
    remote.push_commit(
        lambda seed: (seed / ".gitattributes").write_text("* filter=evil diff=evil\n"), root=tmp_path
    )
    await writer.write(repo_url=remote.url, branch=MAIN, auth=auth, edits=set_tag("1.1.0"), message="warm")
    store = writer.cache.repo_dir(remote.url)
    (tmp_path / "included").write_text(f"[core]\n\tfsmonitor = {evil}\n")
    for admin in (store / "worktrees").iterdir():
        (admin / "config.worktree").write_text(f"[core]\n\tfsmonitor = {evil}\n\thooksPath = {tmp_path}/h\n")
    hooks_dir(tmp_path / "h", evil)
    text = config.replace("EVIL", str(evil)).replace("HOOKS", str(tmp_path / "h"))
    text = text.replace("INCLUDED", str(tmp_path / "included")).replace("DECOY", decoy.url)
    with (store / "config").open("a") as file:
        file.write(text.replace("URL", remote.url))
    decoy_tip = decoy.tip()

    result = await writer.write(
        repo_url=remote.url, branch=MAIN, auth=auth, edits=set_tag("1.2.0"), message="m"
    )

    assert result.commit == remote.tip()
    assert remote.show("apps/guestbook/values.yaml") == "image:\n  tag: 1.2.0\n"
    assert not marker.exists()
    assert decoy.tip() == decoy_tip
    assert writer.trace.counts["init"] == 2  # the store was re-created, not used
    assert writer.cache.store_intact(remote.url)


async def test_hooks_planted_in_the_store_never_run(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth, evil: Path, marker: Path
) -> None:
    await writer.write(repo_url=remote.url, branch=MAIN, auth=auth, edits=set_tag("1.1.0"), message="warm")
    store = writer.cache.repo_dir(remote.url)
    hooks_dir(store / "hooks", evil)  # no config changed: only the pinned core.hooksPath stops these
    for admin in (store / "worktrees").iterdir():
        hooks_dir(admin / "hooks", evil)
    result = await writer.write(
        repo_url=remote.url, branch=MAIN, auth=auth, edits=set_tag("1.2.0"), message="m"
    )
    assert result.commit == remote.tip()
    assert not marker.exists()
    assert writer.trace.counts["init"] == 1


async def test_the_hosts_global_config_is_ignored(
    writer: GitWriter,
    remote: HostileRemote,
    auth: HttpsAuth,
    evil: Path,
    marker: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "home"
    hooks_dir(home / "hooks", evil)
    global_config = (
        f"[core]\n\tfsmonitor = {evil}\n\thooksPath = {home / 'hooks'}\n\tattributesFile = {home / 'attrs'}\n"
        f'[filter "evil"]\n\tclean = {evil}\n\tsmudge = {evil}\n[url "http://127.0.0.1:9/"]\n\tinsteadOf = http://\n'
    )
    (home / ".gitconfig").write_text(global_config)
    (home / ".config" / "git").mkdir(parents=True)
    (home / ".config" / "git" / "config").write_text(global_config)
    (home / "attrs").write_text("* filter=evil\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    result = await writer.write(
        repo_url=remote.url, branch=MAIN, auth=auth, edits=set_tag("3.0.0"), message="m"
    )
    assert result.commit == remote.tip()
    assert not marker.exists()


BAD_URLS = [
    ("option", "-oProxyCommand=EVIL"),
    ("upload-pack-option", "--upload-pack=EVIL"),
    ("ssh-host-option", "ssh://-oProxyCommand=EVIL/repo.git"),
    ("scp-user-option", "-x@127.0.0.1:repo.git"),
    ("ext-transport", "ext::sh -c EVIL"),
    ("local-path", "BARE"),
    ("git-protocol", "git://127.0.0.1/repo.git"),
    ("newline", "http://127.0.0.1/repo.git\n--upload-pack=EVIL"),
]


@pytest.mark.parametrize("url", [u[1] for u in BAD_URLS], ids=[u[0] for u in BAD_URLS])
async def test_a_url_git_could_read_as_an_option_or_a_forbidden_transport_is_refused(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth, evil: Path, marker: Path, url: str
) -> None:
    url = url.replace("EVIL", str(evil)).replace("BARE", str(remote.bare))
    before = remote.tip()
    with pytest.raises(InvalidWriteBackConfig, match="git repository URL") as caught:
        await writer.write(repo_url=url, branch=MAIN, auth=auth, edits=set_tag("9.9.9"), message="x")
    assert "\n" not in str(caught.value)
    assert sum(writer.trace.counts.values()) == 0
    assert not marker.exists()
    assert remote.tip() == before


@pytest.mark.parametrize(
    "branch",
    [
        TargetBranch(base="--upload-pack=EVIL"),
        TargetBranch(base="main", write="-f"),
        TargetBranch(base="a b"),
    ],
    ids=["base-option", "write-option", "space"],
)
async def test_a_branch_git_could_read_as_an_option_is_refused(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth, evil: Path, marker: Path, branch: TargetBranch
) -> None:
    branch = TargetBranch(base=branch.base.replace("EVIL", str(evil)), write=branch.write)
    with pytest.raises(InvalidWriteBackConfig, match="not a valid git branch name"):
        await writer.write(repo_url=remote.url, branch=branch, auth=auth, edits=set_tag("9.9.9"), message="x")
    assert sum(writer.trace.counts.values()) == 0
    assert not marker.exists()
    assert os.listdir(writer.cache.workdir) == [] if writer.cache.workdir.exists() else True


def test_directory_mode_option_like_annotations_fail_their_applications_only(
    cycle: Cycle, evil: Path, marker: Path
) -> None:
    base = {"image-list": f"api={cycle.host}/org/api", "write-back-method": "git", "git-branch": "main"}
    hostile = {
        "evil-url-option": {**base, "git-repository": f"--upload-pack={evil}"},
        "evil-ssh-host": {**base, "git-repository": f"ssh://-oProxyCommand={evil}/x"},
        "evil-ext-transport": {**base, "git-repository": f"ext::sh -c {evil}"},
        "evil-branch": {**base, "git-branch": f"--upload-pack={evil}"},
        "evil-write-branch": {**base, "git-branch": "main:-f"},
    }
    apps = cycle.applications({name: ("apps/api/overlays/dev", notes) for name, notes in hostile.items()})

    result = cycle.run(apps, cycle.root / "work")

    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    for name in hostile:
        line = next(ln for ln in result.output.splitlines() if f"application argocd/{name}:" in ln)
        assert "git repository URL" in line or "is not a valid git branch name" in line, line
    assert not marker.exists()
    cycle.assert_good_applications_written()


async def test_every_git_command_carries_the_pins(
    writer: GitWriter, remote: HostileRemote, auth: HttpsAuth
) -> None:
    await writer.write(
        repo_url=remote.url,
        branch=TargetBranch(base="HEAD", write="image-updater-x"),
        auth=auth,
        edits=set_tag("4.0.0"),
        message="m",
    )
    pins = (
        "core.hooksPath=/dev/null",
        "core.fsmonitor=false",
        "protocol.allow=never",
        "http.followRedirects=false",
    )
    assert len(writer.trace.argv) > 8  # init, remote, ls-remote, fetch, worktree, commit, push, ...
    for argv in writer.trace.argv:
        assert all(pin in argv for pin in pins), argv
