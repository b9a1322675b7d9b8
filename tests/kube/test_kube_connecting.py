"""Building the client from a generated kubeconfig (pointing at the fake) or in-cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from image_updater.errors import ConfigError
from image_updater.kube import ApiCounter, connect, list_applications
from image_updater.kube.connecting import in_cluster_configuration
from tests.kube.conftest import APPS, application
from tests.kube.fakeapi import FakeKube

TOKEN = "very-secret-token-value"


def kubeconfig(path: Path, *, current: str, servers: dict[str, str]) -> Path:
    clusters = "".join(f"- name: {name}\n  cluster:\n    server: {url}\n" for name, url in servers.items())
    contexts = "".join(f"- name: {name}\n  context:\n    cluster: {name}\n    user: u\n" for name in servers)
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n{clusters}contexts:\n{contexts}current-context: {current}\n"
        f"users:\n- name: u\n  user:\n    token: {TOKEN}\n"
    )
    return path


@pytest.mark.parametrize(("context", "expected"), [(None, "live"), ("live", "live")])
async def test_connects_through_a_kubeconfig(
    fake: FakeKube, tmp_path: Path, context: str | None, expected: str
) -> None:
    fake.put(*APPS, application("argocd", "guestbook"))
    config = kubeconfig(
        tmp_path / "config", current="live", servers={"live": fake.url, "dead": "http://127.0.0.1:9"}
    )
    counter = ApiCounter()
    api = await connect(kubeconfig=config, context=context, counter=counter)
    async with api.client:
        found = await list_applications(api)
    assert [app["metadata"]["name"] for app in found] == ["guestbook"]
    assert api.counter is counter
    assert counter.requests == 1


@pytest.mark.parametrize(
    ("content", "context", "message"),
    [
        pytest.param(None, None, "does not exist", id="missing-file"),
        pytest.param("valid", "nope", "cannot use kubeconfig .*nope", id="unknown-context"),
        pytest.param(f"users: [token: {TOKEN}\n", None, r"is malformed \(\w+\)", id="bad-yaml"),
    ],
)
async def test_kubeconfig_problems_are_config_errors(
    tmp_path: Path, content: str | None, context: str | None, message: str
) -> None:
    path = tmp_path / "config"
    if content == "valid":
        kubeconfig(path, current="live", servers={"live": "http://127.0.0.1:9"})
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message) as caught:
        await connect(kubeconfig=path, context=context)
    assert TOKEN not in str(caught.value)


async def test_a_context_without_a_kubeconfig_is_refused() -> None:
    with pytest.raises(ConfigError, match="without a kubeconfig file"):
        await connect(context="live")


def test_in_cluster_outside_a_cluster_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match=r"not running in a Kubernetes cluster .*pass --kubeconfig"):
        in_cluster_configuration(token_file=str(tmp_path / "token"), ca_file=str(tmp_path / "ca"))


def test_in_cluster_reads_the_service_account(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    (tmp_path / "token").write_text(TOKEN)
    (tmp_path / "ca").write_text("-----BEGIN CERTIFICATE-----\n")
    configuration = in_cluster_configuration(token_file=str(tmp_path / "token"), ca_file=str(tmp_path / "ca"))
    assert configuration.host == "https://10.0.0.1:443"
    assert configuration.api_key["BearerToken"] == f"Bearer {TOKEN}"
