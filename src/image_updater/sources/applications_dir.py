"""Applications from a directory of manifests (`--applications-dir`), for running with no cluster.

Reads `*.yaml` / `*.yml` recursively, several documents per file, and keeps documents of kind
`Application` (argoproj.io). A file that does not parse is reported and skipped; the others
still load. Files are read fresh each cycle, so edits take effect without a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError


@dataclass(frozen=True, slots=True)
class LoadedManifests:
    """The Application manifests found, and one message per file that could not be read."""

    applications: tuple[Mapping[str, Any], ...]
    problems: tuple[str, ...]


def load_applications(directory: Path) -> LoadedManifests:
    """Every Application manifest under `directory`, in a stable (path) order."""
    if not directory.is_dir():
        return LoadedManifests((), (f"applications directory {directory} does not exist",))
    found: list[Mapping[str, Any]] = []
    problems: list[str] = []
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    yaml = YAML(typ="safe", pure=True)  # one loader for the whole scan: building one costs more than a file
    for path in files:
        try:
            documents = list(yaml.load_all(path.read_text(encoding="utf-8")))
        except (OSError, YAMLError, UnicodeDecodeError) as err:
            problems.append(f"{path}: not readable as YAML: {str(err).splitlines()[0]}")
            continue
        found.extend(doc for doc in documents if _is_application(doc))
    return LoadedManifests(tuple(found), tuple(problems))


def _is_application(doc: object) -> bool:
    return (
        isinstance(doc, Mapping)
        and doc.get("kind") == "Application"
        and str(doc.get("apiVersion", "")).startswith("argoproj.io/")
    )
