"""`--status-dir`: one YAML file per `ImageUpdater` with its status, for runs without a cluster.

Each file is `<namespace>_<name>.yaml` and holds what `kubectl get -o yaml` would show of the
resource without its spec (`apiVersion`, `kind`, `metadata.name/namespace`, `status`), so CI can
read `.status` the same way in both modes. Names come from manifests, so they are hostile: a
namespace and name that are valid Kubernetes names (lower-case alphanumerics, `-`, and `.` in
names; never `_`, so the file name is unambiguous) are used as they are; anything else becomes
its safe characters (no `_`), `__` and a hash of the real key, so no name can reach outside the
directory, hide as a dotfile or collide with another resource's file: a valid key's file name has
exactly one `_`, so no resource named after a hashed file can take it, even on a case-insensitive
file system.

Writes are atomic (a temporary file in the same directory, then a rename), so a reader never sees
half a file and a crash leaves the previous file. A symlink planted at a file's place is replaced,
never followed. `read_status` gives the status stored by the previous run (None when there is no
usable file), so conditions keep their transition times across CI runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from image_updater.errors import ConfigError, InvalidYaml
from image_updater.yamlsafe import DEFAULT_LIMITS, YamlLimits, load_mapping

_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_NAME = re.compile(r"[a-z0-9]([-.a-z0-9]{0,251}[a-z0-9])?")
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


def file_name(namespace: str, name: str) -> str:
    """The file of resource `namespace/name` (see the module docstring)."""
    if _NAMESPACE.fullmatch(namespace) and _NAME.fullmatch(name):
        return f"{namespace}_{name}.yaml"
    digest = hashlib.sha256(f"{namespace}/{name}".encode(errors="surrogateescape")).hexdigest()[:16]
    safe = _UNSAFE.sub("-", f"{namespace}_{name}")[:100].strip(".-") or "resource"
    return f"{safe}__{digest}.yaml"


def write_status(directory: Path, *, namespace: str, name: str, status: Mapping[str, Any]) -> Path:
    """Replace the resource's file atomically; ConfigError naming the file when it cannot be written."""
    target = directory / file_name(namespace, name)
    document = {
        "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": name, "namespace": namespace},
        "status": dict(status),
    }
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1_000_000)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            Path(temporary).replace(target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise ConfigError(f"--status-dir: cannot write {target}: {err.strerror or err}") from None
    return target


def read_status(
    directory: Path, *, namespace: str, name: str, limits: YamlLimits = DEFAULT_LIMITS
) -> Mapping[str, Any] | None:
    """The status in the resource's file, or None when it is missing, a symlink or unusable."""
    path = directory / file_name(namespace, name)
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(handle, "rb") as stream:
            data = stream.read(limits.max_bytes + 1)
        document = load_mapping(data, source=str(path), expected="an ImageUpdater", limits=limits)
    except (OSError, InvalidYaml):
        return None
    status = document.get("status")
    return status if isinstance(status, Mapping) else None
