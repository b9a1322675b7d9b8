"""TLS: a self-signed registry is refused by default, accepted with its CA file or with `insecure`."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from image_updater.errors import InvalidRegistryConfig, RegistryUnavailable
from image_updater.registry.cache import MetadataCache
from image_updater.registry.client import RegistryClient
from image_updater.registry.counting import RequestCounter
from image_updater.registry.limits import RequestLimiter
from image_updater.settings.registries import Endpoint

from . import FakeClock, StubRegistry


def self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A CA-flagged certificate for `host` (an IP address or a DNS name) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        alt_name: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt_name = x509.DNSName(host)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([alt_name]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@asynccontextmanager
async def https_stub(tmp_path: Path) -> AsyncIterator[tuple[str, Path]]:
    cert_file, key_file = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    stub = StubRegistry()
    stub.add_image("team/app", "1.0")
    server = TestServer(stub.app(), host="127.0.0.1")
    await server.start_server(ssl=context)
    try:
        yield f"https://127.0.0.1:{server.port}", cert_file
    finally:
        await server.close()


def client_for(session: aiohttp.ClientSession, endpoint: Endpoint) -> RegistryClient:
    clock = FakeClock()
    return RegistryClient(
        session=session,
        endpoint=endpoint,
        credentials=None,
        counter=RequestCounter(),
        limiter=RequestLimiter(limit=None),
        cache=MetadataCache(),
        clock=clock,
        sleep=clock.sleep,
        retries=0,
    )


@pytest.mark.parametrize("mode", ["ca_file", "ca_data", "insecure", "default"])
async def test_tls_modes(tmp_path: Path, mode: str) -> None:
    async with https_stub(tmp_path) as (url, cert_file), aiohttp.ClientSession() as session:
        endpoint = Endpoint(
            name="tls",
            api_url=url,
            ca_file=str(cert_file) if mode == "ca_file" else None,
            ca_data=cert_file.read_text() if mode == "ca_data" else None,
            insecure=mode == "insecure",
        )
        client = client_for(session, endpoint)
        if mode == "default":
            with pytest.raises(RegistryUnavailable, match=r"TLS .* check the registry's ca_file or insecure"):
                await client.list_tags("team/app")
        else:
            assert await client.list_tags("team/app") == ["1.0"]


async def test_an_unreadable_ca_file_is_a_config_error(tmp_path: Path) -> None:
    async with aiohttp.ClientSession() as session:
        endpoint = Endpoint(name="tls", api_url="https://r.io", ca_file=str(tmp_path / "missing.pem"))
        with pytest.raises(InvalidRegistryConfig, match="registry 'tls': ca_file"):
            client_for(session, endpoint)
        garbage = Endpoint(name="tls", api_url="https://r.io", ca_data="not a certificate")
        with pytest.raises(InvalidRegistryConfig, match="registry 'tls': ca_data"):
            client_for(session, garbage)
