"""Files of a working tree, reached without ever following a link.

Repository content is hostile: a committed symlink could point at `.git/config` (and the next git
command would obey what we wrote there) or anywhere on the host. So a repository-relative path is
walked one component at a time from a descriptor of the tree's root: every directory is opened
with `O_NOFOLLOW | O_DIRECTORY` relative to its parent's descriptor, and the file itself with
`O_NOFOLLOW`, after an `lstat` that names the culprit. A link swapped in between the `lstat` and
the `open` makes the `open` fail, so the check cannot be raced.

Refused, with `InvalidWriteBackConfig` naming the path: a symlink as any component (the tree's root
included), a component git would take for `.git` (see `is_git_name`), and a file that is not a
regular file with a single link. An absent file reads as None; a write creates the missing
directories, each one a real directory. Text is bytes here; `git_edits` decodes it.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from image_updater.errors import InvalidWriteBackConfig, WriteBackError

T = TypeVar("T")
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # a FIFO swapped in must not block us
# Code points HFS+ ignores when comparing names, so `.g\u200cit` is `.git` there (git's is_hfs_dotgit).
_HFS_IGNORED = frozenset(
    "\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u206a\u206b\u206c\u206d\u206e\u206f\ufeff"
)


def is_git_name(name: str) -> bool:
    """True for any spelling some filesystem or git itself resolves to `.git`: any case, trailing
    dots or spaces and an NTFS stream suffix (`.git. `, `.git::$INDEX_ALLOCATION`), the 8.3 short
    name `git~1`, and HFS-ignored code points."""
    folded = "".join(c for c in name if c not in _HFS_IGNORED).split(":")[0].rstrip(". ").lower()
    return folded in (".git", "git~1")


def read_file(tree: Path, path: str, *, max_bytes: int | None = None) -> bytes | None:
    """The bytes of `path` in `tree`; None when it (or a directory on the way) does not exist.
    A file larger than `max_bytes` is refused before it is read."""
    *dirs, name = _parts(path)
    fd = _open_dirs(tree, dirs, path, create=False)
    if fd is None:
        return None
    try:
        if _file_stat(fd, name, path) is None:
            return None
        with os.fdopen(_open_file(fd, name, path, os.O_RDONLY), "rb") as file:
            if max_bytes is not None and os.fstat(file.fileno()).st_size > max_bytes:
                raise WriteBackError(f"write-back path {path!r} is larger than {max_bytes} bytes")
            return file.read()
    finally:
        os.close(fd)


def write_file(tree: Path, path: str, data: bytes) -> None:
    """Replace (or create) `path` in `tree` with `data`, creating missing directories."""
    *dirs, name = _parts(path)
    fd = _open_dirs(tree, dirs, path, create=True)
    assert fd is not None  # create=True never answers "absent"
    try:
        _file_stat(fd, name, path)
        with os.fdopen(_open_file(fd, name, path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), "wb") as file:
            file.write(data)
    finally:
        os.close(fd)


def remove_file(tree: Path, path: str) -> None:
    """Delete `path` from `tree` when it exists (only a regular file, never what a link names)."""
    *dirs, name = _parts(path)
    fd = _open_dirs(tree, dirs, path, create=False)
    if fd is None:
        return
    try:
        if _file_stat(fd, name, path) is not None:
            _os_call(path, path, os.unlink, name, dir_fd=fd)
    finally:
        os.close(fd)


def _parts(path: str) -> list[str]:
    parts = list(PurePosixPath(path).parts)
    bad = next((p for p in parts if is_git_name(p)), None)
    if bad is not None:
        raise InvalidWriteBackConfig(f"write-back path {path!r} points into .git ({bad!r})")
    return parts


def _open_dirs(tree: Path, dirs: list[str], path: str, *, create: bool) -> int | None:
    """A descriptor of the directory holding `path`'s file; None when absent and not `create`."""
    if tree.is_symlink():  # O_NOFOLLOW | O_DIRECTORY on a link says ENOTDIR: name the culprit first
        raise _through_link(path, str(tree))
    fd = _os_call(path, str(tree), os.open, str(tree), _DIR_FLAGS)
    try:
        for depth, name in enumerate(dirs):
            where = "/".join(dirs[: depth + 1])
            info = _lstat(fd, name, path)
            if info is not None and stat.S_ISLNK(info.st_mode):
                raise _through_link(path, where)
            if info is not None and not stat.S_ISDIR(info.st_mode) and create:
                raise InvalidWriteBackConfig(f"write-back path {path!r}: {where!r} is not a directory")
            if info is None or not stat.S_ISDIR(info.st_mode):
                if not create:  # a missing directory (or a file in its place): the file is absent
                    os.close(fd)
                    return None
                _os_call(path, where, os.mkdir, name, 0o755, dir_fd=fd)
            child = _os_call(path, where, os.open, name, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _file_stat(fd: int, name: str, path: str) -> os.stat_result | None:
    """The file's own `lstat` (None when absent), refusing links and anything but a plain file."""
    info = _lstat(fd, name, path)
    if info is None:
        return None
    if stat.S_ISLNK(info.st_mode):
        raise _through_link(path, path)
    if not stat.S_ISREG(info.st_mode):
        raise InvalidWriteBackConfig(f"write-back path {path!r} exists in the repository but is not a file")
    if info.st_nlink != 1:  # git never checks out hard links; one here is shared with another file
        raise InvalidWriteBackConfig(f"write-back path {path!r} is a hard link; refusing to touch it")
    return info


def _open_file(fd: int, name: str, path: str, flags: int) -> int:
    file = _os_call(path, path, os.open, name, flags | _FILE_FLAGS, 0o644, dir_fd=fd)
    if not stat.S_ISREG(os.fstat(file).st_mode):  # replaced since the lstat
        os.close(file)
        raise InvalidWriteBackConfig(f"write-back path {path!r} exists in the repository but is not a file")
    return file


def _lstat(fd: int, name: str, path: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise WriteBackError(f"write-back path {path!r}: {err.strerror or err}") from err


def _os_call(path: str, where: str, call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`call(*args, **kwargs)`, its OSError a one-line error about `path` (ELOOP: a link at `where`)."""
    try:
        return call(*args, **kwargs)
    except OSError as err:
        if err.errno == errno.ELOOP:  # O_NOFOLLOW met a link, perhaps swapped in since the lstat
            raise _through_link(path, where) from err
        raise WriteBackError(f"write-back path {path!r}: {err.strerror or err}") from err


def _through_link(path: str, link: str) -> InvalidWriteBackConfig:
    return InvalidWriteBackConfig(
        f"write-back path {path!r} goes through the symlink {link!r}; write-back never follows links "
        "(one could lead out of the repository or into .git)"
    )
