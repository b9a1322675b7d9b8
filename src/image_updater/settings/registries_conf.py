"""Reading registries.conf into `RegistryConfig`: the strict pydantic models and their messages.

Split from `registries` so that pydantic and the YAML loader are imported only when a file is
read (`registries.parse_registries_conf` is the entry point; see its module docstring for the
format and the deliberate differences from upstream).
"""

from __future__ import annotations

import difflib
import math
import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError
from yaml import MarkedYAMLError, YAMLError

from image_updater import refs, yamlsafe
from image_updater.errors import InvalidRegistryConfig, InvalidYaml
from image_updater.settings.goyaml import GoBool, load_go_yaml
from image_updater.settings.registries import (
    DOCKER_HUB_PREFIX,
    MIN_LIMIT,
    Endpoint,
    RegistryConfig,
    parse_duration,
)

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


def parse(text: str | bytes, *, source: str = "registries.conf") -> RegistryConfig:
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
