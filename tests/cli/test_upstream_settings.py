"""Upstream's environment variables: those that map to a `run` flag are read with upstream's
meaning; those for features this project lacks are named once at start-up, without their values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from image_updater.cli.main import cli
from image_updater.cli.run_command import run_command
from image_updater.cli.upstream_settings import IGNORED, ignored_settings


def params(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> dict[str, Any]:
    for item in IGNORED:
        monkeypatch.delenv(item.env, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return dict(run_command.make_context("run", []).params)


@pytest.mark.parametrize(
    ("environment", "param", "expected"),
    [
        pytest.param({}, "disable_kube_events", False, id="events-on-by-default"),
        pytest.param(
            {"IMAGE_UPDATER_KUBE_EVENTS": "true"}, "disable_kube_events", True, id="kube.events-true-disables"
        ),
        pytest.param(
            {"IMAGE_UPDATER_KUBE_EVENTS": "false"}, "disable_kube_events", False, id="kube.events-false"
        ),
        pytest.param(
            {"IMAGE_UPDATER_DISABLE_KUBE_EVENTS": "false", "IMAGE_UPDATER_KUBE_EVENTS": "true"},
            "disable_kube_events",
            False,
            id="ours-wins-over-upstreams",
        ),
        pytest.param({"IMAGE_UPDATER_LOGLEVEL": "DEBUG"}, "loglevel", "debug", id="log.level"),
        pytest.param({"IMAGE_UPDATER_LOGFORMAT": "json"}, "logformat", "json", id="log.format"),
        pytest.param({"IMAGE_UPDATER_INTERVAL": "5m"}, "interval", 300, id="interval"),
        pytest.param({"GIT_COMMIT_USER": "bot"}, "git_commit_user", "bot", id="git.user"),
        pytest.param(
            {"GIT_COMMIT_EMAIL": "b@example.com"}, "git_commit_email", "b@example.com", id="git.email"
        ),
        pytest.param({"GIT_COMMIT_SIGNING_KEY": "ABCD"}, "git_commit_signing_key", "ABCD", id="signing-key"),
        pytest.param(
            {"GIT_COMMIT_SIGNING_METHOD": "ssh"}, "git_commit_signing_method", "ssh", id="signing-method"
        ),
        pytest.param({"GIT_COMMIT_SIGN_OFF": "true"}, "git_commit_sign_off", True, id="sign-off"),
        pytest.param({"GIT_COMMIT_SIGN_OFF": ""}, "git_commit_sign_off", False, id="empty-is-unset"),
        pytest.param({"ENABLE_WEBHOOK": "true"}, "enable_webhook", True, id="webhook.enable"),
        pytest.param({"WEBHOOK_PORT": "9000"}, "webhook_port", 9000, id="webhook.port"),
        pytest.param(
            {"WEBHOOK_RATELIMIT_ALLOWED": "60"},
            "webhook_ratelimit_allowed",
            60,
            id="webhook.ratelimit-allowed",
        ),
        pytest.param(
            {"WEBHOOK_REQUIRE_SECRET": "false"}, "webhook_require_secret", False, id="webhook.require-secret"
        ),
        pytest.param(
            {"QUAY_WEBHOOK_SECRET": "hush"}, "quay_webhook_secret", "hush", id="webhook.quay-secret"
        ),
        pytest.param(
            {"ALIYUN_ACR_WEBHOOK_SECRET": "hush"},
            "aliyun_acr_webhook_secret",
            "hush",
            id="webhook.aliyun-acr-secret",
        ),
        pytest.param({"DISABLE_TLS": "true"}, "disable_tls", True, id="disable-tls"),
        pytest.param({"TLS_MIN_VERSION": "1.2"}, "tlsminversion", "1.2", id="tls.min-version"),
    ],
)
def test_upstream_variables_set_the_flag(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], param: str, expected: Any
) -> None:
    assert params(monkeypatch, environment)[param] == expected


@pytest.mark.parametrize(
    ("environment", "named"),
    [
        pytest.param({}, [], id="nothing-set"),
        pytest.param({"APPLICATIONS_API": "kubernetes"}, [], id="kubernetes-api-is-what-we-do"),
        pytest.param({"APPLICATIONS_API": "argocd"}, ["APPLICATIONS_API"], id="argocd-api"),
        pytest.param(
            {"ARGOCD_GRPC_WEB": "false", "ARGOCD_INSECURE": "False", "ENABLE_WEBHOOK": "false"},
            [],
            id="disabled-features-are-inert",
        ),
        pytest.param({"ARGOCD_GRPC_WEB": "true"}, ["ARGOCD_GRPC_WEB"], id="grpc-web"),
        pytest.param(
            {"ARGOCD_SERVER": "argocd-server:443", "ARGOCD_TOKEN": "tok-123"},
            ["ARGOCD_SERVER", "ARGOCD_TOKEN"],
            id="server-and-token",
        ),
        pytest.param(
            {"ENABLE_WEBHOOK": "true", "WEBHOOK_PORT": "8082", "QUAY_WEBHOOK_SECRET": "hush"},
            [],
            id="webhooks-are-read-by-run",
        ),
    ],
)
def test_ignored_settings_are_named_with_the_reason(environment: dict[str, str], named: list[str]) -> None:
    messages = ignored_settings(environment)
    assert [m.split()[0] for m in messages] == named
    for message in messages:
        assert "is ignored: " in message
        assert not [value for value in environment.values() if value in message.split("is ignored")[0]]
    assert not [m for m in messages if "tok-123" in m or "hush" in m]


def run_once(tmp_path: Path, env: dict[str, str]) -> Result:
    apps = tmp_path / "apps"
    apps.mkdir()
    conf = tmp_path / "registries.conf"
    conf.write_text("registries: []\n")
    args = ["run", "--once", "--applications-dir", str(apps), "--registries-conf-path", str(conf)]
    return CliRunner().invoke(cli, [*args, "--health-port", "0", "--metrics-port", "0"], env=env)


def test_run_names_each_ignored_setting_at_start(tmp_path: Path) -> None:
    result = run_once(tmp_path, {"ARGOCD_SERVER": "argocd-server:443", "ARGOCD_TOKEN": "tok-123"})
    assert result.exit_code == 0, result.output
    assert "upstream setting ARGOCD_SERVER (argocd.server_addr) is ignored" in result.stderr
    assert "upstream setting ARGOCD_TOKEN" in result.stderr
    assert "tok-123" not in result.stderr


def test_run_refuses_an_unusable_proxy_at_start(tmp_path: Path) -> None:
    result = run_once(tmp_path, {"HTTPS_PROXY": "socks5://user:secret@proxy:1080"})
    assert result.exit_code == 2
    assert "HTTPS_PROXY 'socks5://proxy:1080': only http:// and https:// proxies" in result.stderr
    assert "secret" not in result.stderr
