"""Push, retag and delete test images in an OCI registry without docker (synchronous, stdlib only).

Owns: building a tiny unique layer and an image config (created/architecture/os/variant/Labels),
Docker schema2 or OCI manifests, OCI image indexes / Docker manifest lists, the upload dance
(POST uploads → PUT `<Location>&digest=`), Basic and Bearer-token challenges, and writing many tag
links straight into a filesystem registry's storage.

Limits: meant for the local test registry (`devtools.registry`); a new connection per request;
the whole blob is sent in one PUT. Errors are `RegistryHTTPError` (status, method, path), never
carrying credentials.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import http.client
import io
import json
import tarfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, urlencode, urljoin, urlsplit

BasicAuth = tuple[str, str]
MediaTypes = Literal["oci", "docker"]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))

_TYPES: Mapping[MediaTypes, tuple[str, str, str, str]] = {
    "oci": (OCI_MANIFEST, OCI_INDEX, OCI_CONFIG, OCI_LAYER),
    "docker": (DOCKER_MANIFEST, DOCKER_LIST, DOCKER_CONFIG, DOCKER_LAYER),
}


class RegistryHTTPError(RuntimeError):
    """The registry (or its token server) answered with an unexpected status."""

    def __init__(self, method: str, path: str, status: int, body: bytes) -> None:
        super().__init__(f"{method} {path} answered {status}: {body[:300].decode(errors='replace')}")
        self.status = status


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass
class _Client:
    """One registry, one set of credentials; answers auth challenges and remembers the last token."""

    base: SplitResult
    auth: BasicAuth | None
    _authorization: str | None = None
    _tokens: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, url: str, *, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> _Response:
        """Send, answer one 401 challenge, send again; raise for any status >= 400."""
        headers = headers or {}
        response = self._send(method, url, body, headers)
        if response.status == 401 and self._answer_challenge(response.headers.get("www-authenticate", "")):
            response = self._send(method, url, body, headers)
        if response.status >= 400:
            raise RegistryHTTPError(method, urlsplit(url).path, response.status, response.body)
        return response

    def _send(self, method: str, url: str, body: bytes, headers: Mapping[str, str]) -> _Response:
        target = urlsplit(urljoin(self.base.geturl(), url))
        all_headers = dict(headers)
        if self._authorization and target.netloc == self.base.netloc:
            all_headers["Authorization"] = self._authorization
        return _http(method, target, body, all_headers)

    def _answer_challenge(self, challenge: str) -> bool:
        scheme, _, params_text = challenge.partition(" ")
        if scheme.lower() == "basic" and self.auth is not None:
            self._authorization = _basic(self.auth)
            return True
        if scheme.lower() != "bearer":
            return False
        params = _challenge_params(params_text)
        scope = params.get("scope", "")
        token = self._tokens.get(scope) or self._fetch_token(params)
        self._tokens[scope] = token
        self._authorization = f"Bearer {token}"
        return True

    def _fetch_token(self, params: Mapping[str, str]) -> str:
        query = urlencode({key: value for key, value in params.items() if key in ("service", "scope")})
        realm = urlsplit(params["realm"])
        url = realm._replace(query="&".join(filter(None, (realm.query, query))))
        headers = {"Authorization": _basic(self.auth)} if self.auth else {}
        response = _http("GET", url, b"", headers)
        if response.status != 200:
            raise RegistryHTTPError("GET", realm.path, response.status, response.body)
        answer = json.loads(response.body)
        return str(answer.get("token") or answer["access_token"])


def push_image(
    registry_url: str,
    repository: str,
    tag: str,
    *,
    created: dt.datetime,
    platform: str = "linux/amd64",
    labels: Mapping[str, str] | None = None,
    auth: BasicAuth | None = None,
    media_types: MediaTypes = "oci",
) -> str:
    """Push a one-layer image with a unique layer under `tag`; return the manifest digest."""
    client = _Client(urlsplit(registry_url), auth)
    manifest, media_type = _push_image_parts(client, repository, created, platform, labels or {}, media_types)
    return _put_manifest(client, repository, tag, manifest, media_type)


def push_index(
    registry_url: str,
    repository: str,
    tag: str,
    *,
    platforms: Sequence[tuple[str, dt.datetime]],
    auth: BasicAuth | None = None,
    media_types: MediaTypes = "oci",
    with_attestation: bool = False,
) -> str:
    """Push one image per (platform, created), then an index of them under `tag`; return its digest.

    `with_attestation` adds a buildx-style attestation manifest (platform unknown/unknown) that
    clients must skip.
    """
    client = _Client(urlsplit(registry_url), auth)
    entries = [
        _push_child(client, repository, platform, created, media_types) for platform, created in platforms
    ]
    if with_attestation:
        entries.append(_push_attestation(client, repository, entries[0], media_types))
    index = {"schemaVersion": 2, "mediaType": _TYPES[media_types][1], "manifests": entries}
    return _put_manifest(client, repository, tag, _canonical(index), _TYPES[media_types][1])


def retag(registry_url: str, repository: str, tag: str, *, source: str, auth: BasicAuth | None = None) -> str:
    """Point `tag` (new or existing) at the manifest `source` (a tag or digest); return its digest."""
    client = _Client(urlsplit(registry_url), auth)
    response = client.request(
        "GET", f"/v2/{repository}/manifests/{source}", headers={"Accept": MANIFEST_ACCEPT}
    )
    return _put_manifest(client, repository, tag, response.body, response.headers["content-type"])


def move_tag(
    registry_url: str, repository: str, tag: str, digest: str, *, auth: BasicAuth | None = None
) -> str:
    """Point `tag` at the existing manifest `digest` (a mutable tag moving to a new build)."""
    return retag(registry_url, repository, tag, source=digest, auth=auth)


def delete_manifest(
    registry_url: str, repository: str, digest: str, *, auth: BasicAuth | None = None
) -> None:
    """Delete a manifest by digest; every tag pointing at it disappears (delete by tag is a 400)."""
    _Client(urlsplit(registry_url), auth).request("DELETE", f"/v2/{repository}/manifests/{digest}")


def list_tags(registry_url: str, repository: str, *, auth: BasicAuth | None = None) -> list[str]:
    """The repository's tags in the registry's order (2.8.2 does not sort them)."""
    response = _Client(urlsplit(registry_url), auth).request("GET", f"/v2/{repository}/tags/list")
    return list(json.loads(response.body).get("tags") or [])


def get_manifest(
    registry_url: str, repository: str, reference: str, *, auth: BasicAuth | None = None
) -> tuple[str, bytes]:
    """(media type, body) of a manifest or index, asked for with every manifest media type."""
    response = _Client(urlsplit(registry_url), auth).request(
        "GET", f"/v2/{repository}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT}
    )
    return response.headers["content-type"], response.body


def get_blob(registry_url: str, repository: str, digest: str, *, auth: BasicAuth | None = None) -> bytes:
    """A blob's bytes (the registry redirects nowhere for filesystem storage)."""
    return _Client(urlsplit(registry_url), auth).request("GET", f"/v2/{repository}/blobs/{digest}").body


def manifest_digest(
    registry_url: str, repository: str, reference: str, *, auth: BasicAuth | None = None
) -> str:
    """The digest `reference` resolves to now (one HEAD)."""
    response = _Client(urlsplit(registry_url), auth).request(
        "HEAD", f"/v2/{repository}/manifests/{reference}", headers={"Accept": MANIFEST_ACCEPT}
    )
    return response.headers["docker-content-digest"]


def write_tags_on_disk(root: Path, repository: str, tags: Mapping[str, str]) -> None:
    """Create or move tags by writing link files into the registry storage under `root`.

    Each digest must already be a manifest of `repository` (push it through the API first). Far
    faster than the API for thousands of tags; the registry serves them at once (no cache).
    """
    manifests = root / "docker/registry/v2/repositories" / repository / "_manifests"
    for digest in set(tags.values()):
        if not (manifests / "revisions" / _digest_path(digest) / "link").is_file():
            raise ValueError(f"{digest} is not a manifest of {repository}: push it through the API first")
    for tag, digest in tags.items():
        # Only `current/link` is written: listing, HEAD/GET by tag and delete-by-digest all read just
        # that file (checked against 2.8.2); the `index/` links distribution also writes would more
        # than double the file system work, which dominates on a busy disk.
        current = manifests / "tags" / tag / "current"
        current.mkdir(parents=True, exist_ok=True)
        (current / "link").write_text(digest)


def seed_many_tags(
    registry_url: str,
    root: Path,
    repository: str,
    tags: Sequence[str],
    *,
    created: Sequence[dt.datetime],
    auth: BasicAuth | None = None,
) -> dict[str, str]:
    """Push one image per `created` date (tags `seed-0`, `seed-1`, ...), then point `tags` at them
    round-robin by writing into the storage `root`. Returns tag → digest. For "many tags" tests."""
    digests = [
        push_image(registry_url, repository, f"seed-{number}", created=when, auth=auth)
        for number, when in enumerate(created)
    ]
    mapping = {tag: digests[number % len(digests)] for number, tag in enumerate(tags)}
    write_tags_on_disk(root, repository, mapping)
    return mapping


def _push_image_parts(
    client: _Client,
    repository: str,
    created: dt.datetime,
    platform: str,
    labels: Mapping[str, str],
    media_types: MediaTypes,
) -> tuple[bytes, str]:
    manifest_type, _, config_type, layer_type = _TYPES[media_types]
    layer, diff_id = _unique_layer()
    config = _canonical(_config(created, platform, labels, diff_id))
    manifest = {
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": _push_blob(client, repository, config, config_type),
        "layers": [_push_blob(client, repository, layer, layer_type)],
    }
    return _canonical(manifest), manifest_type


def _push_child(
    client: _Client, repository: str, platform: str, created: dt.datetime, media_types: MediaTypes
) -> dict[str, object]:
    manifest, media_type = _push_image_parts(client, repository, created, platform, {}, media_types)
    digest = _put_manifest(client, repository, _digest(manifest), manifest, media_type)
    return {"mediaType": media_type, "digest": digest, "size": len(manifest), "platform": _platform(platform)}


def _push_attestation(
    client: _Client, repository: str, subject: Mapping[str, object], media_types: MediaTypes
) -> dict[str, object]:
    when = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    manifest, media_type = _push_image_parts(client, repository, when, "unknown/unknown", {}, media_types)
    digest = _put_manifest(client, repository, _digest(manifest), manifest, media_type)
    return {
        "mediaType": media_type,
        "digest": digest,
        "size": len(manifest),
        "platform": {"architecture": "unknown", "os": "unknown"},
        "annotations": {
            "vnd.docker.reference.type": "attestation-manifest",
            "vnd.docker.reference.digest": subject["digest"],
        },
    }


def _push_blob(client: _Client, repository: str, data: bytes, media_type: str) -> dict[str, object]:
    digest = _digest(data)
    started = client.request("POST", f"/v2/{repository}/blobs/uploads/")
    location = started.headers["location"]
    separator = "&" if "?" in location else "?"
    client.request(
        "PUT",
        f"{location}{separator}{urlencode({'digest': digest})}",
        body=data,
        headers={"Content-Type": "application/octet-stream"},
    )
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def _put_manifest(client: _Client, repository: str, reference: str, manifest: bytes, media_type: str) -> str:
    response = client.request(
        "PUT", f"/v2/{repository}/manifests/{reference}", body=manifest, headers={"Content-Type": media_type}
    )
    return response.headers.get("docker-content-digest") or _digest(manifest)


def _config(
    created: dt.datetime, platform: str, labels: Mapping[str, str], diff_id: str
) -> dict[str, object]:
    stamp = _rfc3339(created)
    return {
        "created": stamp,
        **_platform(platform),
        "config": {"Labels": dict(labels)},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": stamp, "created_by": "devtools.oci"}],
    }


def _unique_layer() -> tuple[bytes, str]:
    """A gzip'd tar with one small file of unique content, and its diff id (digest of the tar)."""
    content = uuid.uuid4().hex.encode()
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo("id")
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), _digest(tar_bytes)


def _platform(platform: str) -> dict[str, str]:
    parts = platform.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"platform {platform!r} is not os/arch[/variant]")
    fields = {"architecture": parts[1], "os": parts[0]}
    return {**fields, "variant": parts[2]} if len(parts) == 3 else fields


def _rfc3339(when: dt.datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    utc = when.astimezone(dt.UTC)
    fraction = f".{utc.microsecond:06d}" if utc.microsecond else ""
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _canonical(document: Mapping[str, object]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _digest_path(digest: str) -> Path:
    algorithm, _, hex_part = digest.partition(":")
    return Path(algorithm) / hex_part


def _basic(auth: BasicAuth) -> str:
    return "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()


def _challenge_params(text: str) -> dict[str, str]:
    """`realm="https://x",service="y",scope="a:b:c,d"` → dict; commas inside quotes are kept."""
    params: dict[str, str] = {}
    rest = text.strip()
    while rest:
        key, _, rest = rest.partition("=")
        if rest.startswith('"'):
            value, _, rest = rest[1:].partition('"')
        else:
            value, _, rest = rest.partition(",")
        params[key.strip().lstrip(",").strip().lower()] = value
        rest = rest.lstrip(", ")
    return params


def _http(method: str, url: SplitResult, body: bytes, headers: Mapping[str, str]) -> _Response:
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.netloc, timeout=30)
    try:
        path = url.path + (f"?{url.query}" if url.query else "")
        connection.request(method, path, body=body or None, headers=dict(headers))
        response = connection.getresponse()
        payload = response.read()
        return _Response(response.status, {k.lower(): v for k, v in response.getheaders()}, payload)
    finally:
        connection.close()
