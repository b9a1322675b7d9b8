"""newest-build meets broken metadata for one tag (docs/security.md, "Registry operators").

A tag whose manifest or config is gone or malformed is dropped with its reason and the newest
remaining build is chosen; content that does not hash to its digest, or a registry that stays
down or rate-limited, fails the image with one `errors.py` error (never an exception group,
which the cycle would report as an internal error).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from click.testing import CliRunner

from image_updater import selection
from image_updater.cli.main import cli
from image_updater.errors import ImageUpdaterError, RateLimited, RegistryDigestMismatch, RegistryUnavailable
from image_updater.registry import manifests
from image_updater.registry.manifests import OCI_INDEX, OCI_MANIFEST
from image_updater.registry.scanning import GONE, UNUSABLE, ScanRequest, ScanResult, scan
from tests.hostile.threaded import serve_in_thread
from tests.registry import StubRegistry, digest_of, running

REPO = "team/app"
Attack = Callable[[StubRegistry], None]


def _stub() -> StubRegistry:
    stub = StubRegistry()
    for day, tag in enumerate(("v1", "v2", "v3"), start=1):
        stub.add_image(REPO, tag, created=f"2026-01-0{day}T00:00:00Z")
    return stub


def manifest_answer(body: bytes, *, header: str | None = None, status: int = 200) -> Attack:
    """v3's manifest, by tag, is answered with `body` (announced with its own digest by default)."""

    def attack(stub: StubRegistry) -> None:
        async def hook(request: web.Request) -> web.StreamResponse | None:
            if not request.path.endswith("/manifests/v3"):
                return None
            headers = {"Docker-Content-Digest": header or digest_of(body)}
            return web.Response(status=status, body=body, headers=headers, content_type=OCI_MANIFEST)

        stub.hooks.append(hook)

    return attack


def gzip_bomb(stub: StubRegistry) -> None:
    """v3's manifest: 64 MiB of zeros gzipped to 64 KiB; the cap counts the bytes aiohttp inflates."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb = b"".join(packer.compress(bytes(1 << 20)) for _ in range(64)) + packer.flush()

    async def hook(request: web.Request) -> web.StreamResponse | None:
        if not request.path.endswith("/manifests/v3"):
            return None
        headers = {"Content-Encoding": "gzip", "Docker-Content-Digest": digest_of(bomb)}
        return web.Response(body=bomb, headers=headers, content_type=OCI_MANIFEST)

    stub.hooks.append(hook)


def manifest_doc(doc: Any) -> Attack:
    return manifest_answer(json.dumps(doc).encode())


def config_blob(body: bytes) -> Attack:
    """v3 is re-pushed with `body` as its config blob (so the digests match: the content is the attack)."""

    def attack(stub: StubRegistry) -> None:
        stub.blobs[digest_of(body)] = body
        manifest = {"mediaType": OCI_MANIFEST, "config": {"digest": digest_of(body)}, "layers": []}
        stub.add_manifest(REPO, "v3", json.dumps(manifest).encode(), OCI_MANIFEST)

    return attack


def config_doc(doc: Any) -> Attack:
    return config_blob(json.dumps(doc).encode())


def missing_config(stub: StubRegistry) -> None:
    manifest = {"mediaType": OCI_MANIFEST, "config": {"digest": "sha256:" + "0" * 64}, "layers": []}
    stub.add_manifest(REPO, "v3", json.dumps(manifest).encode(), OCI_MANIFEST)


def tampered_config(stub: StubRegistry) -> None:
    manifest = json.loads(stub.manifests[(REPO, "v3")][0])
    stub.blobs[manifest["config"]["digest"]] = b'{"created": "2099-01-01T00:00:00Z"}'


def always(status: int, headers: dict[str, str] | None = None) -> Attack:
    def attack(stub: StubRegistry) -> None:
        async def hook(request: web.Request) -> web.StreamResponse | None:
            return web.Response(status=status, headers=headers) if request.path.endswith("/v3") else None

        stub.hooks.append(hook)

    return attack


VALID_LOOKING = "sha256:" + "ab" * 32
BAD_JSON = "invalid, truncated or too deeply nested JSON"
DROPPED = [
    pytest.param(always(404), GONE, id="manifest-deleted-since-listing"),
    pytest.param(missing_config, GONE, id="config-deleted-since-listing"),
    pytest.param(manifest_answer(b'{"mediaType": '), BAD_JSON, id="truncated-json"),
    pytest.param(manifest_answer(b"[" * 200_000), BAD_JSON, id="nested-200000-deep"),
    pytest.param(manifest_answer(b"\xff\xfe"), BAD_JSON, id="not-utf8"),
    pytest.param(manifest_answer(b"[]"), "not an object", id="json-array"),
    pytest.param(manifest_answer(b" " * (5 << 20)), "exceeds", id="oversized-5mib"),
    pytest.param(gzip_bomb, "answer exceeds 4194304 bytes", id="gzip-bomb-64mib"),
    pytest.param(manifest_doc({"mediaType": ["x"]}), "non-string mediaType", id="media-type-a-list"),
    pytest.param(
        manifest_doc({"mediaType": OCI_MANIFEST, "config": []}), "config digest", id="config-a-list"
    ),
    pytest.param(
        manifest_doc({"mediaType": OCI_MANIFEST, "config": {"digest": "md5:" + "0" * 32}}),
        "config digest",
        id="config-digest-md5",
    ),
    pytest.param(
        manifest_doc({"mediaType": OCI_MANIFEST, "config": {"digest": "sha256:../../../etc/passwd"}}),
        "config digest",
        id="config-digest-traversal",
    ),
    pytest.param(
        manifest_doc({"mediaType": "application/\x1b[31mevil\n"}),
        "unsupported media type",
        id="media-type-escape",
    ),
    pytest.param(
        manifest_doc({"mediaType": OCI_INDEX, "manifests": [{"digest": "v1", "platform": {"os": "linux"}}]}),
        "malformed entry",
        id="index-child-a-tag",
    ),
    pytest.param(
        manifest_doc({"mediaType": OCI_INDEX, "manifests": [{"digest": VALID_LOOKING}] * 1001}),
        "more than 1000 entries",
        id="index-fan-out-1001",
    ),
    pytest.param(config_blob(b"{"), BAD_JSON, id="config-truncated-json"),
    pytest.param(
        config_doc({"os": "linux" * 1000, "architecture": "amd64"}), "platform field", id="config-os-5000"
    ),
    pytest.param(config_doc({"config": [1]}), "malformed 'config'", id="config-runtime-a-list"),
    pytest.param(config_doc({"config": {"Labels": [1]}}), "or labels", id="config-labels-a-list"),
    pytest.param(config_doc({"created": 5}), "non-string 'created'", id="config-created-a-number"),
    pytest.param(
        config_doc({"created": "2099-01-01T00:00:00+99:00"}), "invalid 'created' time", id="config-offset-99h"
    ),
    pytest.param(
        config_doc({"created": "2099-02-30T00:00:00Z"}), "invalid 'created' time", id="config-february-30"
    ),
    pytest.param(  # 1000 such tags would otherwise keep 8 GB of reasons
        config_doc({"created": "9" * 8_000_000}),
        "invalid 'created' time '9999",
        id="config-created-8-million-chars",
    ),
]
FAILED = [
    pytest.param(always(500), RegistryUnavailable, "HTTP 500 after 4 attempts", id="server-error"),
    pytest.param(always(429, {"Retry-After": "1"}), RateLimited, "429", id="rate-limited"),
    pytest.param(  # '²' is a digit to str.isdigit, not to float(): it raised ValueError
        always(429, {"Retry-After": "\u00b2"}), RateLimited, "429", id="rate-limited-retry-after-superscript"
    ),
    pytest.param(
        manifest_answer(b'{"mediaType": "x"}', header=VALID_LOOKING),
        RegistryDigestMismatch,
        f"does not match digest {VALID_LOOKING}",
        id="announced-digest-lies",
    ),
    pytest.param(
        tampered_config, RegistryDigestMismatch, "config blob: content does not match", id="config-tampered"
    ),
]


async def _scan(stub: StubRegistry) -> ScanResult:
    request = ScanRequest(
        repository=REPO,
        tag_filter=selection.TagFilter(),
        policy=selection.make_policy("newest-build", version=None, image=REPO),
    )
    async with running(stub) as (client, _):
        return await scan(client, request)


@pytest.mark.parametrize(("attack", "reason"), DROPPED)
async def test_a_broken_tag_is_dropped_and_the_newest_good_build_chosen(attack: Attack, reason: str) -> None:
    stub = _stub()
    attack(stub)
    result = await _scan(stub)
    assert result.selection.chosen is not None
    assert result.selection.chosen.name == "v2"
    [rejection] = result.selection.rejected
    assert rejection.tag == "v3"
    assert rejection.reason == GONE if reason == GONE else rejection.reason.startswith(f"{UNUSABLE}: ")
    assert reason in rejection.reason
    assert rejection.reason.isprintable()
    assert len(rejection.reason) < 400


@pytest.mark.parametrize(("attack", "error", "message"), FAILED)
async def test_an_untrustworthy_or_unreachable_registry_fails_the_image(
    attack: Attack, error: type[ImageUpdaterError], message: str
) -> None:
    stub = _stub()
    attack(stub)
    with pytest.raises(error) as caught:
        await _scan(stub)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert REPO in str(caught.value)


@pytest.mark.parametrize(
    ("attack", "shown"),
    [
        pytest.param(always(404), f"  dropped    v3: {GONE}", id="deleted"),
        pytest.param(manifest_answer(b"[" * 200_000), "  dropped    v3: unusable metadata: ", id="nested"),
    ],
)
def test_explain_shows_why_a_broken_tag_was_dropped(attack: Attack, shown: str) -> None:
    stub = _stub()
    attack(stub)
    with serve_in_thread(stub.app()) as url:
        image = url.removeprefix("http://") + f"/{REPO}"
        result = CliRunner().invoke(
            cli, ["test", image, "--update-strategy", "newest-build", "--explain"], catch_exceptions=False
        )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert any(line.startswith(shown) for line in lines), lines
    assert "  chosen     v2" in lines


async def test_what_the_cache_keeps_of_a_config_is_bounded() -> None:
    stub = _stub()
    labels = {f"label-{i:04}": "x" * 20_000 for i in range(200)}  # 4 MB, under the 8 MiB cap
    config_doc({"created": "2026-01-09T00:00:00Z", "config": {"Labels": labels}})(stub)
    result = await _scan(stub)
    assert result.selection.chosen is not None
    assert result.selection.chosen.name == "v3"
    kept = result.selection.chosen.labels
    assert len(kept) == manifests.MAX_LABELS
    assert all(len(value) == manifests.MAX_LABEL_LENGTH for _, value in kept)
