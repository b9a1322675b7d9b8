"""The webhook sender (docs/security.md) trying to be read differently by us than by whatever sits in
front of us, or than the provider meant, on a real server on loopback.

Attacks: two `Authorization` headers or two `?secret=` (we read the first; a proxy or WAF may read
the last), `?type=` and `X-Registry-Type` naming different types, a request-smuggling-shaped or
malformed request (answered by aiohttp's parser, which used to log a multi-line traceback for
anyone who sent one), a GitHub signature over a re-serialised body, a secret in another Unicode
normalisation form, one type's secret offered to another type, and a TLS 1.2 client against the
default TLS 1.3 server. None of them reaches `on_push`; none leaves a traceback in the log.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest

from image_updater.runtime.webhook_tls import TlsSettings
from tests.webhooks.helpers import SECRET, hub_signature, payload
from tests.webhooks.serving import PLAIN, post, webhook_server

UNICODE_SECRET = "s\u00e9cret-value"  # é composed (NFC)
SETTINGS = replace(
    PLAIN,
    secrets={
        "distribution": SECRET,
        "docker.io": SECRET,
        "harbor": "harbor-secret",
        "gitlab": UNICODE_SECRET,
    },
)
DISTRIBUTION = payload("distribution.json")
DOCKER = payload("dockerhub.json")
GHCR = payload("ghcr.json")


def _raw(headers: list[str], body: bytes, *, target: str = "/webhook?type=distribution") -> bytes:
    head = [f"POST {target} HTTP/1.1", "Host: hooks.example", *headers, "Connection: close", "", ""]
    return "\r\n".join(head).encode() + body


def _length(body: bytes) -> str:
    return f"Content-Length: {len(body)}"


BEARER = f"Authorization: Bearer {SECRET}"
# Requests built byte by byte, each with the status it must get.
RAW = {
    "two-authorization-wrong-first": (
        _raw(["Authorization: Bearer wrong", BEARER, _length(DISTRIBUTION)], DISTRIBUTION),
        b"400",
    ),
    "two-authorization-right-first": (
        _raw([BEARER, "Authorization: Bearer wrong", _length(DISTRIBUTION)], DISTRIBUTION),
        b"400",
    ),
    "two-secrets-in-query": (
        _raw([_length(DOCKER)], DOCKER, target=f"/webhook?type=docker.io&secret={SECRET}&secret=wrong"),
        b"400",
    ),
    "two-types-in-query": (
        _raw([BEARER, _length(DISTRIBUTION)], DISTRIBUTION, target="/webhook?type=distribution&type=harbor"),
        b"400",
    ),
    "query-and-header-types-differ": (
        _raw([BEARER, "X-Registry-Type: harbor", _length(DISTRIBUTION)], DISTRIBUTION),
        b"400",
    ),
    "two-content-lengths": (
        _raw([BEARER, _length(DISTRIBUTION), "Content-Length: 5"], DISTRIBUTION),
        b"400",
    ),
    "content-length-and-chunked": (
        _raw([BEARER, "Content-Length: 5", "Transfer-Encoding: chunked"], b"0\r\n\r\n"),
        b"400",
    ),
    "chunked-then-identity": (
        _raw([BEARER, "Transfer-Encoding: chunked, identity"], b"0\r\n\r\n"),
        b"400",
    ),
    "escape-in-header-name": (
        _raw([BEARER, "X-\x1b[2K: x", _length(DISTRIBUTION)], DISTRIBUTION),
        b"400",
    ),
    # the control: the same request, said once, is accepted
    "once": (_raw([BEARER, "X-Registry-Type: distribution", _length(DISTRIBUTION)], DISTRIBUTION), b"200"),
}


async def _exchange(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), timeout=30)
    finally:
        writer.close()


@pytest.mark.parametrize("case", sorted(RAW))
async def test_a_request_that_could_be_read_two_ways_is_refused(
    case: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    request, status = RAW[case]
    caplog.set_level(logging.DEBUG)
    async with webhook_server(SETTINGS) as server:
        answer = await _exchange(int(server.url.rsplit(":", 1)[1]), request)
        assert answer.split(b" ", 2)[1] == status, answer[:200]
        assert (server.recorder.pushes != []) == (status == b"200")
    tracebacks = [r for r in caplog.records if r.exc_info and r.levelno > logging.DEBUG]
    assert tracebacks == []
    assert "Traceback" not in capfd.readouterr().err


# (type, body, query, headers): each must be refused with 401, nothing handed on
NOT_THE_SECRET = {
    "github-signature-over-reserialised-body": (
        "ghcr.io",
        json.dumps(json.loads(GHCR)).encode(),
        "",
        {"X-GitHub-Event": "package", "X-Hub-Signature-256": hub_signature(GHCR)},
    ),
    "github-sha1-signature-only": (
        "ghcr.io",
        GHCR,
        "",
        {"X-GitHub-Event": "package", "X-Hub-Signature": "sha1=" + "0" * 40},
    ),
    "secret-in-nfd": (
        "gitlab",
        DISTRIBUTION,
        "",
        {"Authorization": unicodedata.normalize("NFD", UNICODE_SECRET)},
    ),
    "another-types-secret": ("gitlab", DISTRIBUTION, "", {"Authorization": "harbor-secret"}),
    "header-secret-for-a-query-type": ("docker.io", DOCKER, "", {"Authorization": SECRET}),
    "query-secret-for-a-header-type": ("distribution", DISTRIBUTION, f"&secret={SECRET}", {}),
    "header-type-names-a-type-whose-secret-is-given": (
        "docker.io",
        DOCKER,
        "",
        {"X-Registry-Type": "docker.io", "Authorization": "harbor-secret"},
    ),
}


@pytest.mark.parametrize("case", sorted(NOT_THE_SECRET))
async def test_nothing_but_the_types_own_secret_where_it_is_sent_opens_it(case: str) -> None:
    kind, body, query, headers = NOT_THE_SECRET[case]
    settings = replace(SETTINGS, secrets={**SETTINGS.secrets, "ghcr.io": SECRET})
    async with webhook_server(settings) as server:
        status, _ = await post(f"{server.url}/webhook?type={kind}{query}", body, headers)
        assert status == 401
        assert server.recorder.pushes == []
        # the control: the right secret, in the right place, in NFC, opens the type
        status, _ = await post(
            f"{server.url}/webhook?type=gitlab", DISTRIBUTION, {"Authorization": UNICODE_SECRET}
        )
        assert status == 200


async def test_a_tls_1_2_client_is_refused_by_default_and_no_key_is_left_on_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "tmp"  # where the self-signed key is made
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    absent = TlsSettings(cert=tmp_path / "tls.crt", key=tmp_path / "tls.key")  # none mounted
    async with webhook_server(replace(PLAIN, tls=absent)) as server:
        port = int(server.url.rsplit(":", 1)[1])
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            await asyncio.open_connection("127.0.0.1", port, ssl=client)
        assert list(scratch.iterdir()) == []
