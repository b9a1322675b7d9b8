"""An SSH private key is never left on disk, whatever ends the process (docs/security.md, "Secret owners").

A driver process (`ssh_write_loop.py`) pushes over SSH to the devtools sshd in a loop and is
killed with SIGKILL at several points: while ssh is connected, while git runs, right after a push,
and at fixed delays. Afterwards no file under the git workdir or the driver's $TMPDIR holds any
line of the key's base64 body, and the next process writes through the same workdir (the git lock
files the kill left are cleared when it takes the workdir's lock). The key lives in a memfd (see
`writeback.git_auth`), which the kernel frees with the last process holding it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools import git_http, git_ssh

DRIVER = Path(__file__).with_name("ssh_write_loop.py")
BOUND = 60.0  # a safety bound for waiting on the driver, not a timing assertion


def _group(pgid: int) -> list[tuple[int, str]]:
    """(pid, command name) of the live processes in process group `pgid`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append((int(entry.name), name))
    return found


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():
        assert time.monotonic() < deadline, "the driver never reached the point to kill it at"
        time.sleep(0.005)


def _running(proc: subprocess.Popen[str], name: str) -> Callable[[], bool]:
    return lambda: any(n == name for _, n in _group(proc.pid))


def _after_round(proc: subprocess.Popen[str]) -> Callable[[], bool]:
    assert proc.stdout is not None
    return lambda: proc.stdout is not None and proc.stdout.readline().startswith("round")


def _after(seconds: float) -> Callable[[subprocess.Popen[str]], Callable[[], bool]]:
    def moment(proc: subprocess.Popen[str]) -> Callable[[], bool]:
        start = time.monotonic()
        return lambda: time.monotonic() - start >= seconds

    return moment


MOMENTS: dict[str, Callable[[subprocess.Popen[str]], Callable[[], bool]]] = {
    "while-ssh-runs": lambda proc: _running(proc, "ssh"),
    "while-git-runs": lambda proc: _running(proc, "git"),
    "right-after-a-push": _after_round,
    "after-0.2s": _after(0.2),
    "after-0.7s": _after(0.7),
    "after-1.5s": _after(1.5),
}


def _holders(roots: list[Path], needles: list[bytes]) -> list[Path]:
    """Regular files under `roots` that contain any of `needles`."""
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file() and not path.is_symlink():
                data = path.read_bytes()
                if any(needle in data for needle in needles):
                    found.append(path)
    return found


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[git_ssh.GitSshServer]:
    with git_ssh.serve(tmp_path_factory.mktemp("sshd")) as running:
        yield running


@pytest.mark.parametrize("moment", list(MOMENTS), ids=list(MOMENTS))
def test_no_key_is_left_after_kill_9(server: git_ssh.GitSshServer, tmp_path: Path, moment: str) -> None:
    bare = git_http.make_bare_repo(tmp_path, "r.git", files={"counter.txt": "start\n"})
    secrets, workdir, tmpdir = tmp_path / "secrets", tmp_path / "work", tmp_path / "tmp"
    for folder in (secrets, workdir, tmpdir):
        folder.mkdir()
    (secrets / "key").write_bytes(server.user_key)
    (secrets / "known_hosts").write_text(server.known_hosts)
    args = [sys.executable, str(DRIVER), server.url_for(bare), str(secrets / "key")]
    args += [str(secrets / "known_hosts"), str(workdir)]
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    with subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
            _until(MOMENTS[moment](proc))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(BOUND)
        finally:
            if _group(proc.pid):  # the git/ssh it left orphaned, as a node crash would take them too
                os.killpg(proc.pid, signal.SIGKILL)
    _until(lambda: not _group(proc.pid))

    body = [line.encode() for line in server.user_key.decode().splitlines() if "-----" not in line]
    assert body
    assert _holders([workdir, tmpdir], body) == []
    assert any(workdir.iterdir())  # the driver did get to work in it
    # and the clone cache it left is still usable: git's own lock files from the kill are cleared
    again = subprocess.run([*args, "1"], env=env, capture_output=True, text=True, timeout=BOUND, check=False)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == "round 0"
