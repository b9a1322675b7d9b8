"""A tiny Docker-style token server for the local registry (`auth: token`), usable from sync code.

Owns: a self-signed RS256 signing certificate, and `GET /token?service=&scope=...` answering
`{"token", "access_token", "expires_in", "issued_at"}` with a JWT whose header carries the DER
certificate in `x5c` and whose claims are iss/sub/aud/exp/nbf/iat/jti/access. The registry verifies
it for real against `cert_path`.

Policy (Docker Hub style): a caller with a valid Basic user/password gets what it asks for
(pull, push, delete, catalog); an anonymous caller gets pull only (or nothing with
`anonymous_pull=False`); a wrong password gets 401. Runs a stdlib HTTP server in a daemon thread
on a free 127.0.0.1 port, so tests, benchmarks and the demo can share it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

DEFAULT_SERVICE = "local-registry"
DEFAULT_ISSUER = "image-updater-test-tokens"

_USER_ACTIONS = frozenset({"pull", "push", "delete", "*"})
_ANONYMOUS_ACTIONS = frozenset({"pull"})
# Tokens start being valid a little in the past so that clock granularity never rejects a fresh one.
_NOT_BEFORE_SLACK = 10


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """What one token granted: the subject ("" for anonymous) and `type:name:actions` scopes."""

    subject: str
    scopes: tuple[str, ...]


@dataclass(eq=False)
class TokenServer:
    """A running token server. `realm` is the URL to put into the registry config."""

    realm: str
    cert_path: Path
    service: str
    issuer: str
    users: Mapping[str, str]
    expires_in: int
    anonymous_pull: bool
    _key: rsa.RSAPrivateKey = field(repr=False)
    _cert_der: bytes = field(repr=False)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    issued: list[IssuedToken] = field(default_factory=list)
    rejected: int = 0

    @property
    def tokens_issued(self) -> int:
        """How many tokens were handed out so far."""
        with self._lock:
            return len(self.issued)

    def stop(self) -> None:
        """Stop serving. Idempotent."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TokenServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def answer(self, query: str, authorization: str | None) -> tuple[int, dict[str, object]]:
        """Decide one token request: (HTTP status, JSON body). Public so it can be tested directly."""
        params = parse_qs(query)
        subject = self._authenticate(authorization)
        if subject is None:
            with self._lock:
                self.rejected += 1
            return 401, {"details": "incorrect username or password"}
        allowed = _USER_ACTIONS if subject else (_ANONYMOUS_ACTIONS if self.anonymous_pull else frozenset())
        access = [grant for scope in params.get("scope", []) for grant in _grants(scope, allowed)]
        token = self._sign(subject, params.get("service", [self.service])[0], access)
        with self._lock:
            self.issued.append(IssuedToken(subject, tuple(_scope_text(grant) for grant in access)))
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return 200, {"token": token, "access_token": token, "expires_in": self.expires_in, "issued_at": now}

    def _authenticate(self, authorization: str | None) -> str | None:
        """The user name, "" for anonymous, None for wrong credentials."""
        if not authorization:
            return ""
        scheme, _, encoded = authorization.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        expected = self.users.get(user)
        if expected is None or not secrets.compare_digest(expected, password):
            return None
        return user

    def _sign(self, subject: str, audience: str, access: list[dict[str, object]]) -> str:
        now = int(dt.datetime.now(dt.UTC).timestamp())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "exp": now + self.expires_in,
            "nbf": now - _NOT_BEFORE_SLACK,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        x5c = [base64.b64encode(self._cert_der).decode()]
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"x5c": x5c})


def start_token_server(
    workdir: Path,
    *,
    users: Mapping[str, str],
    expires_in: int = 300,
    anonymous_pull: bool = True,
    service: str = DEFAULT_SERVICE,
    issuer: str = DEFAULT_ISSUER,
) -> TokenServer:
    """Generate a signing certificate under `workdir` and serve tokens on a free 127.0.0.1 port."""
    workdir.mkdir(parents=True, exist_ok=True)
    key, cert = _self_signed(issuer)
    cert_path = workdir / "token-signer.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    server = TokenServer(
        realm="",
        cert_path=cert_path,
        service=service,
        issuer=issuer,
        users=dict(users),
        expires_in=expires_in,
        anonymous_pull=anonymous_pull,
        _key=key,
        _cert_der=cert.public_bytes(serialization.Encoding.DER),
    )
    http_server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(server))
    http_server.daemon_threads = True
    server._server = http_server
    server.realm = f"http://127.0.0.1:{http_server.server_address[1]}/token"
    threading.Thread(target=http_server.serve_forever, name="token-server", daemon=True).start()
    return server


def _handler_for(server: TokenServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path != "/token":
                self._send(404, {"details": "not found"})
                return
            status, body = server.answer(url.query, self.headers.get("Authorization"))
            self._send(status, body)

        def _send(self, status: int, body: dict[str, object]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="token-server"')
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: tests read counts, not logs."""

    return Handler


def _grants(scope: str, allowed: frozenset[str]) -> list[dict[str, object]]:
    """`repository:team/app:pull,push` → access entries limited to `allowed` (none if nothing is left)."""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    granted = [action for action in actions.split(",") if action in allowed]
    if not kind or not name or not granted:
        return []
    return [{"type": kind, "name": name, "actions": granted}]


def _scope_text(grant: Mapping[str, object]) -> str:
    actions = grant["actions"]
    assert isinstance(actions, list)
    return f"{grant['type']}:{grant['name']}:{','.join(actions)}"


def _self_signed(common_name: str) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert
