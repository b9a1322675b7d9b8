"""`image-updater run` flag defaults that depend on where it runs, and the webhook flags."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest

from image_updater.cli import run_command
from image_updater.runtime.webhook_server import WebhookSettings
from image_updater.runtime.webhook_tls import TlsSettings
from image_updater.webhooks.receiving import TYPES


def test_controller_namespace_defaults_to_the_pods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    namespace_file = tmp_path / "namespace"
    namespace_file.write_text("tools\n")
    monkeypatch.setattr(run_command, "SERVICE_ACCOUNT_NAMESPACE", namespace_file)
    assert run_command._pod_namespace() == "tools"
    monkeypatch.setattr(run_command, "SERVICE_ACCOUNT_NAMESPACE", tmp_path / "absent")
    assert run_command._pod_namespace() == "argocd"


def _webhook(monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str] | None = None) -> Any:
    for kind in TYPES.values():
        monkeypatch.delenv(kind.secret_env, raising=False)
    for name in ("ENABLE_WEBHOOK", "WEBHOOK_PORT", "WEBHOOK_REQUIRE_SECRET", "DISABLE_TLS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    return run_command._settings(dict(run_command.run_command.make_context("run", args).params)).webhook


def test_without_enable_webhook_there_is_no_webhook_server(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _webhook(monkeypatch, []) is None
    assert _webhook(monkeypatch, ["--enable-webhook", "--webhook-port", "0"]) is None


def test_the_webhook_defaults_are_upstreams(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _webhook(monkeypatch, ["--enable-webhook"]) == WebhookSettings(
        port=8082, secrets={}, require_secret=True, ratelimit_allowed=0, tls=TlsSettings()
    )


@pytest.mark.parametrize(
    ("args", "env", "field", "expected"),
    [
        pytest.param(
            ["--distribution-webhook-secret", "d", "--docker-webhook-secret", "h"],
            {},
            "secrets",
            {"distribution": "d", "docker.io": "h"},
            id="secret-flags-by-type",
        ),
        pytest.param(
            [],
            {"GHCR_WEBHOOK_SECRET": "g", "ALIYUN_ACR_WEBHOOK_SECRET": "a", "GITLAB_WEBHOOK_SECRET": "l"},
            "secrets",
            {"ghcr.io": "g", "aliyun-acr": "a", "gitlab": "l"},
            id="secret-variables",
        ),
        pytest.param(
            ["--webhook-require-secret=false"], {}, "require_secret", False, id="require-secret-false"
        ),
        pytest.param(
            [], {"WEBHOOK_REQUIRE_SECRET": "false"}, "require_secret", False, id="require-secret-env"
        ),
        pytest.param(["--webhook-ratelimit-allowed", "60"], {}, "ratelimit_allowed", 60, id="rate-limit"),
        pytest.param(["--disable-tls"], {}, "tls", None, id="disable-tls"),
        pytest.param(
            ["--tlsminversion", "1.2"], {}, "tls", TlsSettings(min_version="1.2"), id="tls-min-version"
        ),
    ],
)
def test_webhook_flags_reach_the_settings(
    monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str], field: str, expected: Any
) -> None:
    assert getattr(_webhook(monkeypatch, ["--enable-webhook", *args], env), field) == expected


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        pytest.param([], {}, "both", id="default-both"),
        pytest.param(["--config-source", "annotations"], {}, "annotations", id="flag"),
        pytest.param([], {"IMAGE_UPDATER_CONFIG_SOURCE": "resources"}, "resources", id="environment"),
        pytest.param(
            ["--config-source=both"], {"IMAGE_UPDATER_CONFIG_SOURCE": "resources"}, "both", id="flag-wins"
        ),
    ],
)
def test_config_source_reaches_the_run_settings(
    args: list[str], env: dict[str, str], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMAGE_UPDATER_CONFIG_SOURCE", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    flags = dict(run_command.run_command.make_context("run", args).params)
    flags.pop("loglevel"), flags.pop("logformat")
    assert run_command._settings(flags).config_source == expected


def test_an_unknown_config_source_is_refused_naming_the_choices() -> None:
    with pytest.raises(click.BadParameter, match="'crds' is not one of 'annotations', 'resources', 'both'"):
        run_command.run_command.make_context("run", ["--config-source", "crds"])
