"""Whoever reaches the webhook port, before any secret is checked (docs/security.md): oversized,
lying, trickled and deeply nested bodies are refused in bounded time and memory, floods from one
address are cut off, invented `type` values create no metric series, and the server keeps
answering. Timeouts are shortened for the test; what is asserted is that the server refuses or
closes, not when."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from image_updater.runtime.webhook_server import MAX_BODY, SourceLimiter
from tests.webhooks.helpers import BEARER, payload
from tests.webhooks.serving import PLAIN, post, webhook_server

SHORT = 0.3


async def _raw(port: int, request: bytes, *, trickle: bytes = b"") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    try:
        while trickle and not reader.at_eof():  # one byte at a time until the server answers
            writer.write(trickle)
            await asyncio.sleep(SHORT / 3)
            if reader._buffer:  # type: ignore[attr-defined]  # an answer has started
                break
        return await asyncio.wait_for(reader.read(), timeout=60)
    finally:
        writer.close()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _status(answer: bytes) -> bytes:
    return answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.") else answer[:40]


def _head(length: int | None, *, chunked: bool = False) -> bytes:
    lines = [b"POST /webhook?type=distribution HTTP/1.1", b"Host: x", b"Authorization: Bearer s3cret-value"]
    lines += [b"Transfer-Encoding: chunked"] if chunked else [b"Content-Length: %d" % length]
    return b"\r\n".join([*lines, b"", b""])


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(_head(MAX_BODY + 1) + b"x" * (MAX_BODY + 1), id="over-the-limit"),
        pytest.param(_head(1 << 40), id="content-length-of-a-terabyte"),
        pytest.param(
            _head(None, chunked=True) + (b"100000\r\n" + b"x" * 0x100000 + b"\r\n") * 2,
            id="chunked-past-the-limit",
        ),
    ],
)
async def test_an_oversized_body_is_refused_and_the_server_still_answers(request_: bytes) -> None:
    async with webhook_server(timeout=SHORT) as server:
        assert _status(await _raw(_port(server.url), request_)) == b"413"
        assert server.recorder.pushes == []
        assert await post(f"{server.url}/webhook?type=distribution", payload("distribution.json"), BEARER)


async def test_a_body_trickled_a_byte_at_a_time_is_cut_off() -> None:
    async with webhook_server(timeout=SHORT) as server:
        answer = await asyncio.wait_for(_raw(_port(server.url), _head(1000), trickle=b"{"), timeout=60)
        assert _status(answer) == b"408"


async def test_a_connection_that_sends_nothing_is_closed() -> None:
    async with webhook_server(timeout=SHORT) as server:
        assert await _raw(_port(server.url), b"") == b""


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b'{"events": ' + b"[" * 200_000, id="deeper-than-the-parser-recurses"),
        pytest.param(b'{"events": ' + b"[" * 50 + b"]" * 50 + b"}", id="over-the-depth-bound"),
        pytest.param(b'{"events": [' + b'"x",' * 200_000 + b'"x"]}', id="wide"),
    ],
)
async def test_hostile_json_is_a_one_line_refusal_or_nothing(body: bytes) -> None:
    async with webhook_server() as server:
        status, text = await post(f"{server.url}/webhook?type=distribution", body, BEARER)
        assert status in (200, 400)
        assert "\n" not in text
        assert server.recorder.pushes == []


async def test_invented_types_are_counted_under_one_label() -> None:
    async with webhook_server() as server:
        for index in range(50):
            assert (await post(f"{server.url}/webhook?type=t{index}", b"{}"))[0] == 400
        series = {
            sample.labels["type"]
            for metric in server.metrics.registry.collect()
            if metric.name == "argocd_image_updater_webhook_events"
            for sample in metric.samples
        }
        assert series == {"unknown"}


async def test_a_flood_from_one_address_is_refused_before_any_secret_or_body_is_read() -> None:
    async with webhook_server(replace(PLAIN, ratelimit_allowed=3)) as server:
        url = f"{server.url}/webhook?type=distribution"
        statuses = [(await post(url, b"x" * 1000, {"Authorization": "Bearer guess"}))[0] for _ in range(6)]
        assert statuses == [401, 401, 401, 429, 429, 429]
        assert (await post(url, payload("distribution.json"), BEARER))[
            0
        ] == 429  # the address, not the secret


def test_the_rate_limit_refills_and_tracks_a_bounded_number_of_addresses() -> None:
    limiter = SourceLimiter(per_hour=2, capacity=100)
    assert [limiter.allow("10.0.0.1", now=0.0) for _ in range(3)] == [True, True, False]
    assert limiter.allow("10.0.0.1", now=1800.0)  # half an hour: one request back
    for index in range(10_000):
        limiter.allow(f"10.1.{index // 256}.{index % 256}", now=1800.0)
    assert len(limiter._buckets) == 100  # the least recent addresses are forgotten
