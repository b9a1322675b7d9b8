"""A manifest → a checked `ImageUpdater`, or one line saying what is wrong. Pure.

Messages follow the API server's wording for the same CRD (`Required value`, `Invalid value: …:
should match '…'`, the CEL rule's message), prefixed by the resource and the field path, e.g.
`imageupdater argocd/web: spec.applicationRefs[0].images[1].alias: Invalid value: "-x": should
match '^[a-zA-Z0-9][a-zA-Z0-9-._]*$'`. Only the first problem is spelled out; the count of the
others follows, so the line stays one line.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from image_updater.errors import InvalidImageUpdater
from image_updater.resources.matching import check_patterns
from image_updater.resources.model import API_VERSION, ImageUpdater

_TYPES = {
    "string_type": "string",
    "bool_type": "boolean",
    "int_type": "integer",
    "tuple_type": "array",
    "list_type": "array",
    "dict_type": "object",
    "model_type": "object",
    "mapping_type": "object",
}


def parse(obj: Mapping[str, Any], *, default_namespace: str) -> ImageUpdater:
    """Check a manifest; `default_namespace` is used when metadata names none (directory mode)."""
    meta = obj.get("metadata")
    meta = dict(meta) if isinstance(meta, Mapping) else {}
    meta["namespace"] = str(meta.get("namespace") or default_namespace)
    where = f"imageupdater {meta['namespace']}/{meta.get('name') or '?'}"
    if not meta.get("name"):
        raise InvalidImageUpdater(f"{where}: metadata.name: Required value")
    if obj.get("apiVersion") != API_VERSION:
        raise InvalidImageUpdater(
            f"{where}: apiVersion {obj.get('apiVersion')!r} is not served; use {API_VERSION}"
        )
    try:
        resource = ImageUpdater.model_validate({**obj, "metadata": meta})
    except ValidationError as err:
        problems = _real(err.errors(include_url=False))
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidImageUpdater(f"{where}: {describe(problems[0])}{more}") from None
    check_patterns(resource)
    return resource


def describe(problem: ErrorDetails) -> str:
    """One pydantic problem in the API server's words, with its field path."""
    path = field_path(problem["loc"])
    kind, ctx = problem["type"], problem.get("ctx") or {}
    if kind == "missing":
        return f"{path}: Required value"
    if kind == "extra_forbidden":
        return f"unknown field {path!r}"
    if kind == "string_pattern_mismatch":
        return f"{path}: Invalid value: {_quoted(problem['input'])}: should match '{ctx['pattern']}'"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx.get("min_length", ctx.get("max_length"))
        return f"{path}: Invalid value: {ctx['actual_length']}: should have {bound} {limit} items"
    if kind in ("string_too_short", "string_too_long"):
        bound = "at least" if kind == "string_too_short" else "at most"
        limit = ctx.get("min_length", ctx.get("max_length"))
        return f"{path}: Invalid value: {_quoted(problem['input'])}: should be {bound} {limit} chars long"
    if kind in _TYPES:
        return f"{path}: Invalid value: {_quoted(problem['input'])}: must be of type {_TYPES[kind]}"
    if kind == "value_error":
        return f"{path}: Invalid value: {ctx['error']}"
    return f"{path}: {problem['msg']}"


def field_path(loc: tuple[int | str, ...]) -> str:
    """`('spec', 'applicationRefs', 0, 'alias')` → `spec.applicationRefs[0].alias`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(root)"


def _quoted(value: object) -> str:
    text = json.dumps(value) if isinstance(value, str) else repr(value)  # one line, quotes escaped
    return text if len(text) <= 80 else text[:77] + "..."


def _real(problems: list[ErrorDetails]) -> list[ErrorDetails]:
    """Without the "too few items" a list gets when its only items were refused (an echo)."""

    def echo(problem: ErrorDetails) -> bool:
        loc = problem["loc"]
        others = (p["loc"] for p in problems if p is not problem)
        return problem["type"] == "too_short" and any(o[: len(loc)] == loc for o in others)

    return [p for p in problems if not echo(p)] or problems
