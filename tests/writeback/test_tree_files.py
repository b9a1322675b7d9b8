"""`tree_files`: working-tree files reached without following links, on real files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from image_updater.errors import InvalidWriteBackConfig, WriteBackError
from image_updater.writeback import tree_files

GIT_NAMES = [
    ".git",
    ".GIT",
    ".Git",
    ".git.",
    ".git . ",
    "git~1",
    "GIT~1",
    ".g\u200dit",
    "\ufeff.git",
    ".git::$DATA",
]
NOT_GIT = [".github", ".gitignore", "git", ".git-x", "x.git", ".gi", "git~2"]


@pytest.mark.parametrize("name", GIT_NAMES, ids=repr)
def test_names_git_resolves_to_dot_git(name: str) -> None:
    assert tree_files.is_git_name(name)


@pytest.mark.parametrize("name", NOT_GIT)
def test_names_that_are_not_dot_git(name: str) -> None:
    assert not tree_files.is_git_name(name)


def test_read_write_remove_create_directories_and_keep_bytes(tmp_path: Path) -> None:
    assert tree_files.read_file(tmp_path, "a/b/c.yaml") is None
    tree_files.write_file(tmp_path, "a/b/c.yaml", b"x: 1\r\n")
    assert (tmp_path / "a" / "b" / "c.yaml").read_bytes() == b"x: 1\r\n"
    assert tree_files.read_file(tmp_path, "a/b/c.yaml") == b"x: 1\r\n"
    tree_files.remove_file(tmp_path, "a/b/c.yaml")
    tree_files.remove_file(tmp_path, "a/b/c.yaml")  # absent: nothing to do
    assert not (tmp_path / "a" / "b" / "c.yaml").exists()


def test_a_file_in_place_of_a_directory_reads_as_absent_and_is_not_written_through(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("plain\n")
    assert tree_files.read_file(tmp_path, "a/b.yaml") is None
    with pytest.raises(InvalidWriteBackConfig, match="'a' is not a directory"):
        tree_files.write_file(tmp_path, "a/b.yaml", b"x")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _hard_link(path: Path) -> None:
    (path.parent / "other").write_text("shared\n")
    os.link(path.parent / "other", path)


def _directory(path: Path) -> None:
    path.mkdir()


REFUSED: list[tuple[str, Callable[[Path], None], type[Exception], str]] = [
    ("fifo", _fifo, InvalidWriteBackConfig, "not a file"),
    ("hard-link", _hard_link, InvalidWriteBackConfig, "hard link"),
    ("directory", _directory, InvalidWriteBackConfig, "not a file"),
    ("dangling-link", lambda p: p.symlink_to("nowhere"), InvalidWriteBackConfig, "symlink 'f'"),
    ("link-to-file", lambda p: p.symlink_to("/etc/hostname"), InvalidWriteBackConfig, "symlink 'f'"),
]


@pytest.mark.parametrize(("make", "error", "text"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_anything_but_a_plain_file_is_refused_for_every_operation(
    tmp_path: Path, make: Callable[[Path], None], error: type[Exception], text: str
) -> None:
    make(tmp_path / "f")
    for operation in (
        lambda: tree_files.read_file(tmp_path, "f"),
        lambda: tree_files.write_file(tmp_path, "f", b"x"),
        lambda: tree_files.remove_file(tmp_path, "f"),
    ):
        with pytest.raises(error, match=text):
            operation()
    assert (tmp_path / "f").is_symlink() or (tmp_path / "f").exists()


def test_the_tree_itself_being_a_link_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "tree").symlink_to(tmp_path / "real")
    with pytest.raises(InvalidWriteBackConfig, match="symlink"):
        tree_files.write_file(tmp_path / "tree", "f.yaml", b"x")
    assert list((tmp_path / "real").iterdir()) == []


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(b"x" * 101)
    with pytest.raises(WriteBackError, match="larger than 100 bytes"):
        tree_files.read_file(tmp_path, "big.yaml", max_bytes=100)
    assert tree_files.read_file(tmp_path, "big.yaml", max_bytes=101) == b"x" * 101
