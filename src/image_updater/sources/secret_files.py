"""Kubernetes Secret manifests in a directory, read as a `SecretSource` (for runs without a cluster).

Every `*.yaml` / `*.yml` under the directory is read, recursively and in sorted order; paths with a
component starting with `.` are skipped (a mounted ConfigMap or Secret volume repeats its files
under `..data/` and `..<timestamp>/`). A file may hold several documents; documents whose `kind`
is not `Secret` are ignored. A Secret is keyed by `metadata.namespace` (default `default`) and
`metadata.name`; `data` is base64-decoded, `stringData` is taken as UTF-8 and wins over `data`,
as the API server does. The directory is read again on every lookup, so rotated files are seen
at once (the reading runs in a worker thread).

Errors are `CredentialError` naming the file (and the line for YAML errors), never quoting its
content: a malformed Secret file is exactly where a password would be quoted.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from image_updater.errors import CredentialError

SecretKey = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True, slots=True)
class _Found:
    data: dict[str, bytes]
    path: Path


class SecretFiles:
    """A `SecretSource` over Secret manifests under `directory`."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    @property
    def directory(self) -> Path:
        return self._directory

    async def get_secret(self, namespace: str, name: str) -> dict[str, bytes]:
        """The decoded fields of Secret `namespace/name`; CredentialError when it is not there."""
        secrets = await asyncio.to_thread(self.read_all)
        if (namespace, name) not in secrets:
            raise CredentialError(
                f"Secret {namespace}/{name} not found in {self._directory}; "
                "add a manifest with that metadata.namespace and metadata.name"
            )
        return dict(secrets[(namespace, name)])

    def read_all(self) -> dict[SecretKey, dict[str, bytes]]:
        """Every Secret under the directory, by (namespace, name). Blocking."""
        if not self._directory.is_dir():
            raise CredentialError(f"Secrets directory {self._directory} does not exist or is not a directory")
        found: dict[SecretKey, _Found] = {}
        yaml = YAML(typ="safe", pure=True)  # one loader per read: building one costs more than a file
        for path in self._manifest_paths():
            for key, data in _secrets_in(path, yaml):
                if key in found:
                    raise CredentialError(
                        f"Secret {key[0]}/{key[1]} is defined twice: in {found[key].path} and in {path}; "
                        "remove one"
                    )
                found[key] = _Found(data, path)
        return {key: entry.data for key, entry in found.items()}

    def _manifest_paths(self) -> list[Path]:
        paths = [*self._directory.rglob("*.yaml"), *self._directory.rglob("*.yml")]
        visible = [
            p for p in paths if not any(part.startswith(".") for part in p.relative_to(self._directory).parts)
        ]
        return sorted(p for p in visible if p.is_file())


def _secrets_in(path: Path, yaml: YAML) -> list[tuple[SecretKey, dict[str, bytes]]]:
    try:
        documents = list(yaml.load_all(path.read_text(encoding="utf-8")))
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise CredentialError(f"{path}: line {line}: not valid YAML") from None
    except (YAMLError, UnicodeDecodeError):
        raise CredentialError(f"{path}: not valid UTF-8 YAML") from None
    except OSError as exc:
        raise CredentialError(f"{path}: cannot read: {exc.strerror}") from None
    return [
        _secret(doc, where=f"{path}: document {i + 1}") for i, doc in enumerate(documents) if _is_secret(doc)
    ]


def _is_secret(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == "Secret"


def _secret(document: dict[str, Any], *, where: str) -> tuple[SecretKey, dict[str, bytes]]:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        raise CredentialError(f"{where}: the Secret has no metadata.name")
    namespace = metadata.get("namespace", "default")
    if not isinstance(namespace, str) or not namespace:
        raise CredentialError(f"{where}: metadata.namespace must be a non-empty string")
    key = (namespace, metadata["name"])
    where = f"{where} (Secret {namespace}/{metadata['name']})"
    data = {
        k: _decoded(v, where=f'{where}: data "{k}"') for k, v in _mapping(document, "data", where).items()
    }
    strings = _mapping(document, "stringData", where)
    data.update({k: _utf8(v, where=f'{where}: stringData "{k}"') for k, v in strings.items()})
    return key, data


def _mapping(document: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = document.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise CredentialError(f"{where}: {key} must be a mapping of field names to strings")
    return value


def _decoded(value: Any, *, where: str) -> bytes:
    if not isinstance(value, str):
        raise CredentialError(f"{where}: must be a base64 string (quote it)")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except binascii.Error:
        raise CredentialError(
            f"{where}: is not valid base64; put plain text under stringData instead"
        ) from None


def _utf8(value: Any, *, where: str) -> bytes:
    if not isinstance(value, str):
        raise CredentialError(f"{where}: must be a string (quote it)")
    return value.encode("utf-8")
