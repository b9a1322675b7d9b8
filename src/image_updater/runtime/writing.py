"""Write-back for one cycle: group the changes by where they go, write each group once.

git: Applications whose changes go to the same (repository, branch, credentials) are written in
one commit and one push (`batch=False` gives one commit per Application); each group's edits are
planned against the fetched tip (`gitplan`: one read, parse and check per file), so file discovery
and source-type detection see what is there.
argocd: the Application's own parameter overrides, as a merge patch with conflict retries; a dry
run computes that patch (less its `resourceVersion` guard) and the overrides' diff, and sends nothing.
Errors are returned per Application, never raised: one failing group does not stop the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

import structlog

from image_updater.annotations import AppSettings, ImageSettings
from image_updater.applications import Application
from image_updater.changes import Change
from image_updater.credentials import SecretSource
from image_updater.errors import CredentialError, GitAuthError, ImageUpdaterError, InvalidWriteBackConfig
from image_updater.refs import ImageRef
from image_updater.runtime import pinning
from image_updater.runtime.gitplan import AppWrite, GroupPlan, as_error, plan_group
from image_updater.templates import Template
from image_updater.writeback import argocd_app
from image_updater.writeback.git import GitWriter, WriteResult
from image_updater.writeback.git_auth import (
    GitAuth,
    RepoCredsSource,
    check_repo_url,
    no_secret_hint,
    resolve_git_credentials,
)
from image_updater.writeback.git_branches import TargetBranch, parse_git_branch
from image_updater.writeback.git_commit import (
    Author,
    Signing,
    combine_messages,
    commit_message,
    trailer_changes,
    with_trailers,
)
from image_updater.writeback.git_edits import Edit
from image_updater.writeback.model import (
    AppTarget,
    HelmParams,
    ManifestImage,
    Reader,
    choose_source,
    parse_write_back_target,
    values_reference,
)

if TYPE_CHECKING:  # the Kubernetes client is imported only when a cluster is used
    from image_updater.kube.calling import Api

log = structlog.get_logger("image_updater.writing")

WRITE_CONCURRENCY = 10  # Application patches and credential look-ups in flight at once
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PendingApp:
    """An Application with the changes the cycle decided for it."""

    app: Application
    settings: AppSettings
    changes: tuple[tuple[ImageSettings, Change], ...]


@dataclass(frozen=True, slots=True)
class Written:
    """What happened to one Application's changes: `commit` (git), `patched` (argocd), or `error`;
    `diff` is what was (or, on a dry run, would be) written, for people."""

    app: Application
    changes: tuple[Change, ...]
    commit: str | None = None
    patched: bool = False
    diff: str = ""
    error: ImageUpdaterError | None = None
    patch: Mapping[str, object] | None = None  # argocd dry run: the merge patch it would send


@dataclass(frozen=True, slots=True)
class CommitSettings:
    """Author, message template, signing and sign-off for git write-back."""

    template: Template
    author: Author = field(default_factory=Author)
    signing: Signing | None = None
    signoff: bool = False


@dataclass(frozen=True, slots=True)
class _GitJob:
    pending: PendingApp
    repo_url: str
    branch: TargetBranch
    auth: GitAuth | None
    target: AppTarget

    def write(self) -> AppWrite:
        return AppWrite(
            subject=f"application {self.pending.app.key}", target=self.target, changes=_changes(self.pending)
        )


class WriteBack:
    """Performs the writes of one cycle; see the module docstring."""

    def __init__(
        self,
        *,
        git: GitWriter,
        api: Api | None,
        secrets: SecretSource | None,
        repo_creds: RepoCredsSource,
        commit: CommitSettings,
        controller_namespace: str,
        dry_run: bool,
        batch: bool = True,
    ) -> None:
        self._git, self._api, self._secrets, self._repo_creds = git, api, secrets, repo_creds
        self._commit, self._namespace, self._dry_run, self._batch = (
            commit,
            controller_namespace,
            dry_run,
            batch,
        )
        self._auth_cache: dict[tuple[str, str, str], asyncio.Future[GitAuth | None]] = {}

    def validate(self, app: Application, settings: AppSettings) -> None:
        """Check the write-back settings of `app` without writing: method, target, source, branch."""
        if settings.write_back_method == "argocd":
            if self._api is None:
                raise InvalidWriteBackConfig(
                    f"application {app.key}: write-back-method argocd needs a cluster; in directory mode "
                    "use write-back-method: git"
                )
            return
        try:
            target = parse_write_back_target(settings.write_back_target)
            _, source = values_reference(app, target, choose_source(app, target=target))
            parse_git_branch(settings.git_branch or "", target_revision=source.target_revision)
            if repo_url := settings.git_repository or source.repo_url:
                # an option-like URL, or a local one in a cluster, is refused with the annotations
                check_repo_url(repo_url, local=self._git.local_repositories)
        except InvalidWriteBackConfig as err:
            raise InvalidWriteBackConfig(f"application {app.key}: {err}") from err

    async def write_all(self, pending: Sequence[PendingApp]) -> list[Written]:
        """Write every Application's changes; one `Written` per Application."""
        self._auth_cache.clear()  # Secrets may rotate between cycles, not within one
        gate = asyncio.Semaphore(WRITE_CONCURRENCY)

        async def gated(work: Awaitable[T]) -> T:
            async with gate:
                return await work

        argocd = [p for p in pending if p.settings.write_back_method == "argocd"]
        results = list(await asyncio.gather(*(gated(self._argocd(p)) for p in argocd)))
        gits = [p for p in pending if p.settings.write_back_method != "argocd"]
        jobs: list[_GitJob] = []
        for item, job in zip(
            gits, await asyncio.gather(*(gated(self._git_job_or_error(p)) for p in gits)), strict=True
        ):
            if isinstance(job, ImageUpdaterError):
                results.append(_failed(item, job))
            else:
                jobs.append(job)
        groups = self._group(jobs)
        for outcome in await asyncio.gather(*(self._write_group(g) for g in groups)):
            results += outcome
        return results

    async def _argocd(self, item: PendingApp) -> Written:
        try:
            if self._api is None:
                raise InvalidWriteBackConfig(
                    "write-back-method argocd needs a cluster; in directory mode use write-back-method: git"
                )
            source = choose_source(item.app, target=None)
            kind = source.kind
            if kind not in ("helm", "kustomize"):
                raise InvalidWriteBackConfig(
                    f"source type is unknown ({kind or 'none'}); "
                    "argocd write-back needs a Helm or Kustomize source"
                )
            images = _manifest_images(item)

            def mutate(manifest: dict[str, object]) -> dict[str, object] | None:
                fresh = replace(item.app, manifest=manifest)  # pinned since it was listed: leave it
                if any(pinning.pinned(fresh, item.settings, image) for image, _ in item.changes):
                    return None
                new = argocd_app.updated_application(
                    manifest,
                    source_index=source.index,
                    multi_source=item.app.multi_source,
                    kind=kind,
                    images=images,
                )
                # what we wrote goes in the same patch: a later different value is a person's pin
                return (
                    pinning.with_record(new, source_index=source.index, kind=kind, images=images)
                    if new
                    else None
                )

            from image_updater.kube import applications as kube_apps

            if self._dry_run:  # the patch the write would send (less its resourceVersion guard)
                current = dict(item.app.manifest)
                desired = mutate(current)
                if desired is None:
                    return Written(item.app, ())  # pinned since it was listed, or already there
                diff = argocd_app.parameters_diff(
                    current, desired, source_index=source.index, multi_source=item.app.multi_source, kind=kind
                )
                patch = kube_apps.merge_diff(current, desired)
                return Written(item.app, _changes(item), diff=diff, patch=patch)

            stored = await kube_apps.update_with_retry(
                self._api, item.app.namespace, item.app.name, mutate, current=dict(item.app.manifest)
            )
            return Written(item.app, _changes(item), patched=stored is not None)
        except Exception as err:  # ImageUpdaterError, or a bug of ours: this Application only
            return _failed(item, as_error(err, f"application {item.app.key}"))

    async def _git_job_or_error(self, item: PendingApp) -> _GitJob | ImageUpdaterError:
        try:
            return await self._git_job(item)
        except Exception as err:  # ImageUpdaterError, or a bug of ours: this Application only
            return as_error(err, f"application {item.app.key}")

    async def write_location(self, item: PendingApp) -> tuple[str, TargetBranch, GitAuth | None, AppTarget]:
        """Where `item`'s git write-back goes: repository, branch, credentials and target (what a
        promotion gate reads in directory mode)."""
        job = await self._git_job(item)
        return job.repo_url, job.branch, job.auth, job.target

    async def _git_job(self, item: PendingApp) -> _GitJob:
        repo_url, branch, app_target = self.git_location(item)
        return _GitJob(item, repo_url, branch, await self._auth(item, repo_url), app_target)

    def git_location(self, item: PendingApp) -> tuple[str, TargetBranch, AppTarget]:
        """Repository, branch and target of `item`'s git write-back (the branch templated with its
        changes); InvalidWriteBackConfig when they cannot be told."""
        target = parse_write_back_target(item.settings.write_back_target)
        source = choose_source(item.app, target=target)
        target, source = values_reference(item.app, target, source)
        repo_url = item.settings.git_repository or source.repo_url
        if not repo_url:
            raise InvalidWriteBackConfig("no repository to write to; set the git-repository annotation")
        revision = next(
            (s.target_revision for s in item.app.sources if s.repo_url == repo_url), source.target_revision
        )
        branch = parse_git_branch(item.settings.git_branch or "", target_revision=revision).target(
            changes=_changes(item), app_name=item.app.name, app_namespace=item.app.namespace
        )
        kind = source.kind if source.kind in ("helm", "kustomize") else None
        app_target = AppTarget(
            app_name=item.app.name,
            app_namespace=item.app.namespace,
            controller_namespace=self._namespace,
            target=target,
            source_path=source.path,
            kind=kind,
            images=_manifest_images(item),
        )
        return repo_url, branch, app_target

    @property
    def git(self) -> GitWriter:
        return self._git

    def git_failure(
        self, err: ImageUpdaterError, *, repo_url: str, auth: GitAuth | None
    ) -> ImageUpdaterError:
        """`err`, saying where credentials were looked for when git was refused without any."""
        if isinstance(err, GitAuthError) and auth is None:
            return GitAuthError(f"{err}; {no_secret_hint(repo_url, looked_in=self._repo_creds.looked_in)}")
        return err

    async def _auth(self, item: PendingApp, repo_url: str) -> GitAuth | None:
        """Git credentials, resolved once per cycle per (method, repository, namespace)."""
        method = item.settings.write_back_method
        if method.startswith("git:secret:") and self._secrets is None:
            raise CredentialError(
                f"{method}: no Secrets are available (give --secrets-dir, or run in a cluster)"
            )
        key = (method, repo_url, item.app.namespace)
        if key not in self._auth_cache:
            self._auth_cache[key] = asyncio.ensure_future(
                resolve_git_credentials(
                    method,
                    repo_url=repo_url,
                    secrets=self._secrets,  # type: ignore[arg-type]
                    app_namespace=item.app.namespace,
                    repo_creds=self._repo_creds,
                )
            )
        return await asyncio.shield(self._auth_cache[key])

    def _group(self, jobs: Sequence[_GitJob]) -> list[list[_GitJob]]:
        if not self._batch:
            return [[job] for job in jobs]
        # Keyed by the credentials themselves (their fields, secret included), never by `repr`,
        # which hides the secret: Applications with different keys must not share a push.
        groups: dict[tuple[str, TargetBranch, GitAuth | None], list[_GitJob]] = {}
        for job in jobs:
            groups.setdefault((job.repo_url, job.branch, job.auth), []).append(job)
        return list(groups.values())

    async def _write_group(self, group: Sequence[_GitJob]) -> list[Written]:
        first = group[0]
        writes = [job.write() for job in group]
        outcome: list[GroupPlan] = []

        def planner(read: Reader) -> Mapping[str, Edit]:
            # GitWriter renders the message first, against the same tip: reuse what it prepared
            return outcome[0].edits if outcome else plan_group(writes, read).edits

        def message(read: Reader) -> str:
            outcome[:] = [plan_group(writes, read)]
            template = self._commit.template
            message = combine_messages(
                [
                    commit_message(template, app_name=group[i].pending.app.name, changes=changes)
                    for i, changes in outcome[0].changes.items()
                ]
                or ["build: no change"]
            )
            apps = outcome[0].changes.items()
            return with_trailers(
                message, [t for i, c in apps for t in trailer_changes(group[i].pending.app.key, c)]
            )

        try:
            result = await self._git.write(
                repo_url=first.repo_url,
                branch=first.branch,
                auth=first.auth,
                edits=planner,
                message=message,
                author=self._commit.author,
                signing=self._commit.signing,
                signoff=self._commit.signoff,
                dry_run=self._dry_run,
            )
        except GitAuthError as err:
            failure = self.git_failure(err, repo_url=first.repo_url, auth=first.auth)
            return [_failed(job.pending, failure) for job in group]
        except Exception as err:  # ImageUpdaterError, or a bug of ours: this group only
            return [
                _failed(job.pending, as_error(err, f"application {job.pending.app.key}")) for job in group
            ]
        prepared = outcome[0] if outcome else GroupPlan({}, {}, {})
        # the group's diff goes with its first changed Application only: logged once, not once per app
        first_changed = min(prepared.changes, default=-1)
        return [self._written(job, i, prepared, result, first=first_changed) for i, job in enumerate(group)]

    @staticmethod
    def _written(
        job: _GitJob, index: int, prepared: GroupPlan, result: WriteResult, *, first: int
    ) -> Written:
        if index in prepared.failures:
            return _failed(job.pending, prepared.failures[index])
        if index not in prepared.changes:
            return Written(job.pending.app, ())  # the target already holds every change
        diff = result.diff if index == first else ""
        return Written(job.pending.app, prepared.changes[index], commit=result.commit, diff=diff)


def _manifest_images(item: PendingApp) -> tuple[ManifestImage, ...]:
    return tuple(manifest_image(image, change.new) for image, change in item.changes)


def manifest_image(image: ImageSettings, ref: ImageRef) -> ManifestImage:
    """`ref` as the write-back writes (and reads) `image`: its alias, kustomize name, Helm keys."""
    return ManifestImage(
        alias=image.spec.alias,
        image=ref,
        kustomize_name=image.kustomize_name,
        helm=HelmParams(
            name=image.helm_name or "image.name", tag=image.helm_tag or "image.tag", spec=image.helm_spec
        ),
    )


def _changes(item: PendingApp) -> tuple[Change, ...]:
    return tuple(change for _, change in item.changes)


def _failed(item: PendingApp, err: ImageUpdaterError) -> Written:
    return Written(item.app, _changes(item), error=err)
