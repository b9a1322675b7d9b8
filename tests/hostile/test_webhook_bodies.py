"""The webhook sender without the secret (docs/security.md) trying to exhaust memory: the port
takes any number of connections, and each request's body (up to 1 MiB) was read before its secret
was checked, so a thousand connections sending bodies with a wrong secret held a GiB.

Now a type whose secret does not depend on the body is checked before a byte of the body is
awaited, and at most MAX_READING bodies are read at once (what GitHub's HMAC must still read
first). These tests hold bodies open and watch what the server does; they assert order, not time.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest

from image_updater.runtime import webhook_server as server_module
from image_updater.webhooks.receiving import TYPES
from tests.webhooks.helpers import SECRET, hub_signature, payload
from tests.webhooks.serving import PLAIN, Running, webhook_server

EVERY = replace(PLAIN, secrets=dict.fromkeys(TYPES, SECRET))
SHORT = 2.0  # the body timeout: a body that never comes is a 408 after it


def _head(target: str, headers: dict[str, str], length: int) -> bytes:
    lines = [f"POST {target} HTTP/1.1", "Host: hooks.example", f"Content-Length: {length}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return "\r\n".join([*lines, "Connection: close", "", ""]).encode()


async def _send(server: Running, data: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", int(server.url.rsplit(":", 1)[1]))
    writer.write(data)
    await writer.drain()
    return reader, writer


async def _until_received(server: Running, kind: str, count: int) -> None:
    while server.count(kind, "received") < count:
        await asyncio.sleep(0.01)


UNSIGNED = sorted(kind for kind, t in TYPES.items() if not t.signs_body)
# (type, the types with a secret): the signing type with no secret configured has nothing to check
EARLY = {kind: (kind, EVERY) for kind in UNSIGNED} | {
    "ghcr.io-without-a-secret": ("ghcr.io", replace(PLAIN, secrets={"docker.io": SECRET}))
}


@pytest.mark.parametrize("case", sorted(EARLY))
async def test_a_wrong_secret_is_refused_before_any_of_the_body_is_awaited(case: str) -> None:
    kind, settings = EARLY[case]
    async with webhook_server(settings, timeout=SHORT) as server:  # else a 408 once SHORT is over
        wrong = {"Authorization": "wrong", "X-Webhook-Secret": "wrong"}
        reader, writer = await _send(server, _head(f"/webhook?type={kind}&secret=wrong", wrong, 1_000_000))
        try:  # the body never comes: only an answer that does not wait for it arrives
            answer = await asyncio.wait_for(reader.readline(), timeout=50)
        finally:
            writer.close()
        assert answer.split(b" ", 2)[1] == b"401"


def _ghcr(tag: str) -> tuple[bytes, dict[str, str]]:
    doc = json.loads(payload("ghcr.json"))
    doc["package"]["package_version"]["container_metadata"]["tag"]["name"] = tag
    body = json.dumps(doc).encode()
    return body, {"X-GitHub-Event": "package", "X-Hub-Signature-256": hub_signature(body)}


async def test_signed_bodies_are_read_a_bounded_number_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server_module, "MAX_READING", 1)
    slow_body, slow_headers = _ghcr("v1-slow")
    fast_body, fast_headers = _ghcr("v2-fast")
    async with webhook_server(EVERY, timeout=30) as server:
        target = "/webhook?type=ghcr.io"
        slow = await _send(server, _head(target, slow_headers, len(slow_body)) + slow_body[:10])
        await _until_received(server, "ghcr.io", 1)  # it holds the one slot, its body unfinished
        fast = await _send(server, _head(target, fast_headers, len(fast_body)) + fast_body)
        await _until_received(server, "ghcr.io", 2)  # complete, but waiting for the slot
        slow[1].write(slow_body[10:])
        answers = [await asyncio.wait_for(reader.readline(), timeout=50) for reader, _ in (slow, fast)]
        for _, writer in (slow, fast):
            writer.close()
        assert [answer.split(b" ", 2)[1] for answer in answers] == [b"200", b"200"]
        assert [push.tag for push in server.recorder.pushes] == ["v1-slow", "v2-fast"]
