"""Leader election on a `coordination.k8s.io/v1` Lease, so only one replica updates at a time.

The rules are client-go's: a candidate takes the Lease when it is free or when its holder has not
renewed it for `lease_seconds` *as measured on the candidate's own clock* since the candidate
last saw it change (so clock skew between replicas does not matter). The leader renews every
`retry_seconds`; if it cannot renew for `renew_seconds`, it stops its work before anyone else may
take over (`renew_seconds < lease_seconds`). Every write carries the resourceVersion it was
computed from, so two candidates racing for a free Lease cannot both win (the loser gets 409).

kubernetes_asyncio's own `leaderelection` is not used: it floors every period at one second,
reads `time.time()` directly and logs API failures instead of raising them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from kubernetes_asyncio.client import CoordinationV1Api
from kubernetes_asyncio.client.exceptions import ApiException

from image_updater.errors import ConfigError, TransientError
from image_updater.kube.calling import Api, Resource, as_body, call

NOT_FOUND, CONFLICT = 404, 409
Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class LeaseTerms:
    """Which Lease, who we are, and the timings (seconds). Validated on construction."""

    namespace: str
    name: str
    identity: str
    lease_seconds: float = 15.0
    renew_seconds: float = 10.0
    retry_seconds: float = 2.0

    def __post_init__(self) -> None:
        if not self.identity:
            raise ConfigError("leader election needs a non-empty identity (usually the pod name)")
        if not 0 < self.retry_seconds < self.renew_seconds < self.lease_seconds:
            raise ConfigError(
                "leader election timings must satisfy 0 < retry < renew deadline < lease duration, got "
                f"{self.retry_seconds} / {self.renew_seconds} / {self.lease_seconds}"
            )


async def run_as_leader(
    api: Api,
    *,
    terms: LeaseTerms,
    on_started: Callable[[], Awaitable[None]],
    release_on_exit: bool = True,
    clock: Clock = time.monotonic,
) -> None:
    """Wait to become leader, then run `on_started()` for as long as the Lease stays ours.

    Returns when the work returns; re-raises what the work raises. Raises TransientError when
    the Lease is lost (the work is cancelled first). On any exit, and on cancellation, a held
    Lease is released (unless `release_on_exit` is false) so a successor need not wait it out.
    """
    elector = _Elector(api, terms, clock)
    try:
        while not await elector.try_acquire_or_renew():  # noqa: ASYNC110 - polling the API is the protocol
            await asyncio.sleep(terms.retry_seconds)
        await _lead(elector, on_started)
    finally:
        if release_on_exit and elector.holding:
            with contextlib.suppress(TransientError):
                await asyncio.shield(elector.release())


async def _lead(elector: _Elector, on_started: Callable[[], Awaitable[None]]) -> None:
    terms = elector.terms
    work = asyncio.create_task(_run(on_started), name=f"leader-work:{terms.namespace}/{terms.name}")
    keeper = asyncio.create_task(elector.keep(), name=f"leader-renew:{terms.namespace}/{terms.name}")
    try:
        await asyncio.wait({work, keeper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (work, keeper):
            task.cancel()
        await asyncio.wait({work, keeper})
    if not work.cancelled():
        work.result()
        return
    keeper.result()  # an error of the renewal itself (RBAC, say) says more than "lost"
    raise TransientError(
        f"lost the leader Lease {terms.namespace}/{terms.name}: "
        f"could not renew it for {terms.renew_seconds}s; stopped work",
        delay=terms.retry_seconds,
    )


async def _run(on_started: Callable[[], Awaitable[None]]) -> None:
    await on_started()


class _Elector:
    """One candidate's view of the Lease: what it last saw and when (on its own clock)."""

    def __init__(self, api: Api, terms: LeaseTerms, clock: Clock) -> None:
        self.api, self.terms, self.clock = api, terms, clock
        self.holding = False
        self._seen: tuple[object, object] | None = None
        self._seen_at = 0.0
        self._coordination = CoordinationV1Api(api.client)

    async def keep(self) -> None:
        """Renew every `retry_seconds`; return once renewing failed for `renew_seconds`."""
        while True:
            await asyncio.sleep(self.terms.retry_seconds)
            deadline = self.clock() + self.terms.renew_seconds
            while not await self.try_acquire_or_renew():
                if self.clock() >= deadline:
                    return
                await asyncio.sleep(self.terms.retry_seconds)

    async def try_acquire_or_renew(self) -> bool:
        """One attempt; True when the Lease is ours afterwards. Transient API failures count as no."""
        try:
            self.holding = await self._attempt()
        except TransientError:  # we may still hold it; the renew deadline decides
            return False
        return self.holding

    async def release(self) -> None:
        lease = await self._read()
        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.terms.identity:
            return
        spec = {**lease["spec"], "holderIdentity": None, "leaseDurationSeconds": 1, "renewTime": _micro_now()}
        await self._write({**lease, "spec": spec})
        self.holding = False

    async def _attempt(self) -> bool:
        lease = await self._read()
        if lease is None:
            return await self._create()
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity")
        if (holder, spec.get("renewTime")) != self._seen:
            self._seen, self._seen_at = (holder, spec.get("renewTime")), self.clock()
        if (
            holder
            and holder != self.terms.identity
            and self.clock() < self._seen_at + self.terms.lease_seconds
        ):
            return False
        return await self._write({**lease, "spec": self._spec(spec)})

    def _spec(self, old: Resource) -> Resource:
        now, ours = _micro_now(), old.get("holderIdentity") == self.terms.identity
        return {
            **old,
            "holderIdentity": self.terms.identity,
            "leaseDurationSeconds": math.ceil(self.terms.lease_seconds),
            "acquireTime": old.get("acquireTime") if ours else now,
            "renewTime": now,
            "leaseTransitions": int(old.get("leaseTransitions") or 0) + (0 if ours else 1),
        }

    async def _read(self) -> Resource | None:
        terms = self.terms
        request = self._coordination.read_namespaced_lease(terms.name, terms.namespace)
        try:
            lease = await call(self.api, request, action=self._action("read"), passthrough=(NOT_FOUND,))
        except ApiException:
            return None
        return self.api.to_json(lease)

    async def _create(self) -> bool:
        terms = self.terms
        body = {"metadata": {"name": terms.name, "namespace": terms.namespace}, "spec": self._spec({})}
        request = self._coordination.create_namespaced_lease(terms.namespace, as_body(body))
        try:
            await call(self.api, request, action=self._action("create"), passthrough=(CONFLICT,))
        except ApiException:  # another candidate created it first
            return False
        self._seen, self._seen_at = (terms.identity, body["spec"]["renewTime"]), self.clock()
        return True

    async def _write(self, lease: Resource) -> bool:
        terms = self.terms
        request = self._coordination.replace_namespaced_lease(terms.name, terms.namespace, as_body(lease))
        try:
            await call(self.api, request, action=self._action("update"), passthrough=(CONFLICT,))
        except ApiException:  # the Lease moved since we read it: someone else wrote first
            return False
        self._seen, self._seen_at = (
            (lease["spec"]["holderIdentity"], lease["spec"]["renewTime"]),
            self.clock(),
        )
        return True

    def _action(self, verb: str) -> str:
        return f"{verb} the leader Lease {self.terms.namespace}/{self.terms.name}"


def _micro_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
