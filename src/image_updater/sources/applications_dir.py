"""Applications from a directory of manifests (`--applications-dir`), for running with no cluster.

Reads `*.yaml` / `*.yml` recursively, several documents per file, and keeps documents of kind
`Application` (argoproj.io) and `ImageUpdater` (argocd-image-updater.argoproj.io, any version:
the resources module refuses the ones it does not serve). A file that does not parse, is over a
`YamlLimits` bound (size, nesting, alias expansion) or is not UTF-8 is reported in one line and
skipped; the others still load. Manifests are read as Kubernetes reads them (YAML 1.1, libyaml),
since that is how they would be applied. Files are read fresh each cycle, so edits take effect
without a restart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from image_updater.errors import InvalidYaml
from image_updater.yamlsafe import DEFAULT_LIMITS, YamlLimits
from image_updater.yamlsafe import load_documents as load_yaml


@dataclass(frozen=True, slots=True)
class LoadedManifests:
    """The Application and ImageUpdater manifests found, and one message per unreadable file."""

    applications: tuple[Mapping[str, Any], ...]
    problems: tuple[str, ...]
    image_updaters: tuple[Mapping[str, Any], ...] = ()


def load_applications(directory: Path, *, limits: YamlLimits = DEFAULT_LIMITS) -> LoadedManifests:
    """Every Application and ImageUpdater manifest under `directory`, in a stable (path) order."""
    if not directory.is_dir():
        return LoadedManifests((), (f"applications directory {directory} does not exist",))
    found: list[Mapping[str, Any]] = []
    updaters: list[Mapping[str, Any]] = []
    problems: list[str] = []
    files = sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    for path in files:
        try:
            with path.open("rb") as stream:  # one byte over the limit is enough to refuse the file
                documents = load_yaml(stream.read(limits.max_bytes + 1), source=str(path), limits=limits)
        except OSError as err:
            problems.append(f"{path}: not readable: {err.strerror}")
            continue
        except InvalidYaml as err:
            problems.append(f"{path}: not readable as YAML: {str(err).removeprefix(f'{path}: ')}")
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
