"""Registry endpoints: the `registries.conf` format of argocd-image-updater, and endpoint lookup.

Owns: the `Endpoint` type, strict parsing of registries.conf (pydantic, `extra="forbid"`; the
parser lives in `registries_conf`, imported on first use), the built-in Docker Hub default,
`RegistryConfig.resolve(image)` and `api_repository`. Pure: reading the file is the caller's
job. Credential references stay strings here: `settings` may not import `credentials` (sibling
layers), so the runtime parses them when it builds resolvers.

Deliberate differences from upstream, each making a silent surprise loud or impossible:
- a prefix matches on a path boundary (`ghcr.io/org` does not claim `ghcr.io/organisation/x`);
- the longest matching prefix wins even when an entry names the image's host exactly (upstream
  returns the exact host entry first, so `ghcr.io/org` is never used next to `ghcr.io`);
- two entries with the same prefix are an error (upstream: the last one silently wins);
- the entry without a prefix is the default for images without a registry host only, never a
  catch-all for every host (upstream's prefix `""` string-matches every image);
- `credsexpire: 0` means "never", as upstream, and is stored as None;
- `limit` may be fractional (`0.5` requests per second); `limit <= 0` means unlimited, as upstream;
  a positive limit below `MIN_LIMIT` (one request per 100 s) or one that is not finite is an error
  (`limit: 0.000000001` would otherwise sleep for decades before the first request);
- two prefixes that differ only in the host's case or in the Docker Hub spelling are duplicates;
- hosts on loopback (`localhost`, `127.0.0.0/8`, `[::1]`) without an entry default to `http://`,
  as Docker does; upstream always infers `https://`;
- `ca_data` is accepted as upstream's HEAD does; `ping` is accepted and ignored (unused upstream).

The file is read as upstream's yaml.v2 reads it where booleans are concerned (`insecure: yes`,
`default: on`; see `goyaml`); every other key keeps its strict type.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from image_updater import refs
from image_updater.refs import ImageRef


@dataclass(frozen=True, slots=True)
class Endpoint:
    """How to talk to one registry.

    `api_url` has a scheme and no trailing slash (`https://registry-1.docker.io`). `limit` is
    requests per second (None = unlimited). `credentials` is a credential reference string
    (see `image_updater.credentials`) or None. `credsexpire` is seconds (None = never).
    `default_ns` is prepended to single-component repositories (`nginx` → `library/nginx`).
    `ca_data` is a PEM bundle given inline (upstream HEAD's `ca_data`).
    """

    name: str
    api_url: str
    prefix: str = ""
    credentials: str | None = None
    credsexpire: float | None = None
    default_ns: str = ""
    default: bool = False
    insecure: bool = False
    ca_file: str | None = None
    tagsortmode: str = "none"  # none | latest-first | latest-last
    limit: float | None = None
    ca_data: str | None = None


DOCKER_HUB_PREFIX = "docker.io"
DOCKER_HUB = Endpoint(
    name="Docker Hub",
    api_url="https://registry-1.docker.io",
    prefix=DOCKER_HUB_PREFIX,
    default_ns="library",
    limit=10.0,
)
INFERRED_LIMIT = 20.0
MIN_LIMIT = 0.01  # requests per second: the slowest wait between two requests is 100 s


@dataclass(frozen=True, slots=True)
class RegistryConfig:
    """The configured endpoints, in file order, and endpoint lookup for images."""

    endpoints: tuple[Endpoint, ...] = ()
    _by_prefix: Mapping[str, Endpoint] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_prefix", {e.prefix: e for e in self.endpoints if e.prefix})

    @property
    def default_endpoint(self) -> Endpoint:
        """For images without a registry host: `default: true`, else the entry without a prefix,
        else the entry for `docker.io`, else built-in Docker Hub."""
        for wanted in (lambda e: e.default, lambda e: not e.prefix):
            found = [e for e in self.endpoints if wanted(e)]
            if found:
                return found[0]
        return self._by_prefix.get(DOCKER_HUB_PREFIX, DOCKER_HUB)

    def resolve(self, image: ImageRef) -> Endpoint:
        """The endpoint for `image`: the default registry when it names no host, else the entry with
        the longest prefix of `<registry>/<repository>` on a `/` boundary, else Docker Hub for its
        spellings, else an endpoint inferred from the host."""
        if not image.registry:
            return self.default_endpoint
        # The exact host is just the shortest candidate: upstream tries it first, which makes an
        # entry for `ghcr.io/org` dead as soon as one for `ghcr.io` exists.
        name = f"{image.registry}/{image.repository}"
        matching = [p for p in self._by_prefix if name.startswith(p + "/")]
        if matching:
            return self._by_prefix[max(matching, key=len)]
        if refs.is_docker_hub(image.registry):
            return self._by_prefix.get(DOCKER_HUB_PREFIX, DOCKER_HUB)
        return _inferred(image.registry)


def api_repository(endpoint: Endpoint, image: ImageRef) -> str:
    """The repository path for the registry API: `nginx` → `library/nginx` on Docker Hub.

    The endpoint's `default_ns` is prepended to a single-component name. An endpoint whose API is
    Docker Hub's gets `library` even without `defaultns` (upstream would ask for `nginx` and fail).
    """
    host = urlsplit(endpoint.api_url).hostname or ""
    default_ns = endpoint.default_ns or ("library" if refs.is_docker_hub(host) else "")
    return refs.registry_path(image, default_ns=default_ns)


def _inferred(registry: str) -> Endpoint:
    scheme = "http" if _is_loopback(registry) else "https"
    return Endpoint(name=registry, api_url=f"{scheme}://{registry}", prefix=registry, limit=INFERRED_LIMIT)


def _is_loopback(registry: str) -> bool:
    host = urlsplit(f"//{registry}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_registries_conf(text: str | bytes, *, source: str = "registries.conf") -> RegistryConfig:
    """Parse registries.conf text strictly; empty text gives the built-in defaults.

    Raises `InvalidRegistryConfig` naming `source`, the entry (index and name) and the key.
    The parser (pydantic, the YAML loader) loads with the first file read: a command that reads
    none (`test` without `--registries-conf`) never pays for importing it.
    """
    from image_updater.settings import registries_conf

    return registries_conf.parse(text, source=source)


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (`300ms`, `5m`, `1h30m`, `1.5h`); ValueError when it is not one."""
    if text == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(text) or pos == 0:
        match = _DURATION_PART.match(text, pos)
        if match is None:
            raise ValueError("not a duration")
        total += float(match.group(1)) * _SECONDS[match.group(2)]
        pos = match.end()
    return total
