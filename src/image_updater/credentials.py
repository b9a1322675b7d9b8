"""Credential references and the Secrets interface. Pure: no I/O.

Syntax `[<registry>=]<type>:<definition>`: `pullsecret:<ns>/<name>`, `secret:<ns>/<name>#<field>`,
`env:<VAR>`, `ext:<absolute path>`. Secret-backed references resolve through `SecretSource`, which
the runtime implements from the cluster or from Secret manifests on disk; the resolving itself
(environment, scripts, caching) is `image_updater.registry.credentials`.

What is read from a resolved value, and how it differs from upstream:
- `secret:`, `env:`, `ext:` values are `user:pass`, split on the first `:`; trailing newlines are
  stripped (a Secret created with `echo` carries one), nothing else is.
- `pullsecret:` reads `.dockerconfigjson`. Upstream picks the `auths` entry by string prefix of the
  API URL in Go map order, so `https://index.docker.io/v1/` (what `docker login` writes) never
  matches Docker Hub and several matches pick one at random. Here the entry is chosen by host
  (scheme and path ignored), every Docker Hub spelling is one host, and the choice is deterministic
  (see `dockerconfig_credentials`). Upstream reads only `auth`; `username`/`password` are read too.

No message produced here contains a password, a token, an `auth` string or a value read from a
Secret; a reference whose type is unknown is not echoed either (it may be a pasted `user:pass`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from image_updater import refs
from image_updater.errors import CredentialError, InvalidCredentialRef

CredentialKind = Literal["pullsecret", "secret", "env", "ext"]

# Kubernetes object names: a namespace is a DNS-1123 label, a name a DNS-1123 subdomain.
K8S_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
K8S_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_FIELD = re.compile(r"[-._a-zA-Z0-9]{1,253}")
_ENV_VAR = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REGISTRY = re.compile(r"([A-Za-z0-9.\-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?")
_SYNTAX = {
    "pullsecret": "pullsecret:<namespace>/<name>",
    "secret": "secret:<namespace>/<name>#<field>",
    "env": "env:<VARIABLE>",
    "ext": "ext:</absolute/path/to/script>",
}
# Order among Docker Hub spellings when several are present: what `docker login` writes first.
_DOCKER_HUB_ORDER = ("index.docker.io", "docker.io", "registry-1.docker.io")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A username and password. `repr` hides the password so it cannot reach a log by accident."""

    username: str
    password: str

    def __repr__(self) -> str:
        return f"Credentials(username={self.username!r}, password=<hidden>)"


class SecretSource(Protocol):
    """Reads a Kubernetes-style Secret: its decoded `data` fields, by namespace and name.

    Raises `image_updater.errors.CredentialError` when the Secret does not exist.
    """

    async def get_secret(self, namespace: str, name: str) -> dict[str, bytes]: ...


@dataclass(frozen=True, slots=True)
class CredentialRef:
    """A parsed credential reference. Only the fields of its `kind` are set.

    `registry` is the optional `<registry>=` prefix: which registry host the credentials are for.
    """

    kind: CredentialKind
    registry: str | None = None
    namespace: str = ""  # pullsecret, secret
    name: str = ""  # pullsecret, secret
    field: str = ""  # secret
    variable: str = ""  # env
    path: str = ""  # ext

    def __str__(self) -> str:
        definition = {
            "pullsecret": f"{self.namespace}/{self.name}",
            "secret": f"{self.namespace}/{self.name}#{self.field}",
            "env": self.variable,
            "ext": self.path,
        }[self.kind]
        prefix = f"{self.registry}=" if self.registry else ""
        return f"{prefix}{self.kind}:{definition}"


def parse_credential_ref(text: str) -> CredentialRef:
    """Parse `[<registry>=]<type>:<definition>`; InvalidCredentialRef says how to write it."""
    text = text.strip()
    registry: str | None = None
    head, equals, tail = text.partition("=")
    if equals and "/" not in head:  # an `ext:` path is the only definition that may hold "=", after a "/"
        if not _REGISTRY.fullmatch(head):
            raise InvalidCredentialRef(
                "credential reference: the part before '=' must be a registry host[:port], "
                "as in ghcr.io=pullsecret:<namespace>/<name>"
            )
        registry, text = head, tail
    kind, colon, definition = text.partition(":")
    if not colon or kind not in _SYNTAX:
        raise InvalidCredentialRef(_unknown(_kind_hint(kind)))
    where = f"credential reference {text!r}"
    return replace(_PARSERS[kind](definition, where), registry=registry)


def parse_user_pass(text: str, *, source: str = "credentials") -> Credentials:
    """Split `user:pass` on the first `:`; trailing newlines are stripped. Never echoes `text`."""
    user, colon, password = text.rstrip("\r\n").partition(":")
    if not colon or not user:
        raise CredentialError(f"{source}: value is not in the form <username>:<password>")
    return Credentials(user, password)


def dockerconfig_credentials(
    dockerconfigjson: bytes, *, registry_host: str, api_url: str, source: str = ".dockerconfigjson"
) -> Credentials:
    """The credentials for a registry from a `.dockerconfigjson` document.

    The `auths` entry is chosen by host[:port]; scheme and path of a key are ignored. Preference,
    so that the result never depends on key order: a key naming `registry_host` exactly, then one
    naming the host of `api_url`, then a Docker Hub spelling when the registry is Docker Hub
    (`index.docker.io`, `docker.io`, `registry-1.docker.io`, in that order); among equals, the
    bare host over one with a scheme or path, then alphabetical. An entry's `auth` (base64 of
    `user:pass`) wins over its `username`/`password`.
    """
    auths = _load_auths(dockerconfigjson, source=source)
    targets = (registry_host.lower(), (urlsplit(api_url).netloc or "").lower())
    ranked = sorted((r, key) for key in auths if (r := _rank(key, targets)) is not None)
    if not ranked:
        raise CredentialError(_no_entry(auths, targets, api_url=api_url, source=source))
    key = ranked[0][1]
    return _entry_credentials(auths[key], where=f'{source}: entry "{key}"')


def _unknown(hint: str) -> str:
    return f"credential reference: {hint}; write one of {', '.join(_SYNTAX.values())}"


def _kind_hint(kind: str) -> str:
    if kind.lower() in _SYNTAX:
        return f'the type must be lower-case "{kind.lower()}"'
    return "unknown or missing type"


def _namespaced(definition: str, where: str, kind: CredentialKind) -> tuple[str, str]:
    namespace, slash, name = definition.partition("/")
    if not slash or not K8S_NAMESPACE.fullmatch(namespace) or not K8S_NAME.fullmatch(name):
        raise InvalidCredentialRef(
            f"{where}: expected {_SYNTAX[kind]} with a lower-case Kubernetes namespace and Secret name"
        )
    return namespace, name


def _pullsecret(definition: str, where: str) -> CredentialRef:
    namespace, name = _namespaced(definition, where, "pullsecret")
    return CredentialRef("pullsecret", namespace=namespace, name=name)


def _secret(definition: str, where: str) -> CredentialRef:
    secret, hash_, field = definition.partition("#")
    if not hash_ or not _FIELD.fullmatch(field):
        raise InvalidCredentialRef(f"{where}: expected {_SYNTAX['secret']}; the field after '#' is missing")
    namespace, name = _namespaced(secret, where, "secret")
    return CredentialRef("secret", namespace=namespace, name=name, field=field)


def _env(definition: str, where: str) -> CredentialRef:
    if not _ENV_VAR.fullmatch(definition):
        raise InvalidCredentialRef(f"{where}: expected {_SYNTAX['env']}, a name of letters, digits and '_'")
    return CredentialRef("env", variable=definition)


def _ext(definition: str, where: str) -> CredentialRef:
    if not definition.startswith("/") or definition.endswith("/") or "\x00" in definition:
        raise InvalidCredentialRef(f"{where}: expected {_SYNTAX['ext']}; the path must be absolute")
    return CredentialRef("ext", path=definition)


_PARSERS = {"pullsecret": _pullsecret, "secret": _secret, "env": _env, "ext": _ext}


def _load_auths(document: bytes, *, source: str) -> dict[str, Any]:
    try:
        config = json.loads(document)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deeply
        # json's message quotes the document, which holds the secrets: never pass it on.
        raise CredentialError(f"{source}: not valid JSON; expected {{'auths': {{...}}}}") from None
    auths = config.get("auths") if isinstance(config, dict) else None
    if not isinstance(auths, dict):
        raise CredentialError(
            f'{source}: no "auths" object; is this a kubernetes.io/dockerconfigjson Secret?'
        )
    return auths


def _auth_host(key: str) -> str:
    text = key.strip().lower()
    return text.split("://", 1)[-1].split("/", 1)[0]


def _rank(key: str, targets: tuple[str, str]) -> tuple[int, int, bool, str] | None:
    host = _auth_host(key)
    decorated = key.strip().lower() != host  # has a scheme or a path
    for rank, target in enumerate(targets):
        if target and host == target:
            return (rank, 0, decorated, key)
    if host and refs.is_docker_hub(host) and any(t and refs.is_docker_hub(t) for t in targets):
        return (2, _DOCKER_HUB_ORDER.index(host), decorated, key)  # every Docker Hub host is in the order
    return None


def _no_entry(auths: dict[str, Any], targets: tuple[str, str], *, api_url: str, source: str) -> str:
    host = targets[0] or targets[1]
    present = ", ".join(f'"{key}"' for key in sorted(auths)) or "none"
    return (
        f'{source}: no "auths" entry for registry "{host}" (API {api_url}); entries present: {present}; '
        f'add one keyed "{host}" (kubectl create secret docker-registry --docker-server={host})'
    )


def _entry_credentials(entry: object, *, where: str) -> Credentials:
    if not isinstance(entry, dict):
        raise CredentialError(f"{where}: expected an object with auth or username and password")
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        return parse_user_pass(_b64(auth, where=where), source=f'{where} "auth"')
    username, password = entry.get("username"), entry.get("password")
    if isinstance(username, str) and username and isinstance(password, str):
        return Credentials(username, password)
    if entry.get("identitytoken"):
        raise CredentialError(
            f"{where}: holds only an identity token (unsupported); store username and password"
        )
    raise CredentialError(f'{where}: has neither "auth" nor "username" and "password"')


def _b64(text: str, *, where: str) -> str:
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise CredentialError(f'{where}: "auth" is not base64 of <username>:<password>') from None
