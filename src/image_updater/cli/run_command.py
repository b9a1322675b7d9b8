"""`image-updater run`: the controller. Every flag can also be set by environment variable
(argocd-image-updater's names where it has one, else `IMAGE_UPDATER_<FLAG>`; where both exist,
ours is read first). Upstream's variables for features this project lacks are named at start-up
(cli/upstream_settings.py)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from image_updater.cli.failing import exiting_on_error
from image_updater.cli.upstream_settings import ignored_settings

if TYPE_CHECKING:  # the controller (and what it imports) loads only when `run` runs
    from image_updater.runtime.controller import RunSettings
    from image_updater.runtime.webhook_server import WebhookSettings

EXIT_OK, EXIT_ERRORS = 0, 1


def _duration(_: click.Context, param: click.Parameter, value: str) -> float:
    from image_updater.settings.registries import parse_duration

    text = value.strip()
    try:
        return float(text) if text.replace(".", "", 1).isdigit() else parse_duration(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a duration like 2m, 30s or 1h", param=param) from None


def _credential_kinds(_: click.Context, param: click.Parameter, value: str) -> frozenset[str]:
    kinds = frozenset(kind.strip() for kind in value.split(",") if kind.strip())
    unknown = kinds - {"pullsecret", "secret", "env", "ext"}
    if unknown:
        raise click.BadParameter(
            f"{', '.join(sorted(unknown))}: use pullsecret, secret, env or ext", param=param
        )
    return kinds | {"pullsecret", "secret"}


def _env(name: str) -> str:
    return f"IMAGE_UPDATER_{name}"


def _webhook_options(command: Any) -> Any:
    """The webhook flags, upstream's names: one secret flag per webhook type."""
    from image_updater.webhooks.receiving import TYPES

    for kind in reversed(tuple(TYPES.values())):
        command = click.option(
            kind.secret_flag,
            envvar=kind.secret_env,
            default="",
            help=f"Secret of ?type={kind.name} requests.",
        )(command)
    options = (
        click.option("--enable-webhook", is_flag=True, envvar="ENABLE_WEBHOOK", help="Serve /webhook."),
        click.option(
            "--webhook-port",
            default=8082,
            type=click.IntRange(0, 65535),
            envvar="WEBHOOK_PORT",
            show_default=True,
        ),
        click.option(
            "--webhook-require-secret",
            default=True,
            type=click.BOOL,
            envvar="WEBHOOK_REQUIRE_SECRET",
            show_default=True,
            help="Refuse requests of a type whose secret is not set (=false accepts them unauthenticated).",
        ),
        click.option(
            "--webhook-ratelimit-allowed",
            default=0,
            type=click.IntRange(0),
            envvar="WEBHOOK_RATELIMIT_ALLOWED",
            show_default=True,
            help="Webhook requests allowed per source address and hour; more are refused (0: no limit).",
        ),
        click.option(
            "--disable-tls", is_flag=True, envvar="DISABLE_TLS", help="Serve webhooks over plain HTTP."
        ),
        click.option("--tlsminversion", default="1.3", envvar="TLS_MIN_VERSION", show_default=True),
        click.option("--tlsmaxversion", default="1.3", envvar="TLS_MAX_VERSION", show_default=True),
    )
    for option in reversed(options):
        command = option(command)
    return command


@click.command("run")
@click.option(
    "--interval",
    default="2m",
    envvar=_env("INTERVAL"),
    callback=_duration,
    show_default=True,
    help="Time between cycles (Go duration); 0 runs once.",
)
@click.option(
    "--once", is_flag=True, envvar=_env("ONCE"), help="Run one cycle and exit (status 1 if any error)."
)
@click.option(
    "--dry-run", is_flag=True, envvar=_env("DRY_RUN"), help="Do everything but write; log the diffs."
)
@click.option(
    "--max-concurrency",
    default=10,
    type=click.IntRange(1, 1000),
    envvar=_env("MAX_CONCURRENCY"),
    show_default=True,
)
@click.option("--health-port", default=8080, type=int, envvar=_env("HEALTH_PORT"), show_default=True)
@click.option("--metrics-port", default=8081, type=int, envvar=_env("METRICS_PORT"), show_default=True)
@click.option(
    "--match-application-name", multiple=True, envvar=_env("MATCH_APPLICATION_NAME"), help="Glob; repeatable."
)
@click.option("--match-application-label", envvar=_env("MATCH_APPLICATION_LABEL"), help="Label selector.")
@click.option(
    "--applications-namespace",
    "--application-namespace",
    multiple=True,
    envvar=_env("APPLICATIONS_NAMESPACE"),
    help="Repeatable; default all namespaces.",
)
@click.option(
    "--argocd-namespace",
    envvar="ARGOCD_NAMESPACE",
    help="The controller's namespace (Leases, repository Secrets, .argocd-source naming); "
    "default: the pod's own namespace, else argocd.",
)
@click.option(
    "--applications-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar=_env("APPLICATIONS_DIR"),
    help="Read Application manifests from this directory instead of a cluster.",
)
@click.option(
    "--secrets-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar=_env("SECRETS_DIR"),
    help="Secret manifests for pullsecret:/secret:/git:secret: references (directory mode).",
)
@click.option(
    "--status-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar=_env("STATUS_DIR"),
    help="Write each ImageUpdater's status to <namespace>_<name>.yaml in this directory "
    "(directory mode; not inside --applications-dir).",
)
@click.option(
    "--registries-conf-path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar=_env("REGISTRIES_CONF_PATH"),
)
@click.option(
    "--git-workdir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar=_env("GIT_WORKDIR"),
    help="Where working clones are kept between cycles, locked by one process at a time "
    "(default: $XDG_CACHE_HOME/image-updater/git, else ~/.cache/image-updater/git).",
)
@click.option(
    "--git-workdir-wait",
    default="1m",
    envvar=_env("GIT_WORKDIR_WAIT"),
    callback=_duration,
    show_default=True,
    help="How long to wait while another process holds --git-workdir before exiting with status 1.",
)
@click.option(
    "--git-commit-user", default="argocd-image-updater", envvar="GIT_COMMIT_USER", show_default=True
)
@click.option(
    "--git-commit-email", default="noreply@argoproj.io", envvar="GIT_COMMIT_EMAIL", show_default=True
)
@click.option(
    "--git-commit-message-path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="GIT_COMMIT_MESSAGE_PATH",
)
@click.option("--git-commit-signing-key", envvar="GIT_COMMIT_SIGNING_KEY")
@click.option(
    "--git-commit-signing-method",
    type=click.Choice(["openpgp", "ssh"]),
    default="openpgp",
    envvar="GIT_COMMIT_SIGNING_METHOD",
    show_default=True,
)
@click.option("--git-commit-sign-off", is_flag=True, envvar="GIT_COMMIT_SIGN_OFF")
@click.option(
    "--git-commit-per-application",
    is_flag=True,
    envvar=_env("GIT_COMMIT_PER_APPLICATION"),
    help="One commit per Application instead of one per repository branch and cycle.",
)
@click.option(
    "--tag-revalidate-interval",
    default="30m",
    envvar=_env("TAG_REVALIDATE_INTERVAL"),
    callback=_duration,
    show_default=True,
    help="How long a tag's digest is trusted before a HEAD checks it (newest-build).",
)
@click.option(
    "--ssh-known-hosts",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar=_env("SSH_KNOWN_HOSTS"),
    help="OpenSSH known_hosts pinning git SSH hosts (default: /app/config/ssh/ssh_known_hosts if "
    "mounted, else trust on first use).",
)
@click.option(
    "--cache-dir",
    envvar=_env("CACHE_DIR"),
    help="Registry metadata cache kept across restarts (default: $XDG_CACHE_HOME/image-updater, "
    'else ~/.cache/image-updater); "" keeps it in memory only.',
)
@click.option(
    "--cache-max-entries",
    default=200_000,
    type=click.IntRange(1000, 10_000_000),
    envvar=_env("CACHE_MAX_ENTRIES"),
    show_default=True,
    help="Bound on the cache on disk (manifests, configs and tag digests; about 300 bytes each).",
)
@click.option(
    "--app-credential-kinds",
    default="pullsecret,secret",
    envvar=_env("APP_CREDENTIAL_KINDS"),
    callback=_credential_kinds,
    show_default=True,
    help="Credential references Application annotations may use (pullsecret, secret, env, ext); "
    "pullsecret and secret are always limited to the Application's own namespace.",
)
@click.option(
    "--app-promote-from-namespaces",
    default="",
    envvar=_env("APP_PROMOTE_FROM_NAMESPACES"),
    callback=lambda _ctx, _param, value: frozenset(n.strip() for n in value.split(",") if n.strip()),
    help="Namespaces whose Applications any Application may name in promote-from (comma-separated); "
    "its own namespace is always allowed.",
)
@click.option(
    "--cycle-timeout",
    default=None,
    envvar=_env("CYCLE_TIMEOUT"),
    callback=lambda ctx, param, value: None if value is None else _duration(ctx, param, value),
    help="Deadline of one cycle (Go duration): unfinished checks are reported as timed out and the "
    "next cycle starts on time [default: 5 intervals, at least 10m].",
)
@click.option(
    "--max-yaml-size",
    type=click.IntRange(1024, 1 << 30),
    envvar=_env("MAX_YAML_SIZE"),
    help="Largest Application or Secret manifest file read, in bytes; larger files are refused "
    "[default: 4194304, 4 MiB].",
)
@click.option(
    "--config-source",
    type=click.Choice(["annotations", "resources", "both"]),
    default="both",
    envvar=_env("CONFIG_SOURCE"),
    show_default=True,
    help="What configures Applications: their annotations (v0.x), ImageUpdater resources (v1.x), "
    "or both (an Application selected by a resource takes the resource's settings).",
)
@click.option(
    "--disable-kube-events",
    is_flag=True,
    # Upstream's variable (ConfigMap key kube.events) means "disable" too: `true` turns Events off.
    envvar=[_env("DISABLE_KUBE_EVENTS"), "IMAGE_UPDATER_KUBE_EVENTS"],
)
@click.option("--kubeconfig", type=click.Path(path_type=Path, dir_okay=False), envvar="KUBECONFIG")
@click.option(
    "--leader-election/--no-leader-election",
    default=None,
    envvar=_env("LEADER_ELECTION"),
    help="Default: on in a cluster (unless --once), off in directory mode.",
)
@click.option(
    "--loglevel",
    default="info",
    envvar="IMAGE_UPDATER_LOGLEVEL",
    show_default=True,
    type=click.Choice(["trace", "debug", "info", "warn", "error"], case_sensitive=False),
)
@click.option(
    "--logformat",
    default="text",
    envvar="IMAGE_UPDATER_LOGFORMAT",
    show_default=True,
    type=click.Choice(["text", "json"], case_sensitive=False),
)
@_webhook_options
def run_command(loglevel: str, logformat: str, **flags: Any) -> None:
    """Watch registries and keep the images of annotated Applications current."""
    start(loglevel=loglevel, logformat=logformat, flags=flags)


def start(*, loglevel: str, logformat: str, flags: dict[str, Any]) -> None:
    """Run the controller with `flags` (run's, or the `webhook` command's); exits the process."""
    import structlog

    from image_updater.runtime import logs
    from image_updater.runtime.controller import run

    logs.configure(level=loglevel, fmt=logformat)
    for message in ignored_settings(os.environ):
        structlog.get_logger("image_updater.cli").warning(f"upstream setting {message}")
    status = exiting_on_error(lambda: asyncio.run(run(_settings(flags))), failed=EXIT_ERRORS)
    raise SystemExit(status)


SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")


def _pod_namespace() -> str:
    """The namespace this pod runs in (from its service account), else `argocd`."""
    try:
        return SERVICE_ACCOUNT_NAMESPACE.read_text(encoding="utf-8").strip() or "argocd"
    except OSError:
        return "argocd"


def _settings(flags: dict[str, Any]) -> RunSettings:
    from image_updater.runtime.controller import RunSettings
    from image_updater.writeback.git_commit import Author, Signing

    key = flags["git_commit_signing_key"]
    extra: dict[str, Any] = {"git_workdir": flags["git_workdir"]} if flags["git_workdir"] else {}
    return RunSettings(
        interval=0.0 if flags["once"] else flags["interval"],
        once=flags["once"] or flags["interval"] == 0,
        dry_run=flags["dry_run"],
        max_concurrency=flags["max_concurrency"],
        health_port=flags["health_port"],
        metrics_port=flags["metrics_port"],
        name_globs=tuple(flags["match_application_name"]),
        label_selector=flags["match_application_label"],
        namespaces=tuple(flags["applications_namespace"]),
        controller_namespace=flags["argocd_namespace"] or _pod_namespace(),
        registries_conf=flags["registries_conf_path"],
        applications_dir=flags["applications_dir"],
        secrets_dir=flags["secrets_dir"],
        status_dir=flags["status_dir"],
        kubeconfig=flags["kubeconfig"],
        git_author=Author(name=flags["git_commit_user"], email=flags["git_commit_email"]),
        git_message_path=flags["git_commit_message_path"],
        git_signing=Signing(method=flags["git_commit_signing_method"], key=key) if key else None,
        git_signoff=flags["git_commit_sign_off"],
        git_batch=not flags["git_commit_per_application"],
        git_workdir_wait=flags["git_workdir_wait"],
        kube_events=not flags["disable_kube_events"],
        leader_election=flags["leader_election"],
        trust_tags_for=flags["tag_revalidate_interval"],
        ssh_known_hosts=flags["ssh_known_hosts"],
        cache_dir=_cache_dir(flags["cache_dir"]),
        cache_max_entries=flags["cache_max_entries"],
        app_credential_kinds=flags["app_credential_kinds"],
        app_promotion_namespaces=flags["app_promote_from_namespaces"],
        cycle_timeout=flags["cycle_timeout"],
        config_source=flags["config_source"],
        **_yaml_limits(flags["max_yaml_size"]),
        **extra,
        webhook=_webhook(flags),
        polling=flags.get("polling", True),
    )


def _webhook(flags: dict[str, Any]) -> WebhookSettings | None:
    """The webhook server's settings; None unless --enable-webhook with a port (as upstream)."""
    if not flags["enable_webhook"] or not flags["webhook_port"]:
        return None
    from image_updater.runtime.webhook_server import WebhookSettings
    from image_updater.runtime.webhook_tls import TlsSettings
    from image_updater.webhooks.receiving import TYPES

    secrets = {kind.name: flags[kind.secret_flag[2:].replace("-", "_")] for kind in TYPES.values()}
    tls = TlsSettings(min_version=flags["tlsminversion"], max_version=flags["tlsmaxversion"])
    return WebhookSettings(
        port=flags["webhook_port"],
        secrets={name: secret for name, secret in secrets.items() if secret},
        require_secret=flags["webhook_require_secret"],
        ratelimit_allowed=flags["webhook_ratelimit_allowed"],
        tls=None if flags["disable_tls"] else tls,
    )


def _yaml_limits(max_bytes: int | None) -> dict[str, Any]:
    from image_updater.yamlsafe import YamlLimits

    return {} if max_bytes is None else {"yaml_limits": YamlLimits(max_bytes=max_bytes)}


def _cache_dir(flag: str | None) -> Path | None:
    """`--cache-dir` as given ("" = memory only), else the XDG cache directory."""
    if flag is not None:
        return Path(flag) if flag.strip() else None
    from image_updater.runtime.configfiles import user_cache_dir

    return user_cache_dir()
