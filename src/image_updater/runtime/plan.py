"""`image-updater plan`: what one cycle would do, per Application and image, with the exact diffs.

A plan is one dry-run cycle of `run` (same sources, settings and write-back code) read back:
nothing here decides anything. Each image's line comes from the cycle's own outcome
(`CycleReport.outcomes`, the reasons the ImageUpdater status uses); its plan status from that
reason: `DryRun` is pending, `Updated` updated, `UpToDate` up to date, a failure reason
(`resources.status.FAILURES`) failed, and every other reason, including any added later, skipped,
with reason and message passed on unchanged. The diffs are what the git writer staged on its dry
run, recorded around `GitWriter.write` by `PlanRecorder` and split per file; the argocd method's
are the merge patch its dry run computed (`Written.patch`) with the overrides' diff.

An image's `current` is the cycle's own value where it has one (what runs; what the target held
before a pending write); else what its git target holds in the tree a write of this cycle fetched
for the same branch (`writeback.targets.current_tag`; plan never fetches on its own, so a branch
no write fetched, or a separate write branch, leaves it unknown), else its live image in a
cluster. The JSON form is documented in docs/plan.md and versioned by `SCHEMA_VERSION`; text
output escapes what it quotes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import Any, Literal

import structlog

from image_updater.annotations import AppSettings
from image_updater.applications import Application
from image_updater.errors import ImageUpdaterError
from image_updater.resources.status import FAILURES, ImageOutcome
from image_updater.runtime import planning
from image_updater.runtime.outcomes import CycleReport
from image_updater.runtime.writing import PendingApp, WriteBack, Written, manifest_image
from image_updater.text import printable
from image_updater.writeback.git import GitWriter, WriteResult
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.model import AppTarget, Reader
from image_updater.writeback.reading import as_written
from image_updater.writeback.targets import current_tag

log = structlog.get_logger("image_updater.plan")

SCHEMA_VERSION = 2  # 2: writes[] has `kind`, and Application patches (docs/plan.md)
Status = Literal["updated", "pending", "up-to-date", "skipped", "failed"]
NONE_KNOWN: Mapping[tuple[str, str | None, str], str] = MappingProxyType({})
_BY_REASON: dict[str, Status] = {"Updated": "updated", "DryRun": "pending", "UpToDate": "up-to-date"}


@dataclass(frozen=True, slots=True)
class PlannedImage:
    """One image of one Application; `current`/`chosen` are None where the cycle did not learn them."""

    alias: str | None
    image: str | None
    current: str | None
    chosen: str | None
    status: Status
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class PlannedApp:
    """An Application (`namespace/name`); `error` when its configuration failed before any image."""

    name: str
    error: str | None
    images: tuple[PlannedImage, ...]


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    """One file's unified diff on one branch of one repository (user and password cut from the URL)."""

    repository: str
    branch: str
    path: str
    diff: str
    kind: Literal["git"] = "git"


@dataclass(frozen=True, slots=True)
class PlannedPatch:
    """The merge patch the argocd method would send to one Application, and its overrides' diff."""

    namespace: str
    name: str
    patch: Mapping[str, object]
    diff: str
    kind: Literal["application"] = "application"


@dataclass(frozen=True, slots=True)
class Plan:
    """Every Application's images, the writes, and the errors no Application owns."""

    applications: tuple[PlannedApp, ...]
    writes: tuple[PlannedWrite | PlannedPatch, ...]
    errors: tuple[str, ...]

    @property
    def pending(self) -> bool:
        return any(i.status == "pending" for app in self.applications for i in app.images)


ImageKey = tuple[str, str | None, str]
"""An image of an Application: (`namespace/name`, alias, image name), as outcomes name it."""


class PlanRecorder:
    """Collects a plan run's cycle report, the diffs its git writer staged, and what each image's
    write-back target (else, in a cluster, its live image) holds now (`currents`)."""

    def __init__(self) -> None:
        self.report: CycleReport | None = None
        self.writes: list[PlannedWrite] = []
        self.currents: dict[ImageKey, str] = {}
        # the fetched tip each (repository, branch) write read, to read the other targets from
        self.trees: dict[tuple[str, TargetBranch], Reader] = {}

    def git_writer(self, **options: Any) -> GitWriter:
        """A `GitWriter` (built with `options`) whose staged diffs land in `writes`."""
        return _RecordingGit(self, **options)

    def write_back(self, **options: Any) -> WriteBack:
        """A `WriteBack` (built with `options`) that fills `currents` once it has written."""
        return _RecordingWriteBack(self, **options)


class _RecordingGit(GitWriter):
    def __init__(self, recorder: PlanRecorder, **options: Any) -> None:
        super().__init__(**options)
        self._recorder = recorder

    async def write(
        self, *, repo_url: str, branch: TargetBranch, message: str | Callable[[Reader], str], **rest: Any
    ) -> WriteResult:
        if callable(message) and branch.write is None:  # the tree is the branch's own tip
            render, trees = message, self._recorder.trees

            def message(read: Reader) -> str:
                trees[(repo_url, branch)] = read
                return render(read)

        result = await super().write(repo_url=repo_url, branch=branch, message=message, **rest)
        self._recorder.writes += (
            PlannedWrite(repository=shown_url(repo_url), branch=result.branch, path=path, diff=part)
            for path, part in split_diff(result.diff)
        )
        return result


class _RecordingWriteBack(WriteBack):
    """Remembers every Application the cycle validated, to read its images' current values from
    the trees the writes fetched (never a fetch of its own) or its live images."""

    def __init__(self, recorder: PlanRecorder, **options: Any) -> None:
        super().__init__(**options)
        self._recorder = recorder
        self._apps: list[PendingApp] = []  # each validated Application, with no changes

    def validate(self, app: Application, settings: AppSettings) -> None:
        super().validate(app, settings)
        self._apps.append(PendingApp(app=app, settings=settings, changes=()))

    async def write_all(self, pending: Sequence[PendingApp]) -> list[Written]:
        written = await super().write_all(pending)
        for item in self._apps:
            try:
                self._recorder.currents.update(self._currents(item))
            except Exception:  # a bug of ours: these images' current values stay unknown, nothing else
                log.debug("internal error", app=item.app.key, exc_info=True)
        return written

    def _currents(self, item: PendingApp) -> Iterator[tuple[ImageKey, str]]:
        tree = self._tree(item)
        for image in item.settings.images:
            value = current_tag(*tree, manifest_image(image, image.spec.image)) if tree else None
            live = planning.live_match(image, item.app.live_images or ())
            if value := value or (as_written(live) if live is not None else None):
                yield (item.app.key, image.spec.alias, image.spec.image.name), value

    def _tree(self, item: PendingApp) -> tuple[Reader, AppTarget] | None:
        """The fetched tree `item`'s git target is in, and the target, if a write read that tree."""
        if item.settings.write_back_method == "argocd":
            return None
        try:
            repo_url, branch, target = self.git_location(item)
        except ImageUpdaterError:  # e.g. a write-branch template that needs changes: unknown
            return None
        read = self._recorder.trees.get((repo_url, branch))
        return (read, target) if read is not None else None


def shown_url(url: str) -> str:
    """A repository URL as a plan shows it: without user name or password (either may be a token)."""
    return _USERINFO.sub("://", url)


def build(
    report: CycleReport, writes: Iterable[PlannedWrite], *, currents: Mapping[ImageKey, str] = NONE_KNOWN
) -> Plan:
    """The plan of one cycle's report and the writes recorded during it; `currents` fills in an
    image's current value where the cycle's outcome has none."""
    by_app: dict[str, list[ImageOutcome]] = {}
    for outcome in report.outcomes:
        by_app.setdefault(outcome.app, []).append(outcome)
    owned = {message for _, message in report.failed_apps}
    patches = (
        PlannedPatch(namespace=w.app.namespace, name=w.app.name, patch=w.patch, diff=w.diff)
        for w in report.written
        if w.patch is not None and w.error is None
    )
    return Plan(
        applications=tuple(_app(name, by_app[name], currents) for name in sorted(by_app)),
        writes=(
            *sorted(writes, key=lambda w: (w.repository, w.branch, w.path)),
            *sorted(patches, key=lambda p: (p.namespace, p.name)),
        ),
        errors=tuple(e for e in report.errors if e not in owned),
    )


def _app(name: str, outcomes: Sequence[ImageOutcome], currents: Mapping[ImageKey, str]) -> PlannedApp:
    error = next((o.message for o in outcomes if o.image is None), None)
    images = sorted(
        (o for o in outcomes if o.image is not None), key=lambda o: (o.alias or "", o.image or "")
    )
    return PlannedApp(name=name, error=error, images=tuple(_image(o, currents) for o in images))


def _image(outcome: ImageOutcome, currents: Mapping[ImageKey, str]) -> PlannedImage:
    status = _BY_REASON.get(outcome.reason) or ("failed" if outcome.reason in FAILURES else "skipped")
    return PlannedImage(
        alias=outcome.alias,
        image=outcome.image,
        current=outcome.old or currents.get((outcome.app, outcome.alias, outcome.image or "")),
        chosen=outcome.new or None,
        status=status,
        reason=outcome.reason,
        message=outcome.message,
    )


_USERINFO = re.compile(r"://[^/@\s]*@")
_FILE_START = re.compile(r"(?m)^(?=diff --git )")


def split_diff(diff: str) -> list[tuple[str, str]]:
    """`git diff` output as (path, that file's diff), in order."""
    return [(_path(part), part) for part in _FILE_START.split(diff) if part.startswith("diff --git ")]


def _path(part: str) -> str:
    """The file a `diff --git` section is about: its `+++ b/` line, else `--- a/`, else the header."""
    lines = part.splitlines()
    for marker, prefix in (("+++ ", "b/"), ("--- ", "a/")):
        name = next((line[4:] for line in lines if line.startswith(marker)), "/dev/null")
        if name != "/dev/null":
            return _unquoted(name).removeprefix(prefix)
    return lines[0].rpartition(" b/")[2]


def _unquoted(name: str) -> str:
    """Git's C-style quoting (`"b/caf\\303\\251"`, core.quotePath) undone; other names as they are."""
    if not (len(name) > 1 and name.startswith('"') and name.endswith('"')):
        return name
    raw = name[1:-1].encode("ascii", "backslashreplace").decode("unicode_escape")
    return raw.encode("latin-1", "replace").decode("utf-8", "replace")


def as_json(plan: Plan) -> str:
    """The plan as one JSON object (docs/plan.md)."""
    document = {
        "version": SCHEMA_VERSION,
        "pending": plan.pending,
        "applications": [asdict(app) for app in plan.applications],
        "writes": [asdict(write) for write in plan.writes],
        "errors": list(plan.errors),
    }
    return json.dumps(document, indent=2)


def as_text(plan: Plan) -> str:
    """The plan for a terminal: per Application its images, then each diff, then a summary line."""
    lines: list[str] = []
    for app in plan.applications:
        if app.error is not None:
            lines.append(f"application {_shown(app.name)}: failed: {_shown(app.error)}")
            continue
        lines.append(f"application {_shown(app.name)}")
        lines += (f"  {_image_line(image)}" for image in app.images)
    for write in plan.writes:
        lines.append(f"\n{_write_line(write)}")
        lines += (printable(line, limit=4096) for line in write.diff.splitlines())
    lines += (f"error: {_shown(error)}" for error in plan.errors)
    lines.append(_summary(plan))
    return "\n".join(lines)


def _write_line(write: PlannedWrite | PlannedPatch) -> str:
    if isinstance(write, PlannedPatch):
        return f"would patch application {_shown(write.namespace)}/{_shown(write.name)}"
    return f"would write {_shown(write.repository)} branch {_shown(write.branch)}: {_shown(write.path)}"


def _image_line(image: PlannedImage) -> str:
    name = f"{image.alias or '-'} ({image.image})"
    values = image.current or "(unknown)"
    if image.chosen and image.chosen != image.current:
        values += f" -> {image.chosen}"
    return _shown(f"{name}: {values}: {image.status} ({image.reason}): {image.message}")


def _summary(plan: Plan) -> str:
    counts: dict[str, int] = {}
    for image in (i for app in plan.applications for i in app.images):
        counts[image.status] = counts.get(image.status, 0) + 1
    failed_apps = sum(app.error is not None for app in plan.applications)
    parts = [f"{counts.get(s, 0)} {s}" for s in ("pending", "up-to-date", "skipped", "failed")]
    parts += [f"{failed_apps} application(s) failed", f"{len(plan.errors)} other error(s)"]
    return "\nplan: " + ", ".join(parts)


def _shown(text: str) -> str:
    return printable(text, limit=4096)
