"""The local registry harness works: pushes, multi-arch indexes, tag moves, deletes, disk tags, auth."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import jwt
import pytest

from devtools import oci
from devtools.registry import LocalRegistry, RegistryStartError, start_registry
from devtools.tokenserver import TokenServer

CREATED = dt.datetime(2024, 3, 1, 8, 30, tzinfo=dt.UTC)


def _get_json(registry: LocalRegistry, repository: str, reference: str) -> dict:
    return json.loads(oci.get_manifest(registry.url, repository, reference)[1])


def _config(registry: LocalRegistry, repository: str, manifest: dict) -> dict:
    return json.loads(oci.get_blob(registry.url, repository, manifest["config"]["digest"]))


@pytest.mark.parametrize("media_types", ["oci", "docker"])
def test_push_image_serves_manifest_and_config(registry: LocalRegistry, fresh_repo: str, media_types) -> None:
    digest = oci.push_image(
        registry.url,
        fresh_repo,
        "1.0.0",
        created=CREATED,
        platform="linux/arm/v7",
        labels={"org.opencontainers.image.version": "1.0.0"},
        media_types=media_types,
    )
    manifest = _get_json(registry, fresh_repo, "1.0.0")
    config = _config(registry, fresh_repo, manifest)
    assert oci.manifest_digest(registry.url, fresh_repo, "1.0.0") == digest
    assert manifest["mediaType"] == {"oci": oci.OCI_MANIFEST, "docker": oci.DOCKER_MANIFEST}[media_types]
    assert (config["created"], config["os"], config["architecture"], config["variant"]) == (
        "2024-03-01T08:30:00Z",
        "linux",
        "arm",
        "v7",
    )
    assert config["config"]["Labels"] == {"org.opencontainers.image.version": "1.0.0"}


def test_every_push_has_a_unique_digest(registry: LocalRegistry, fresh_repo: str) -> None:
    first = oci.push_image(registry.url, fresh_repo, "a", created=CREATED)
    second = oci.push_image(registry.url, fresh_repo, "b", created=CREATED)
    assert first != second
    assert sorted(oci.list_tags(registry.url, fresh_repo)) == ["a", "b"]


def test_push_index_lists_each_platform(registry: LocalRegistry, fresh_repo: str) -> None:
    platforms = [("linux/amd64", CREATED), ("linux/arm64/v8", CREATED + dt.timedelta(days=1))]
    digest = oci.push_index(registry.url, fresh_repo, "2.0.0", platforms=platforms, with_attestation=True)
    index = _get_json(registry, fresh_repo, "2.0.0")
    assert oci.manifest_digest(registry.url, fresh_repo, "2.0.0") == digest
    assert index["mediaType"] == oci.OCI_INDEX
    assert [entry["platform"] for entry in index["manifests"]] == [
        {"os": "linux", "architecture": "amd64"},
        {"os": "linux", "architecture": "arm64", "variant": "v8"},
        {"os": "unknown", "architecture": "unknown"},
    ]
    child = _get_json(registry, fresh_repo, index["manifests"][1]["digest"])
    assert _config(registry, fresh_repo, child)["created"] == "2024-03-02T08:30:00Z"


def test_retag_moves_a_tag_and_delete_removes_its_tags(registry: LocalRegistry, fresh_repo: str) -> None:
    old = oci.push_image(registry.url, fresh_repo, "latest", created=CREATED)
    new = oci.push_image(registry.url, fresh_repo, "1.1.0", created=CREATED)
    assert oci.move_tag(registry.url, fresh_repo, "latest", new) == new
    assert oci.manifest_digest(registry.url, fresh_repo, "latest") == new
    assert oci.retag(registry.url, fresh_repo, "stable", source="1.1.0") == new
    oci.delete_manifest(registry.url, fresh_repo, new)
    assert oci.list_tags(registry.url, fresh_repo) == []
    with pytest.raises(oci.RegistryHTTPError) as error:
        oci.manifest_digest(registry.url, fresh_repo, new)
    assert error.value.status == 404
    assert oci.manifest_digest(registry.url, fresh_repo, old) == old  # untagged, still there


def test_tags_written_on_disk_are_served_at_once(registry: LocalRegistry, fresh_repo: str) -> None:
    mapping = oci.seed_many_tags(
        registry.url,
        registry.root,
        fresh_repo,
        [f"1.0.{patch}" for patch in range(300)],
        created=[CREATED, CREATED + dt.timedelta(hours=1)],
    )
    tags = oci.list_tags(registry.url, fresh_repo)
    assert len(tags) == 302  # plus seed-0 and seed-1
    assert oci.manifest_digest(registry.url, fresh_repo, "1.0.299") == mapping["1.0.299"]
    oci.delete_manifest(registry.url, fresh_repo, mapping["1.0.0"])  # takes its disk-written tags along
    assert len(oci.list_tags(registry.url, fresh_repo)) == 151


def test_tags_on_disk_need_a_pushed_manifest(registry: LocalRegistry, fresh_repo: str) -> None:
    with pytest.raises(ValueError, match="push it through the API first"):
        oci.write_tags_on_disk(registry.root, fresh_repo, {"x": "sha256:" + "0" * 64})


def test_htpasswd_registry_needs_the_password(
    registry_htpasswd: LocalRegistry, registry_auth: oci.BasicAuth, fresh_repo: str
) -> None:
    oci.push_image(registry_htpasswd.url, fresh_repo, "1.0.0", created=CREATED, auth=registry_auth)
    assert oci.list_tags(registry_htpasswd.url, fresh_repo, auth=registry_auth) == ["1.0.0"]
    for auth in (None, (registry_auth[0], "wrong")):
        with pytest.raises(oci.RegistryHTTPError) as error:
            oci.list_tags(registry_htpasswd.url, fresh_repo, auth=auth)
        assert error.value.status == 401


def test_token_registry_gives_anonymous_pull_but_not_push(
    registry_token: LocalRegistry, token_server: TokenServer, registry_auth: oci.BasicAuth, fresh_repo: str
) -> None:
    digest = oci.push_image(registry_token.url, fresh_repo, "1.0.0", created=CREATED, auth=registry_auth)
    assert oci.manifest_digest(registry_token.url, fresh_repo, "1.0.0") == digest
    assert token_server.issued[-1].subject == ""
    assert token_server.issued[-1].scopes == (f"repository:{fresh_repo}:pull",)
    with pytest.raises(oci.RegistryHTTPError) as error:
        oci.push_image(registry_token.url, fresh_repo, "2.0.0", created=CREATED)
    assert error.value.status == 401


def test_token_server_rejects_a_bad_password(
    registry_token: LocalRegistry, token_server: TokenServer, registry_auth: oci.BasicAuth, fresh_repo: str
) -> None:
    rejected = token_server.rejected
    with pytest.raises(oci.RegistryHTTPError, match="GET /token answered 401") as error:
        oci.list_tags(registry_token.url, fresh_repo, auth=(registry_auth[0], "wrong"))
    assert registry_auth[1] not in str(error.value)
    assert token_server.rejected == rejected + 1


def test_tokens_carry_the_claims_the_registry_checks(
    token_server: TokenServer, registry_auth: oci.BasicAuth
) -> None:
    basic = "Basic " + base64.b64encode(":".join(registry_auth).encode()).decode()
    status, body = token_server.answer("service=local-registry&scope=repository:a/b:pull,push", basic)
    token = str(body["token"])
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert status == 200
    assert header["alg"] == "RS256"
    assert len(header["x5c"]) == 1
    assert claims["access"] == [{"type": "repository", "name": "a/b", "actions": ["pull", "push"]}]
    assert claims["exp"] - claims["iat"] == body["expires_in"] == token_server.expires_in
    assert {"iss", "sub", "aud", "nbf", "jti"} <= claims.keys()


def test_stop_ends_the_process_and_is_idempotent(tmp_path: Path) -> None:
    with start_registry(tmp_path) as running:
        oci.push_image(running.url, "t/app", "1.0.0", created=CREATED)
    running.stop()
    assert running.process.poll() is not None
    with pytest.raises(ConnectionRefusedError):
        oci.list_tags(running.url, "t/none")


def test_missing_binary_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RegistryStartError, match="apt-get install docker-registry"):
        start_registry(tmp_path)
