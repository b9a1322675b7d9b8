"""Manifests and configs: HEAD for digests, every media type, digest checks, platforms, `created`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from aiohttp import web

from image_updater.errors import RegistryNotFound, RegistryProtocolError
from image_updater.registry import manifests
from image_updater.registry.manifests import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST
from image_updater.selection.types import Platform

from . import StubRegistry, digest_of, running

ARM64 = Platform("linux", "arm64")
AMD64 = Platform("linux", "amd64")


async def test_manifest_digest_uses_head_with_the_full_accept_list() -> None:
    stub = StubRegistry()
    digest = stub.add_image("team/app", "1.0")
    async with running(stub) as (client, _):
        assert await client.manifest_digest("team/app", "1.0") == digest
    assert [s.method for s in stub.seen] == ["HEAD"]
    accept = stub.seen[0].accept or ""
    for media_type in (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST):
        assert media_type in accept


async def test_manifest_digest_falls_back_to_get_without_the_header() -> None:
    stub = StubRegistry(digest_header=False)
    digest = stub.add_image("team/app", "1.0")
    async with running(stub) as (client, _):
        assert await client.manifest_digest("team/app", "1.0") == digest
    assert [s.method for s in stub.seen] == ["HEAD", "GET"]


async def test_missing_manifest_is_not_found() -> None:
    stub = StubRegistry()
    stub.add_image("team/app", "1.0")
    async with running(stub) as (client, _):
        with pytest.raises(RegistryNotFound, match=r"team/app: manifest '9\.9' not found"):
            await client.manifest_digest("team/app", "9.9")


@pytest.mark.parametrize("media_type", [OCI_MANIFEST, DOCKER_MANIFEST])
async def test_image_manifests_of_each_type(media_type: str) -> None:
    stub = StubRegistry()
    digest = stub.add_image("team/app", "1.0", media_type=media_type)
    async with running(stub) as (client, _):
        manifest = await client.fetch_manifest("team/app", "1.0")
    assert manifest.digest == digest
    assert manifest.media_type == media_type
    assert manifest.config_digest is not None
    assert manifest.config_digest.startswith("sha256:")
    assert not manifest.is_index


@pytest.mark.parametrize("media_type", [OCI_INDEX, DOCKER_LIST])
async def test_index_manifests_of_each_type(media_type: str) -> None:
    stub = StubRegistry()
    amd = stub.add_image("team/app", None, platform="linux/amd64")
    arm = stub.add_image("team/app", None, platform="linux/arm64/v8")
    digest = stub.add_index(
        "team/app", "1.0", [("linux/amd64", amd), ("linux/arm64/v8", arm)], media_type=media_type
    )
    async with running(stub) as (client, _):
        manifest = await client.fetch_manifest("team/app", "1.0")
    assert manifest.is_index
    assert manifest.digest == digest
    assert manifest.children == ((AMD64, amd), (Platform("linux", "arm64", "v8"), arm))


async def test_a_manifest_fetched_by_digest_is_verified() -> None:
    stub = StubRegistry()
    digest = stub.add_image("team/app", "1.0")
    wrong = digest_of(b"something else")
    stub.manifests[("team/app", wrong)] = stub.manifests[("team/app", digest)]
    async with running(stub) as (client, _):
        assert (await client.fetch_manifest("team/app", digest)).digest == digest
        with pytest.raises(RegistryProtocolError, match="does not match digest"):
            await client.fetch_manifest("team/app", wrong)


async def test_schema1_manifests_are_rejected() -> None:
    stub = StubRegistry()
    body = json.dumps({"schemaVersion": 1, "name": "team/app", "fsLayers": []}).encode()
    stub.add_manifest("team/app", "old", body, "application/vnd.docker.distribution.manifest.v1+prettyjws")
    async with running(stub) as (client, _):
        with pytest.raises(RegistryProtocolError, match="unsupported media type"):
            await client.fetch_manifest("team/app", "old")


async def test_config_is_parsed_with_nanosecond_created_and_labels() -> None:
    stub = StubRegistry()
    stub.add_image("team/app", "1.0", platform="linux/arm64/v8", labels={"b": "2", "a": "1"})
    async with running(stub) as (client, _):
        manifest = await client.fetch_manifest("team/app", "1.0")
        assert manifest.config_digest is not None
        config = await client.fetch_config("team/app", manifest.config_digest)
    assert config.created == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert config.platform == Platform("linux", "arm64", "v8")
    assert config.labels == (("a", "1"), ("b", "2"))


async def test_a_config_that_does_not_match_its_digest_is_rejected() -> None:
    stub = StubRegistry()
    stub.add_image("team/app", "1.0")
    async with running(stub) as (client, _):
        manifest = await client.fetch_manifest("team/app", "1.0")
        assert manifest.config_digest is not None
        stub.blobs[manifest.config_digest] = b'{"os": "linux"}'
        with pytest.raises(RegistryProtocolError, match="does not match digest"):
            await client.fetch_config("team/app", manifest.config_digest)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), id="seconds"),
        pytest.param(
            "2024-01-02T03:04:05.999999999Z", datetime(2024, 1, 2, 3, 4, 5, 999999, tzinfo=UTC), id="nanos"
        ),
        pytest.param(
            "2024-01-02T03:04:05.5Z", datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=UTC), id="tenths"
        ),
        pytest.param(
            "2024-01-02T03:04:05.1+02:30",
            datetime(2024, 1, 2, 3, 4, 5, 100000, tzinfo=timezone(timedelta(hours=2, minutes=30))),
            id="offset",
        ),
        pytest.param("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC), id="zero-time"),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert manifests.parse_time(text, where="r") == expected


@pytest.mark.parametrize("text", ["2024-01-02", "2024-13-02T03:04:05Z", "yesterday", "2024-01-02T03:04:05"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(RegistryProtocolError, match="invalid 'created'"):
        manifests.parse_time(text, where="r")


def test_attestation_children_are_not_platforms() -> None:
    doc = {
        "mediaType": OCI_INDEX,
        "manifests": [
            {"digest": "sha256:" + "a" * 64, "platform": {"os": "linux", "architecture": "amd64"}},
            {
                "digest": "sha256:" + "b" * 64,
                "platform": {"os": "unknown", "architecture": "unknown"},
                "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
            },
        ],
    }
    manifest = manifests.parse_manifest(json.dumps(doc).encode(), digest="d", content_type="", where="r")
    assert manifest.children == ((AMD64, "sha256:" + "a" * 64),)


def multi_arch(stub: StubRegistry) -> str:
    amd = stub.add_image("team/app", None, platform="linux/amd64", created="2024-01-01T00:00:00Z")
    arm = stub.add_image(
        "team/app", None, platform="linux/arm64/v8", created="2024-03-01T00:00:00.5Z", labels={"arch": "arm"}
    )
    return stub.add_index("team/app", "1.0", [("linux/amd64", amd), ("linux/arm64/v8", arm)])


@pytest.mark.parametrize(
    ("wanted", "created"),
    [
        pytest.param((), datetime(2024, 3, 1, 0, 0, 0, 500000, tzinfo=UTC), id="all-newest-wins"),
        pytest.param((AMD64,), datetime(2024, 1, 1, tzinfo=UTC), id="amd64"),
        pytest.param((ARM64,), datetime(2024, 3, 1, 0, 0, 0, 500000, tzinfo=UTC), id="arm64-matches-v8"),
        pytest.param((Platform("linux", "arm64", "v7"),), None, id="wrong-variant"),
        pytest.param((Platform("windows", "amd64"),), None, id="not-offered"),
    ],
)
async def test_tag_info_for_an_index(wanted: tuple[Platform, ...], created: datetime | None) -> None:
    stub = StubRegistry()
    digest = multi_arch(stub)
    async with running(stub) as (client, _):
        info = await client.tag_info("team/app", "1.0", platforms=wanted, need_created=True)
    assert info.digest == digest
    assert info.created == created
    assert info.platforms == (AMD64, Platform("linux", "arm64", "v8"))


async def test_tag_info_without_created_fetches_only_the_index() -> None:
    stub = StubRegistry()
    digest = multi_arch(stub)
    async with running(stub) as (client, _):
        info = await client.tag_info("team/app", "1.0", platforms=(ARM64,), need_created=False)
    assert (info.digest, info.created, len(info.platforms)) == (digest, None, 2)
    assert [(s.method, s.path) for s in stub.seen] == [("GET", "/v2/team/app/manifests/1.0")]


async def test_tag_info_for_a_single_image() -> None:
    stub = StubRegistry()
    digest = stub.add_image("team/app", "1.0", platform="linux/arm64/v8", labels={"k": "v"})
    async with running(stub) as (client, _):
        bare = await client.tag_info("team/app", "1.0", need_created=False)
        full = await client.tag_info("team/app", "1.0", platforms=(ARM64,), need_created=True)
        other = await client.tag_info("team/app", "1.0", platforms=(AMD64,), need_created=False)
    assert (bare.digest, bare.created, bare.platforms) == (digest, None, ())
    assert full.created == datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert full.labels == (("k", "v"),)
    assert full.platforms == (Platform("linux", "arm64", "v8"),)
    assert (other.created, other.platforms) == (None, (Platform("linux", "arm64", "v8"),))


async def test_a_failing_child_raises_its_own_error_not_a_group() -> None:
    stub = StubRegistry()
    amd = stub.add_image("team/app", None, platform="linux/amd64")
    stub.add_index("team/app", "1.0", [("linux/amd64", amd), ("linux/arm64", "sha256:" + "0" * 64)])
    async with running(stub) as (client, _):
        with pytest.raises(RegistryNotFound, match="team/app"):
            await client.tag_info("team/app", "1.0", need_created=True)


async def test_a_malformed_digest_header_is_a_protocol_error() -> None:
    stub = StubRegistry(digest_header=False)
    stub.add_image("team/app", "1.0")

    async def bad_header(request: web.Request) -> web.Response | None:
        return (
            web.Response(headers={"Docker-Content-Digest": "md5 nonsense"})
            if request.method == "HEAD"
            else None
        )

    stub.hooks.append(bad_header)
    async with running(stub) as (client, _):
        with pytest.raises(RegistryProtocolError, match="malformed Docker-Content-Digest"):
            await client.manifest_digest("team/app", "1.0")
