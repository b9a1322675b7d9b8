"""TLS for the webhook server, as argocd-image-updater 1.x does it: the certificate and key of the
Secret mounted at /app/config/tls (`tls.crt`, `tls.key`), else a self-signed certificate made at
start for this process only (ECDSA P-256, one year, `localhost`/127.0.0.1/::1).

The self-signed certificate is made with the `openssl` command (the image has it: ca-certificates
depends on it), in a private temporary directory removed once the context has loaded it; the
`cryptography` package is not a runtime dependency. Missing or empty files (an uninitialised
Secret) mean "generate", as upstream. TLS 1.2 and 1.3 only (upstream's default is 1.3 to 1.3);
ALPN offers `http/1.1` alone: aiohttp does not speak HTTP/2, so it is never offered.
Not done: upstream's `--tlsciphers` (Go cipher-suite names) and its expiry check of a mounted
certificate.
"""

from __future__ import annotations

import asyncio
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from image_updater.errors import ConfigError

TLS_DIR = Path("/app/config/tls")
_VERSIONS = {
    "1.2": ssl.TLSVersion.TLSv1_2,
    "tls1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
    "tls1.3": ssl.TLSVersion.TLSv1_3,
}


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """Where the mounted certificate is, and the TLS versions allowed (`--tlsminversion`,
    `--tlsmaxversion`)."""

    cert: Path = TLS_DIR / "tls.crt"
    key: Path = TLS_DIR / "tls.key"
    min_version: str = "1.3"
    max_version: str = "1.3"


async def server_context(tls: TlsSettings) -> tuple[ssl.SSLContext, str]:
    """The server's TLS context, and where its certificate came from (for the start-up log)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = _version(tls.min_version, "--tlsminversion")
    context.maximum_version = _version(tls.max_version, "--tlsmaxversion")
    if context.minimum_version > context.maximum_version:
        raise ConfigError(f"--tlsminversion {tls.min_version} is above --tlsmaxversion {tls.max_version}")
    context.set_alpn_protocols(["http/1.1"])
    if _present(tls.cert) and _present(tls.key):
        _load(context, tls.cert, tls.key)
        return context, str(tls.cert)
    with tempfile.TemporaryDirectory(prefix="image-updater-tls-") as private:
        cert, key = Path(private) / "tls.crt", Path(private) / "tls.key"
        await _self_signed(cert, key)
        _load(context, cert, key)
    return context, "a self-signed certificate made at start"


def _version(text: str, flag: str) -> ssl.TLSVersion:
    version = _VERSIONS.get(text.strip().lower())
    if version is None:
        raise ConfigError(f"{flag} {text!r} is not supported; use 1.2 or 1.3")
    return version


def _present(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _load(context: ssl.SSLContext, cert: Path, key: Path) -> None:
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as err:
        raise ConfigError(f"cannot load the webhook TLS certificate {cert} and key {key}: {err}") from err


async def _self_signed(cert: Path, key: Path) -> None:
    args = (
        *("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
        *("-keyout", str(key), "-out", str(cert), "-days", "365", "-subj", "/O=image-updater"),
        *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"),
        *("-addext", "extendedKeyUsage=serverAuth"),
    )
    try:
        process = await asyncio.create_subprocess_exec(
            "openssl", *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
    except OSError as err:
        raise ConfigError(
            f"no certificate at {TLS_DIR} and the openssl command to make one failed to start "
            f"({err.strerror}); mount a certificate, or set --disable-tls"
        ) from err
    _, stderr = await process.communicate()
    if process.returncode != 0:
        last = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise ConfigError(f"openssl could not make a self-signed webhook certificate: {last[0]}")
