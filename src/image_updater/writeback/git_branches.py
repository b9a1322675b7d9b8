"""Which branch to check out and which to push to: the `git-branch` annotation and its template.

Pure: no I/O. `parse_git_branch` reads `base`, `base:template` or `:template`; the template is
compiled at load time and rendered per write with `.Images`, `.SHA256`, `.AppName`,
`.AppNamespace`. An empty or `HEAD` base means "the remote's default branch", resolved by the
git adapter. Rendered names are truncated to 255 characters (as upstream) and must be valid refs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from image_updater.changes import Change
from image_updater.errors import InvalidWriteBackConfig
from image_updater.refs import ImageRef
from image_updater.templates import Template, compile_template

MAX_BRANCH_LENGTH = 255
_BAD_REF = re.compile(r"(\.\.|@\{|//|[\x00-\x20\x7f~^:?*\[\\])")


@dataclass(frozen=True, slots=True)
class TargetBranch:
    """Check out `base` (""/"HEAD" = remote default); push to `write` (None = the base itself)."""

    base: str
    write: str | None = None


@dataclass(frozen=True, slots=True)
class BranchSpec:
    """A parsed `git-branch` setting: the base and, for `base:template`, the compiled template."""

    base: str
    write_template: Template | None = None

    def target(
        self, *, changes: Sequence[Change], app_name: str = "", app_namespace: str = ""
    ) -> TargetBranch:
        """The branches for one write; the template sees the changes and the Application."""
        if self.write_template is None:
            return TargetBranch(base=self.base)
        data = branch_template_data(changes, app_name=app_name, app_namespace=app_namespace)
        name = self.write_template.render(data)[:MAX_BRANCH_LENGTH]
        check_branch_name(name, what=f"write branch rendered from {self.write_template.source!r}")
        return TargetBranch(base=self.base, write=name)


def parse_git_branch(annotation: str, *, target_revision: str) -> BranchSpec:
    """`main`, `base:template` or `:template` (base = `target_revision`); more than one `:` is an error."""
    if annotation.count(":") > 1:
        raise InvalidWriteBackConfig(
            f"git-branch {annotation!r} has more than one ':'; use <base> or <base>:<write-branch-template>"
        )
    base, sep, template = annotation.strip().partition(":")
    base = base.strip() or target_revision.strip()
    if base not in ("", "HEAD"):
        check_branch_name(base, what=f"git-branch {annotation!r}")
    if not sep:
        return BranchSpec(base=base)
    if not template.strip():
        raise InvalidWriteBackConfig(
            f"git-branch {annotation!r}: the write-branch template after ':' is empty"
        )
    return BranchSpec(base=base, write_template=compile_template(template.strip(), name="git-branch"))


def check_branch_name(name: str, *, what: str) -> None:
    """Reject names git would refuse (`git check-ref-format --branch` rules), naming the culprit."""
    bad = (
        not name
        or name.startswith(("-", "/", "."))
        or name.endswith(("/", ".", ".lock"))
        or name == "@"
        or "/." in name
        or _BAD_REF.search(name) is not None
    )
    if bad:
        raise InvalidWriteBackConfig(f"{what}: {name!r} is not a valid git branch name")


def tag_of(ref: ImageRef) -> str:
    """What upstream writes as a tag in messages and branch names: the digest if set, else the tag."""
    return ref.digest or ref.tag or ""


def changes_sha256(changes: Sequence[Change]) -> str:
    """Hex SHA-256 over `<imageName>-<oldTag>-<newTag>,` per change, as upstream's `.SHA256`."""
    digest = hashlib.sha256()
    for change in changes:
        digest.update(f"{change.new.repository}-{tag_of(change.old)}-{tag_of(change.new)},".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class BranchImage:
    """One changed image as the branch template sees it (upstream's `imageChange`)."""

    Name: str
    Alias: str
    OldTag: str
    NewTag: str


@dataclass(frozen=True, slots=True)
class BranchNameData:
    """The branch template's data (upstream's `branchNameTemplate`): a misspelt field is an error."""

    Images: tuple[BranchImage, ...]
    SHA256: str
    AppName: str
    AppNamespace: str


def branch_template_data(changes: Sequence[Change], *, app_name: str, app_namespace: str) -> BranchNameData:
    images = tuple(
        BranchImage(
            Name=change.new.repository,
            Alias=change.alias or "",
            OldTag=tag_of(change.old),
            NewTag=tag_of(change.new),
        )
        for change in changes
    )
    return BranchNameData(
        Images=images, SHA256=changes_sha256(changes), AppName=app_name, AppNamespace=app_namespace
    )
