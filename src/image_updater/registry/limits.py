"""Per-registry request limits: a token bucket (requests per second) and a concurrency cap.

The runtime creates one `RequestLimiter` per registry and gives it to every client of that
registry; each HTTP request (token requests included) holds one slot while it is in flight.
Time comes in as a monotonic clock and a sleep function, so tests run on a fake clock. Every
wait is bounded: a limit below `MIN_LIMIT` is refused, so one token never takes over 100 s.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from image_updater.errors import InvalidRegistryConfig
from image_updater.settings.registries import MIN_LIMIT


class RequestLimiter:
    """At most `limit` requests per second (None = unlimited) and `concurrency` in flight.

    The bucket holds up to `burst` tokens (default: one second's worth, at least one) and starts
    full. Waiters take tokens in arrival order. Limits: one event loop; not thread-safe.
    """

    __slots__ = ("_burst", "_clock", "_last", "_limit", "_lock", "_semaphore", "_sleep", "_tokens")

    def __init__(
        self,
        *,
        limit: float | None,
        concurrency: int = 8,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit is not None and not (math.isfinite(limit) and limit >= MIN_LIMIT):
            # a tinier limit would make one wait last for days: `limit: 1e-9` is 31 years per request
            raise InvalidRegistryConfig(
                f"registry limit must be finite and at least {MIN_LIMIT} requests/second, got {limit}"
            )
        if concurrency < 1:
            raise InvalidRegistryConfig(f"registry concurrency must be at least 1, got {concurrency}")
        self._limit = limit
        self._burst = burst if burst is not None else max(1.0, limit or 1.0)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self._burst
        self._last = clock()
        self._lock = asyncio.Lock()
        self._semaphore = asyncio.Semaphore(concurrency)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one concurrency slot, after waiting for a rate token, for one request."""
        async with self._semaphore:
            await self.take()
            yield

    async def take(self) -> None:
        """Wait until a rate token is available and take it (no-op when unlimited)."""
        if self._limit is None:
            return
        async with self._lock:
            while True:
                now = self._clock()
                self._tokens = min(self._burst, self._tokens + (now - self._last) * self._limit)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return
                await self._sleep((1.0 - self._tokens) / self._limit)
