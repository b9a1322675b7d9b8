"""`image-updater test IMAGE`: one registry check with the same pipeline the controller uses.

Parses every input before any request is made, so bad input fails fast with a `ConfigError`.
Reads registries.conf (the given path, else `/app/config/registries.conf` when it exists, else
built-in defaults), resolves the endpoint and credentials, scans, and reports what it chose,
what it dropped and why, and how many registry requests it took.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp

from image_updater import refs, selection
from image_updater.credentials import CredentialRef, SecretSource, parse_credential_ref
from image_updater.errors import ConfigError
from image_updater.holds import parse_hold_mode
from image_updater.refs import ImageRef
from image_updater.registry.credentials import CredentialResolver
from image_updater.registry.scanning import ScanRequest, ScanResult, scan
from image_updater.runtime import explaining
from image_updater.runtime.configfiles import load_registries_conf
from image_updater.runtime.registries import RegistryPool
from image_updater.selection.held import HeldVersions
from image_updater.selection.types import Platform
from image_updater.settings.proxies import ProxyRules
from image_updater.settings.registries import Endpoint, RegistryConfig, api_repository, parse_duration
from image_updater.sources.secret_files import SecretFiles
from image_updater.text import printable


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """The `test` command's flags, as given."""

    image: str
    strategy: str | None = None
    constraint: str | None = None
    allow_tags: str | None = None
    ignore_tags: tuple[str, ...] = ()
    platforms: str | None = None
    min_age: str | None = None
    credentials: str | None = None
    registries_conf: Path | None = None
    rate_limit: float | None = None
    secrets_dir: Path | None = None
    kubeconfig: Path | None = None
    held_version: str | None = None  # what a revert-aware hold would exclude: `tag` or `tag@digest`
    hold_after_revert: str | None = None


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What a check found, for text or JSON output."""

    image: ImageRef
    endpoint: Endpoint
    repository: str
    strategy: str
    legacy_strategy_name: bool
    constraint: str | None
    result: ScanResult
    requests: Mapping[str, int]

    @property
    def chosen(self) -> ImageRef | None:
        """The chosen image, with its digest when the strategy tracks digests."""
        info = self.result.selection.chosen
        if info is None:
            return None
        digest = info.digest if self.strategy == "digest" else None
        return replace(self.image, tag=refs.Tag(info.name), digest=refs.Digest(digest) if digest else None)


@dataclass(frozen=True, slots=True)
class _Parsed:
    """Every input of a check, parsed before any request is made."""

    spec: refs.ImageSpec
    version: str | None
    policy: selection.UpdatePolicy
    tag_filter: selection.TagFilter
    platforms: tuple[Platform, ...]
    min_age: float
    config: RegistryConfig
    credentials: CredentialRef | None
    held: HeldVersions | None


def _parse(options: CheckOptions) -> _Parsed:
    spec = refs.parse_image_spec(options.image)
    version = options.constraint if options.constraint is not None else spec.version
    name = spec.image.name
    return _Parsed(
        spec=spec,
        version=version,
        policy=selection.make_policy(options.strategy, version=version, image=name),
        tag_filter=selection.TagFilter.parse(
            allow=options.allow_tags, ignore=options.ignore_tags, image=name
        ),
        platforms=selection.parse_platforms(options.platforms),
        min_age=_min_age(options.min_age),
        config=load_registries_conf(options.registries_conf),
        credentials=parse_credential_ref(options.credentials) if options.credentials else None,
        held=_held(options),
    )


def _min_age(text: str | None) -> float:
    try:
        return parse_duration(text.strip()) if text and text.strip() else 0.0
    except ValueError:
        raise ConfigError(f"--min-age {text!r} is not a duration like 30m, 24h or 1h30m") from None


def _held(options: CheckOptions) -> HeldVersions | None:
    """The hold `--held-version` (and `--hold-after-revert`) describe, as the cycle would apply it."""
    if options.held_version is None:
        return None
    tag, _, digest = options.held_version.partition("@")
    if not refs.is_tag(tag):
        raise ConfigError(
            f"--held-version {printable(repr(options.held_version), limit=100)} is not a tag or tag@digest"
        )
    everything = parse_hold_mode(options.hold_after_revert).kind == "forever"
    reason = explaining.held(options.held_version, forever=everything)
    return HeldVersions(tag=tag, digest=digest or None, everything=everything, reason=reason)


async def check_image(options: CheckOptions, *, environ: Mapping[str, str]) -> CheckReport:
    """Run one check. Raises errors from `image_updater.errors` only."""
    parsed = _parse(options)
    async with _secrets(options) as secrets:
        return await _check(options, parsed, secrets, environ)


@contextlib.asynccontextmanager
async def _secrets(options: CheckOptions) -> AsyncIterator[SecretSource | None]:
    """Secrets for pull-secret references: a directory, a cluster (`--kubeconfig`, or the pod's own
    service account when run inside one, as `kubectl exec ... argocd-image-updater test` is), or none."""
    in_cluster = options.secrets_dir is None and "KUBERNETES_SERVICE_HOST" in os.environ
    if options.kubeconfig is None and not in_cluster:
        yield SecretFiles(options.secrets_dir) if options.secrets_dir else None
        return
    from image_updater.kube.connecting import connect
    from image_updater.kube.secrets import ClusterSecrets

    api = await connect(kubeconfig=options.kubeconfig)
    try:
        yield ClusterSecrets(api)
    finally:
        await api.client.close()


async def _check(
    options: CheckOptions, parsed: _Parsed, secrets: SecretSource | None, environ: Mapping[str, str]
) -> CheckReport:
    spec, policy = parsed.spec, parsed.policy
    endpoint = parsed.config.resolve(spec.image)
    if options.rate_limit is not None:
        endpoint = replace(endpoint, limit=options.rate_limit)
    repository = api_repository(endpoint, spec.image)
    request = ScanRequest(
        repository=repository,
        tag_filter=parsed.tag_filter,
        policy=policy,
        platforms=parsed.platforms,
        want_digest=True,
        tag_order=endpoint.tagsortmode,
        explain=True,  # `test` lists every candidate in order and every rejection with its reason
        min_age=parsed.min_age,
        held=parsed.held,
    )
    async with aiohttp.ClientSession() as session:
        resolver = CredentialResolver(secrets=secrets, environ=environ, clock=time.monotonic)
        pool = RegistryPool(session=session, resolver=resolver, proxies=ProxyRules.from_environ(environ))
        result = await scan(pool.client(endpoint, parsed.credentials), request)
    return CheckReport(
        image=spec.image,
        endpoint=endpoint,
        repository=repository,
        strategy=policy.name,
        legacy_strategy_name=selection.parse_strategy(options.strategy).legacy is not None,
        constraint=parsed.version,
        result=result,
        requests=pool.counter.by_kind(),
    )
