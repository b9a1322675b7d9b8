"""The per-client authentication state and its I/O: challenge learnt, tokens fetched and renewed.

`auth` decides what to send; this module sends token requests (through the client's `Transport`,
so they are limited and counted like every other request) and keeps the challenge and the token
cache of one client, i.e. of one set of credentials. Credentials are asked for only when a token
must be fetched or a Basic header built, never put into an error message.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from image_updater.credentials import Credentials
from image_updater.errors import RegistryAuthError, RegistryProtocolError
from image_updater.registry import auth
from image_updater.registry.transport import Response, Transport, resolve

CredentialsProvider = Callable[[], Awaitable[Credentials | None]]
MAX_TOKEN_BODY = 1 << 20


def denied(registry: str, status: int, repository: str, *, by: str = "") -> RegistryAuthError:
    """The error for a refused request: names registry and repository, points at the credentials."""
    return RegistryAuthError(
        f"{by}{registry} denied access to repository {repository!r} (HTTP {status}); "
        "check the credentials configured for this registry and that the repository exists"
    )


class Authenticator:
    """What to put in `Authorization` for a repository of one registry, learning from 401 challenges."""

    __slots__ = (
        "_challenge",
        "_clock",
        "_credentials",
        "_https",
        "_locks",
        "_registry",
        "_tokens",
        "_transport",
    )

    def __init__(
        self,
        *,
        registry: str,
        https: bool,
        transport: Transport,
        credentials: CredentialsProvider | None,
        clock: Callable[[], float],
    ) -> None:
        self._registry = registry
        self._https = https
        self._transport = transport
        self._credentials = credentials
        self._clock = clock
        self._tokens = auth.TokenCache(clock=clock)
        self._locks: dict[str, asyncio.Lock] = {}
        self._challenge: auth.Challenge | None = None

    def learn(self, response: Response, *, repository: str | None) -> auth.Challenge:
        """Remember the challenge of a 401 answer; RegistryAuthError if it offers nothing we can use."""
        challenge = auth.parse_challenge(response.headers.get("WWW-Authenticate"))
        usable = challenge is not None and (
            challenge.scheme == "basic"
            or (challenge.scheme == "bearer" and challenge.param("realm").startswith(("http://", "https://")))
        )
        if challenge is None or not usable:
            what = f"repository {repository!r}" if repository else "/v2/"
            raise RegistryAuthError(
                f"{self._registry} refused {what} (HTTP 401) without a usable auth challenge"
            )
        self._challenge = challenge
        return challenge

    async def authorization(self, *, repository: str, rejected: str | None = None) -> str | None:
        """The Authorization value for pulling `repository` (None while no challenge is known).

        `rejected` is a value the registry just refused: its token is dropped unless a concurrent
        request already replaced it. One token fetch per scope at a time, so a fan-out that meets
        an expired token fetches one new token, not one per request.
        """
        challenge = self._challenge
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            credentials = await self._credentials() if self._credentials is not None else None
            if credentials is None:
                raise RegistryAuthError(
                    f"{self._registry} requires credentials for repository {repository!r}; none configured"
                )
            return auth.basic_header(credentials)
        scope = auth.pull_scope(host=self._registry, repository=repository)
        async with self._locks.setdefault(scope, asyncio.Lock()):
            token = self._tokens.get(scope=scope)
            if token is not None and f"Bearer {token.value}" == rejected:
                self._tokens.drop(scope=scope)
                token = None
            if token is None:
                token = await self._fetch_token(challenge, scope, repository)
                self._tokens.put(scope=scope, token=token)
        return f"Bearer {token.value}"

    async def _fetch_token(self, challenge: auth.Challenge, scope: str, repository: str) -> auth.Token:
        # Anonymous when there are no credentials: Docker Hub and others hand out pull tokens that way.
        credentials = await self._credentials() if self._credentials is not None else None
        headers = {"Authorization": auth.basic_header(credentials)} if credentials is not None else {}
        where = f"{self._registry}/{repository}"
        realm = challenge.param("realm")
        if credentials is not None and self._https and not realm.startswith("https://"):
            # A TLS registry pointing us at a plain-HTTP token service would expose the password.
            raise RegistryAuthError(
                f"{self._registry} sends credentials for {where} to a plain-HTTP token service; refused"
            )
        response = await self._transport.send(
            kind="token",
            method="GET",
            url=resolve(auth.token_url(challenge, scope=scope), "", what=f"the token service of {where}"),
            headers=headers,
            max_bytes=MAX_TOKEN_BODY,
            what=where,
        )
        if response.status in (401, 403):
            raise denied(self._registry, response.status, repository, by="the token service of ")
        if response.status != 200:
            raise RegistryProtocolError(
                f"the token service of {self._registry} answered HTTP {response.status} for {where}"
            )
        return auth.parse_token(response.body, now=self._clock(), where=where)
