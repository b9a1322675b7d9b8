"""The Dockerfile, checked statically (no container engine here): stages, COPY sources and the
.dockerignore allow-list, the entrypoint's console script and subcommand, the non-root user, a
read-only-root-friendly environment, and ports that match the CLI's defaults."""

from __future__ import annotations

import fnmatch
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from image_updater.cli.main import cli
from image_updater.cli.run_command import run_command

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class Instruction:
    stage: str
    keyword: str
    arguments: str


def parse(text: str) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped, each tagged with its stage."""
    joined = re.sub(
        r"\\\n", " ", "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    )
    instructions, stage = [], ""
    for line in filter(str.strip, joined.splitlines()):
        keyword, _, arguments = line.strip().partition(" ")
        if keyword.upper() == "FROM":
            words = arguments.split()
            stage = words[2] if len(words) == 3 and words[1].upper() == "AS" else str(len(instructions))
        instructions.append(Instruction(stage, keyword.upper(), arguments.strip()))
    return instructions


INSTRUCTIONS = parse((ROOT / "Dockerfile").read_text())
STAGES = [i.stage for i in INSTRUCTIONS if i.keyword == "FROM"]
FINAL = [i for i in INSTRUCTIONS if i.stage == STAGES[-1]]


def final(keyword: str) -> list[str]:
    return [i.arguments for i in FINAL if i.keyword == keyword]


def copy_parts(arguments: str) -> tuple[dict[str, str], list[str], str]:
    """(flags, sources, destination) of a COPY instruction."""
    words = arguments.split()
    flags = dict(w[2:].partition("=")[::2] for w in words if w.startswith("--"))
    paths = [w for w in words if not w.startswith("--")]
    return flags, paths[:-1], paths[-1]


def ignored(path: str) -> bool:
    """Docker's .dockerignore rule: the last pattern matching the path or one of its parents wins."""
    patterns = [
        ln.strip() for ln in (ROOT / ".dockerignore").read_text().splitlines() if ln.strip() and ln[0] != "#"
    ]
    parts = Path(path).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    verdict = False
    for pattern in patterns:
        negated, glob = pattern.startswith("!"), pattern.lstrip("!").rstrip("/")
        if any(
            fnmatch.fnmatchcase(c, glob) or fnmatch.fnmatchcase(c, glob.removeprefix("**/"))
            for c in candidates
        ):
            verdict = not negated
    return verdict


COPIES = [copy_parts(i.arguments) for i in INSTRUCTIONS if i.keyword == "COPY"]
CONTEXT_SOURCES = sorted({s for flags, sources, _ in COPIES if "from" not in flags for s in sources})


def test_stages_are_named_and_final_stage_is_python_slim() -> None:
    assert len(STAGES) >= 2
    assert len(set(STAGES)) == len(STAGES)
    assert final("FROM")[0].split()[0].startswith("python:3.11-slim")


@pytest.mark.parametrize("source", CONTEXT_SOURCES)
def test_copy_sources_exist_and_are_in_the_build_context(source: str) -> None:
    assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
    assert not ignored(source), f"COPY {source}: excluded by .dockerignore"


def test_every_source_file_is_in_the_build_context() -> None:
    for path in (ROOT / "src").rglob("*.py"):
        assert not ignored(str(path.relative_to(ROOT))), path


def test_copy_from_names_an_earlier_stage() -> None:
    for instruction in INSTRUCTIONS:
        if instruction.keyword != "COPY":
            continue
        flags, _, _ = copy_parts(instruction.arguments)
        if "from" in flags:
            assert flags["from"] in STAGES[: STAGES.index(instruction.stage)]


def test_runtime_copies_only_from_the_builder() -> None:
    copies = [copy_parts(arguments) for arguments in final("COPY")]
    assert copies
    assert all("from" in flags for flags, _, _ in copies)


def test_entrypoint_is_a_declared_console_script_and_cmd_a_subcommand() -> None:
    (entrypoint,) = final("ENTRYPOINT")
    (cmd,) = final("CMD")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert json.loads(entrypoint) == ["image-updater"]
    assert "image-updater" in scripts
    assert json.loads(cmd) == ["run"]
    assert "run" in cli.commands


def test_console_scripts_are_on_path() -> None:
    (env,) = [a for a in final("ENV") if "PATH=" in a]
    builder_env = " ".join(i.arguments for i in INSTRUCTIONS if i.keyword == "ENV" and i.stage != STAGES[-1])
    venv = re.search(r"UV_PROJECT_ENVIRONMENT=(\S+)", builder_env)
    assert venv
    assert f"PATH={venv[1]}/bin:" in env
    copied = [
        sources for flags, sources, _ in map(copy_parts, final("COPY")) if flags.get("from") == STAGES[0]
    ]
    assert [venv[1]] in copied


def test_runs_as_non_root() -> None:
    (user,) = final("USER")
    assert user.split(":")[0] not in ("root", "0")
    assert user.split(":")[0] == "1000"
    assert any("useradd" in run and "--uid 1000" in run for run in final("RUN"))


def test_home_and_tmpdir_are_under_tmp_for_a_read_only_root() -> None:
    env = " ".join(final("ENV"))
    assert re.search(r"\bHOME=/tmp\b", env)
    assert re.search(r"\bTMPDIR=/tmp\b", env)
    assert "PYTHONDONTWRITEBYTECODE=1" in env


def test_git_and_ssh_are_installed() -> None:
    installs = " ".join(run for run in final("RUN") if "apt-get install" in run).split()
    assert {"git", "openssh-client"} <= set(installs)


def test_workdir_and_exposed_ports_match_the_cli() -> None:
    assert final("WORKDIR") == ["/app"]
    defaults = {p.name: p.default for p in run_command.params}
    exposed = {int(port) for line in final("EXPOSE") for port in line.split()}
    assert exposed == {defaults["health_port"], defaults["metrics_port"]}


def test_dependencies_are_locked_and_dev_free() -> None:
    syncs = [i.arguments for i in INSTRUCTIONS if i.keyword == "RUN" and "uv sync" in i.arguments]
    assert syncs
    assert all("--frozen" in s and "--no-dev" in s for s in syncs)
    assert "--no-editable" in syncs[-1]
