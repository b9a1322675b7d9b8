"""Registry authentication, without I/O: challenges, scopes, token answers, and the token cache.

Docker distribution auth: a registry answers 401 with `WWW-Authenticate: Bearer realm=...,service=...`
(we then ask the realm for a token for `repository:<repo>:pull`, anonymously when there are no
credentials, as Docker Hub allows) or `Basic realm=...` (we send the credentials on every request).
The client performs the requests; this module only decides what to send and remembers tokens.
Nothing here ever puts a credential or a token into an error message.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from image_updater.credentials import Credentials
from image_updater.errors import RegistryProtocolError
from image_updater.registry.manifests import load_json

MIN_TOKEN_LIFETIME = 60.0  # seconds; the token spec's floor and default for `expires_in`
MAX_TOKEN_LIFETIME = 86_400.0  # a day: a token answer cannot make us trust it for ever
EXPIRY_LEEWAY = 5.0  # renew a little early so a token does not expire in flight
_PARAM = re.compile(r'([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))')


@dataclass(frozen=True, slots=True)
class Challenge:
    """A parsed `WWW-Authenticate` challenge; `scheme` is lower-case (`bearer`, `basic`)."""

    scheme: str
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str:
        """A parameter's value (`realm`, `service`, `scope`), "" if absent."""
        return next((v for k, v in self.params if k == name), "")


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token and the monotonic time after which it is no longer used. `repr` hides it."""

    value: str = field(repr=False)
    expires_at: float


def parse_challenge(header: str | None) -> Challenge | None:
    """Parse the first challenge of a `WWW-Authenticate` header; None if absent or unusable."""
    if not header or not header.strip():
        return None
    scheme, _, rest = header.strip().partition(" ")
    params = tuple(
        (m.group(1).lower(), m.group(2).replace('\\"', '"') if m.group(2) is not None else m.group(3))
        for m in _PARAM.finditer(rest)
    )
    return Challenge(scheme.lower(), params)


def pull_scope(*, host: str, repository: str) -> str:
    """The token scope for reading `repository`; ACR wants its metadata/content actions spelled out."""
    hostname = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    actions = "pull,metadata_read,content_read" if hostname.endswith(".azurecr.io") else "pull"
    return f"repository:{repository}:{actions}"


def token_url(challenge: Challenge, *, scope: str | None) -> str:
    """The realm URL with `service` and `scope` appended (keeping any query the realm already has)."""
    realm = challenge.param("realm")
    query = {k: v for k, v in (("service", challenge.param("service")), ("scope", scope)) if v}
    if not query:
        return realm
    separator = "&" if "?" in realm else "?"
    return realm + separator + urlencode(query, quote_via=quote, safe=":/,")


def basic_header(credentials: Credentials) -> str:
    raw = f"{credentials.username}:{credentials.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def parse_token(body: bytes, *, now: float, where: str) -> Token:
    """Read a token answer: `token` or `access_token` (a lone `refresh_token` is unusable), `expires_in`."""
    doc = load_json(body, where=f"token answer for {where}")
    value = doc.get("token") or doc.get("access_token")
    if not isinstance(value, str) or not value:
        raise RegistryProtocolError(f"token answer for {where} carries no token")
    if not value.isascii() or not value.isprintable() or " " in value:
        # it goes into a header: a newline there would be a header injection (aiohttp refuses it)
        raise RegistryProtocolError(f"token answer for {where} carries a token that is not printable ASCII")
    lifetime = doc.get("expires_in")
    seconds = MIN_TOKEN_LIFETIME
    # compared before any float(): a 400-digit integer would overflow it, NaN fails the test
    if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) and lifetime > seconds:
        seconds = float(min(lifetime, MAX_TOKEN_LIFETIME))
    return Token(value, now + seconds - EXPIRY_LEEWAY)


class TokenCache:
    """Bearer tokens per scope, dropped once expired by the injected monotonic clock.

    One cache per client, hence per registry and set of credentials: tokens are never shared
    between identities.
    """

    __slots__ = ("_clock", "_tokens")

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[str, Token] = {}

    def get(self, *, scope: str) -> Token | None:
        token = self._tokens.get(scope)
        if token is not None and self._clock() >= token.expires_at:
            del self._tokens[scope]
            return None
        return token

    def put(self, *, scope: str, token: Token) -> None:
        self._tokens[scope] = token

    def drop(self, *, scope: str) -> None:
        self._tokens.pop(scope, None)
