"""Registry traffic through HTTP(S)_PROXY, against a recording proxy (devtools.proxy): requests
go through it as Go's client sends them, loopback stays direct, and credentials never reach the
proxy (https: a CONNECT tunnel; plain http with credentials: refused before sending)."""

from __future__ import annotations

import ssl
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from devtools.proxy import ProxyStub
from devtools.registry import LocalRegistry
from image_updater.credentials import Credentials
from image_updater.errors import InvalidProxyConfig
from image_updater.registry.cache import MetadataCache
from image_updater.registry.client import RegistryClient
from image_updater.registry.counting import RequestCounter
from image_updater.registry.limits import RequestLimiter
from image_updater.settings.proxies import ProxyRules
from image_updater.settings.registries import Endpoint
from tests.conftest import PushedImage

from . import PASSWORD, USER, FakeClock, StubRegistry, basic, creds_provider, serve
from .test_client_tls import self_signed

HOST = "registry.test"  # not loopback, so the proxy is used; the proxy routes it to 127.0.0.1
PROXY_USER, PROXY_PASSWORD = "proxy-user", "proxy-pass"


def client(
    session: aiohttp.ClientSession,
    endpoint: Endpoint,
    proxies: ProxyRules,
    credentials: Credentials | None = None,
) -> RegistryClient:
    clock = FakeClock()
    return RegistryClient(
        session=session,
        endpoint=endpoint,
        credentials=creds_provider(credentials) if credentials else None,
        counter=RequestCounter(),
        limiter=RequestLimiter(limit=None),
        cache=MetadataCache(),
        clock=clock,
        sleep=clock.sleep,
        retries=0,
        proxies=proxies,
    )


async def test_plain_http_goes_through_the_proxy_as_an_absolute_uri(pushed_image: PushedImage) -> None:
    registry: LocalRegistry = pushed_image.registry
    port = int(registry.host.rpartition(":")[2])
    async with (
        ProxyStub(routes={f"{HOST}:{port}": port}).running() as proxy,
        aiohttp.ClientSession() as session,
    ):
        rules = ProxyRules.from_environ({"http_proxy": proxy.url})
        endpoint = Endpoint(name="local", api_url=f"http://{HOST}:{port}")
        tags = await client(session, endpoint, rules).list_tags(pushed_image.repository)
    assert pushed_image.tag in tags
    assert proxy.seen
    assert {seen.target.split("/v2/")[0] for seen in proxy.seen} == {f"http://{HOST}:{port}"}


async def test_loopback_registries_never_use_the_proxy(pushed_image: PushedImage) -> None:
    async with ProxyStub(routes={}).running() as proxy, aiohttp.ClientSession() as session:
        rules = ProxyRules.from_environ({"HTTP_PROXY": proxy.url, "HTTPS_PROXY": proxy.url})
        endpoint = Endpoint(name="local", api_url=pushed_image.registry.url)
        tags = await client(session, endpoint, rules).list_tags(pushed_image.repository)
    assert pushed_image.tag in tags
    assert proxy.seen == []


async def test_https_credentials_go_inside_the_tunnel_only(tmp_path: Path) -> None:
    cert_file, key_file = self_signed(tmp_path, HOST)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    stub = StubRegistry(auth="basic")
    stub.add_image("team/app", "1.0")
    server = TestServer(stub.app(), host="127.0.0.1")
    await server.start_server(ssl=context)
    target = f"{HOST}:{server.port}"
    try:
        async with (
            ProxyStub(routes={target: server.port}).running() as proxy,
            aiohttp.ClientSession() as session,
        ):
            rules = ProxyRules.from_environ(
                {"HTTPS_PROXY": proxy.url.replace("http://", f"http://{PROXY_USER}:{PROXY_PASSWORD}@")}
            )
            endpoint = Endpoint(name="tls", api_url=f"https://{target}", ca_file=str(cert_file))
            credentials = Credentials(username=USER, password=PASSWORD)
            tags = await client(session, endpoint, rules, credentials).list_tags("team/app")
    finally:
        await server.close()
    assert tags == ["1.0"]
    assert proxy.seen
    assert {(s.method, s.target) for s in proxy.seen} == {("CONNECT", target)}
    assert [s for s in proxy.seen if "authorization" in s.headers] == []
    assert {s.headers["proxy-authorization"] for s in proxy.seen} == {basic(PROXY_USER, PROXY_PASSWORD)}
    assert basic(USER, PASSWORD) in {s.authorization for s in stub.seen}  # the origin got them


async def test_plain_http_credentials_are_never_sent_through_a_proxy() -> None:
    stub = StubRegistry(auth="basic")
    stub.add_image("team/app", "1.0")
    async with serve(stub.app()) as url:
        port = int(url.rpartition(":")[2])
        routes = {f"{HOST}:{port}": port}
        async with ProxyStub(routes=routes).running() as proxy, aiohttp.ClientSession() as session:
            rules = ProxyRules.from_environ({"HTTP_PROXY": proxy.url})
            endpoint = Endpoint(name="plain", api_url=f"http://{HOST}:{port}")
            registry = client(session, endpoint, rules, Credentials(username=USER, password=PASSWORD))
            with pytest.raises(InvalidProxyConfig, match=r"registry.test.*NO_PROXY or use https"):
                await registry.list_tags("team/app")
    assert proxy.seen  # the anonymous request went through and met the challenge
    assert [s for s in proxy.seen if "authorization" in s.headers] == []
    assert PASSWORD not in repr(proxy.seen)
