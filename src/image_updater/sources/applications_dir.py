"""Applications from a directory of manifests (`--applications-dir`), for running with no cluster.

Reads `*.yaml` / `*.yml` recursively, several documents per file, and keeps documents of kind
`Application` (argoproj.io) and `ImageUpdater` (argocd-image-updater.argoproj.io, any version:
the resources module refuses the ones it does not serve). A file that does not parse is reported
and skipped; the others still load. Files are read fresh each cycle, so edits take effect without a restart.
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
    """The Application and ImageUpdater manifests found, and one message per unreadable file."""

    applications: tuple[Mapping[str, Any], ...]
    problems: tuple[str, ...]
    image_updaters: tuple[Mapping[str, Any], ...] = ()


def load_applications(directory: Path) -> LoadedManifests:
    """Every Application and ImageUpdater manifest under `directory`, in a stable (path) order."""
    if not directory.is_dir():
        return LoadedManifests((), (f"applications directory {directory} does not exist",))
    found: list[Mapping[str, Any]] = []
    updaters: list[Mapping[str, Any]] = []
    problems: list[str] = []
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    yaml = YAML(typ="safe", pure=True)  # one loader for the whole scan: building one costs more than a file
    for path in files:
        try:
            documents = list(yaml.load_all(path.read_text(encoding="utf-8")))
        except (OSError, YAMLError, UnicodeDecodeError) as err:
            problems.append(f"{path}: not readable as YAML: {str(err).splitlines()[0]}")
            continue
        found.extend(doc for doc in documents if _is_kind(doc, "Application", "argoproj.io/"))
        updaters.extend(
            doc for doc in documents if _is_kind(doc, "ImageUpdater", "argocd-image-updater.argoproj.io/")
        )
    return LoadedManifests(tuple(found), tuple(problems), tuple(updaters))


def _is_kind(doc: object, kind: str, group: str) -> bool:
    return (
        isinstance(doc, Mapping)
        and doc.get("kind") == kind
        and str(doc.get("apiVersion", "")).startswith(group)
    )
