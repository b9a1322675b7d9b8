"""Reading the controller's mounted configuration files: registries.conf and the commit template;
and where per-user state (the registry metadata cache, the git workdir) lives by default.

Shared by `run`, `test` and `template`, so they find the same files and report a missing one alike.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from image_updater.errors import InvalidRegistryConfig, InvalidWriteBackConfig
from image_updater.settings.registries import RegistryConfig, parse_registries_conf
from image_updater.templates import Template, compile_template
from image_updater.writeback.git_commit import default_commit_template

DEFAULT_REGISTRIES_CONF = Path("/app/config/registries.conf")
DEFAULT_COMMIT_TEMPLATE_PATH = Path("/app/config/commit.template")  # the ConfigMap key upstream mounts


def user_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """`$XDG_CACHE_HOME/image-updater`, else `~/.cache/image-updater`: per user, never a directory
    every process and user on the host shares (as a fixed name under /tmp would be)."""
    xdg = environ.get("XDG_CACHE_HOME", "").strip()
    home = environ.get("HOME", "").strip()
    return (Path(xdg) if xdg else (Path(home) if home else Path.home()) / ".cache") / "image-updater"


def load_registries_conf(path: Path | None) -> RegistryConfig:
    """Read registries.conf from `path`, else the default location if present, else built-ins."""
    chosen = (
        path if path is not None else (DEFAULT_REGISTRIES_CONF if DEFAULT_REGISTRIES_CONF.exists() else None)
    )
    if chosen is None:
        return parse_registries_conf("", source="built-in defaults")
    try:
        text = chosen.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidRegistryConfig(f"cannot read registries.conf {chosen}: {err.strerror}") from err
    return parse_registries_conf(text, source=str(chosen))


def load_commit_template(path: Path | None) -> Template:
    """The commit message template in `path`, else the built-in one; compiled, so errors show now."""
    if path is None:
        return default_commit_template()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidWriteBackConfig(
            f"cannot read the commit message template {path}: {err.strerror}"
        ) from err
    return compile_template(text, name=str(path))
