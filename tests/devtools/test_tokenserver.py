"""The test token server's policy: who gets which actions, and what a refused request looks like."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography import x509

from devtools.tokenserver import TokenServer, start_token_server

USERS = {"alice": "pw-alice"}


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenServer]:
    with start_token_server(tmp_path_factory.mktemp("tokens"), users=USERS, expires_in=120) as running:
        yield running


def access(server: TokenServer, query: str, authorization: str | None) -> object:
    status, body = server.answer(query, authorization)
    assert status == 200
    return jwt.decode(str(body["token"]), options={"verify_signature": False})["access"]


@pytest.mark.parametrize(
    ("query", "authorization", "expected"),
    [
        pytest.param(
            "scope=repository:a/b:pull,push",
            basic("alice", "pw-alice"),
            [{"type": "repository", "name": "a/b", "actions": ["pull", "push"]}],
            id="user-pull-push",
        ),
        pytest.param(
            "scope=repository:a/b:pull,push",
            None,
            [{"type": "repository", "name": "a/b", "actions": ["pull"]}],
            id="anonymous-pull-only",
        ),
        pytest.param("scope=repository:a/b:push", None, [], id="anonymous-push-nothing"),
        pytest.param(
            "scope=repository:a/b:delete&scope=registry:catalog:*",
            basic("alice", "pw-alice"),
            [
                {"type": "repository", "name": "a/b", "actions": ["delete"]},
                {"type": "registry", "name": "catalog", "actions": ["*"]},
            ],
            id="user-two-scopes",
        ),
        pytest.param(
            "scope=repository:host:5000/a:pull",
            None,
            [{"type": "repository", "name": "host:5000/a", "actions": ["pull"]}],
            id="colon-in-name",
        ),
        pytest.param("service=local-registry", None, [], id="no-scope"),
    ],
)
def test_grants(server: TokenServer, query: str, authorization: str | None, expected: object) -> None:
    assert access(server, query, authorization) == expected


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(basic("alice", "wrong"), id="wrong-password"),
        pytest.param(basic("mallory", "pw-alice"), id="unknown-user"),
        pytest.param("Basic not-base64!", id="malformed"),
        pytest.param("Bearer abc", id="other-scheme"),
    ],
)
def test_refusals(server: TokenServer, authorization: str) -> None:
    rejected, issued = server.rejected, server.tokens_issued
    status, body = server.answer("scope=repository:a/b:pull", authorization)
    assert (status, body) == (401, {"details": "incorrect username or password"})
    assert (server.rejected, server.tokens_issued) == (rejected + 1, issued)


def test_anonymous_can_be_refused_everything(tmp_path: Path) -> None:
    with start_token_server(tmp_path, users=USERS, anonymous_pull=False) as closed:
        assert access(closed, "scope=repository:a/b:pull", None) == []


def test_token_signature_verifies_with_the_certificate(server: TokenServer) -> None:
    _, body = server.answer("service=local-registry&scope=repository:a/b:pull", None)
    public_key = x509.load_pem_x509_certificate(server.cert_path.read_bytes()).public_key()
    claims = jwt.decode(
        str(body["token"]), public_key, algorithms=["RS256"], audience="local-registry", issuer=server.issuer
    )
    assert claims["sub"] == ""
    assert claims["nbf"] < claims["iat"] < claims["exp"]
