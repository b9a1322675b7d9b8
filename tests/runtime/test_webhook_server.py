"""The webhook server on a real loopback port: pushes reach `on_push`, refusals get their status
and are counted, the answer is the same whether or not anything watches the repository, and TLS
is served as upstream serves it (self-signed at start, or the mounted certificate; no HTTP/2)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from devtools import oci
from devtools.registry import Notify, start_registry
from image_updater.errors import ConfigError
from image_updater.runtime import controller
from image_updater.runtime.controller import RunSettings
from image_updater.runtime.webhook_server import ACCEPTED
from image_updater.runtime.webhook_tls import TlsSettings
from image_updater.webhooks.events import RegistryPush
from tests.conftest import CREATED
from tests.runtime.test_metrics_servers import free_port
from tests.webhooks.helpers import BEARER, SECRET, payload
from tests.webhooks.serving import PLAIN, post, webhook_server


async def test_a_distribution_push_reaches_on_push() -> None:
    async with webhook_server() as server:
        url = f"{server.url}/webhook?type=distribution"
        assert await post(url, payload("distribution.json"), BEARER) == (200, ACCEPTED)
        await asyncio.wait_for(server.recorder.arrived.wait(), timeout=30)
        assert server.recorder.pushes == [RegistryPush("registrycluster.local", "library/test", "latest")]
        assert server.count("distribution", "received") == 1
        assert server.count("distribution", "accepted") == 1


async def test_an_envelope_without_pushes_is_answered_200_and_hands_nothing_over() -> None:
    pull = json.loads(payload("distribution.json"))
    body = json.dumps({"events": pull["events"][2:]}).encode()
    async with webhook_server() as server:
        assert await post(f"{server.url}/webhook?type=distribution", body, BEARER) == (200, ACCEPTED)
        assert server.recorder.pushes == []
        assert server.count("distribution", "ignored") == 1


@pytest.mark.parametrize(
    ("path", "headers", "body", "status"),
    [
        pytest.param("/webhook?type=distribution", {}, None, 401, id="missing-secret"),
        pytest.param(
            "/webhook?type=distribution", {"Authorization": "Bearer no"}, None, 401, id="wrong-secret"
        ),
        pytest.param("/webhook?type=gitlab", BEARER, None, 401, id="type-without-a-secret"),
        pytest.param("/webhook?type=nope", BEARER, None, 400, id="unknown-type"),
        pytest.param("/webhook", BEARER, None, 400, id="no-type"),
        pytest.param("/webhook?type=distribution", BEARER, b"{not json", 400, id="malformed-body"),
        pytest.param("/webhook?type=distribution", BEARER, b"[" * 5000, 400, id="deep-json"),
        pytest.param("/webhook?type=distribution", BEARER, b" " * (2 << 20), 413, id="oversized-body"),
    ],
)
async def test_refusals_are_answered_and_counted(
    path: str, headers: dict[str, str], body: bytes | None, status: int
) -> None:
    async with webhook_server() as server:
        answer = await post(
            server.url + path, payload("distribution.json") if body is None else body, headers
        )
        assert answer[0] == status
        assert "\n" not in answer[1].strip()
        assert server.recorder.pushes == []
        refused = sum(server.count(kind, "refused") for kind in ("distribution", "gitlab", "unknown"))
        assert refused == 1


async def test_the_answer_is_the_same_whether_or_not_a_repository_is_watched() -> None:
    watched = {"library/test"}

    def on_push(pushes: Sequence[RegistryPush]) -> None:
        if not watched & {push.repository for push in pushes}:
            raise LookupError("nothing watches this repository")

    other = payload("distribution.json").replace(b'"library/test"', b'"library/unwatched"')
    async with webhook_server(on_push=on_push) as server:
        url = f"{server.url}/webhook?type=distribution"
        assert await post(url, payload("distribution.json"), BEARER) == await post(url, other, BEARER)


async def test_the_rate_limit_refuses_a_source_over_its_allowance() -> None:
    async with webhook_server(replace(PLAIN, ratelimit_allowed=2)) as server:
        url = f"{server.url}/webhook?type=distribution"
        statuses = [(await post(url, payload("distribution.json"), BEARER))[0] for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert server.count("distribution", "refused") == 1


async def test_healthz_answers() -> None:
    async with (
        webhook_server() as server,
        aiohttp.ClientSession() as session,
        session.get(f"{server.url}/healthz") as answer,
    ):
        assert (answer.status, await answer.text()) == (200, "OK")


def _client_context(alpn: list[str]) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the certificate is self-signed: what is checked is the session
    context.set_alpn_protocols(alpn)
    return context


async def test_tls_with_a_self_signed_certificate_offers_tls13_and_no_http2(tmp_path: Path) -> None:
    settings = replace(PLAIN, tls=TlsSettings(cert=tmp_path / "none.crt", key=tmp_path / "none.key"))
    async with webhook_server(settings) as server:
        port = int(server.url.rsplit(":", 1)[1])
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=_client_context(["h2", "http/1.1"]))
        tls = writer.get_extra_info("ssl_object")
        assert (tls.version(), tls.selected_alpn_protocol()) == ("TLSv1.3", "http/1.1")
        writer.close()


async def test_a_mounted_certificate_that_does_not_load_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "tls.crt").write_text("not a certificate")
    (tmp_path / "tls.key").write_text("not a key")
    settings = replace(PLAIN, tls=TlsSettings(cert=tmp_path / "tls.crt", key=tmp_path / "tls.key"))
    with pytest.raises(ConfigError, match=r"cannot load the webhook TLS certificate"):
        async with webhook_server(settings):
            pass


async def test_run_serves_webhooks_beside_the_cycle_loop(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "registries.conf").write_text("registries: []\n")
    port = free_port()
    settings = RunSettings(
        interval=3600,
        health_port=0,
        metrics_port=0,
        applications_dir=tmp_path / "apps",
        registries_conf=tmp_path / "registries.conf",
        git_workdir=tmp_path / "git-work",
        webhook=replace(PLAIN, port=port),
    )
    task = asyncio.create_task(controller.run(settings), name="controller-under-test")
    try:
        url = f"http://127.0.0.1:{port}/webhook?type=distribution"
        for _ in range(600):  # until the server listens (the controller starts it after its setup)
            with contextlib.suppress(aiohttp.ClientConnectionError):
                assert await post(url, payload("distribution.json"), BEARER) == (200, ACCEPTED)
                break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the webhook port never answered")
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_the_distribution_registrys_own_notifications_are_parsed(tmp_path: Path) -> None:
    """Debian's docker-registry with a notifications endpoint on our server: a real push arrives
    as the push of that repository and tag on the host the pusher used (blob pushes skipped)."""
    async with webhook_server() as server:
        notify = Notify(url=f"{server.url}/webhook?type=distribution", secret=SECRET)
        registry = await asyncio.to_thread(start_registry, tmp_path / "registry", notify=notify)
        try:
            await asyncio.to_thread(oci.push_image, registry.url, "team/app", "1.2.3", created=CREATED)
            expected = RegistryPush(registry.host, "team/app", "1.2.3")
            for _ in range(600):
                if expected in server.recorder.pushes:
                    break
                await asyncio.sleep(0.05)
            assert set(server.recorder.pushes) == {expected}
            assert server.count("distribution", "refused") == 0
        finally:
            await asyncio.to_thread(registry.stop)


async def test_a_mounted_certificate_is_the_one_served(tmp_path: Path) -> None:
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=hooks.example.com"),
        ],
        check=True,
        capture_output=True,
    )
    settings = replace(PLAIN, tls=TlsSettings(cert=cert, key=key, min_version="1.2"))
    async with webhook_server(settings) as server:
        port = int(server.url.rsplit(":", 1)[1])
        _, writer = await asyncio.open_connection("127.0.0.1", port, ssl=_client_context(["http/1.1"]))
        served = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        writer.close()
    assert served == ssl.PEM_cert_to_DER_cert(cert.read_text())


@pytest.mark.parametrize(
    ("tls", "message"),
    [
        pytest.param(TlsSettings(min_version="1.1"), r"--tlsminversion '1.1' is not supported", id="tls-1.1"),
        pytest.param(TlsSettings(max_version="3"), r"--tlsmaxversion '3' is not supported", id="unknown"),
        pytest.param(
            TlsSettings(min_version="1.3", max_version="1.2"), r"above --tlsmaxversion", id="min-above-max"
        ),
    ],
)
async def test_unusable_tls_versions_are_config_errors(tls: TlsSettings, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        async with webhook_server(replace(PLAIN, tls=tls)):
            pass


async def test_the_type_may_come_in_the_x_registry_type_header() -> None:
    async with webhook_server() as server:
        headers = {**BEARER, "X-Registry-Type": "distribution"}
        assert await post(f"{server.url}/webhook", payload("distribution.json"), headers) == (200, ACCEPTED)
        assert server.count("distribution", "accepted") == 1


async def test_an_on_push_that_fails_later_is_logged_and_the_server_keeps_serving(
    capsys: pytest.CaptureFixture[str],
) -> None:
    failed = asyncio.Event()

    async def on_push(_: Sequence[RegistryPush]) -> None:
        failed.set()
        raise RuntimeError("dispatch broke")

    async with webhook_server(on_push=on_push) as server:
        url = f"{server.url}/webhook?type=distribution"
        for _ in range(2):
            assert await post(url, payload("distribution.json"), BEARER) == (200, ACCEPTED)
        await asyncio.wait_for(failed.wait(), timeout=30)
    assert "handling webhook pushes failed" in capsys.readouterr().out
