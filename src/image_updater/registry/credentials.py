"""Resolving credential references: environment, Secrets and `ext:` scripts, with caching.

Adapter: runs `ext:` executables (no shell, no arguments, stdin closed, its own process group so a
timeout kills whatever it started) and reads Secrets through an injected `SecretSource`.
Parsing what comes back is `image_updater.credentials`'s job.

Caching follows upstream: registry-level credentials are kept per (endpoint, reference) until
the endpoint's `credsexpire` passes (None: for the life of the process), and `invalidate` drops
them when the registry answers 401 with them; per-image pull secrets are read fresh on every
call (`cached=False`). Concurrent callers of one cached reference share one read, so a slow
`ext:` script runs once, not once per image.

Nothing here logs. Messages name the reference, the Secret and the field, and for a failed
script its exit status and the first line of its stderr, never its stdout (that is where the
password is printed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Mapping

from image_updater.credentials import (
    CredentialRef,
    Credentials,
    SecretSource,
    dockerconfig_credentials,
    parse_credential_ref,
    parse_user_pass,
)
from image_updater.errors import CredentialError, InvalidCredentialRef
from image_updater.registry.authenticating import CredentialsProvider
from image_updater.settings.registries import Endpoint

DOCKERCONFIG_FIELD = ".dockerconfigjson"
STDERR_EXCERPT = 200


class CredentialResolver:
    """Turns credential references into `Credentials`, caching registry-level ones."""

    def __init__(
        self,
        *,
        secrets: SecretSource | None,
        environ: Mapping[str, str],
        clock: Callable[[], float],
        ext_timeout: float = 10.0,
    ) -> None:
        self._secrets = secrets
        self._environ = environ
        self._clock = clock
        self._ext_timeout = ext_timeout
        self._cache: dict[tuple[Endpoint, CredentialRef], tuple[Credentials, float]] = {}
        self._locks: dict[tuple[Endpoint, CredentialRef], asyncio.Lock] = {}

    async def resolve(self, ref: CredentialRef, *, endpoint: Endpoint, cached: bool = True) -> Credentials:
        """The credentials `ref` names, for `endpoint`; read fresh when `cached` is False."""
        if not cached:
            return await self._read(ref, endpoint)
        key = (endpoint, ref)
        async with self._locks.setdefault(key, asyncio.Lock()):
            hit = self._cache.get(key)
            if hit is not None and not self._expired(hit[1], endpoint):
                return hit[0]
            credentials = await self._read(ref, endpoint)
            self._cache[key] = (credentials, self._clock())
            return credentials

    def invalidate(self, endpoint: Endpoint) -> None:
        """Forget cached credentials for `endpoint` (the registry rejected them)."""
        for key in [key for key in self._cache if key[0] == endpoint]:
            del self._cache[key]

    def provider(
        self, ref: CredentialRef | None, endpoint: Endpoint, *, cached: bool = True
    ) -> CredentialsProvider:
        """A callable for the registry client; it answers None (anonymous) when `ref` is None."""

        async def provide() -> Credentials | None:
            if ref is None:
                return None
            return await self.resolve(ref, endpoint=endpoint, cached=cached)

        return provide

    def for_endpoint(self, endpoint: Endpoint) -> CredentialsProvider:
        """The provider for an endpoint's own `credentials` (registry level, cached); anonymous if none.

        Raises InvalidCredentialRef naming the endpoint when its reference does not parse.
        """
        if endpoint.credentials is None:
            return self.provider(None, endpoint)
        try:
            ref = parse_credential_ref(endpoint.credentials)
        except InvalidCredentialRef as exc:
            raise InvalidCredentialRef(f'registry "{endpoint.name}": {exc}') from None
        return self.provider(ref, endpoint)

    def _expired(self, fetched_at: float, endpoint: Endpoint) -> bool:
        return endpoint.credsexpire is not None and self._clock() - fetched_at >= endpoint.credsexpire

    async def _read(self, ref: CredentialRef, endpoint: Endpoint) -> Credentials:
        if ref.kind == "env":
            return self._from_env(ref)
        if ref.kind == "ext":
            return await self._from_script(ref)
        data = await self._secret(ref)
        if ref.kind == "secret":
            return parse_user_pass(_text(_field(data, ref, ref.field), ref), source=str(ref))
        registry_host = ref.registry or endpoint.prefix.partition("/")[0]
        return dockerconfig_credentials(
            _field(data, ref, DOCKERCONFIG_FIELD),
            registry_host=registry_host,
            api_url=endpoint.api_url,
            source=f"{ref}: Secret {ref.namespace}/{ref.name}",
        )

    def _from_env(self, ref: CredentialRef) -> Credentials:
        value = self._environ.get(ref.variable)
        if value is None:
            raise CredentialError(f"{ref}: environment variable {ref.variable} is not set")
        return parse_user_pass(value, source=str(ref))

    async def _secret(self, ref: CredentialRef) -> dict[str, bytes]:
        if self._secrets is None:
            raise CredentialError(
                f"{ref}: Secrets cannot be read here; no cluster or Secrets directory is set"
            )
        return await self._secrets.get_secret(ref.namespace, ref.name)

    async def _from_script(self, ref: CredentialRef) -> Credentials:
        process = await _start(ref, env=dict(self._environ))
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), self._ext_timeout)
        except TimeoutError:
            await _kill(process)
            raise CredentialError(
                f"{ref}: no answer within {self._ext_timeout:g}s; the script must print "
                "<username>:<password> on one line and exit"
            ) from None
        if process.returncode != 0:
            raise CredentialError(f"{ref}: exited with status {process.returncode}{_excerpt(stderr)}")
        first_line = stdout.decode("utf-8", errors="replace").partition("\n")[0]
        return parse_user_pass(first_line, source=f"{ref}: output")


async def _start(ref: CredentialRef, *, env: dict[str, str]) -> asyncio.subprocess.Process:
    try:
        return await asyncio.create_subprocess_exec(
            ref.path,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group, so a timeout kills what it started too
        )
    except FileNotFoundError:
        raise CredentialError(f"{ref}: {ref.path} does not exist") from None
    except PermissionError:
        raise CredentialError(f"{ref}: {ref.path} is not executable; chmod +x it") from None
    except OSError as exc:
        raise CredentialError(f"{ref}: cannot run {ref.path}: {exc.strerror}") from None


async def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()


def _excerpt(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", errors="replace").strip().splitlines()
    return f": {lines[0][:STDERR_EXCERPT]}" if lines else " and wrote nothing to stderr"


def _field(data: dict[str, bytes], ref: CredentialRef, field: str) -> bytes:
    if field in data:
        return data[field]
    present = ", ".join(sorted(data)) or "none"
    hint = "; create it with kubectl create secret docker-registry" if field == DOCKERCONFIG_FIELD else ""
    raise CredentialError(
        f'{ref}: Secret {ref.namespace}/{ref.name} has no field "{field}"; fields present: {present}{hint}'
    )


def _text(value: bytes, ref: CredentialRef) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialError(f'{ref}: field "{ref.field}" is not UTF-8 text') from None
