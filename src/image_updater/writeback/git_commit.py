"""Commit metadata: message template, author, signing and sign-off. Pure: no I/O.

The message template sees `.AppName` and `.AppChanges[]` (`Image` = repository path without the
registry host, `OldTag`, `NewTag` = digest if set else tag, `Labels`), structs as upstream's, so a
misspelt field is an error as in Go. A template that fails to render is an error (upstream silently
substitutes a fixed text; we do not).

Every value handed to the template passes `text.printable` first: image names, tags and OCI
labels come from Application annotations and registries, and a newline or an escape sequence
in one of them must not forge trailers or lines of the message (the template's own text, set
by the operator, is kept as written). Labels are cut to `MAX_LABELS` per image.

`with_trailers` appends the `Image-Updater-Change` trailers (`holds.trailers`: application,
alias, image, old and new value, encoded so no value can forge a line) as the message's last
paragraph, after whatever the template rendered: the revert-aware hold reads them back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from image_updater.changes import Change
from image_updater.holds import TrailerChange, format_trailers
from image_updater.templates import StringMap, Template, compile_template
from image_updater.text import printable
from image_updater.writeback.git_branches import tag_of
from image_updater.writeback.reading import as_written

DEFAULT_COMMIT_TEMPLATE = (
    "build: automatic update of {{ .AppName }}\n\n{{ range .AppChanges -}}\n"
    "updates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'\n{{ end -}}\n"
)
MAX_LABELS = 100
FIELD_LIMIT = 256  # longer than any valid image name (255), tag (128) or digest (135)


@dataclass(frozen=True, slots=True)
class Author:
    """Commit author and committer."""

    name: str = "argocd-image-updater"
    email: str = "noreply@argoproj.io"


@dataclass(frozen=True, slots=True)
class Signing:
    """`git -c gpg.format=<method> -c user.signingkey=<key> commit -S`.

    `key` is a GPG key id (openpgp) or the path of an SSH private or public key (ssh).
    """

    method: Literal["openpgp", "ssh"]
    key: str


@dataclass(frozen=True, slots=True)
class CommitOptions:
    """Everything about a commit except its content and message (the message goes through stdin)."""

    author: Author = field(default_factory=Author)
    signing: Signing | None = None
    signoff: bool = False


@dataclass(frozen=True, slots=True)
class CommitMessageChange:
    """One change as the commit message template sees it (upstream's `commitMessageChange`)."""

    Image: str
    OldTag: str
    NewTag: str
    Labels: StringMap


@dataclass(frozen=True, slots=True)
class CommitMessageData:
    """The commit message template's data (upstream's `commitMessageTemplate`)."""

    AppName: str
    AppChanges: tuple[CommitMessageChange, ...]


def default_commit_template() -> Template:
    return compile_template(DEFAULT_COMMIT_TEMPLATE, name="commit-message")


def commit_message(
    template: Template,
    *,
    app_name: str,
    changes: Sequence[Change],
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> str:
    """Render the message for one Application; `labels` maps a new image name to its OCI labels."""
    app_changes = tuple(
        CommitMessageChange(
            Image=_safe(change.new.repository),
            OldTag=_safe(tag_of(change.old)),
            NewTag=_safe(tag_of(change.new)),
            Labels=StringMap(_safe_labels((labels or {}).get(change.new.name, {}))),
        )
        for change in changes
    )
    return template.render(CommitMessageData(AppName=_safe(app_name), AppChanges=app_changes))


def _safe(text: str) -> str:
    return printable(text, limit=FIELD_LIMIT)


def _safe_labels(labels: Mapping[str, str]) -> dict[str, str]:
    kept = sorted(labels.items())[:MAX_LABELS]
    return {_safe(key): _safe(value) for key, value in kept}


def combine_messages(messages: Sequence[str]) -> str:
    """One message for a commit that batches several Applications: a summary line, then each message."""
    if len(messages) == 1:
        return messages[0]
    body = "\n".join(m.rstrip("\n") + "\n" for m in messages)
    return f"build: automatic update of {len(messages)} applications\n\n{body}"


def trailer_changes(app_key: str, changes: Sequence[Change]) -> tuple[TrailerChange, ...]:
    """What the trailers record for one Application's changes; values as the target spells them."""
    return tuple(
        TrailerChange(
            app=app_key,
            alias=change.alias or "",
            image=change.new.name,
            old=as_written(change.old),
            new=as_written(change.new),
        )
        for change in changes
    )


def with_trailers(message: str, changes: Sequence[TrailerChange]) -> str:
    """`message` with the trailers of `changes` as its last paragraph (unchanged when none)."""
    if not changes:
        return message
    return f"{message.rstrip()}\n\n{format_trailers(changes)}"


def commit_args(options: CommitOptions) -> list[str]:
    """The `git ... commit` arguments (the message itself goes through stdin)."""
    author = options.author
    args = ["-c", f"user.name={author.name}", "-c", f"user.email={author.email}"]
    if options.signing is not None:
        args += ["-c", f"gpg.format={options.signing.method}", "-c", f"user.signingkey={options.signing.key}"]
    args += ["commit", "-q", "--no-verify", "-F", "-"]
    if options.signing is not None:
        args.append("-S")
    if options.signoff:
        args.append("--signoff")
    return args
