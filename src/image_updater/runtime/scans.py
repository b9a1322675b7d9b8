"""The registry checks of one cycle: one scan per distinct configuration, a bounded number at
once, until the cycle's deadline.

Images configured alike on the same repository and credentials, running the same digest and held
alike share one scan (the digest decides whether a HEAD's answer needs confirming): one task per
scan, not per image, so 100,000 images of 1,000 configurations hold 1,000 tasks. Each repository's
tag list is read once per cycle (`CycleTags`). A scan's failure is its result, never raised: an
`ImageUpdaterError`, or a bug of ours as `InternalError`, fails that image only. What is still
running when the deadline passes is cancelled and its result is None (the cycle reports it as
timed out).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog

from image_updater.errors import ImageUpdaterError, InternalError, RegistryAuthError
from image_updater.holds import Hold
from image_updater.registry.scanning import ScanRequest, ScanResult, scan
from image_updater.runtime.holding import HeldKey
from image_updater.runtime.planning import ImageCheck
from image_updater.runtime.registries import CycleTags, RegistryPool
from image_updater.selection.held import HeldVersions
from image_updater.settings.registries import RegistryConfig, api_repository

log = structlog.get_logger("image_updater.cycle")

Outcome = ScanResult | ImageUpdaterError | None  # None: cut short by the deadline


class Scans:
    """Runs a cycle's scans over the long-lived registry clients."""

    def __init__(
        self,
        *,
        registries: RegistryConfig,
        pool: RegistryPool,
        max_concurrency: int,
        trust_tags_for: float,
        clock: Callable[[], datetime],
    ) -> None:
        self._registries, self._pool, self._clock = registries, pool, clock
        self._max_concurrency, self._trust_tags_for = max_concurrency, trust_tags_for

    async def run(
        self, checks: Sequence[ImageCheck], holds: Mapping[HeldKey, Hold], *, deadline: float
    ) -> list[Outcome]:
        """One result per check, in order; `deadline` is on the `time.monotonic` clock."""
        gate = asyncio.Semaphore(self._max_concurrency)
        cycle_tags: dict[int, CycleTags] = {}
        held = [_held(holds, check) for check in checks]
        keys = [(*_scan_key(check), h) for check, h in zip(checks, held, strict=True)]
        scans: dict[tuple[object, ...], asyncio.Future[ScanResult | ImageUpdaterError]] = {}
        for check, key, h in zip(checks, keys, held, strict=True):
            if key not in scans:
                scans[key] = asyncio.ensure_future(self._settled(gate, check, cycle_tags, h))
        if scans:
            await asyncio.wait(scans.values(), timeout=max(0.0, deadline - time.monotonic()))
        await _cancel(list(scans.values()))  # what is still running when the deadline passes
        return [None if scans[key].cancelled() else scans[key].result() for key in keys]

    async def _settled(
        self,
        gate: asyncio.Semaphore,
        check: ImageCheck,
        cycle_tags: dict[int, CycleTags],
        held: HeldVersions | None,
    ) -> ScanResult | ImageUpdaterError:
        try:
            async with gate:
                return await self._scan(check, cycle_tags, held)
        except ImageUpdaterError as err:
            return err
        except Exception as err:  # a bug of ours: it fails this image, never the cycle
            log.debug("internal error", app=check.app.key, exc_info=True)
            return InternalError(f"image {check.image.spec.image.name}", err)

    async def _scan(
        self, check: ImageCheck, cycle_tags: dict[int, CycleTags], held: HeldVersions | None
    ) -> ScanResult:
        spec = check.image.spec
        endpoint = self._registries.resolve(spec.image)
        client = self._pool.client(endpoint, check.image.pull_secret)
        tags = cycle_tags.setdefault(id(client), CycleTags(client))
        request = ScanRequest(
            repository=api_repository(endpoint, spec.image),
            tag_filter=check.image.tag_filter,
            policy=check.image.policy,
            platforms=check.image.platforms,
            trust_tags_for=self._trust_tags_for,
            tag_order=endpoint.tagsortmode,
            confirm_digest=True,
            current_digest=_current_digest(check),
            min_age=check.image.gates.min_age,
            promotion=check.promotion,
            now=self._clock(),
            current_tag=check.current.tag if check.current is not None else None,
            held=held,
        )
        try:
            return await scan(tags, request)
        except RegistryAuthError:
            self._pool.resolver.invalidate(endpoint)  # re-read the credentials next time (rotated tokens)
            raise


async def _cancel(futures: Sequence[asyncio.Future[Any]]) -> None:
    """Cancel what has not finished and wait until it has unwound (a no-op for what is done)."""
    for future in futures:
        future.cancel()
    await asyncio.gather(*futures, return_exceptions=True)


def _held(holds: Mapping[HeldKey, Hold], check: ImageCheck) -> HeldVersions | None:
    hold = holds.get((check.app.key, check.image.spec.image.name))
    return hold.held_versions() if hold is not None else None


def _scan_key(check: ImageCheck) -> tuple[object, ...]:
    image = check.image
    return (
        image.spec.image.name,
        str(image.pull_secret),
        image.selection_key,
        _current_digest(check),
        image.gates,
        check.promotion,
    )


def _current_digest(check: ImageCheck) -> str | None:
    return check.current.digest if check.current is not None else None
