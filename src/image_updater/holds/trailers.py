"""`Image-Updater-Change` trailers: what one of our commits changed, one trailer per image. Pure.

    Image-Updater-Change: app=argocd/api alias=api image=registry.example/org/api old=v1.4.0 new=v1.5.0

Appended as the last paragraph of every commit message we write, after the operator's template
(so `git interpret-trailers --parse` and `git log --format=%(trailers)` read them too). Values are
image names, tags (`tag` or `tag@sha256:...`), aliases and `namespace/name`; they come from
annotations and registries, so each is cut to `FIELD_LIMIT` characters and every character outside
`SAFE` is percent-encoded: no newline, space or `=` can forge another trailer or field.

Parsing follows git's rule that trailers are the last paragraph: a squash that ends in someone
else's text ("This reverts commit ...") carries no trailer of ours. A line that does not parse
(unknown or missing field, bad encoding, over-long) is skipped, never an error: the message is
repository content. At most `MAX_TRAILERS` per commit are read.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

TRAILER_KEY = "Image-Updater-Change"
FIELD_LIMIT = 256  # longer than any valid image name (255), tag (128), tag@digest or namespace/name
MAX_TRAILERS = 1000  # 200 images per Application, several Applications per batched commit
SAFE = string.ascii_letters + string.digits + "._-~:/@+"
_FIELDS = ("app", "alias", "image", "old", "new")
_VALUE = re.compile(r"(?:[A-Za-z0-9._\-~:/@+]|%[0-9A-F]{2})*")


@dataclass(frozen=True, slots=True)
class TrailerChange:
    """One image one commit of ours changed: `old` and `new` as the target spells them
    (`tag`, `tag@sha256:...`, "" when unknown); `alias` "" when the image has none."""

    app: str
    alias: str
    image: str
    old: str
    new: str


def format_trailers(changes: Sequence[TrailerChange]) -> str:
    """The trailer paragraph for `changes` ("" for none), one line each, newline-terminated."""
    return "".join(f"{TRAILER_KEY}: {_format(change)}\n" for change in changes)


def _format(change: TrailerChange) -> str:
    return " ".join(f"{name}={_encode(getattr(change, name))}" for name in _FIELDS)


def _encode(value: str) -> str:
    return quote(value[:FIELD_LIMIT], safe=SAFE)


def parse_trailers(message: str) -> tuple[TrailerChange, ...]:
    """Our trailers in the last paragraph of `message`; lines that do not parse are skipped."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", message.strip("\n")) if p.strip()]
    if not paragraphs:
        return ()
    found = []
    for line in paragraphs[-1].splitlines()[:MAX_TRAILERS]:
        key, colon, value = line.partition(":")
        if colon and key.strip().lower() == TRAILER_KEY.lower():
            change = _parse(value.strip())
            if change is not None:
                found.append(change)
    return tuple(found)


def _parse(value: str) -> TrailerChange | None:
    fields: dict[str, str] = {}
    for token in value.split(" "):
        name, equals, encoded = token.partition("=")
        if not equals or name not in _FIELDS or name in fields or not _VALUE.fullmatch(encoded):
            return None
        decoded = unquote(encoded)
        if len(decoded) > FIELD_LIMIT or not decoded.isprintable():
            return None
        fields[name] = decoded
    if set(fields) != set(_FIELDS) or not fields["app"] or not fields["image"]:
        return None
    return TrailerChange(**fields)
