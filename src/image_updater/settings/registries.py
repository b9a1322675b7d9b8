"""Registry endpoints: the `registries.conf` format of argocd-image-updater, and endpoint lookup.

Owns: the `Endpoint` type, strict parsing of registries.conf (pydantic, `extra="forbid"`), the
built-in Docker Hub default, `RegistryConfig.resolve(image)` and `api_repository`. Pure: reading
the file is the caller's job. Credential references stay strings here: `settings` may not import
`credentials` (sibling layers), so the runtime parses them when it builds resolvers.

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

import difflib
import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError
from yaml import MarkedYAMLError, YAMLError

from image_updater import refs, yamlsafe
from image_updater.errors import InvalidRegistryConfig, InvalidYaml
from image_updater.refs import ImageRef
from image_updater.settings.goyaml import GoBool, load_go_yaml


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


# --- parsing -----------------------------------------------------------------------------------

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_HOST = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]")
_PATH = re.compile(r"(/[A-Za-z0-9._~\-]+)*")
_EXPECTED = {
    "name": "a string",
    "api_url": "a URL like https://host[:port][/path]",
    "prefix": "a registry host[:port][/path] like ghcr.io or registry.example.com/team",
    "credentials": "a credential reference like pullsecret:<namespace>/<name>",
    "credsexpire": "a duration like 5m, 12h or 1h30m",
    "defaultns": "a string",
    "default": "true or false",
    "insecure": "true or false",
    "ping": "true or false",
    "tagsortmode": "one of latest-first, latest-last, none",
    "limit": "a number of requests per second",
    "ca_file": "a file path",
    "ca_data": "a PEM certificate bundle",
}


class _Entry(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    name: str
    api_url: str
    prefix: str = ""
    credentials: str | None = None
    credsexpire: str | None = None
    defaultns: str = ""
    default: GoBool = False
    insecure: GoBool = False
    ping: GoBool = True
    tagsortmode: Literal["latest-first", "latest-last", "none", ""] = ""
    limit: float | None = None
    ca_file: str | None = None
    ca_data: str | None = None


class _File(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    registries: list[_Entry] | None = None


def parse_registries_conf(text: str | bytes, *, source: str = "registries.conf") -> RegistryConfig:
    """Parse registries.conf text strictly; empty text gives the built-in defaults.

    Raises `InvalidRegistryConfig` naming `source`, the entry (index and name) and the key.
    """
    raw = _load_yaml(text, source=source)
    if raw is None:
        return RegistryConfig()
    try:
        model = _File.model_validate(raw)
    except ValidationError as exc:
        raise InvalidRegistryConfig(_describe(exc, raw, source=source)) from None
    entries = model.registries or []
    endpoints = tuple(_endpoint(e, where=_where(source, i, e.name)) for i, e in enumerate(entries))
    _check_unique(endpoints, source=source)
    return RegistryConfig(endpoints)


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


def _load_yaml(text: str | bytes, *, source: str) -> Any:
    try:
        raw = load_go_yaml(yamlsafe.decode(text, source=source), source=source)
    except MarkedYAMLError as exc:
        if exc.problem == "exceeded maximum nesting depth":  # libyaml's own bound, met before ours
            raise InvalidRegistryConfig(f"{source}: nested too deeply to be a registries.conf") from None
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise InvalidRegistryConfig(f"{source}: line {line}: not valid YAML ({exc.problem})") from None
    except YAMLError as exc:
        raise InvalidRegistryConfig(f"{source}: not valid YAML ({type(exc).__name__})") from None
    except RecursionError:  # constructing recurses: deep nesting may exhaust the stack first
        raise InvalidRegistryConfig(f"{source}: nested too deeply to be a registries.conf") from None
    except ValueError as exc:  # the constructor's own checks, e.g. a timestamp with month 13
        raise InvalidRegistryConfig(f"{source}: not valid YAML ({exc})") from None
    except InvalidYaml as exc:
        raise InvalidRegistryConfig(str(exc)) from None
    if raw is not None and not isinstance(raw, dict):
        raise InvalidRegistryConfig(f'{source}: expected a mapping with a "registries:" list at the top')
    return raw


def _where(source: str, index: int, name: object) -> str:
    return f"{source}: {_entry_label(index, name)}"


def _entry_label(index: int, name: object) -> str:
    return f"registries[{index}] ({name})" if isinstance(name, str) and name else f"registries[{index}]"


def _describe(exc: ValidationError, raw: dict[str, Any], *, source: str) -> str:
    # Unknown keys first: a misspelt key is usually the cause of the other complaints.
    error = min(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    loc = error["loc"]
    if loc[0] != "registries":
        return f'{source}: unknown top-level key "{loc[0]}"; the file holds only a "registries:" list'
    if len(loc) == 1:
        return f'{source}: "registries" must be a list of entries, each a mapping with name and api_url'
    if len(loc) == 2:
        return f"{source}: registries[{loc[1]}] must be a mapping with at least name and api_url"
    entry = raw["registries"][loc[1]]
    where = _where(source, int(loc[1]), entry.get("name"))
    key = str(loc[2])
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(key, _EXPECTED, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else f"; known keys: {', '.join(_EXPECTED)}"
        return f'{where}: unknown key "{key}"{hint}'
    if error["type"] == "missing":
        return f'{where}: missing required key "{key}" ({_EXPECTED[key]})'
    # A value in the wrong key may be a password pasted into "credentials": never echo that one.
    got = "" if key == "credentials" else f", got {_shown(error['input'])}"
    return f'{where}: "{key}" must be {_EXPECTED[key]}{got}'


def _shown(value: object) -> str:
    if isinstance(value, dict | list):
        return "a mapping" if isinstance(value, dict) else "a list"
    return repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."


def _endpoint(entry: _Entry, *, where: str) -> Endpoint:
    return Endpoint(
        name=entry.name,
        api_url=_api_url(entry.api_url, where=where),
        prefix=_prefix(entry.prefix, where=where),
        credentials=entry.credentials or None,
        credsexpire=_credsexpire(entry.credsexpire, where=where),
        default_ns=entry.defaultns.strip("/"),
        default=entry.default,
        insecure=entry.insecure,
        ca_file=entry.ca_file or None,
        tagsortmode=entry.tagsortmode or "none",
        limit=_limit(entry.limit, where=where),
        ca_data=entry.ca_data or None,
    )


def _api_url(url: str, *, where: str) -> str:
    parts = urlsplit(url.rstrip("/"))
    if "@" in url:
        # Never echo this URL: the part before "@" is a password more often than not.
        raise InvalidRegistryConfig(f'{where}: "api_url" must not carry credentials; use "credentials"')
    if parts.scheme not in ("http", "https") or parts.query or parts.fragment or not _host_ok(parts.netloc):
        raise InvalidRegistryConfig(f'{where}: "api_url" must be {_EXPECTED["api_url"]}, got {url!r}')
    if not _PATH.fullmatch(parts.path):
        raise InvalidRegistryConfig(f'{where}: "api_url" has an unusable path, got {url!r}')
    return url.rstrip("/")


def _prefix(prefix: str, *, where: str) -> str:
    trimmed = prefix.rstrip("/")
    if "://" in prefix:
        raise InvalidRegistryConfig(
            f'{where}: "prefix" is a registry host without a scheme (like ghcr.io), got {prefix!r}'
        )
    host, _, path = trimmed.partition("/")
    if trimmed and not (_host_ok(host) and _PATH.fullmatch("/" + path if path else "")):
        raise InvalidRegistryConfig(f'{where}: "prefix" must be {_EXPECTED["prefix"]}, got {prefix!r}')
    return trimmed


def _host_ok(netloc: str) -> bool:
    host, colon, port = netloc.rpartition(":") if not netloc.endswith("]") else (netloc, "", "")
    if not colon:
        host = netloc
    elif not (port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536):  # not "²"
        return False
    return bool(_HOST.fullmatch(host))


def _credsexpire(text: str | None, *, where: str) -> float | None:
    if not text:
        return None
    try:
        seconds = parse_duration(text)
    except ValueError:
        raise InvalidRegistryConfig(
            f'{where}: "credsexpire" must be {_EXPECTED["credsexpire"]}, got {text!r}'
        ) from None
    return seconds or None


def _limit(limit: float | None, *, where: str) -> float | None:
    if limit is None or limit <= 0:
        return None  # upstream: absent or <= 0 is unlimited
    if not math.isfinite(limit) or limit < MIN_LIMIT:
        raise InvalidRegistryConfig(
            f'{where}: "limit" must be at least {MIN_LIMIT} requests per second and finite '
            f"(or <= 0 for unlimited), got {limit!r}"
        )
    return limit


def _normalised(prefix: str) -> str:
    """The prefix as registries compare it: host names are case-insensitive, and Docker Hub has
    several spellings."""
    host, slash, path = prefix.partition("/")
    host = DOCKER_HUB_PREFIX if refs.is_docker_hub(host.lower()) else host.lower()
    return host + slash + path


def _check_unique(endpoints: tuple[Endpoint, ...], *, source: str) -> None:
    defaults = [i for i, e in enumerate(endpoints) if e.default]
    _reject_second(
        endpoints, defaults, 'only one entry may set "default: true" and {first} already does', source=source
    )
    prefixless = [i for i, e in enumerate(endpoints) if not e.prefix]
    _reject_second(
        endpoints, prefixless, 'only one entry may omit "prefix" and {first} already does', source=source
    )
    by_prefix: dict[str, list[int]] = {}
    for i, e in enumerate(endpoints):
        if e.prefix:
            by_prefix.setdefault(_normalised(e.prefix), []).append(i)
    for prefix, same in by_prefix.items():
        rule = f'prefix "{prefix}" is already used by {{first}}; merge the two entries'
        _reject_second(endpoints, same, rule, source=source)


def _reject_second(endpoints: tuple[Endpoint, ...], indices: list[int], rule: str, *, source: str) -> None:
    if len(indices) > 1:
        first, second = indices[0], indices[1]
        where = _where(source, second, endpoints[second].name)
        raise InvalidRegistryConfig(
            f"{where}: " + rule.format(first=_entry_label(first, endpoints[first].name))
        )
