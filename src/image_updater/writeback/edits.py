"""The three edits every YAML target is made of; `yamledit` performs them, `yamlcheck` checks them."""

from __future__ import annotations

from dataclasses import dataclass

from image_updater.writeback.yamltext import Path


@dataclass(frozen=True, slots=True)
class SetValue:
    """Make `path` the string `value`. A missing key is inserted after the last of `after` present."""

    path: Path
    value: str
    after: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DeleteKey:
    """Remove the key at `path` (and its value) when present."""

    path: Path


@dataclass(frozen=True, slots=True)
class AppendEntry:
    """Append a mapping of string fields to the sequence at `path`, creating the sequence if needed."""

    path: Path
    entry: tuple[tuple[str, str], ...]


Edit = SetValue | DeleteKey | AppendEntry
