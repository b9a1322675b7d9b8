"""Where the controller gets Applications and Secrets: the cluster, or directories of manifests.

Both sources answer the same questions, so the cycle does not know which one it runs on:
which Applications exist (filtered by name globs and a label selector), which ImageUpdater
resources exist, how to read a Secret, where Argo CD repository credentials are, and whether
Applications can be patched (only in a cluster: the `argocd` write-back method is refused in
directory mode). In a cluster, listing ImageUpdaters also keeps upstream's finalizer on them
(kube/imageupdaters.py): added to each resource first seen, removed from one being deleted, which
is left out of the listing (so the cycle drops its per-resource state: `Metrics.resources.keep_resources`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import re2
import structlog

from image_updater.credentials import SecretSource
from image_updater.errors import ConfigError, ImageUpdaterError, KindNotServed
from image_updater.resources.assigning import ConfigSource
from image_updater.selection.filters import glob_to_regexp
from image_updater.sources.applications_dir import load_applications
from image_updater.sources.secret_files import SecretFiles
from image_updater.yamlsafe import DEFAULT_LIMITS, YamlLimits

if TYPE_CHECKING:  # the Kubernetes client is imported only when a cluster is used
    from image_updater.kube.calling import Api, Resource
    from image_updater.kube.secrets import ClusterSecrets

log = structlog.get_logger("image_updater.sources")


@dataclass(frozen=True, slots=True)
class Listing:
    """Application manifests, ImageUpdater manifests, and one line per thing that could not be read
    (or, in a cluster, a finalizer that could not be written)."""

    applications: tuple[Mapping[str, Any], ...]
    problems: tuple[str, ...] = ()
    image_updaters: tuple[Mapping[str, Any], ...] = ()


class ApplicationSource(Protocol):
    """Lists Applications; `api` is the cluster connection, None in directory mode."""

    api: Api | None

    async def list(self) -> Listing: ...


@dataclass(frozen=True, slots=True)
class AppFilter:
    """`--match-application-name` globs (any matches) and `--match-application-label` selector."""

    name_globs: tuple[str, ...] = ()
    label_selector: str | None = None
    _patterns: tuple[Any, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        patterns = []
        for glob in self.name_globs:
            try:
                patterns.append(re2.compile(glob_to_regexp(glob)))
            except ValueError as err:
                raise ConfigError(f"--match-application-name {glob!r}: {err}") from None
        object.__setattr__(self, "_patterns", tuple(patterns))  # compiled once, not once per Application

    def names(self, name: str) -> bool:
        if not self._patterns:
            return True
        return any(pattern.fullmatch(name) for pattern in self._patterns)


class DirectorySource:
    """Application manifests under a directory (read fresh each cycle)."""

    api: Api | None = None

    def __init__(
        self, directory: Path, *, app_filter: AppFilter, limits: YamlLimits = DEFAULT_LIMITS
    ) -> None:
        self._directory = directory
        self._filter = app_filter
        self._limits = limits

    async def list(self) -> Listing:
        loaded = await asyncio.to_thread(load_applications, self._directory, limits=self._limits)
        kept = [
            app
            for app in loaded.applications
            if self._filter.names(_name(app)) and matches_labels(_labels(app), self._filter.label_selector)
        ]
        return Listing(tuple(kept), loaded.problems, loaded.image_updaters)


class ClusterSource:
    """Applications and ImageUpdaters from the Kubernetes API, in the same namespaces (the label
    selector, for Applications only, is applied by the server).

    ImageUpdaters are not listed with `config_source="annotations"`. Without their CRD they are
    none, said once, unless only resources configure Applications (then the listing fails).
    `finalize=False` (dry run) adds no finalizer; ours is still removed from a resource being
    deleted, or its deletion would wait for us forever.
    """

    def __init__(
        self,
        api: Api,
        *,
        namespaces: Sequence[str],
        app_filter: AppFilter,
        config_source: ConfigSource = "both",
        finalize: bool = True,
    ) -> None:
        self.api: Api | None = api
        self._namespaces = tuple(namespaces)
        self._filter = app_filter
        self._config_source, self._finalize = config_source, finalize
        self._told_not_served = False

    async def list(self) -> Listing:
        assert self.api is not None
        from image_updater.kube import applications as kube_apps

        found = await kube_apps.list_applications(
            self.api, namespaces=self._namespaces, label_selector=self._filter.label_selector
        )
        resources, problems = await self._image_updaters(self.api)
        apps = tuple(app for app in found if self._filter.names(_name(app)))
        return Listing(apps, problems, resources)

    async def _image_updaters(self, api: Api) -> tuple[tuple[Resource, ...], tuple[str, ...]]:
        if self._config_source == "annotations":
            return (), ()
        from image_updater.kube import imageupdaters

        try:
            found = await imageupdaters.list_image_updaters(api, namespaces=self._namespaces)
        except KindNotServed as err:
            if self._config_source == "resources":
                raise
            if not self._told_not_served:
                log.info("no ImageUpdater resources: their CRD is not installed", detail=str(err))
            self._told_not_served = True
            return (), ()
        problems = []
        for resource in found:
            try:
                await self._settle_finalizer(api, resource)
            except ImageUpdaterError as err:  # this resource's finalizer only: it configures as before
                problems.append(str(err))
        kept = tuple(resource for resource in found if not imageupdaters.is_deleting(resource))
        return kept, tuple(problems)

    async def _settle_finalizer(self, api: Api, resource: Resource) -> None:
        from image_updater.kube import imageupdaters

        if imageupdaters.is_deleting(resource):
            if imageupdaters.has_finalizer(resource):
                await imageupdaters.remove_finalizer(api, resource)
        elif self._finalize and not imageupdaters.has_finalizer(resource):
            await imageupdaters.add_finalizer(api, resource)


class RepoCredsFromSecrets:
    """Argo CD repository credentials (`repository`/`repo-creds` Secrets) of one namespace.

    With neither a cluster nor a Secrets directory there are none, and git uses the machine's own
    credentials (as upstream does for a repository without a Secret).
    """

    def __init__(
        self, *, files: SecretFiles | None = None, cluster: ClusterSecrets | None = None, namespace: str
    ):
        self._files, self._cluster, self._namespace = files, cluster, namespace

    @property
    def looked_in(self) -> str:
        if self._cluster is not None:
            from image_updater.kube.secrets import SECRET_TYPE_LABEL  # loaded already: a cluster is used

            kinds = f"{SECRET_TYPE_LABEL}=repository or repo-creds"
            return f"looked for Secrets labelled {kinds} in namespace {self._namespace}"
        if self._files is not None:
            return f"looked in --secrets-dir {self._files.directory}, namespace {self._namespace}"
        return "no --secrets-dir was given"

    async def list_repository_secrets(self) -> list[dict[str, bytes]]:
        if self._cluster is not None:
            return [dict(s.data) for s in await self._cluster.list_repository_secrets(self._namespace)]
        if self._files is None:
            return []
        found = await asyncio.to_thread(self._files.read)
        # A broken file must not stop every git write-back: it is skipped, and said so each time.
        for problem in (*found.unreadable, *found.broken.values()):
            log.warning("Secret skipped for repository credentials", problem=problem)
        return [
            data for (namespace, _), data in sorted(found.secrets.items()) if namespace == self._namespace
        ]


def secret_source(
    *, secrets_dir: Path | None, api: Api | None, limits: YamlLimits = DEFAULT_LIMITS
) -> SecretSource | None:
    """Secrets from the cluster when connected, else from `--secrets-dir` (None: no Secrets)."""
    if api is not None:
        from image_updater.kube.secrets import ClusterSecrets

        return ClusterSecrets(api)
    return SecretFiles(secrets_dir, limits=limits) if secrets_dir is not None else None


def matches_labels(labels: Mapping[str, str], selector: str | None) -> bool:
    """Equality-based selectors (`a=b`, `a==b`, `a!=b`, `a`, `!a`), comma-separated, all must hold."""
    for term in (t.strip() for t in (selector or "").split(",") if t.strip()):
        if "!=" in term:
            key, value = (p.strip() for p in term.split("!=", 1))
            ok = labels.get(key) != value
        elif "=" in term:
            key, value = (p.strip() for p in term.replace("==", "=").split("=", 1))
            ok = labels.get(key) == value
        elif term.startswith("!"):
            ok = term[1:].strip() not in labels
        elif " in " in term or " notin " in term:
            raise ConfigError(f"label selector {selector!r}: set-based terms need a cluster; use key=value")
        else:
            ok = term in labels
        if not ok:
            return False
    return True


def _name(app: Mapping[str, Any]) -> str:
    meta = app.get("metadata")
    return str(meta.get("name", "")) if isinstance(meta, Mapping) else ""


def _labels(app: Mapping[str, Any]) -> Mapping[str, str]:
    meta = app.get("metadata")
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, Mapping) else {}
