"""Our registry client against a real registry (distribution 2.8.2) in every auth mode.

The stub-based tests pin the protocol details; these check that the client and a real
registry agree: Basic and token auth (anonymous pull tokens included), single- and multi-arch
metadata, moving and deleted tags, and what a warm cache costs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest

from devtools import oci
from devtools.registry import LocalRegistry
from devtools.tokenserver import TokenServer
from image_updater.credentials import Credentials
from image_updater.errors import RegistryAuthError, RegistryNotFound
from image_updater.registry.cache import MetadataCache
from image_updater.registry.client import RegistryClient
from image_updater.registry.counting import RequestCounter
from image_updater.registry.limits import RequestLimiter
from image_updater.selection.types import Platform
from image_updater.settings.registries import Endpoint

T1 = dt.datetime(2024, 1, 1, 10, 0, tzinfo=dt.UTC)
T2 = dt.datetime(2024, 2, 1, 10, 0, tzinfo=dt.UTC)
T3 = dt.datetime(2024, 3, 1, 10, 0, tzinfo=dt.UTC)
AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64", "v8")


@dataclass
class Clock:
    """A monotonic clock the test moves by hand (token expiry)."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def client_for(
    registry: LocalRegistry,
    credentials: Credentials | None = None,
    *,
    counter: RequestCounter | None = None,
    cache: MetadataCache | None = None,
    clock: Callable[[], float] | None = None,
    provider: Callable[[], Awaitable[Credentials | None]] | None = None,
) -> AsyncIterator[RegistryClient]:
    async def provide() -> Credentials | None:
        return credentials

    async with aiohttp.ClientSession() as session:
        yield RegistryClient(
            session=session,
            endpoint=Endpoint(name="local", api_url=registry.url),
            credentials=provider or provide,
            counter=counter or RequestCounter(),
            limiter=RequestLimiter(limit=None),
            cache=cache if cache is not None else MetadataCache(),  # an empty cache is falsy
            retries=0,
            **({"clock": clock} if clock is not None else {}),
        )


# (fixture, whether the client gets the right credentials)
AUTH_MODES = [
    pytest.param("registry", False, id="anonymous"),
    pytest.param("registry_htpasswd", True, id="htpasswd"),
    pytest.param("registry_token", True, id="token-user"),
    pytest.param("registry_token", False, id="token-anonymous-pull"),
]


@pytest.mark.parametrize(("fixture", "with_credentials"), AUTH_MODES)
async def test_reads_tags_digests_and_metadata_in_every_auth_mode(
    request: pytest.FixtureRequest,
    registry_auth: oci.BasicAuth,
    fresh_repo: str,
    fixture: str,
    with_credentials: bool,
) -> None:
    registry: LocalRegistry = request.getfixturevalue(fixture)
    push_auth = registry_auth if registry.auth != "none" else None
    digest = oci.push_image(registry.url, fresh_repo, "1.0.0", created=T1, labels={"a": "b"}, auth=push_auth)
    oci.push_image(registry.url, fresh_repo, "1.1.0", created=T2, auth=push_auth)
    credentials = Credentials(*registry_auth) if with_credentials else None
    async with client_for(registry, credentials) as client:
        tags = await client.list_tags(fresh_repo)
        head = await client.manifest_digest(fresh_repo, "1.0.0")
        info = await client.tag_info(fresh_repo, "1.0.0", need_created=True)
    assert sorted(tags) == ["1.0.0", "1.1.0"]
    assert head == digest
    assert (info.digest, info.created, info.platforms, info.labels) == (digest, T1, (AMD64,), (("a", "b"),))


@pytest.mark.parametrize(
    ("fixture", "scheme"),
    [
        pytest.param("registry", None, id="anonymous"),
        pytest.param("registry_htpasswd", "basic", id="htpasswd"),
        pytest.param("registry_token", "bearer", id="token"),
    ],
)
async def test_ping_reports_the_challenge(
    request: pytest.FixtureRequest, fixture: str, scheme: str | None
) -> None:
    registry: LocalRegistry = request.getfixturevalue(fixture)
    async with client_for(registry) as client:
        challenge = await client.ping()
    assert (challenge.scheme if challenge else None) == scheme


async def test_credentials_are_not_resolved_when_the_registry_wants_none(
    registry: LocalRegistry, fresh_repo: str
) -> None:
    oci.push_image(registry.url, fresh_repo, "1.0", created=T1)
    calls = []

    async def provide() -> Credentials | None:
        calls.append(1)
        return Credentials("someone", "something")

    async with client_for(registry, provider=provide) as client:
        await client.tag_info(fresh_repo, "1.0", need_created=True)
    assert calls == []


async def test_tokens_are_per_repository_and_reused(
    registry_token: LocalRegistry, token_server: TokenServer, registry_auth: oci.BasicAuth, fresh_repo: str
) -> None:
    repositories = [f"{fresh_repo}/a", f"{fresh_repo}/b"]
    for repository in repositories:
        oci.push_image(registry_token.url, repository, "1.0", created=T1, auth=registry_auth)
    before = token_server.tokens_issued
    async with client_for(registry_token, Credentials(*registry_auth)) as client:
        for repository in repositories * 2:
            await client.tag_info(repository, "1.0", need_created=True)
    scopes = [token.scopes for token in token_server.issued[before:]]
    assert scopes == [(f"repository:{repository}:pull",) for repository in repositories]


@pytest.mark.parametrize(
    ("fixture", "password"),
    [
        pytest.param("registry_htpasswd", "wrong-password-123", id="htpasswd-bad-password"),
        pytest.param("registry_htpasswd", None, id="htpasswd-no-credentials"),
        pytest.param("registry_token", "wrong-password-123", id="token-bad-password"),
    ],
)
async def test_refused_credentials_raise_an_auth_error_without_the_password(
    request: pytest.FixtureRequest,
    registry_auth: oci.BasicAuth,
    fresh_repo: str,
    fixture: str,
    password: str | None,
) -> None:
    registry: LocalRegistry = request.getfixturevalue(fixture)
    oci.push_image(registry.url, fresh_repo, "1.0.0", created=T1, auth=registry_auth)
    credentials = Credentials(registry_auth[0], password) if password else None
    async with client_for(registry, credentials) as client:
        with pytest.raises(RegistryAuthError) as error:
            await client.list_tags(fresh_repo)
    assert fresh_repo in str(error.value)
    for secret in (registry_auth[1], "wrong-password-123"):
        assert secret not in str(error.value)


async def test_anonymous_pull_token_is_scoped_to_pull(
    registry_token: LocalRegistry, token_server: TokenServer, registry_auth: oci.BasicAuth, fresh_repo: str
) -> None:
    oci.push_image(registry_token.url, fresh_repo, "1.0.0", created=T1, auth=registry_auth)
    before = token_server.tokens_issued
    async with client_for(registry_token) as client:
        assert await client.list_tags(fresh_repo) == ["1.0.0"]
    issued = token_server.issued[before:]
    assert [(token.subject, token.scopes) for token in issued] == [("", (f"repository:{fresh_repo}:pull",))]


async def test_an_expired_token_is_replaced(
    registry_token: LocalRegistry, token_server: TokenServer, registry_auth: oci.BasicAuth, fresh_repo: str
) -> None:
    oci.push_image(registry_token.url, fresh_repo, "1.0.0", created=T1, auth=registry_auth)
    clock = Clock()
    before = token_server.tokens_issued
    async with client_for(registry_token, Credentials(*registry_auth), clock=clock) as client:
        await client.list_tags(fresh_repo)
        await client.list_tags(fresh_repo)
        assert token_server.tokens_issued == before + 1
        clock.now += token_server.expires_in + 1
        await client.list_tags(fresh_repo)
    assert token_server.tokens_issued == before + 2
    assert {token.subject for token in token_server.issued[before:]} == {registry_auth[0]}


async def test_single_arch_platform_and_created(registry: LocalRegistry, fresh_repo: str) -> None:
    digest = oci.push_image(registry.url, fresh_repo, "v1", created=T2, platform="linux/arm/v7")
    async with client_for(registry) as client:
        named_only = await client.tag_info(fresh_repo, "v1", need_created=False)
        wanted = await client.tag_info(
            fresh_repo, "v1", platforms=(Platform("linux", "arm"),), need_created=True
        )
        other = await client.tag_info(fresh_repo, "v1", platforms=(AMD64,), need_created=True)
    arm_v7 = Platform("linux", "arm", "v7")
    assert (named_only.digest, named_only.created) == (digest, None)
    assert (wanted.created, wanted.platforms) == (T2, (arm_v7,))
    assert (other.created, other.platforms) == (None, (arm_v7,))


@pytest.fixture(scope="module")
def multi_arch(registry: LocalRegistry) -> dict[str, tuple[str, str]]:
    """media types → (repository, index digest) of an amd64 (T1) + arm64/v8 (T3) + attestation index.
    Pushed once per module: the tests below only read it."""
    pushed = {}
    for media_types in ("oci", "docker"):
        repository = f"t/real-registry-multi-arch-{media_types}"
        platforms = [("linux/amd64", T1), ("linux/arm64/v8", T3)]
        digest = oci.push_index(
            registry.url,
            repository,
            "2.0",
            platforms=platforms,
            media_types=media_types,
            with_attestation=True,
        )
        pushed[media_types] = (repository, digest)
    return pushed


@pytest.mark.parametrize("media_types", ["oci", "docker"])
@pytest.mark.parametrize(
    ("wanted", "created"),
    [
        pytest.param((), T3, id="all-platforms-newest-child"),
        pytest.param((AMD64,), T1, id="amd64-only"),
        pytest.param((Platform("linux", "arm64"),), T3, id="arm64-any-variant"),
        pytest.param((ARM64, AMD64), T3, id="both"),
        pytest.param((Platform("linux", "s390x"),), None, id="not-offered"),
    ],
)
async def test_multi_arch_created_is_the_newest_kept_child(
    registry: LocalRegistry, multi_arch: dict[str, tuple[str, str]], media_types: str, wanted, created
) -> None:
    repository, index = multi_arch[media_types]
    async with client_for(registry) as client:
        info = await client.tag_info(repository, "2.0", platforms=wanted, need_created=True)
    assert info.digest == index
    assert info.created == created
    assert info.platforms == (AMD64, ARM64)  # the attestation manifest is not a platform


async def test_a_moved_tag_is_noticed_by_the_head_revalidation(
    registry: LocalRegistry, fresh_repo: str
) -> None:
    first = oci.push_image(registry.url, fresh_repo, "latest", created=T1)
    second = oci.push_image(registry.url, fresh_repo, "build-2", created=T2)
    counter = RequestCounter()
    async with client_for(registry, counter=counter) as client:
        before = await client.tag_info(fresh_repo, "latest", need_created=True)
        oci.move_tag(registry.url, fresh_repo, "latest", second)
        cold = counter.by_kind()
        after = await client.tag_info(fresh_repo, "latest", need_created=True)
    assert (before.digest, before.created) == (first, T1)
    assert (after.digest, after.created) == (second, T2)
    assert cold == {"manifest_get": 1, "blob_get": 1}
    assert _since(cold, counter) == {"manifest_head": 1, "manifest_get": 1, "blob_get": 1}


async def test_deleted_tags_disappear(registry: LocalRegistry, fresh_repo: str) -> None:
    kept = oci.push_image(registry.url, fresh_repo, "1.0", created=T1)
    doomed = oci.push_image(registry.url, fresh_repo, "1.1", created=T2)
    oci.retag(registry.url, fresh_repo, "1.1-alias", source=doomed)
    async with client_for(registry) as client:
        assert sorted(await client.list_tags(fresh_repo)) == ["1.0", "1.1", "1.1-alias"]
        await client.tag_info(fresh_repo, "1.1", need_created=True)  # now memoised in the cache
        oci.delete_manifest(registry.url, fresh_repo, doomed)
        assert await client.list_tags(fresh_repo) == ["1.0"]
        with pytest.raises(RegistryNotFound):
            await client.tag_info(fresh_repo, "1.1", need_created=True)
        assert (await client.tag_info(fresh_repo, "1.0", need_created=False)).digest == kept


async def test_unknown_repository_and_tag_are_not_found(registry: LocalRegistry, fresh_repo: str) -> None:
    oci.push_image(registry.url, fresh_repo, "1.0", created=T1)
    async with client_for(registry) as client:
        with pytest.raises(RegistryNotFound):
            await client.list_tags(fresh_repo + "-missing")
        with pytest.raises(RegistryNotFound):
            await client.manifest_digest(fresh_repo, "9.9")


async def test_a_warm_cache_costs_one_head_per_unchanged_tag(
    registry_token: LocalRegistry, token_server: TokenServer, registry_auth: oci.BasicAuth, fresh_repo: str
) -> None:
    url = registry_token.url
    for number in range(3):
        oci.push_image(url, fresh_repo, f"1.{number}", created=T1, auth=registry_auth)
    platforms = [("linux/amd64", T1), ("linux/arm64/v8", T2)]
    oci.push_index(url, fresh_repo, "2.0", platforms=platforms, auth=registry_auth)
    counter, cache = RequestCounter(), MetadataCache()
    tokens = token_server.tokens_issued
    async with client_for(
        registry_token, Credentials(*registry_auth), counter=counter, cache=cache
    ) as client:
        tags = await client.list_tags(fresh_repo)
        first = [await client.tag_info(fresh_repo, tag, need_created=True) for tag in tags]
        cold = counter.by_kind()
        second = [await client.tag_info(fresh_repo, tag, need_created=True) for tag in tags]
    assert second == first
    assert token_server.tokens_issued == tokens + 1
    # cold: the tag list meets the challenge (2 requests); 4 tag manifests + 2 children; 3 + 2 configs
    assert cold == {"token": 1, "tags": 2, "manifest_get": 6, "blob_get": 5}
    assert _since(cold, counter) == {"manifest_head": 4}


async def test_thousands_of_tags_come_in_one_listing(registry: LocalRegistry, fresh_repo: str) -> None:
    # distribution 2.8.2 ignores `n` and sends no Link header: the client must take the whole page,
    # here more than the n=1000 it asks for.
    tags = [f"0.{minor}.{patch}" for minor in range(11) for patch in range(100)]
    oci.seed_many_tags(registry.url, registry.root, fresh_repo, tags, created=[T1, T2])
    async with client_for(registry) as client:
        listed = await client.list_tags(fresh_repo)
    assert len(listed) == len(tags) + 2
    assert set(tags) <= set(listed)


def _since(before: dict[str, int], counter: RequestCounter) -> dict[str, int]:
    now = counter.by_kind()
    return {kind: now[kind] - before.get(kind, 0) for kind in now if now[kind] != before.get(kind, 0)}
