"""`image-updater run`: build the long-lived clients, then run cycles until told to stop.

Every long-running piece starts here: the probe and metrics servers, leader election (in a
cluster), the watches that start a cycle early when the configuration changes (in a cluster, on
the leader, not with `--once`: runtime/watches.py) and the cycle loop. Cycles never overlap; a
cycle longer than the interval is logged with its duration. SIGTERM/SIGINT let the cycle in
progress (and so any write) finish, then the process exits. With `--once` (or interval 0)
exactly one cycle runs and the exit status says whether every Application went through cleanly.

With `--enable-webhook` the webhook server hands each valid push to the `Dispatcher`, which
acts on it only while this process leads (runtime/dispatch.py); polling goes on beside it.
`polling=False` (the `webhook` command) runs no cycle at all: pushes are the only trigger.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import structlog

from image_updater.annotations import NAMESPACED_KINDS, AppTrust
from image_updater.errors import ConfigError, ImageUpdaterError
from image_updater.registry.cache import MetadataCache
from image_updater.registry.credentials import CredentialResolver
from image_updater.registry.diskcache import DiskStore
from image_updater.resources.assigning import ConfigSource
from image_updater.runtime import branch_history, listening, servers
from image_updater.runtime.appsources import (
    AppFilter,
    ApplicationSource,
    ClusterSource,
    DirectorySource,
    RepoCredsFromSecrets,
    secret_source,
)
from image_updater.runtime.configfiles import (
    commit_template,
    load_known_hosts,
    load_registries_conf,
    user_cache_dir,
)
from image_updater.runtime.cycle import Cycle, CycleOptions, wall_clock
from image_updater.runtime.dispatch import Dispatcher
from image_updater.runtime.metrics import Metrics
from image_updater.runtime.outcomes import CycleReport
from image_updater.runtime.plan import PlanRecorder
from image_updater.runtime.registries import RegistryPool
from image_updater.runtime.statuses import ClusterStatus, PrintedStatus, StatusFiles, StatusSink
from image_updater.runtime.wakeup import Wakeup
from image_updater.runtime.webhook_server import WebhookSettings
from image_updater.runtime.writing import CommitSettings, WriteBack
from image_updater.settings.proxies import ProxyRules
from image_updater.sources.secret_files import SecretFiles
from image_updater.writeback import workdir
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_commit import Author, Signing
from image_updater.writeback.git_repo import GitRepoCache
from image_updater.yamlsafe import DEFAULT_LIMITS, YamlLimits

if TYPE_CHECKING:  # the Kubernetes client is imported only when a cluster is used
    from image_updater.kube.calling import Api
    from image_updater.kube.secrets import ClusterSecrets

log = structlog.get_logger("image_updater.controller")


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Everything `run` was told, already validated by the CLI."""

    interval: float = 120.0
    once: bool = False
    dry_run: bool = False
    max_concurrency: int = 10
    health_port: int = 8080
    metrics_port: int = 8081
    name_globs: tuple[str, ...] = ()
    label_selector: str | None = None
    namespaces: tuple[str, ...] = ()
    controller_namespace: str = "argocd"
    registries_conf: Path | None = None
    applications_dir: Path | None = None
    secrets_dir: Path | None = None
    status_dir: Path | None = None  # one YAML file per ImageUpdater with its status
    kubeconfig: Path | None = None
    git_workdir: Path = field(default_factory=lambda: user_cache_dir() / "git")
    git_workdir_wait: float = 60.0  # how long to wait for another process's lock on the workdir
    git_author: Author = field(default_factory=Author)
    git_message_path: Path | None = None
    git_signing: Signing | None = None
    git_signoff: bool = False
    git_batch: bool = True
    kube_events: bool = True
    leader_election: bool | None = None  # None: on in a cluster, off in directory mode
    trust_tags_for: float = 1800.0
    ssh_known_hosts: Path | None = None  # default: Argo CD's mounted ssh_known_hosts when present
    cache_dir: Path | None = None  # the registry metadata cache on disk; None: memory only
    cache_max_entries: int = 200_000
    app_credential_kinds: frozenset[str] = NAMESPACED_KINDS  # what Application annotations may reference
    app_promotion_namespaces: frozenset[str] = frozenset()  # promote-from may name these namespaces too
    clock: Callable[[], datetime] | None = None  # the gates' clock (tests); None: the wall clock
    cycle_timeout: float | None = None  # None: DEFAULT_DEADLINE_INTERVALS intervals, at least MIN_DEADLINE
    yaml_limits: YamlLimits = DEFAULT_LIMITS
    webhook: WebhookSettings | None = None  # None: no webhook server (--enable-webhook not given)
    plan: PlanRecorder | None = None  # `plan`: record the cycle and the diffs; no status is written
    polling: bool = True  # False: the `webhook` command, no cycles (pushes only)
    config_source: ConfigSource = "both"  # which generation configures Applications

    @property
    def cycle_deadline(self) -> float:
        """Seconds a cycle may run before what is unfinished is reported as timed out."""
        if self.cycle_timeout is not None:
            return self.cycle_timeout
        return max(DEFAULT_DEADLINE_INTERVALS * self.interval, MIN_DEADLINE)


# A cycle slower than its interval is normal on a cold start against a slow registry; one slower
# than five intervals (and ten minutes) is stuck on something, and must not hold back the next.
DEFAULT_DEADLINE_INTERVALS = 5
MIN_DEADLINE = 600.0


async def run(settings: RunSettings) -> int:
    """Run until stopped (or once); the process exit status."""
    registries = load_registries_conf(settings.registries_conf)
    proxies = ProxyRules.from_environ(os.environ)
    commit = CommitSettings(
        template=commit_template(settings.git_message_path),
        author=settings.git_author,
        signing=settings.git_signing,
        signoff=settings.git_signoff,
    )
    async with (
        workdir.hold(
            settings.git_workdir,
            wait=settings.git_workdir_wait,
            on_wait=log.warning,
            on_unusable=log.warning,
        ),
        _cluster(settings) as api,
        aiohttp.ClientSession() as session,
        _metadata_cache(settings) as cache,
    ):
        source = _source(settings, api)
        secrets = secret_source(secrets_dir=settings.secrets_dir, api=api, limits=settings.yaml_limits)
        metrics = Metrics()
        pool = RegistryPool(
            session=session,
            resolver=CredentialResolver(secrets=secrets, environ=os.environ, clock=time.monotonic),
            cache=cache,
            proxies=proxies,
        )
        metrics.watch_registry_requests(pool.counter.snapshot)
        if api is not None:
            metrics.watch_kubernetes(lambda: (api.counter.requests, api.counter.errors))
        git = (settings.plan.git_writer if settings.plan else GitWriter)(
            cache=GitRepoCache(settings.git_workdir),
            known_hosts=load_known_hosts(settings.ssh_known_hosts),
            local_repositories=settings.applications_dir is not None,  # no file:// in a cluster
        )
        writer = (settings.plan.write_back if settings.plan else WriteBack)(
            git=git,
            api=api,
            secrets=secrets,
            repo_creds=RepoCredsFromSecrets(
                files=SecretFiles(settings.secrets_dir, limits=settings.yaml_limits)
                if settings.secrets_dir
                else None,
                cluster=_cluster_secrets(api),
                namespace=settings.controller_namespace,
            ),
            commit=commit,
            controller_namespace=settings.controller_namespace,
            dry_run=settings.dry_run,
            batch=settings.git_batch,
        )
        trust = AppTrust(
            credential_kinds=settings.app_credential_kinds,
            promotion_namespaces=settings.app_promotion_namespaces,
        )
        options = CycleOptions(
            max_concurrency=settings.max_concurrency,
            trust_tags_for=settings.trust_tags_for,
            dry_run=settings.dry_run,
            kube_events=settings.kube_events,
            app_trust=trust,
            deadline=settings.cycle_deadline,
            clock=settings.clock or wall_clock,
            history=branch_history.history(writer=writer, git=git, trust=trust) if api is None else None,
            config_source=settings.config_source,
        )
        cycle = Cycle(
            source=source,
            registries=registries,
            pool=pool,
            writer=writer,
            metrics=metrics,
            options=options,
            statuses=_status_sinks(settings, api),
        )
        health = servers.Health()
        dispatcher = Dispatcher(cycle=cycle, registries=registries, metrics=metrics)
        async with (
            listening.probes_and_metrics(
                health_port=0 if settings.once else settings.health_port,
                metrics_port=settings.metrics_port,
                metrics=metrics,
                health=health,
            ),
            listening.webhooks(
                None if settings.once else settings.webhook, metrics, on_push=dispatcher.submit
            ),
        ):
            loop = _Loop(cycle=cycle, settings=settings, health=health, dispatcher=dispatcher, api=api)
            if api is not None and _leader_election(settings):
                health.ready = True  # a standby is ready: a rolling update must not wait for the Lease
                from image_updater.kube.leader import LeaseTerms, run_as_leader

                terms = LeaseTerms(
                    namespace=settings.controller_namespace,
                    name="argocd-image-updater-leader",
                    identity=_identity(),
                )
                await run_as_leader(api, terms=terms, on_started=loop.run)
            else:
                await loop.run()
            return loop.exit_status


@dataclass(slots=True)
class _Loop:
    cycle: Cycle
    settings: RunSettings
    health: servers.Health
    dispatcher: Dispatcher
    api: Api | None = None
    exit_status: int = 0
    changes: Wakeup = field(default_factory=Wakeup)

    async def run(self) -> None:
        """Poll (or, without polling, wait to be stopped) while pushes are acted on."""
        async with self.dispatcher.active():
            await (self._poll() if self.settings.polling else self._serve())

    async def _serve(self) -> None:
        self.health.ready = True
        stop = asyncio.Event()
        with listening.stop_signals(stop):
            await stop.wait()
        log.info("stopping after the running webhook updates, as asked")

    async def _poll(self) -> None:
        self.health.ready = False  # a new leader is ready once its first cycle is done
        stop = asyncio.Event()
        async with self._running(stop):
            while True:
                report = await self._one()
                self.health.ready = True
                if self.settings.once or self.settings.interval <= 0:
                    self.exit_status = 1 if report is None or report.errors else 0
                    return
                if report is not None and report.seconds > self.settings.interval:
                    log.warning(
                        "cycle took longer than the interval",
                        seconds=round(report.seconds, 1),
                        interval=self.settings.interval,
                    )
                wait = max(0.0, self.settings.interval - (report.seconds if report else 0.0))
                if changed := await self.changes.until(stop, wait):
                    log.info("configuration changed; cycle starts now", changes=list(changed))
                if stop.is_set():
                    log.info("stopping after the last cycle, as asked")
                    return

    @contextlib.asynccontextmanager
    async def _running(self, stop: asyncio.Event) -> AsyncIterator[None]:
        """Signals set `stop`; in a cluster, watches tell `changes` (not with --once)."""
        with listening.stop_signals(stop):
            if self.api is None or self.settings.once or self.settings.interval <= 0:
                yield
                return
            from image_updater.runtime import watches

            app_filter = AppFilter(
                name_globs=self.settings.name_globs, label_selector=self.settings.label_selector
            )
            watched = watches.targets(
                namespaces=self.settings.namespaces,
                app_filter=app_filter,
                resources=self.settings.config_source != "annotations",
            )
            async with watches.running(self.api, watched, self.changes):
                yield

    async def _one(self) -> CycleReport | None:
        try:
            report = await self.cycle.run()
        except ImageUpdaterError as err:
            log.error("cycle failed", error=str(err))
            return None
        if self.settings.plan is not None:
            self.settings.plan.report = report
        log.info(
            "cycle done",
            applications=report.applications,
            images=report.images_checked,
            updated=sum(len(w.changes) for w in report.updated),
            errors=len(report.errors),
            seconds=round(report.seconds, 2),
        )
        return report


def _source(settings: RunSettings, api: Api | None) -> ApplicationSource:
    app_filter = AppFilter(name_globs=settings.name_globs, label_selector=settings.label_selector)
    if settings.applications_dir is not None:
        return DirectorySource(settings.applications_dir, app_filter=app_filter, limits=settings.yaml_limits)
    assert api is not None
    return ClusterSource(
        api,
        namespaces=settings.namespaces,
        app_filter=app_filter,
        config_source=settings.config_source,
        finalize=not settings.dry_run,
    )


def _status_sinks(settings: RunSettings, api: Api | None) -> list[StatusSink]:
    """The cluster's status subresource, `--status-dir` files and, with `--once`, standard output;
    none for a plan, which writes nothing."""
    if settings.plan is not None:
        return []
    sinks: list[StatusSink] = [ClusterStatus(api)] if api is not None else []
    if settings.status_dir is not None:
        apps = settings.applications_dir
        if apps is not None and settings.status_dir.resolve().is_relative_to(apps.resolve()):
            # the files would be read back as ImageUpdater manifests (without a spec) next cycle
            raise ConfigError(
                f"--status-dir {settings.status_dir} is inside --applications-dir {apps}; "
                "use another directory"
            )
        sinks.append(StatusFiles(settings.status_dir, limits=settings.yaml_limits))
    if settings.once:
        sinks.append(PrintedStatus())
    return sinks


def _cluster_secrets(api: Api | None) -> ClusterSecrets | None:
    if api is None:
        return None
    from image_updater.kube.secrets import ClusterSecrets

    return ClusterSecrets(api)


@contextlib.asynccontextmanager
async def _cluster(settings: RunSettings) -> AsyncIterator[Api | None]:
    if settings.applications_dir is not None:
        yield None
        return
    from image_updater.kube.connecting import connect

    api = await connect(kubeconfig=settings.kubeconfig)
    try:
        yield api
    finally:
        await api.client.close()


@contextlib.asynccontextmanager
async def _metadata_cache(settings: RunSettings) -> AsyncIterator[MetadataCache]:
    """The registry metadata cache, backed by `cache_dir` when set; a store that cannot be opened
    (an unsafe or unwritable directory) is reported once and the process runs with memory only."""
    store = None
    if settings.cache_dir is not None:
        try:
            store = DiskStore.open(settings.cache_dir, max_entries=settings.cache_max_entries)
        except ImageUpdaterError as err:
            log.warning("registry metadata cache kept in memory only", error=str(err))
    try:
        yield MetadataCache(store=store)
    finally:
        if store is not None:
            store.close()


def _leader_election(settings: RunSettings) -> bool:
    return settings.leader_election if settings.leader_election is not None else not settings.once


def _identity() -> str:
    return os.environ.get("POD_NAME") or f"{socket.gethostname()}-{os.getpid()}"
