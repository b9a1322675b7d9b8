"""Credential references and the pure helpers that read resolved values."""

from __future__ import annotations

import base64
import json

import pytest

from image_updater.credentials import (
    CredentialRef,
    Credentials,
    dockerconfig_credentials,
    parse_credential_ref,
    parse_user_pass,
)
from image_updater.errors import CredentialError, InvalidCredentialRef

PASSWORD = "s3cr3t-Passw0rd"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "pullsecret:argocd/ghcr-creds",
            CredentialRef("pullsecret", namespace="argocd", name="ghcr-creds"),
            id="pullsecret",
        ),
        pytest.param(
            "secret:argocd/registry.creds#creds",
            CredentialRef("secret", namespace="argocd", name="registry.creds", field="creds"),
            id="secret",
        ),
        pytest.param(
            "secret:ns/name#.docker_config-json",
            CredentialRef("secret", namespace="ns", name="name", field=".docker_config-json"),
            id="secret-field-chars",
        ),
        pytest.param("env:DOCKER_HUB_CREDS", CredentialRef("env", variable="DOCKER_HUB_CREDS"), id="env"),
        pytest.param(
            "ext:/app/scripts/ecr-login.sh", CredentialRef("ext", path="/app/scripts/ecr-login.sh"), id="ext"
        ),
        pytest.param(
            "ext:/scripts/a=b.sh", CredentialRef("ext", path="/scripts/a=b.sh"), id="ext-path-with-equals"
        ),
        pytest.param(
            "ghcr.io=pullsecret:argocd/ghcr-creds",
            CredentialRef("pullsecret", registry="ghcr.io", namespace="argocd", name="ghcr-creds"),
            id="registry-prefix",
        ),
        pytest.param(
            "localhost:5000=env:LOCAL",
            CredentialRef("env", registry="localhost:5000", variable="LOCAL"),
            id="registry-prefix-with-port",
        ),
        pytest.param("  env:X\n", CredentialRef("env", variable="X"), id="surrounding-space"),
    ],
)
def test_parse_credential_ref(text: str, expected: CredentialRef) -> None:
    ref = parse_credential_ref(text)
    assert ref == expected
    assert parse_credential_ref(str(ref)) == ref


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "", "credential reference: unknown or missing type; write one of pullsecret:", id="empty"
        ),
        pytest.param("argocd/ghcr-creds", "unknown or missing type", id="no-type"),
        pytest.param("docker:argocd/x", "unknown or missing type; write one of", id="unknown-type"),
        pytest.param("PullSecret:argocd/x", 'the type must be lower-case "pullsecret"', id="upper-case"),
        pytest.param(
            "pullsecret:argocd",
            "credential reference 'pullsecret:argocd': expected pullsecret:<namespace>/<name>",
            id="pullsecret-no-name",
        ),
        pytest.param("pullsecret:Argocd/x", "lower-case Kubernetes namespace", id="pullsecret-upper"),
        pytest.param(
            "pullsecret:argocd/x/y", "expected pullsecret:<namespace>/<name>", id="pullsecret-extra"
        ),
        pytest.param("secret:argocd/x", "the field after '#' is missing", id="secret-no-field"),
        pytest.param("secret:argocd/x#", "the field after '#' is missing", id="secret-empty-field"),
        pytest.param("secret:argocd#f", "expected secret:<namespace>/<name>#<field>", id="secret-no-name"),
        pytest.param("env:", "expected env:<VARIABLE>", id="env-empty"),
        pytest.param("env:MY-VAR", "a name of letters, digits and '_'", id="env-dash"),
        pytest.param("ext:scripts/login.sh", "the path must be absolute", id="ext-relative"),
        pytest.param("ext:/scripts/", "the path must be absolute", id="ext-directory"),
        pytest.param("ghcr io=env:X", "the part before '=' must be a registry host", id="bad-registry"),
        pytest.param("=env:X", "the part before '=' must be a registry host", id="empty-registry"),
    ],
)
def test_parse_credential_ref_errors(text: str, message: str) -> None:
    with pytest.raises(InvalidCredentialRef) as caught:
        parse_credential_ref(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "text", [f"bot:{PASSWORD}", f"ghcr.io=bot:{PASSWORD}", PASSWORD, f"Basic {PASSWORD}"], ids=str.split
)
def test_pasted_secret_instead_of_reference_is_not_echoed(text: str) -> None:
    with pytest.raises(InvalidCredentialRef) as caught:
        parse_credential_ref(text)
    assert PASSWORD not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("bot:pw", Credentials("bot", "pw"), id="plain"),
        pytest.param("bot:pw\n", Credentials("bot", "pw"), id="trailing-newline"),
        pytest.param("bot:pw\r\n", Credentials("bot", "pw"), id="trailing-crlf"),
        pytest.param("bot:p:w:x", Credentials("bot", "p:w:x"), id="colon-in-password"),
        pytest.param("bot: pw ", Credentials("bot", " pw "), id="spaces-kept"),
        pytest.param("bot:", Credentials("bot", ""), id="empty-password"),
        pytest.param(
            "00000000-0000-0000-0000-000000000000:refresh",
            Credentials("00000000-0000-0000-0000-000000000000", "refresh"),
            id="acr-refresh-token",
        ),
    ],
)
def test_parse_user_pass(text: str, expected: Credentials) -> None:
    assert parse_user_pass(text) == expected


@pytest.mark.parametrize("text", [PASSWORD, f":{PASSWORD}", ""], ids=["no-colon", "no-user", "empty"])
def test_parse_user_pass_errors_do_not_echo(text: str) -> None:
    with pytest.raises(CredentialError, match=r"^env:CREDS: value is not in the form <username>:<password>$"):
        parse_user_pass(text, source="env:CREDS")


def test_credentials_repr_hides_password() -> None:
    creds = Credentials("bot", PASSWORD)
    assert PASSWORD not in repr(creds)
    assert PASSWORD not in str(creds)
    assert PASSWORD not in f"{[creds]}"


def _auth(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def _user(key: str) -> str:
    return "user-" + key.replace(":", "")


def _config(*hosts: str, **entries: dict[str, str]) -> bytes:
    auths = {host: {"auth": _auth(_user(host), PASSWORD)} for host in hosts}
    auths.update(entries)
    return json.dumps({"auths": auths}).encode()


def _kubectl(server: str, user: str, password: str) -> bytes:
    # What `kubectl create secret docker-registry --docker-server=... --docker-username=... ` writes.
    entry = {"username": user, "password": password, "auth": _auth(user, password)}
    return json.dumps({"auths": {server: entry}}).encode()


HUB_API = "https://registry-1.docker.io"
DOCKER_HUB_KEYS = [
    "https://index.docker.io/v1/",
    "index.docker.io",
    "https://index.docker.io",
    "index.docker.io/v1/",
    "docker.io",
    "https://docker.io",
    "registry-1.docker.io",
    "https://registry-1.docker.io/v2/",
    "HTTPS://Index.Docker.IO/v1/",
]


@pytest.mark.parametrize("key", DOCKER_HUB_KEYS)
@pytest.mark.parametrize("registry_host", ["docker.io", "", "index.docker.io"])
def test_docker_hub_spellings_are_one_host(key: str, registry_host: str) -> None:
    creds = dockerconfig_credentials(_config(key), registry_host=registry_host, api_url=HUB_API)
    assert creds == Credentials(_user(key), PASSWORD)


@pytest.mark.parametrize(
    ("keys", "winner"),
    [
        pytest.param(["https://index.docker.io/v1/", "docker.io"], "docker.io", id="exact-host-first"),
        pytest.param(
            ["https://index.docker.io/v1/", "registry-1.docker.io"],
            "registry-1.docker.io",
            id="api-host-second",
        ),
        pytest.param(
            ["index.docker.io", "https://index.docker.io/v1/"], "index.docker.io", id="bare-over-url"
        ),
        pytest.param(
            ["https://docker.io/", "https://index.docker.io/v1/"], "https://docker.io/", id="exact-url"
        ),
    ],
)
def test_docker_hub_choice_is_deterministic(keys: list[str], winner: str) -> None:
    for order in (keys, keys[::-1]):
        document = _config(*order)
        creds = dockerconfig_credentials(document, registry_host="docker.io", api_url=HUB_API)
        assert creds.username == _user(winner)


def test_docker_hub_order_without_exact_host() -> None:
    keys = ["https://index.docker.io/v1/", "https://registry-1.docker.io/v2/", "https://docker.io/"]
    creds = dockerconfig_credentials(_config(*keys), registry_host="index.docker.io", api_url="https://x.io")
    assert creds.username == _user("https://index.docker.io/v1/")


@pytest.mark.parametrize("key", ["ghcr.io", "https://ghcr.io", "https://ghcr.io/", "ghcr.io/v2/", "GHCR.IO"])
def test_ghcr_spellings(key: str) -> None:
    document = _config("https://index.docker.io/v1/", key)
    creds = dockerconfig_credentials(document, registry_host="ghcr.io", api_url="https://ghcr.io")
    assert creds.username == _user(key)


def test_kubectl_created_secret_for_ghcr() -> None:
    document = _kubectl("ghcr.io", "your-bot-user", PASSWORD)
    creds = dockerconfig_credentials(document, registry_host="ghcr.io", api_url="https://ghcr.io")
    assert creds == Credentials("your-bot-user", PASSWORD)


def test_kubectl_default_server_is_docker_hub() -> None:
    document = _kubectl("https://index.docker.io/v1/", "bot", PASSWORD)
    creds = dockerconfig_credentials(document, registry_host="docker.io", api_url=HUB_API)
    assert creds == Credentials("bot", PASSWORD)


def test_username_password_without_auth() -> None:
    document = _config(**{"quay.io": {"username": "robot", "password": PASSWORD}})
    creds = dockerconfig_credentials(document, registry_host="quay.io", api_url="https://quay.io")
    assert creds == Credentials("robot", PASSWORD)


def test_auth_wins_over_username_password() -> None:
    entry = {"username": "stale", "password": "stale", "auth": _auth("fresh", PASSWORD)}
    document = _config(**{"quay.io": entry})
    creds = dockerconfig_credentials(document, registry_host="quay.io", api_url="https://quay.io")
    assert creds == Credentials("fresh", PASSWORD)


def test_auth_without_padding() -> None:
    document = _config(**{"quay.io": {"auth": _auth("ab", "c").rstrip("=")}})
    creds = dockerconfig_credentials(document, registry_host="quay.io", api_url="https://quay.io")
    assert creds == Credentials("ab", "c")


def test_port_must_match() -> None:
    document = _config("registry.example.com")
    with pytest.raises(CredentialError, match=r'no "auths" entry for registry "registry\.example\.com:5000"'):
        dockerconfig_credentials(
            document, registry_host="registry.example.com:5000", api_url="https://registry.example.com:5000"
        )


def test_api_host_matches_when_prefix_differs() -> None:
    document = _config("mirror.example.com")
    creds = dockerconfig_credentials(
        document, registry_host="docker.io", api_url="https://mirror.example.com"
    )
    assert creds.username == "user-mirror.example.com"


def test_no_match_lists_hosts_and_says_how_to_fix() -> None:
    document = _config("https://index.docker.io/v1/", "quay.io")
    with pytest.raises(CredentialError) as caught:
        dockerconfig_credentials(
            document, registry_host="ghcr.io", api_url="https://ghcr.io", source="Secret argocd/ghcr-creds"
        )
    assert str(caught.value) == (
        'Secret argocd/ghcr-creds: no "auths" entry for registry "ghcr.io" (API https://ghcr.io); '
        'entries present: "https://index.docker.io/v1/", "quay.io"; add one keyed "ghcr.io" '
        "(kubectl create secret docker-registry --docker-server=ghcr.io)"
    )
    assert PASSWORD not in str(caught.value)
    assert _auth("user-quay.io", PASSWORD) not in str(caught.value)


def test_docker_hub_does_not_match_other_registries() -> None:
    with pytest.raises(CredentialError, match=r'entries present: "docker\.io"'):
        dockerconfig_credentials(_config("docker.io"), registry_host="quay.io", api_url="https://quay.io")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(f'{{"auths": {{"x": "{PASSWORD}'.encode(), "not valid JSON", id="bad-json"),
        pytest.param(b"\xff\xfe", "not valid JSON", id="not-utf8"),
        pytest.param(b"[]", 'no "auths" object', id="not-object"),
        pytest.param(
            json.dumps({"ghcr.io": {"auth": "x"}}).encode(), 'no "auths" object', id="legacy-dockercfg"
        ),
        pytest.param(
            json.dumps({"auths": {"ghcr.io": PASSWORD}}).encode(), "expected an object", id="entry-str"
        ),
        pytest.param(
            json.dumps({"auths": {"ghcr.io": {"auth": PASSWORD + "!"}}}).encode(),
            '"auth" is not base64 of <username>:<password>',
            id="auth-not-base64",
        ),
        pytest.param(
            json.dumps(
                {"auths": {"ghcr.io": {"auth": base64.b64encode(PASSWORD.encode()).decode()}}}
            ).encode(),
            'entry "ghcr.io" "auth": value is not in the form <username>:<password>',
            id="auth-no-colon",
        ),
        pytest.param(
            json.dumps({"auths": {"ghcr.io": {"identitytoken": PASSWORD}}}).encode(),
            "holds only an identity token",
            id="identity-token",
        ),
        pytest.param(
            json.dumps({"auths": {"ghcr.io": {"password": PASSWORD}}}).encode(),
            'has neither "auth" nor "username" and "password"',
            id="no-username",
        ),
    ],
)
def test_dockerconfig_errors_never_carry_secrets(document: bytes, message: str) -> None:
    with pytest.raises(CredentialError) as caught:
        dockerconfig_credentials(document, registry_host="ghcr.io", api_url="https://ghcr.io")
    assert message in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert caught.value.__cause__ is None
