"""Edits applied in a working tree (pure file I/O), merging per-Application edits, and git timeouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from image_updater.errors import GitError, InvalidWriteBackConfig, WriteBackError
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_edits import Edit, apply_edits, chain_edits, merge_edits, reader
from image_updater.writeback.git_repo import GitRepoCache
from image_updater.yamlsafe import DEFAULT_LIMITS


def append(line: str) -> Edit:
    return lambda text: (text or "") + line + "\n"


def test_merge_chains_edits_of_the_same_path_in_order(tmp_path: Path) -> None:
    merged = merge_edits([{"a.yaml": append("one")}, {"a.yaml": append("two"), "b.yaml": append("b")}])
    assert sorted(merged) == ["a.yaml", "b.yaml"]
    assert apply_edits(tmp_path, merged) == ["a.yaml", "b.yaml"]
    assert (tmp_path / "a.yaml").read_text() == "one\ntwo\n"
    assert chain_edits(append("x"), lambda text: None)("") is None


CASES = [
    ("create", None, append("new"), "new\n", ["f"]),
    ("unchanged", "same\n", lambda text: text, "same\n", []),
    ("delete", "old\n", lambda text: None, None, ["f"]),
    ("crlf-kept", "a\r\nb\r\n", lambda text: text.replace("b", "c"), "a\r\nc\r\n", ["f"]),
]


@pytest.mark.parametrize(
    ("before", "edit", "after", "changed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_apply_edits(
    tmp_path: Path, before: str | None, edit: Edit, after: str | None, changed: list[str]
) -> None:
    if before is not None:
        (tmp_path / "f").write_bytes(before.encode())
    assert apply_edits(tmp_path, {"f": edit}) == changed
    assert ((tmp_path / "f").read_bytes().decode() if (tmp_path / "f").exists() else None) == after


def test_directory_and_binary_targets_are_refused(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InvalidWriteBackConfig, match="not a file"):
        apply_edits(tmp_path, {"dir": append("x")})
    with pytest.raises(WriteBackError, match="not UTF-8"):
        apply_edits(tmp_path, {"bin": append("x")})


async def test_a_git_command_that_hangs_times_out_and_is_reaped(tmp_path: Path) -> None:
    writer = GitWriter(cache=GitRepoCache(tmp_path / "cache"), timeout=0.001)
    with pytest.raises(GitError, match="timed out"):
        await writer.write(
            repo_url="http://127.0.0.1:9/none.git",
            branch=TargetBranch(base="main"),
            auth=None,
            edits={},
            message="m",
        )


def test_a_file_over_the_yaml_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    with (tmp_path / "values.yaml").open("wb") as sparse:  # a hole: nothing is written to disk
        sparse.truncate(DEFAULT_LIMITS.max_bytes + 1)
    with pytest.raises(WriteBackError, match=r"^write-back path 'values\.yaml' is larger than \d+ bytes$"):
        reader(tmp_path)("values.yaml")
