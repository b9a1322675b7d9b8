"""Counts the HTTP requests every registry client sends, for benchmarks and metrics.

One `RequestCounter` is shared by all clients of a process (the runtime creates it and passes it
in). Counts are per registry host and per request kind; failures and 429 answers are counted per
registry. No I/O and no locking: it is only touched from the event loop's thread.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal, get_args

RequestKind = Literal["ping", "token", "tags", "manifest_head", "manifest_get", "blob_get"]
REQUEST_KINDS: tuple[RequestKind, ...] = get_args(RequestKind)


class RequestCounter:
    """Request counts by (registry, kind), plus failures and rate-limit answers by registry.

    A *request* is every HTTP exchange actually attempted, retries and redirect hops included.
    A *failure* is a connection error, a timeout, a 5xx, or a 4xx other than 401 (an auth
    challenge is part of the normal flow) and 429 (counted as `rate_limited`). `registry` is the
    registry's host[:port]; redirect hops to blob storage count under the registry that sent them.
    """

    __slots__ = ("_failures", "_rate_limited", "_requests")

    def __init__(self) -> None:
        self._requests: Counter[tuple[str, RequestKind]] = Counter()
        self._failures: Counter[str] = Counter()
        self._rate_limited: Counter[str] = Counter()

    def record_request(self, *, registry: str, kind: RequestKind) -> None:
        self._requests[(registry, kind)] += 1

    def record_failure(self, *, registry: str) -> None:
        self._failures[registry] += 1

    def record_rate_limited(self, *, registry: str) -> None:
        self._rate_limited[registry] += 1

    def total(self, kind: RequestKind | None = None, *, registry: str | None = None) -> int:
        """Requests sent, optionally only of one kind and/or to one registry."""
        return sum(
            n
            for (reg, k), n in self._requests.items()
            if (kind is None or k == kind) and (registry is None or reg == registry)
        )

    def rate_limits(self, *, registry: str | None = None) -> int:
        """429 answers, optionally for one registry."""
        return sum(n for reg, n in self._rate_limited.items() if registry is None or reg == registry)

    def failures(self, *, registry: str | None = None) -> int:
        """Failed requests (see the class docstring), optionally for one registry."""
        return sum(n for reg, n in self._failures.items() if registry is None or reg == registry)

    def snapshot(self) -> dict[tuple[str, str], int]:
        """`{(registry, kind): n}` for every non-zero count; failures and 429s appear as the pseudo-kinds
        `failed` and `rate_limited` (the shape `runtime.metrics` exports)."""
        counts: dict[tuple[str, str], int] = {key: n for key, n in self._requests.items() if n}
        counts.update({(reg, "failed"): n for reg, n in self._failures.items() if n})
        counts.update({(reg, "rate_limited"): n for reg, n in self._rate_limited.items() if n})
        return dict(sorted(counts.items()))

    def by_kind(self) -> dict[str, int]:
        """Requests per kind summed over registries (non-zero kinds only), e.g. for `test` output."""
        counts: Counter[str] = Counter()
        for (_, kind), n in self._requests.items():
            counts[kind] += n
        return {kind: counts[kind] for kind in REQUEST_KINDS if counts[kind]}
