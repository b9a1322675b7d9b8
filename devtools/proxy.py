"""A recording HTTP proxy on 127.0.0.1 for tests: forward (absolute-URI) requests and CONNECT.

Clients never proxy loopback addresses (Go's rule, which image-updater follows), so tests address
servers by made-up host names (`registry.test:5000`); `routes` sends each `host:port` to a local
port. Every request head the proxy receives is kept in `seen`, which is what a real proxy could
read: for CONNECT only the tunnel's request, never what goes through the tunnel. A `host:port`
without a route answers 502.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class SeenRequest:
    """One request head as the proxy received it; header names lower-cased."""

    method: str
    target: str
    headers: Mapping[str, str]


@dataclass
class ProxyStub:
    routes: dict[str, int]
    seen: list[SeenRequest] = field(default_factory=list)
    port: int = 0
    _connections: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[ProxyStub]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            for task in self._connections:  # open tunnels and keep-alive connections
                task.cancel()
            await asyncio.gather(*self._connections, return_exceptions=True)
            await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            writer.close()
            self._connections.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        request_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
        method, target, version = request_line.split(" ", 2)
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
        self.seen.append(SeenRequest(method=method, target=target, headers=headers))
        hostport = target if method == "CONNECT" else urlsplit(target).netloc
        port = self.routes.get(hostport)
        if port is None:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        if method == "CONNECT":
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        else:
            up_writer.write(_origin_form(method, target, version, lines))
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))


def _origin_form(method: str, target: str, version: str, lines: list[str]) -> bytes:
    """The request as the origin expects it: path-only target, no proxy headers, one request."""
    parts = urlsplit(target)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    kept = [ln for ln in lines if not ln.lower().startswith(("proxy-", "connection:"))]
    return "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""]).encode("latin-1")


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()
