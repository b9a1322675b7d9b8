"""Whoever reaches the metrics/health ports (docs/security.md): connections that never finish a
request, or trickle it a byte at a time, are closed by the server instead of being held for an
hour (aiohttp's default), which would let them use up the file descriptors the registry and git
clients need; oversized headers are refused; the server keeps answering probes.

The idle timeout is shortened for the test; what is asserted is that the server closes, not when.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from image_updater.runtime import servers
from image_updater.runtime.servers import Health

SHORT = 0.3


@asynccontextmanager
async def probe_server() -> AsyncIterator[int]:
    app = servers.build_app(metrics=None, health=Health(ready=True))
    runner = await servers.serve(app, host="127.0.0.1", port=0, idle_timeout=SHORT)
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


async def _trickle(writer: asyncio.StreamWriter, reader: asyncio.StreamReader) -> None:
    writer.write(b"GET /healthz HTTP/1.1\r\n")
    while not reader.at_eof():  # one header byte at a time, never the blank line that ends them
        writer.write(b"X")
        await asyncio.sleep(SHORT / 3)


async def _answer(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    try:
        return await asyncio.wait_for(reader.read(), timeout=60)
    finally:
        writer.close()


def _status(answer: bytes) -> bytes:
    return answer.split(b" ", 2)[1] if answer.startswith(b"HTTP/1.") else answer[:40]


@pytest.mark.parametrize(
    "opening",
    [
        pytest.param(b"", id="connects-and-sends-nothing"),
        pytest.param(b"GET /healthz HTTP/1.1\r\nX-Slow: ", id="half-a-request"),
        pytest.param(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", id="keep-alive-after-a-request"),
    ],
)
async def test_a_connection_that_sends_no_request_is_closed_by_the_server(opening: bytes) -> None:
    async with probe_server() as port:
        answer = await _answer(port, opening)  # read() returns only once the server closes
        assert answer == b"" or _status(answer) == b"200"
        assert _status(await _answer(port, b"GET /healthz HTTP/1.0\r\n\r\n")) == b"200"


async def test_a_request_trickled_a_byte_at_a_time_is_cut_off() -> None:
    async with probe_server() as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.wait_for(_trickle(writer, reader), timeout=60)
        writer.close()


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n", id="100k-header"),
        pytest.param(
            b"GET /healthz HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(1000)) + b"\r\n",
            id="1000-headers",
        ),
        pytest.param(b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n", id="100k-path"),
    ],
)
async def test_oversized_requests_are_refused_and_probes_still_answer(request_: bytes) -> None:
    async with probe_server() as port:
        answer = await _answer(port, request_)
        assert _status(answer) in (b"400", b"414", b"431")
        assert _status(await _answer(port, b"GET /readyz HTTP/1.0\r\n\r\n")) == b"200"
