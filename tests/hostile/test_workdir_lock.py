"""One process per git workdir, and no update lost while a process reports success
(docs/security.md, "Operators"; docs/running.md, `--git-workdir`).

`writeback.workdir.hold` takes an exclusive flock on `<workdir>/.lock`: a second holder waits
(logging who holds it) and then stops with `GitWorkdirError`; a killed holder releases it at once.
End to end, real `image-updater run --once` processes share one workdir against the local
registry and the smart-HTTP git server: each exits 0 only with its update in the repository.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools import git_http, gitops_sample, oci
from devtools.registry import LocalRegistry
from image_updater.errors import GitError, GitWorkdirError
from image_updater.runtime.controller import RunSettings
from image_updater.writeback import workdir
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_repo import GitRepoCache

CLI = Path(sys.executable).with_name("image-updater")


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({"XDG_CACHE_HOME": "/c", "HOME": "/h"}, "/c/image-updater/git", id="xdg-cache-home"),
        pytest.param({"HOME": "/h"}, "/h/.cache/image-updater/git", id="home"),
        pytest.param({"XDG_CACHE_HOME": " ", "HOME": "/h"}, "/h/.cache/image-updater/git", id="blank-xdg"),
    ],
)
def test_the_default_workdir_is_per_user(
    environ: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("XDG_CACHE_HOME", "HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert RunSettings().git_workdir == Path(expected)


async def test_a_second_holder_waits_then_stops_with_one_line(tmp_path: Path) -> None:
    waits: list[str] = []
    async with workdir.hold(tmp_path / "w", wait=60, on_wait=waits.append, on_unusable=waits.append):
        with pytest.raises(GitWorkdirError) as caught:
            async with workdir.hold(tmp_path / "w", wait=0, on_wait=waits.append, on_unusable=waits.append):
                pytest.fail("two holders at once")
    assert str(caught.value) == (
        f"git workdir {tmp_path / 'w'} is in use by another image-updater process (pid {os.getpid()}); "
        "waited 0s; give each process its own --git-workdir"
    )
    assert waits == []  # no wait was asked for, so nothing was said about waiting


async def test_a_waiting_holder_gets_the_lock_when_the_first_leaves(tmp_path: Path) -> None:
    waits: list[str] = []
    asked = asyncio.Event()

    def waiting(message: str) -> None:
        waits.append(message)
        asked.set()

    async def second() -> str:
        async with workdir.hold(tmp_path, wait=60, on_wait=waiting, on_unusable=waits.append):
            return (tmp_path / ".lock").read_text()

    async with workdir.hold(tmp_path, wait=0, on_wait=waits.append, on_unusable=waits.append):
        task = asyncio.create_task(second())
        await asyncio.wait_for(asked.wait(), 30)
    assert await task == f"{os.getpid()}\n"
    assert waits == [
        f"git workdir {tmp_path} is in use by another image-updater process (pid {os.getpid()}); "
        "waiting up to 60s"
    ]


async def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    script = tmp_path / "hold.py"
    script.write_text(
        "import asyncio, pathlib, sys\nfrom image_updater.writeback import workdir\n"
        "async def main():\n"
        "    async with workdir.hold(pathlib.Path(sys.argv[1]), wait=0, on_wait=print, on_unusable=print):\n"
        "        print('held', flush=True)\n"
        "        await asyncio.sleep(3600)\n"
        "asyncio.run(main())\n"
    )
    with subprocess.Popen(
        [sys.executable, str(script), str(tmp_path / "w")], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "held\n"
        with pytest.raises(GitWorkdirError, match=f"pid {proc.pid}"):
            async with workdir.hold(tmp_path / "w", wait=0, on_wait=print, on_unusable=print):
                pass
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    async with workdir.hold(tmp_path / "w", wait=0, on_wait=pytest.fail, on_unusable=pytest.fail):
        pass


def wait_until_running_in(pid: int, directory: Path) -> None:
    """Until /proc shows `pid` as git working in `directory` (a loaded machine may lag behind)."""
    for _ in range(500):
        try:
            proc = Path(f"/proc/{pid}")
            if (
                proc.joinpath("comm").read_text().strip() == "git"
                and proc.joinpath("cwd").readlink() == directory
            ):
                return
        except OSError:
            pass
        time.sleep(0.01)
    pytest.fail(f"git (pid {pid}) never showed up working in {directory}")


async def test_git_left_running_by_a_killed_holder_is_waited_for(tmp_path: Path) -> None:
    inside = tmp_path / "w" / "0123abcd" / "repo.git"
    inside.mkdir(parents=True)
    # a git still working in a clone after its image-updater was killed (here: waiting for input)
    with subprocess.Popen(["git", "hash-object", "--stdin"], cwd=inside, stdin=subprocess.PIPE) as orphan:
        wait_until_running_in(orphan.pid, inside)
        with pytest.raises(GitWorkdirError) as caught:
            async with workdir.hold(tmp_path / "w", wait=0, on_wait=print, on_unusable=print):
                pytest.fail("the clone was touched while git still worked in it")
        assert orphan.stdin is not None
        orphan.stdin.close()
    assert str(caught.value) == (
        f"git workdir {tmp_path / 'w'} is in use by git processes an earlier image-updater left running "
        f"(pid {orphan.pid}); waited 0s; give each process its own --git-workdir"
    )
    async with workdir.hold(tmp_path / "w", wait=0, on_wait=pytest.fail, on_unusable=pytest.fail):
        pass


@pytest.mark.parametrize(
    ("mode", "owner"),
    [pytest.param(0o777, None, id="world-writable"), pytest.param(0o770, None, id="group-writable")]
    + ([pytest.param(0o700, 65534, id="another-users")] if os.geteuid() == 0 else []),
)
async def test_a_workdir_others_can_write_is_refused(tmp_path: Path, mode: int, owner: int | None) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(mode)
    if owner is not None:
        os.chown(shared, owner, owner)
    with pytest.raises(GitWorkdirError, match="belongs to another user or others may write it; refused"):
        async with workdir.hold(shared, wait=0, on_wait=print, on_unusable=print):
            pytest.fail("a shared workdir was used")
    assert not (shared / ".lock").exists()


async def test_a_lock_file_that_is_a_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").write_text("")
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / ".lock").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(GitWorkdirError, match=r"\.lock is a symbolic link; refused"):
        async with workdir.hold(tmp_path / "w", wait=0, on_wait=print, on_unusable=print):
            pass


@pytest.mark.parametrize(
    "left",
    [
        "repo.git/shallow.lock",
        "repo.git/index.lock",
        "repo.git/worktrees/t1/index.lock",
        "repo.git/refs/heads/main.lock",
    ],
)
async def test_git_lock_files_left_by_a_killed_process_are_cleared(tmp_path: Path, left: str) -> None:
    stale = tmp_path / "0123abcd" / left
    stale.parent.mkdir(parents=True)
    stale.write_text("")
    tracked = tmp_path / "0123abcd" / "trees" / "t1" / "yarn.lock"  # a checked-out file, not git's
    tracked.parent.mkdir(parents=True)
    tracked.write_text("lock: file\n")
    async with workdir.hold(tmp_path, wait=0, on_wait=pytest.fail, on_unusable=pytest.fail):
        assert not stale.exists()
    assert tracked.read_text() == "lock: file\n"


async def test_a_clone_cache_with_a_stale_shallow_lock_works_again(tmp_path: Path) -> None:
    git_http.make_bare_repo(tmp_path, "r.git", files={"f": "1\n"})
    cache = GitRepoCache(tmp_path / "work")
    with git_http.serve(tmp_path) as server:
        url = server.url_for("r.git")
        write = {"repo_url": url, "branch": TargetBranch(base="main"), "auth": None, "message": "m"}
        await GitWriter(cache=cache).write(**write, edits={"f": lambda _: "2\n"})
        (cache.repo_dir(url) / "shallow.lock").write_text("")  # what a kill -9 during a fetch leaves
        with pytest.raises(GitError, match="may have crashed in this repository earlier"):
            await GitWriter(cache=cache).write(**write, edits={"f": lambda _: "3\n"})
        async with workdir.hold(cache.workdir, wait=0, on_wait=pytest.fail, on_unusable=pytest.fail):
            result = await GitWriter(cache=cache).write(**write, edits={"f": lambda _: "3\n"})
    assert result.commit


# -- real processes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setup:
    bare: Path
    image: str
    apps: dict[str, Path]  # app name -> its own --applications-dir
    secrets: Path
    workdir: Path

    def start(self, app: str, *extra: str, cache_home: Path | None = None) -> subprocess.Popen[str]:
        """`run --once` for `app`; with `cache_home`, on the default workdir under that XDG_CACHE_HOME."""
        args = [str(CLI), "run", "--once", "--applications-dir", str(self.apps[app])]
        args += ["--secrets-dir", str(self.secrets)]
        args += ["--git-workdir", str(self.workdir)] if cache_home is None else []
        args += ["--metrics-port", "0", "--health-port", "0", *extra]
        env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)} if cache_home else None
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)

    def landed(self, app: str) -> bool:
        show = ["git", "--git-dir", str(self.bare), "show", f"main:apps/{app}/.argocd-source-{app}.yaml"]
        done = subprocess.run(show, capture_output=True, text=True, check=False)
        return f"{self.image}:1.1.0" in done.stdout


@pytest.fixture
def setup(registry: LocalRegistry, fresh_repo: str, tmp_path: Path) -> Iterator[Setup]:
    created = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    for tag in ("1.0.0", "1.1.0"):
        oci.push_image(registry.url, fresh_repo, tag, created=created)
    image = f"{registry.host}/{fresh_repo}"
    names = ("a1", "a2")
    files = {f"apps/{name}/kustomization.yaml": "resources: []\n" for name in names}
    root = tmp_path / "git"
    root.mkdir()
    bare = git_http.make_bare_repo(root, "apps.git", files=files)
    with git_http.serve(root, credentials=(gitops_sample.GIT_USER, gitops_sample.GIT_PASSWORD)) as server:
        url = server.url_for("apps.git")
        gitops_sample.write_secrets(tmp_path / "secrets", repo_url=url)
        apps = {}
        for name in names:
            apps[name] = tmp_path / f"apps-{name}"
            apps[name].mkdir()
            notes = {"image-list": f"x={image}:~1", "write-back-method": "git"}
            (apps[name] / f"{name}.yaml").write_text(
                gitops_sample.application(name, path=f"apps/{name}", repo_url=url, annotations=notes)
            )
        yield Setup(bare, image, apps, tmp_path / "secrets", tmp_path / "shared-work")


@pytest.mark.parametrize("wait", ["1m", "0"], ids=["waiting", "not-waiting"])
def test_two_processes_on_one_workdir_never_lose_an_update(setup: Setup, wait: str) -> None:
    procs = {app: setup.start(app, "--git-workdir-wait", wait) for app in ("a1", "a2")}
    outputs = {app: proc.communicate(timeout=120)[0] for app, proc in procs.items()}

    for app, proc in procs.items():
        if proc.returncode == 0:
            assert setup.landed(app), outputs[app]
        else:  # only the lock may stop it, saying so on its last line
            assert proc.returncode == 1, outputs[app]
            assert not setup.landed(app)
            last = outputs[app].strip().splitlines()[-1]
            assert last.startswith(f"error: git workdir {setup.workdir} is in use by another image-updater")
    if wait != "0":
        assert [p.returncode for p in procs.values()] == [0, 0], outputs


@pytest.mark.parametrize("default", [False, True], ids=["given-workdir", "default-workdir"])
def test_a_held_workdir_stops_run_with_a_clear_message(setup: Setup, tmp_path: Path, default: bool) -> None:
    cache_home = tmp_path / "cache" if default else None
    held = cache_home / "image-updater" / "git" if cache_home else setup.workdir
    held.mkdir(parents=True)
    fd = os.open(held / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"4242\n")
        with setup.start("a1", "--git-workdir-wait", "0", cache_home=cache_home) as proc:
            output = proc.communicate(timeout=120)[0]
    finally:
        os.close(fd)
    assert proc.returncode == 1
    assert output.strip().splitlines()[-1] == (
        f"error: git workdir {held} is in use by another image-updater process (pid 4242); "
        "waited 0s; give each process its own --git-workdir"
    )
    assert "Traceback" not in output
    assert not setup.landed("a1")


def test_a_waiting_run_proceeds_when_the_holder_leaves(setup: Setup) -> None:
    setup.workdir.mkdir()
    fd = os.open(setup.workdir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        proc = setup.start("a1", "--git-workdir-wait", "10m")
        assert proc.stdout is not None
        first = proc.stdout.readline()
    finally:
        os.close(fd)
    output = first + proc.communicate(timeout=120)[0]
    assert (
        f"git workdir {setup.workdir} is in use by another image-updater process; waiting up to 600s" in first
    )
    assert proc.returncode == 0, output
    assert setup.landed("a1")
