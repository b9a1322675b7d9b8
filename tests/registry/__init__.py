"""A small stub OCI registry (aiohttp.web on 127.0.0.1) and helpers for the client tests.

The stub serves tags, manifests and blobs from dictionaries, optionally behind Bearer (with its
own token endpoint) or Basic auth, records every request it receives, and lets a test intercept
requests with `hooks` to inject errors, pagination or slowness. Real-registry behaviour is
covered elsewhere (devtools' docker-registry); this stub exists to reach the error paths.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from image_updater.credentials import Credentials
from image_updater.registry.cache import MetadataCache
from image_updater.registry.client import RegistryClient
from image_updater.registry.counting import RequestCounter
from image_updater.registry.limits import RequestLimiter
from image_updater.registry.manifests import OCI_INDEX, OCI_MANIFEST
from image_updater.selection.types import Platform
from image_updater.settings.registries import Endpoint

USER = "alice"
PASSWORD = "pa55-w0rd-secret"
Hook = Callable[[web.Request], Awaitable[web.StreamResponse | None]]


def digest_of(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()


@dataclass(frozen=True, slots=True)
class Seen:
    """One request the stub received."""

    method: str
    path: str
    query: str
    authorization: str | None
    accept: str | None


@dataclass
class StubRegistry:
    """An in-memory registry. `auth` is None, "bearer" or "basic"."""

    auth: str | None = None
    anonymous_pull: bool = True
    expires_in: int | None = 300
    digest_header: bool = True
    blob_redirect: str | None = None  # base URL of another server that serves /blobs/<digest>
    manifests: dict[tuple[str, str], tuple[bytes, str]] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    hooks: list[Hook] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    # -- content -----------------------------------------------------------------------------
    def add_manifest(self, repo: str, tag: str | None, body: bytes, media_type: str) -> str:
        digest = digest_of(body)
        self.manifests[(repo, digest)] = (body, media_type)
        if tag is not None:
            self.manifests[(repo, tag)] = (body, media_type)
            if tag not in self.tags.setdefault(repo, []):
                self.tags[repo].append(tag)
        return digest

    def add_image(
        self,
        repo: str,
        tag: str | None,
        *,
        created: str | None = "2024-01-02T03:04:05.123456789Z",
        platform: str = "linux/amd64",
        labels: dict[str, str] | None = None,
        media_type: str = OCI_MANIFEST,
    ) -> str:
        """Push a config blob and an image manifest; returns the manifest digest."""
        p = Platform.parse(platform)
        config: dict[str, Any] = {"os": p.os, "architecture": p.architecture, "config": {"Labels": labels}}
        if p.variant:
            config["variant"] = p.variant
        if created is not None:
            config["created"] = created
        blob = json.dumps(config).encode()
        self.blobs[digest_of(blob)] = blob
        manifest = {
            "schemaVersion": 2,
            "mediaType": media_type,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest_of(blob)},
            "layers": [],
        }
        return self.add_manifest(repo, tag, json.dumps(manifest).encode(), media_type)

    def add_index(
        self, repo: str, tag: str, children: list[tuple[str, str]], *, media_type: str = OCI_INDEX
    ) -> str:
        """Push an index over (platform, digest) children; returns its digest."""
        entries = []
        for platform, digest in children:
            p = Platform.parse(platform)
            plat = {"os": p.os, "architecture": p.architecture} | (
                {"variant": p.variant} if p.variant else {}
            )
            entries.append({"mediaType": OCI_MANIFEST, "digest": digest, "size": 1, "platform": plat})
        body = json.dumps({"schemaVersion": 2, "mediaType": media_type, "manifests": entries}).encode()
        return self.add_manifest(repo, tag, body, media_type)

    # -- server ------------------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/token", self._token)
        app.router.add_get("/v2/", self._ping)
        app.router.add_get("/v2/{repo:.+}/tags/list", self._tags)
        app.router.add_get("/v2/{repo:.+}/manifests/{ref}", self._manifest)
        app.router.add_get("/v2/{repo:.+}/blobs/{digest}", self._blob)
        app.middlewares.append(self._record)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.seen.append(
            Seen(
                request.method,
                request.path,
                request.raw_path.partition("?")[2],
                request.headers.get("Authorization"),
                request.headers.get("Accept"),
            )
        )
        for hook in self.hooks:
            answer = await hook(request)
            if answer is not None:
                return answer
        if request.path != "/token" and (denied := self._check_auth(request)) is not None:
            return denied
        response: web.StreamResponse = await handler(request)
        return response

    def _check_auth(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if self.auth == "bearer" and header.removeprefix("Bearer ") not in self.valid_tokens:
            realm = f"http://{request.host}/token"
            repo = request.match_info.get("repo")
            scope = f',scope="repository:{repo}:pull"' if repo else ""
            challenge = f'Bearer realm="{realm}",service="stub"{scope}'
            return web.json_response({"errors": []}, status=401, headers={"WWW-Authenticate": challenge})
        if self.auth == "basic" and header != basic(USER, PASSWORD):
            return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="stub"'})
        return None

    async def _token(self, request: web.Request) -> web.Response:
        header = request.headers.get("Authorization")
        if header is None and not self.anonymous_pull:
            return web.Response(status=401)
        if header is not None and header != basic(USER, PASSWORD):
            return web.Response(status=401)
        token = f"tok-{next(self._numbers)}"
        self.valid_tokens.add(token)
        body: dict[str, Any] = {"token": token}
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return web.json_response(body)

    async def _ping(self, request: web.Request) -> web.Response:
        return web.json_response({})

    async def _tags(self, request: web.Request) -> web.Response:
        repo = request.match_info["repo"]
        if repo not in self.tags:
            return web.json_response({"errors": [{"code": "NAME_UNKNOWN"}]}, status=404)
        return web.json_response({"name": repo, "tags": self.tags[repo]})

    async def _manifest(self, request: web.Request) -> web.Response:
        found = self.manifests.get((request.match_info["repo"], request.match_info["ref"]))
        if found is None:
            return web.json_response({"errors": [{"code": "MANIFEST_UNKNOWN"}]}, status=404)
        body, media_type = found
        headers = {"Docker-Content-Digest": digest_of(body)} if self.digest_header else {}
        return web.Response(body=body, headers=headers, content_type=media_type)

    async def _blob(self, request: web.Request) -> web.Response:
        digest = request.match_info["digest"]
        if self.blob_redirect is not None:
            location = f"{self.blob_redirect}/blobs/{digest}?X-Signature=s3cr3t-signature"
            return web.Response(status=307, headers={"Location": location})
        if digest not in self.blobs:
            return web.json_response({"errors": [{"code": "BLOB_UNKNOWN"}]}, status=404)
        return web.Response(body=self.blobs[digest], content_type="application/octet-stream")

    def count(self, method: str, fragment: str) -> int:
        """Requests received with `method` whose path contains `fragment`."""
        return sum(1 for s in self.seen if s.method == method and fragment in s.path)


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Run `app` on a free 127.0.0.1 port; yields its base URL (no trailing slash)."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()


class FakeClock:
    """A monotonic clock and a sleep that advances it instantly; `sleeps` records every sleep."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def creds_provider(credentials: Credentials | None) -> Callable[[], Awaitable[Credentials | None]]:
    async def get() -> Credentials | None:
        return credentials

    return get


def make_client(
    session: aiohttp.ClientSession,
    url: str,
    *,
    credentials: Credentials | None = None,
    clock: FakeClock | None = None,
    counter: RequestCounter | None = None,
    cache: MetadataCache | None = None,
    limiter: RequestLimiter | None = None,
    timeout: float = 5.0,
    retries: int = 3,
) -> RegistryClient:
    """A client for the stub at `url`, on a fake clock whose sleeps are instant."""
    clock = clock or FakeClock()
    return RegistryClient(
        session=session,
        endpoint=Endpoint(name="stub", api_url=url),
        credentials=creds_provider(credentials) if credentials is not None else None,
        counter=counter or RequestCounter(),
        limiter=limiter or RequestLimiter(limit=None),
        cache=cache if cache is not None else MetadataCache(),  # an empty cache is falsy
        clock=clock,
        sleep=clock.sleep,
        timeout=aiohttp.ClientTimeout(total=timeout),
        retries=retries,
    )


@asynccontextmanager
async def running(stub: StubRegistry, **client_options: Any) -> AsyncIterator[tuple[RegistryClient, str]]:
    """Serve `stub` and yield a client for it plus the base URL."""
    async with serve(stub.app()) as url, aiohttp.ClientSession() as session:
        yield make_client(session, url, **client_options), url
