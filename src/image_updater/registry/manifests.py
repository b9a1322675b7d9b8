"""OCI / Docker manifest and image-config documents: media types and parsing. Pure, no I/O.

Understands OCI image indexes and manifests and Docker manifest lists and schema2 manifests; the
legacy Docker schema1 format is not requested and is rejected. Parsers raise
`RegistryProtocolError` naming the registry and repository when a document is malformed:
wrong JSON types at any depth, nesting too deep to decode, digests that are not sha256/sha512
(`refs.is_content_digest`: a digest we cannot verify is never followed or written). `verify`
checks a body against the digest it was fetched by or announced with (`RegistryDigestMismatch`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from image_updater import refs
from image_updater.errors import RegistryDigestMismatch, RegistryProtocolError
from image_updater.selection.types import Platform
from image_updater.text import printable

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))

_HASHES = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
MAX_INDEX_ENTRIES = 1000  # real indexes list a few platforms and their attestations
# Parsed documents stay in the metadata cache (100,000 entries): their text is bounded, not the
# 8 MiB a config may weigh. Labels only feed commit-message templates.
MAX_PLATFORM_FIELD = 128
MAX_LABELS = 100
MAX_LABEL_LENGTH = 1024
_RFC3339 = re.compile(
    r"^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([Zz])|([+-])(\d\d):(\d\d))$"
)


@dataclass(frozen=True, slots=True)
class Manifest:
    """A parsed manifest. `children` is set for an index / manifest list, `config_digest` for an image."""

    digest: str
    media_type: str
    config_digest: str | None = None
    children: tuple[tuple[Platform, str], ...] = ()

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """The parts of an image configuration we use. `platform` is None if `os`/`architecture` are absent."""

    created: datetime | None
    platform: Platform | None
    labels: tuple[tuple[str, str], ...] = ()


def sha256_digest(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


def verify(body: bytes, digest: str, *, where: str) -> None:
    """Raise unless `body` hashes to `digest`; a digest of an algorithm we cannot check is refused."""
    if not refs.is_content_digest(digest):
        raise RegistryProtocolError(
            f"{where}: digest {printable(digest, limit=80)!r} is not sha256/sha512 hex; refused"
        )
    algorithm, _, expected = digest.partition(":")
    if _HASHES[algorithm](body).hexdigest() != expected:
        raise RegistryDigestMismatch(f"{where}: content does not match digest {digest}")


def parse_manifest(body: bytes, *, digest: str, content_type: str, where: str) -> Manifest:
    """Parse a manifest body; `where` names registry and repository for error messages."""
    doc = load_json(body, where=f"manifest {digest} of {where}")
    media_type = doc.get("mediaType") or content_type.split(";")[0].strip()
    if not isinstance(media_type, str):
        raise RegistryProtocolError(f"manifest {digest} of {where} has a non-string mediaType")
    if media_type in INDEX_TYPES:
        return Manifest(digest, media_type, children=_children(doc, where=where))
    if media_type in IMAGE_TYPES or (not media_type and isinstance(doc.get("config"), dict)):
        config = doc.get("config")
        config_digest = config.get("digest") if isinstance(config, dict) else None
        if not isinstance(config_digest, str) or not refs.is_content_digest(config_digest):
            raise RegistryProtocolError(f"manifest {digest} of {where} has no valid config digest")
        return Manifest(digest, media_type or OCI_MANIFEST, config_digest=config_digest)
    raise RegistryProtocolError(
        f"manifest {digest} of {where} has unsupported media type {printable(media_type, limit=100)!r}"
    )


def parse_config(body: bytes, *, digest: str, where: str) -> ImageConfig:
    """Parse an image configuration blob: `created` (RFC 3339, nanoseconds allowed), platform, labels."""
    doc = load_json(body, where=f"config {digest} of {where}")
    created = doc.get("created")
    platform = _platform(doc, where=f"config {digest} of {where}")
    runtime = doc.get("config") or {}
    labels = (runtime.get("Labels") if isinstance(runtime, dict) else None) or {}
    if not isinstance(runtime, dict) or not isinstance(labels, dict):
        raise RegistryProtocolError(f"config {digest} of {where} has a malformed 'config' or labels")
    if created is not None and not isinstance(created, str):
        raise RegistryProtocolError(f"config {digest} of {where} has a non-string 'created'")
    return ImageConfig(
        created=parse_time(created, where=f"config {digest} of {where}") if created else None,
        platform=platform,
        labels=tuple(sorted((str(k), str(v)[:MAX_LABEL_LENGTH]) for k, v in labels.items())[:MAX_LABELS]),
    )


def _platform(doc: dict[str, Any], *, where: str) -> Platform | None:
    """`os`/`architecture`/`variant` of a config or an index entry's `platform`; None if incomplete."""
    os_name, arch, variant = doc.get("os"), doc.get("architecture"), doc.get("variant")
    if not (isinstance(os_name, str) and isinstance(arch, str) and os_name and arch):
        return None
    variant = variant if isinstance(variant, str) else ""
    if max(len(os_name), len(arch), len(variant)) > MAX_PLATFORM_FIELD:
        raise RegistryProtocolError(f"{where} has a platform field longer than {MAX_PLATFORM_FIELD}")
    return Platform(os_name, arch, variant)


def parse_time(text: str, *, where: str) -> datetime:
    """RFC 3339 with any number of fraction digits (Go writes nanoseconds); truncated to microseconds."""
    shown = printable(repr(text), limit=100)  # a config may hold megabytes there: quote it short
    m = _RFC3339.match(text)
    if m is None:
        raise RegistryProtocolError(f"{where} has an invalid 'created' time {shown}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    micros = int((m.group(7) or "0")[:6].ljust(6, "0"))
    try:
        tz = UTC
        if m.group(9):
            offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
            tz = timezone(offset if m.group(9) == "+" else -offset)  # ValueError beyond ±24 h
        return datetime(year, month, day, hour, minute, second, micros, tzinfo=tz)
    except ValueError as exc:
        raise RegistryProtocolError(f"{where} has an invalid 'created' time {shown}") from exc


def load_json(body: bytes, *, where: str) -> dict[str, Any]:
    """Decode a JSON object, translating every decoding problem into `RegistryProtocolError`."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # deep nesting exhausts json's stack
        raise RegistryProtocolError(
            f"{where}: the registry sent invalid, truncated or too deeply nested JSON"
        ) from exc
    if not isinstance(doc, dict):
        raise RegistryProtocolError(f"{where}: the registry sent JSON that is not an object")
    return doc


def _children(doc: dict[str, Any], *, where: str) -> tuple[tuple[Platform, str], ...]:
    entries = doc.get("manifests")
    if not isinstance(entries, list):
        raise RegistryProtocolError(f"index of {where} has no 'manifests' list")
    if len(entries) > MAX_INDEX_ENTRIES:  # each child may cost a request or two: bound the fan-out
        raise RegistryProtocolError(f"index of {where} has more than {MAX_INDEX_ENTRIES} entries")
    children: list[tuple[Platform, str]] = []
    for entry in entries:
        if not isinstance(entry, dict) or not refs.is_content_digest(str(entry.get("digest"))):
            raise RegistryProtocolError(f"index of {where} has a malformed entry")
        platform = entry.get("platform")
        if not isinstance(platform, dict) or _is_attachment(entry, platform):
            continue  # attestations and other attachments are not runnable images
        child = _platform(platform, where=f"index of {where}")
        if child is not None:
            children.append((child, entry["digest"]))
    return tuple(children)


def _is_attachment(entry: dict[str, Any], platform: dict[str, Any]) -> bool:
    # BuildKit lists provenance/SBOM manifests as platform unknown/unknown with this annotation.
    annotations = entry.get("annotations")
    typed = isinstance(annotations, dict) and "vnd.docker.reference.type" in annotations
    return typed or platform.get("os") == "unknown"
