"""`--status-dir` files: hostile resource names stay inside the directory and never collide; writes
are atomic and replace a planted symlink instead of following it; the previous run's status is read
back only from a real, sane file."""

from __future__ import annotations

from pathlib import Path

import pytest

from image_updater.errors import ConfigError
from image_updater.sources.status_files import file_name, read_status, write_status
from image_updater.yamlsafe import YamlLimits


@pytest.mark.parametrize(
    ("namespace", "name", "expected"),
    [
        pytest.param("argocd", "web", "argocd_web.yaml", id="plain"),
        pytest.param("team-a", "web.v2", "team-a_web.v2.yaml", id="dots-in-name"),
        pytest.param("argocd", "../../etc/passwd", None, id="traversal"),
        pytest.param("..", "x", None, id="dot-dot-namespace"),
        pytest.param("argocd", ".hidden", None, id="dotfile"),
        pytest.param("argocd", "a/b", None, id="slash"),
        pytest.param("argocd", "Web", None, id="upper-case"),
        pytest.param("argocd", "x" * 5000, None, id="very-long"),
        pytest.param("argocd", "caf\u00e9\n", None, id="unicode-newline"),
    ],
)
def test_file_names(namespace: str, name: str, expected: str | None) -> None:
    found = file_name(namespace, name)
    if expected is not None:
        assert found == expected
        return
    assert "/" not in found
    assert "\\" not in found
    assert not found.startswith(".")
    assert found.endswith(".yaml")
    assert len(found) < 200
    assert found.isascii()
    assert found.isprintable()


def test_lookalike_names_do_not_share_a_file() -> None:
    names = [("argocd", "a_b"), ("argocd_a", "b"), ("argocd", "a-b"), ("argocd", "A-b"), ("argocd", "a/b")]
    assert len({file_name(ns, n) for ns, n in names}) == len(names)


def test_written_then_read_back(tmp_path: Path) -> None:
    directory = tmp_path / "status"  # created on first write
    path = write_status(directory, namespace="argocd", name="web", status={"imagesManaged": 2})
    assert path == directory / "argocd_web.yaml"
    text = path.read_text()
    assert text.startswith("apiVersion: argocd-image-updater.argoproj.io/v1alpha1\nkind: ImageUpdater\n")
    assert read_status(directory, namespace="argocd", name="web") == {"imagesManaged": 2}
    write_status(directory, namespace="argocd", name="web", status={"imagesManaged": 3})
    assert read_status(directory, namespace="argocd", name="web") == {"imagesManaged": 3}
    assert sorted(p.name for p in directory.iterdir()) == ["argocd_web.yaml"]  # no temporary left


def test_a_planted_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    directory = tmp_path / "status"
    directory.mkdir()
    (directory / "argocd_web.yaml").symlink_to(victim)
    assert read_status(directory, namespace="argocd", name="web") is None
    write_status(directory, namespace="argocd", name="web", status={"imagesManaged": 1})
    assert victim.read_text() == "keep me"
    assert not (directory / "argocd_web.yaml").is_symlink()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param("status: [unclosed", id="not-yaml"),
        pytest.param("- a list\n", id="not-a-mapping"),
        pytest.param("status: 3\n", id="status-not-a-mapping"),
        pytest.param("status: {a: " + "x" * 200 + "}\n", id="too-large"),
    ],
)
def test_an_unusable_previous_file_reads_as_none(tmp_path: Path, content: str) -> None:
    (tmp_path / "argocd_web.yaml").write_text(content)
    assert read_status(tmp_path, namespace="argocd", name="web", limits=YamlLimits(max_bytes=100)) is None


def test_an_unusable_directory_is_one_line_naming_the_file(tmp_path: Path) -> None:
    taken = tmp_path / "status"
    taken.write_text("a file where the directory should be")
    with pytest.raises(
        ConfigError, match=r"^--status-dir: cannot write .*status/argocd_web\.yaml: File exists$"
    ):
        write_status(taken, namespace="argocd", name="web", status={})
