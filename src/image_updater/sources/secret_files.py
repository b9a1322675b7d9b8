"""Kubernetes Secret manifests in a directory, read as a `SecretSource` (for runs without a cluster).

Every `*.yaml` / `*.yml` under the directory is read, recursively and in sorted order; paths with a
component starting with `.` are skipped (a mounted ConfigMap or Secret volume repeats its files
under `..data/` and `..<timestamp>/`). A file may hold several documents; documents whose `kind`
is not `Secret` are ignored. A Secret is keyed by `metadata.namespace` (default `default`) and
`metadata.name`; `data` is base64-decoded, `stringData` is taken as UTF-8 and wins over `data`,
as the API server does. The directory is read again on every lookup, so rotated files are seen
at once (the reading runs in a worker thread). Files are loaded within `YamlLimits` (size,
nesting, alias expansion), as Kubernetes reads them (YAML 1.1).

A broken file fails only the lookups that need it: a Secret with a bad field (bad base64, a
number where a string belongs) or defined twice fails the lookups of that Secret; a file that
cannot be read at all (an alias bomb, not UTF-8, not YAML) fails only the lookups of Secrets that
no other file holds, since it may be the one that holds them.

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

from image_updater.errors import CredentialError, InvalidYaml
from image_updater.yamlsafe import DEFAULT_LIMITS, YamlLimits
from image_updater.yamlsafe import load_documents as load_yaml

SecretKey = tuple[str, str]  # (namespace, name)


@dataclass(frozen=True, slots=True)
class SecretsRead:
    """One reading of the directory: the usable Secrets, why the unusable ones are unusable (by
    key), and one line per file whose Secrets are unknown because it could not be read."""

    secrets: dict[SecretKey, dict[str, bytes]]
    broken: dict[SecretKey, str]
    unreadable: tuple[str, ...]


class SecretFiles:
    """A `SecretSource` over Secret manifests under `directory`."""

    def __init__(self, directory: Path, *, limits: YamlLimits = DEFAULT_LIMITS) -> None:
        self._directory = directory
        self._limits = limits

    @property
    def directory(self) -> Path:
        return self._directory

    async def get_secret(self, namespace: str, name: str) -> dict[str, bytes]:
        """The decoded fields of Secret `namespace/name`; CredentialError when it is not there."""
        found = await asyncio.to_thread(self.read)
        key = (namespace, name)
        if key in found.broken:
            raise CredentialError(found.broken[key])
        if key in found.secrets:
            return dict(found.secrets[key])
        if found.unreadable:  # the Secret may be in a file we could not read: say so, not "not found"
            raise CredentialError(f"{found.unreadable[0]}; Secret {namespace}/{name} is in no other file")
        raise CredentialError(
            f"Secret {namespace}/{name} not found in {self._directory}; "
            "add a manifest with that metadata.namespace and metadata.name"
        )

    def read(self) -> SecretsRead:
        """Every Secret under the directory, with what could not be used. Blocking."""
        if not self._directory.is_dir():
            raise CredentialError(f"Secrets directory {self._directory} does not exist or is not a directory")
        found: dict[SecretKey, dict[str, bytes] | str] = {}
        where: dict[SecretKey, Path] = {}
        unreadable: list[str] = []
        for path in self._manifest_paths():
            try:
                documents = _documents(path, self._limits)
            except CredentialError as err:
                unreadable.append(str(err))
                continue
            for index, doc in enumerate(documents):
                _add(found, where, doc, path=path, index=index)
        return SecretsRead(
            secrets={k: v for k, v in found.items() if not isinstance(v, str)},
            broken={k: v for k, v in found.items() if isinstance(v, str)},
            unreadable=tuple(unreadable),
        )

    def _manifest_paths(self) -> list[Path]:
        paths = [*self._directory.rglob("*.yaml"), *self._directory.rglob("*.yml")]
        visible = [
            p for p in paths if not any(part.startswith(".") for part in p.relative_to(self._directory).parts)
        ]
        return sorted(p for p in visible if p.is_file())


def _documents(path: Path, limits: YamlLimits) -> list[Any]:
    try:
        with path.open("rb") as stream:  # one byte over the limit is enough to refuse the file
            documents = load_yaml(stream.read(limits.max_bytes + 1), source=str(path), limits=limits)
    except InvalidYaml as exc:
        raise CredentialError(exc.unquoted) from None
    except OSError as exc:
        raise CredentialError(f"{path}: cannot read: {exc.strerror}") from None
    keyless = [i for i, doc in enumerate(documents) if _is_secret(doc) and _key(doc) is None]
    if keyless:  # which Secret it meant to be is unknown, so the whole file is
        raise CredentialError(_keyless(documents[keyless[0]], where=f"{path}: document {keyless[0] + 1}"))
    return documents


def _add(
    found: dict[SecretKey, dict[str, bytes] | str],
    where: dict[SecretKey, Path],
    doc: Any,
    *,
    path: Path,
    index: int,
) -> None:
    if not _is_secret(doc):
        return
    key = _key(doc)
    assert key is not None  # _documents refused keyless Secrets
    if key in where:
        found[key] = f"Secret {key[0]}/{key[1]} is defined twice: in {where[key]} and in {path}; remove one"
        return
    where[key] = path
    try:
        found[key] = _data(doc, where=f"{path}: document {index + 1} (Secret {key[0]}/{key[1]})")
    except CredentialError as err:
        found[key] = str(err)


def _is_secret(document: Any) -> bool:
    return isinstance(document, dict) and document.get("kind") == "Secret"


def _key(document: dict[str, Any]) -> SecretKey | None:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        return None
    namespace = metadata.get("namespace", "default")
    return (namespace, metadata["name"]) if isinstance(namespace, str) and namespace else None


def _keyless(document: dict[str, Any], *, where: str) -> str:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str) or not metadata["name"]:
        return f"{where}: the Secret has no metadata.name"
    return f"{where}: metadata.namespace must be a non-empty string"


def _data(document: dict[str, Any], *, where: str) -> dict[str, bytes]:
    data = {
        k: _decoded(v, where=f'{where}: data "{k}"') for k, v in _mapping(document, "data", where).items()
    }
    strings = _mapping(document, "stringData", where)
    data.update({k: _utf8(v, where=f'{where}: stringData "{k}"') for k, v in strings.items()})
    return data


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
