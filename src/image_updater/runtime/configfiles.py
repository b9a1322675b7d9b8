"""Reading the controller's mounted configuration files: registries.conf, the commit template and
SSH known hosts; and where per-user state (the registry metadata cache, the git workdir) lives by default.

Shared by `run`, `test` and `template`, so they find the same files and report a missing one alike.
registries.conf is checked whole at load, as docs/registries.md promises: the YAML within
`yamlsafe` limits, every entry's `credentials` parses as a credential reference, and every
`ca_file`/`ca_data` loads as a PEM bundle; the first problem stops the start with one line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from image_updater.credentials import parse_credential_ref
from image_updater.errors import (
    ConfigError,
    InvalidCredentialRef,
    InvalidRegistryConfig,
    InvalidWriteBackConfig,
)
from image_updater.registry.transport import tls_context
from image_updater.settings.registries import RegistryConfig, parse_registries_conf

if TYPE_CHECKING:  # the template engine loads only where a commit template is read (`run`)
    from image_updater.templates import Template

DEFAULT_REGISTRIES_CONF = Path("/app/config/registries.conf")
DEFAULT_COMMIT_TEMPLATE_PATH = Path("/app/config/commit.template")  # the ConfigMap key upstream mounts
DEFAULT_SSH_KNOWN_HOSTS = Path(
    "/app/config/ssh/ssh_known_hosts"
)  # argocd-ssh-known-hosts-cm, as upstream mounts it


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
        return RegistryConfig()  # the built-in defaults, without loading the file parser
    from image_updater.yamlsafe import DEFAULT_LIMITS  # the YAML loader, only with a file to read

    try:
        with chosen.open("rb") as stream:  # one byte over the limit is enough to refuse the file
            data = stream.read(DEFAULT_LIMITS.max_bytes + 1)
    except OSError as err:
        raise InvalidRegistryConfig(f"cannot read registries.conf {chosen}: {err.strerror}") from err
    config = parse_registries_conf(data, source=str(chosen))
    _check_endpoints(config, source=str(chosen))
    return config


def _check_endpoints(config: RegistryConfig, *, source: str) -> None:
    for endpoint in config.endpoints:
        if endpoint.credentials is not None:
            try:
                parse_credential_ref(endpoint.credentials)
            except InvalidCredentialRef as err:
                raise InvalidRegistryConfig(
                    f'{source}: registry "{endpoint.name}": "credentials": {err}'
                ) from None
        try:
            tls_context(
                name=endpoint.name, ca_file=endpoint.ca_file, insecure=False, ca_data=endpoint.ca_data
            )
        except InvalidRegistryConfig as err:
            raise InvalidRegistryConfig(f"{source}: {err}") from None


def load_commit_template(path: Path | None) -> Template:
    """The commit message template in `path`, else the built-in one; compiled, so errors show now."""
    from image_updater.templates import compile_template
    from image_updater.writeback.git_commit import default_commit_template

    if path is None:
        return default_commit_template()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise InvalidWriteBackConfig(
            f"cannot read the commit message template {path}: {err.strerror}"
        ) from err
    return compile_template(text, name=str(path))


def commit_template(path: Path | None) -> Template:
    """`--git-commit-message-path`, else the mounted ConfigMap key when present, else built-in."""
    if path is None and DEFAULT_COMMIT_TEMPLATE_PATH.is_file():
        path = DEFAULT_COMMIT_TEMPLATE_PATH
    return load_commit_template(path)


def load_known_hosts(path: Path | None) -> str | None:
    """Host keys that pin every SSH remote: the given file, else Argo CD's when mounted, else none."""
    if path is None and not DEFAULT_SSH_KNOWN_HOSTS.is_file():
        return None
    chosen = path or DEFAULT_SSH_KNOWN_HOSTS
    try:
        return chosen.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read SSH known hosts {chosen}: {err.strerror}") from err
