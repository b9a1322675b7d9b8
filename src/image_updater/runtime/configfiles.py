"""Reading the controller's mounted configuration files: registries.conf.

Shared by `run` and `test`, so both find the same file and report a missing one alike.
"""

from __future__ import annotations

from pathlib import Path

from image_updater.errors import InvalidRegistryConfig
from image_updater.settings.registries import RegistryConfig, parse_registries_conf

DEFAULT_REGISTRIES_CONF = Path("/app/config/registries.conf")


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
