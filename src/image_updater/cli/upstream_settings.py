"""argocd-image-updater settings that image-updater accepts but cannot apply, and why.

Upstream's install manifests turn keys of the `argocd-image-updater-config` ConfigMap and the
`argocd-image-updater-secret` Secret into environment variables. The ones that map to a flag of
`run` are read by that flag (see cli/run_command.py). The ones below belong to features this
project does not have; they are accepted, so an existing ConfigMap keeps working, and each one
set is named once at start-up with the reason. Values are never logged (the Secret's keys are
tokens).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_ARGOCD_API = (
    "only used with applications_api=argocd; image-updater always reads and patches Applications "
    "through the Kubernetes API (the chart's RBAC grants it)"
)


@dataclass(frozen=True, slots=True)
class Ignored:
    """An upstream environment variable, the ConfigMap/Secret key that feeds it, and why it is ignored."""

    env: str
    key: str
    reason: str
    # Values that ask for nothing this project lacks (a disabled feature): not worth a warning.
    inert: frozenset[str] = frozenset()


_OFF = frozenset({"false"})


IGNORED = (
    Ignored(
        env="APPLICATIONS_API",
        key="applications_api",
        reason="image-updater always uses the Kubernetes API for Applications "
        "(as applications_api=kubernetes does)",
        inert=frozenset({"kubernetes"}),
    ),
    Ignored(env="ARGOCD_SERVER", key="argocd.server_addr", reason=_ARGOCD_API),
    Ignored(env="ARGOCD_GRPC_WEB", key="argocd.grpc_web", reason=_ARGOCD_API, inert=_OFF),
    Ignored(env="ARGOCD_INSECURE", key="argocd.insecure", reason=_ARGOCD_API, inert=_OFF),
    Ignored(env="ARGOCD_PLAINTEXT", key="argocd.plaintext", reason=_ARGOCD_API, inert=_OFF),
    Ignored(env="ARGOCD_TOKEN", key="argocd.token (Secret argocd-image-updater-secret)", reason=_ARGOCD_API),
)


def ignored_settings(environ: Mapping[str, str]) -> list[str]:
    """One message per upstream setting present in `environ` that has no effect here."""
    return [
        f"{item.env} ({item.key}) is ignored: {item.reason}"
        for item in IGNORED
        if environ.get(item.env, "").strip().lower() not in {"", *item.inert}
    ]
