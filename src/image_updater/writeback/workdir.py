"""The git workdir: one process at a time uses it (its default, per user, is the runtime's).

`hold` takes an exclusive `flock` on `<workdir>/.lock` for as long as the process runs. The lock
is the kernel's: it goes with the process however it ends (kill -9 included), so it is never
stale, and git children do not inherit it. A second process on the same workdir waits for it up
to a bound, logging once who holds it, then stops with `GitWorkdirError`: it never writes beside
the holder (which would lose updates) and never reports success without having written. It also
waits, the same way, for git (and ssh) processes still working inside the workdir, which a killed
holder leaves behind (Linux `/proc`: the current directory of each process it may inspect).

Once it holds the lock, and before any git runs, it removes the lock files git left behind in the
clone stores when a previous process was killed mid-command (they would fail every later command
in that clone). A workdir of another user, or one others may write, is refused
(`GitWorkdirError`): whoever can write the clones can plant what the next git reads. A workdir
that cannot be created is not locked: every git write then fails with the clone cache's "not
usable" error, Application by Application, as before; nothing else stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from image_updater.errors import GitWorkdirError

LOCK_FILE = ".lock"
POLL = 0.2  # seconds between attempts while another process holds the lock


@contextlib.asynccontextmanager
async def hold(
    workdir: Path, *, wait: float, on_wait: Callable[[str], None], on_unusable: Callable[[str], None]
) -> AsyncIterator[None]:
    """Hold the workdir's lock while the block runs; `GitWorkdirError` if another process still
    holds it after `wait` seconds.

    `on_wait` gets a one-line message when the lock is held by another process; `on_unusable`
    when the workdir cannot be created (the block then runs without a lock).
    """
    try:
        fd = _open_lock(workdir)
    except OSError as err:
        if err.errno == errno.ELOOP:  # a planted link must not make us write (or lock) elsewhere
            raise GitWorkdirError(f"git workdir {workdir}: {LOCK_FILE} is a symbolic link; refused") from err
        on_unusable(f"git workdir {workdir} is not usable ({err.strerror or err}); git write-back will fail")
        yield
        return
    try:
        await _acquire(fd, workdir, wait=wait, on_wait=on_wait)
        _remove_stale_git_locks(workdir)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # who holds it, for the next one's message
        yield
    finally:
        os.close(fd)  # releases the lock


def _open_lock(workdir: Path) -> int:
    workdir.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = workdir.stat()
    if info.st_uid != os.geteuid() or info.st_mode & 0o022:
        # whoever can write the clones can plant config and objects that the next git reads
        raise GitWorkdirError(
            f"git workdir {workdir} belongs to another user or others may write it; refused "
            "(use a directory of your own, mode 0700)"
        )
    return os.open(workdir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)


async def _acquire(fd: int, workdir: Path, *, wait: float, on_wait: Callable[[str], None]) -> None:
    deadline = time.monotonic() + wait
    warned = False
    while (who := _busy(fd, workdir)) is not None:
        if time.monotonic() >= deadline:
            raise GitWorkdirError(
                f"git workdir {workdir} is in use by {who}; waited {wait:g}s; "
                "give each process its own --git-workdir"
            )
        if not warned:
            on_wait(f"git workdir {workdir} is in use by {who}; waiting up to {wait:g}s")
            warned = True
        await asyncio.sleep(min(POLL, max(0.0, deadline - time.monotonic())))


def _busy(fd: int, workdir: Path) -> str | None:
    """Who keeps the workdir busy; None once we hold its lock and no git works in it any more.

    The lock goes with its process, but git commands a killed process started live on for a
    while (a push finishing): they must be gone before we touch the clones they work in.
    """
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # again once held: a no-op
    except BlockingIOError:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        return "another image-updater process" + (f" (pid {text})" if text.isdigit() else "")
    left = _git_inside(workdir)
    return f"git processes an earlier image-updater left running (pid {', '.join(left)})" if left else None


def _git_inside(workdir: Path) -> list[str]:
    """Pids of git and ssh processes (of any parent) whose current directory is inside `workdir`."""
    root = workdir.resolve()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            name = (proc / "comm").read_text().strip()
            cwd = (proc / "cwd").readlink() if name.startswith("git") or name == "ssh" else None
        except OSError:  # not a process, gone, or not ours to look at
            continue
        if cwd is not None and (cwd == root or root in cwd.parents):
            found.append(proc.name)
    return sorted(found, key=int)


def _remove_stale_git_locks(workdir: Path) -> None:
    """Remove the `*.lock` files git left in the clone stores (`<key>/repo.git`, see `git_repo`).

    A git killed mid-command leaves one (`shallow.lock` after a fetch, `index.lock` after an add)
    and every later command in that clone fails on it, for good. We hold the workdir's lock and
    have not started git yet, so each one found is stale. Bare stores hold no checked-out files,
    so every `*.lock` in them is git's own.
    """
    for store in workdir.glob("*/repo.git"):
        for folder, _, names in os.walk(store):  # never follows links
            for name in names:
                if name.endswith(".lock"):
                    (Path(folder) / name).unlink()
