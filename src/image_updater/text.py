"""Untrusted text made safe to show: registry data, repository content and error messages.

`printable` is applied wherever such text is rendered for a human or another system: log lines
(`runtime.logs`), Kubernetes Events (`kube.events`), commit messages (`writeback.git_commit`)
and the CLI's error and `--explain` lines. Every character Python does not consider printable
is written as its backslash escape: C0/C1 controls (`\\n`, `\\r`, `\\x1b`), DEL, line and
paragraph separators, and format characters, which include the Unicode bidi overrides
(`\\u202e`) that make text read differently from what it is. Length is bounded: text beyond
`limit` output characters is cut, with the number of characters left out. Pure.
"""

from __future__ import annotations


def printable(text: str, *, limit: int = 1024) -> str:
    """`text` with non-printable characters escaped, cut to about `limit` characters."""
    if len(text) <= limit and text.isprintable():
        return text
    out: list[str] = []
    size = 0
    for index, char in enumerate(text):
        piece = char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        if size + len(piece) > limit:
            out.append(f"...[{len(text) - index} more characters]")
            break
        out.append(piece)
        size += len(piece)
    return "".join(out)
