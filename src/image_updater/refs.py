"""Image references and the `image-list` annotation syntax, parsed as argocd-image-updater does.

Pure: no I/O. Flexible user input is accepted here and normalised into `ImageRef` / `ImageSpec`.
A constraint is never stored in a tag field: `ImageSpec.version` holds the text after `:` of an
image-list entry (a semver constraint, or the mutable tag the digest strategy tracks).

Grammar (Docker's distribution reference): `[host[:port]/]path[:tag][@digest]`. The first path
component is a registry host when it contains `.` or `:` or is `localhost`; everything else is a
Docker Hub path. Docker Hub is spelled `""`, `docker.io` or `index.docker.io`; its implicit
`library/` namespace is removed from `repository` (`docker.io/library/nginx` → `nginx`) and put
back by `registry_path` for the registry API. Other registries keep `library/` as written.
Limits: we do not lower-case or resolve hosts, and Docker's rule that an upper-case first
component is a host is not followed (`MyOrg/app` is reported as "must be lowercase" instead).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import NewType

from image_updater.errors import InvalidImageReference

Tag = NewType("Tag", str)
Digest = NewType("Digest", str)  # "sha256:<64 hex>"

DOCKER_HUB_HOSTS = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})

_PATH_COMPONENT = re.compile(r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*")
_DOMAIN_COMPONENT = r"(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])"
_HOST = re.compile(
    rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])(?::(?P<port>[0-9]+))?"
)
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}")
_DIGEST_LENGTHS = {"sha256": 64, "sha512": 128}
_CONTENT_DIGEST = re.compile(r"sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}")
_IMAGE_ID = re.compile(r"[a-f0-9]{64}")
_ALIAS = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_HOSTED_ALIAS = re.compile(rf"{_HOST.pattern}/{_ALIAS.pattern}")  # `ghcr.io:4567/org/app=...`
_NAME_MAX = 255


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A concrete image: where it lives and, optionally, which tag and digest.

    `registry` is the host[:port] as the user wrote it, "" when none was written (the default
    registry, Docker Hub unless registries.conf says otherwise). `repository` is the path in that
    registry with Docker Hub's implicit `library/` removed (`nginx`, `org/app`).
    """

    registry: str
    repository: str
    tag: Tag | None = None
    digest: Digest | None = None

    @property
    def name(self) -> str:
        """`registry/repository`, or just `repository` for the default registry."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    def __str__(self) -> str:
        text = self.name
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """One entry of an `image-list`: `[alias=]image[:constraint-or-tag][@digest]`."""

    alias: str | None
    image: ImageRef  # tag is always None here; digest only if written
    version: str | None  # semver constraint, or the tag the digest strategy tracks

    @property
    def annotation_key(self) -> str:
        """The key prefix for per-image annotations: alias or image name, with `/` written `_`."""
        return (self.alias or self.image.name).replace("/", "_")


def is_docker_hub(registry: str) -> bool:
    """True for the spellings of Docker Hub, including "" (no registry written)."""
    return not registry or registry.lower() in DOCKER_HUB_HOSTS


def is_tag(text: str) -> bool:
    """Whether `text` is a valid Docker tag (1-128 of `[A-Za-z0-9_.-]`, not starting with `.`/`-`)."""
    return _TAG.fullmatch(text) is not None


def is_content_digest(text: str) -> bool:
    """Whether `text` is a digest we can verify and write: `sha256:` + 64 or `sha512:` + 128
    lowercase hex digits. Registry answers are held to this; other algorithms are refused."""
    return _CONTENT_DIGEST.fullmatch(text) is not None


def parse_image(text: str) -> ImageRef:
    """Parse a concrete image such as `nginx:1.25@sha256:…` or `localhost:5000/team/app:v1`."""
    text = text.strip()
    where = f"image {text!r}"
    rest, digest = _split_digest(text, where)
    name, tag = _split_version(rest, where)
    if tag is not None and not is_tag(tag):
        raise InvalidImageReference(
            f"{where}: tag {tag!r} is not valid; a tag is 1-128 letters, digits, '_', '.' or '-' "
            "and must not start with '.' or '-'"
        )
    registry, repository = _parse_name(name, where)
    return ImageRef(registry, repository, Tag(tag) if tag else None, digest)


def parse_image_spec(text: str) -> ImageSpec:
    """Parse one `image-list` entry: `[alias=]image[:constraint-or-tag][@digest]`.

    The alias is the text before the first `=` unless that text holds a `:` outside a leading
    `host:port/` (then the `=` is part of a constraint such as `nginx:>=1.0`, which upstream would
    misread as alias `nginx:>`); `ghcr.io:4567/org/app=...` has an alias, as upstream.
    The version is the text after the last `:` that follows the last `/`: a Docker tag, or a
    semver constraint with spaces and operators that the reference grammar cannot hold.
    Whether it is a valid constraint is checked by the strategy, which knows how it is used.
    """
    entry = text.strip()
    where = f"image-list entry {entry!r}"
    alias, image_text = _split_alias(entry, where)
    rest, digest = _split_digest(image_text, where)
    name, version = _split_version(rest, where)
    registry, repository = _parse_name(name, where)
    return ImageSpec(alias, ImageRef(registry, repository, None, digest), version and version.strip())


def parse_image_list(text: str) -> tuple[ImageSpec, ...]:
    """Parse the `image-list` annotation: entries separated by commas (or newlines).

    Surrounding whitespace is trimmed and empty entries are skipped, so YAML folded (`>`) and
    literal (`|`) blocks both work. Two entries with the same alias or annotation key are an
    error: their per-image annotations could not be told apart.
    """
    specs: list[ImageSpec] = []
    seen: dict[str, str] = {}
    for item in re.split(r"[,\n]", text):
        if not item.strip():
            continue
        spec = parse_image_spec(item)
        key = spec.annotation_key
        if key in seen:
            raise InvalidImageReference(
                f"image-list entries {seen[key]!r} and {item.strip()!r} share the annotation key "
                f"{key!r}; give each image its own alias (`alias=image`)"
            )
        seen[key] = item.strip()
        specs.append(spec)
    return tuple(specs)


def registry_path(ref: ImageRef, *, default_ns: str | None = None) -> str:
    """The repository path to use in the registry API (`/v2/<path>/tags/list`).

    `default_ns` is prepended to a single-component path; None means "Docker Hub's rule":
    `library` for Docker Hub spellings, nothing for other registries. Pass the endpoint's
    `defaultns` when registries.conf sets one.
    """
    if default_ns is None:
        default_ns = "library" if is_docker_hub(ref.registry) else ""
    if default_ns and "/" not in ref.repository:
        return f"{default_ns}/{ref.repository}"
    return ref.repository


def same_image_strict(a: ImageRef, b: ImageRef) -> bool:
    """Upstream's liveness rule: same registry as written and same repository; tag/digest ignored.

    `docker.io/nginx` (registry "docker.io") and `nginx` (registry "") differ here, as upstream;
    only `index.docker.io` is folded into `docker.io`, which upstream's parser also does.
    """
    return _strict_registry(a.registry) == _strict_registry(b.registry) and a.repository == b.repository


def same_image(a: ImageRef, b: ImageRef, *, default_registry: str = "docker.io") -> bool:
    """Whether two refs name the same repository once every Docker Hub spelling is normalised.

    "" stands for `default_registry`; hosts compare case-insensitively; tag/digest are ignored.
    """
    return _canonical(a, default_registry) == _canonical(b, default_registry)


def _strict_registry(registry: str) -> str:
    return "docker.io" if registry == "index.docker.io" else registry


def _canonical(ref: ImageRef, default_registry: str) -> tuple[str, str]:
    host = (ref.registry or default_registry).lower()
    if host in DOCKER_HUB_HOSTS:
        return "docker.io", registry_path(ref, default_ns="library")
    return host, ref.repository


def _split_alias(entry: str, where: str) -> tuple[str | None, str]:
    head, sep, tail = entry.partition("=")
    if not sep or (":" in head and not _HOSTED_ALIAS.fullmatch(head.strip())):
        return None, entry
    alias = head.strip()
    if not alias:
        raise InvalidImageReference(
            f"{where}: the alias before '=' is empty; write `alias=image` or drop '='"
        )
    if not (_ALIAS.fullmatch(alias) or _HOSTED_ALIAS.fullmatch(alias)):
        raise InvalidImageReference(
            f"{where}: alias {alias!r} must start with a letter or digit and hold only letters, "
            "digits, '.', '_', '-' or '/' (and a registry port, as in `host:5000/name`)"
        )
    return alias, tail.strip()


def _split_digest(text: str, where: str) -> tuple[str, Digest | None]:
    rest, sep, digest = text.partition("@")
    if not sep:
        return text, None
    algorithm = digest.partition(":")[0]
    expected = _DIGEST_LENGTHS.get(algorithm)
    valid = _DIGEST.fullmatch(digest) and (
        expected is None or re.fullmatch(rf"[a-f0-9]{{{expected}}}", digest.partition(":")[2])
    )
    if not valid:
        raise InvalidImageReference(
            f"{where}: digest {digest!r} is not valid; write @sha256:<64 lowercase hex digits>"
        )
    return rest, Digest(digest)


def _split_version(text: str, where: str) -> tuple[str, str | None]:
    colon = text.rfind(":")
    if colon <= text.rfind("/"):
        return text, None
    version = text[colon + 1 :]
    if not version.strip():
        raise InvalidImageReference(
            f"{where}: nothing follows ':'; write a tag or constraint after it, or drop it"
        )
    return text[:colon], version


def _parse_name(name: str, where: str) -> tuple[str, str]:
    if not name:
        raise InvalidImageReference(f"{where}: no image name; write e.g. `ghcr.io/org/app` or `nginx`")
    registry, path = _split_registry(name)
    if registry and not _is_host(registry):
        raise InvalidImageReference(f"{where}: registry host {registry!r} is not host[:port]")
    _check_path(path, where)
    if len(name) > _NAME_MAX:
        raise InvalidImageReference(f"{where}: the name is longer than {_NAME_MAX} characters")
    if is_docker_hub(registry) and path.startswith("library/") and path.count("/") == 1:
        # Docker Hub's official images live under `library/`; `nginx` and `library/nginx` are one image.
        path = path.removeprefix("library/")
    return registry, path


def _split_registry(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    if sep and (first == "localhost" or "." in first or ":" in first):
        return first, rest
    return "", name


def _check_path(path: str, where: str) -> None:
    if _IMAGE_ID.fullmatch(path):
        raise InvalidImageReference(f"{where}: a 64-hex-digit name is an image ID, not a repository")
    for component in path.split("/"):
        if _PATH_COMPONENT.fullmatch(component):
            continue
        if _PATH_COMPONENT.fullmatch(component.lower()):
            raise InvalidImageReference(
                f"{where}: repository {path!r} must be lowercase; write {path.lower()!r}"
            )
        raise InvalidImageReference(
            f"{where}: repository component {component!r} is not valid; use lowercase letters and "
            "digits joined by '.', '_', '__' or '-'"
        )


def _is_host(registry: str) -> bool:
    """host[:port] that a URL can hold: a bracketed IPv6 address that parses, a port in 1-65535."""
    match = _HOST.fullmatch(registry)
    port = match["port"] if match else None
    if match is None or (port is not None and not (len(port) <= 5 and 0 < int(port) < 65536)):
        return False
    try:
        if match["ipv6"] is not None:
            ipaddress.IPv6Address(match["ipv6"])
    except ValueError:
        return False
    return True
