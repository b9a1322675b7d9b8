"""Resolving git credentials from Secrets and Argo CD repository credentials; scrubbing messages."""

from __future__ import annotations

import pytest

from image_updater.errors import CredentialError, InvalidWriteBackConfig
from image_updater.writeback.git_auth import (
    GitAuth,
    HttpsAuth,
    SshKeyAuth,
    check_repo_url,
    resolve_git_credentials,
    scrub,
    secrets_of,
)

KEY = (
    b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU\n"
    b"-----END OPENSSH PRIVATE KEY-----\n"
)


class Secrets:
    """An in-memory SecretSource and RepoCredsSource (the protocols' simplest implementation)."""

    def __init__(
        self, secrets: dict[tuple[str, str], dict[str, bytes]], repos: list[dict[str, bytes]]
    ) -> None:
        self.secrets, self.repos = secrets, repos

    async def get_secret(self, namespace: str, name: str) -> dict[str, bytes]:
        if (namespace, name) not in self.secrets:
            raise CredentialError(f"secret {namespace}/{name} not found")
        return self.secrets[(namespace, name)]

    looked_in = "in memory"

    async def list_repository_secrets(self) -> list[dict[str, bytes]]:
        return self.repos


SOURCE = Secrets(
    {
        ("argocd", "git-creds"): {"username": b"bot", "password": b"tok"},
        ("apps", "local"): {"username": b"local", "password": b"pw"},
        ("argocd", "ssh"): {"sshPrivateKey": KEY},
        ("argocd", "app"): {"githubAppID": b"1", "githubAppPrivateKey": b"k"},
    },
    [
        {"url": b"https://github.com/org", "username": b"org-wide", "password": b"a"},
        {"url": b"https://github.com/org/mono.git", "username": b"exact", "password": b"b"},
        {"url": b"https://github.com/org/monorepo-", "username": b"longer-prefix", "password": b"c"},
        {"url": b"git@github.com:org/", "sshPrivateKey": KEY},
    ],
)

CASES: list[tuple[str, str, str, GitAuth | None]] = [
    ("secret-https", "git:secret:argocd/git-creds", "https://x/r.git", HttpsAuth("bot", "tok")),
    ("secret-default-namespace", "git:secret:local", "https://x/r.git", HttpsAuth("local", "pw")),
    ("secret-ssh", "git:secret:argocd/ssh", "ssh://git@x/r.git", SshKeyAuth(KEY)),
    ("secret-scp-like", "git:secret:argocd/ssh", "git@x:r.git", SshKeyAuth(KEY)),
    ("repocreds-exact-wins", "git:repocreds", "https://github.com/org/mono", HttpsAuth("exact", "b")),
    ("repocreds-prefix", "git", "https://github.com/org/other.git", HttpsAuth("org-wide", "a")),
    ("repocreds-longest-prefix", "git", "https://github.com/org/monorepo-2", HttpsAuth("longer-prefix", "c")),
    ("repocreds-ssh", "git", "git@github.com:org/x.git", SshKeyAuth(KEY)),
    ("repocreds-no-match-is-anonymous", "git", "https://gitlab.com/a/b", None),
]


@pytest.mark.parametrize(("method", "url", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_resolve(method: str, url: str, expected: GitAuth | None) -> None:
    got = await resolve_git_credentials(
        method, repo_url=url, secrets=SOURCE, app_namespace="apps", repo_creds=SOURCE
    )
    assert got == expected


ERRORS = [
    ("missing-secret", "git:secret:argocd/nope", "https://x/r", CredentialError, "not found"),
    (
        "https-needs-password",
        "git:secret:argocd/ssh",
        "https://x/r",
        CredentialError,
        "'username' and 'password'",
    ),
    ("ssh-needs-key", "git:secret:argocd/git-creds", "ssh://git@x/r", CredentialError, "'sshPrivateKey'"),
    ("github-app", "git:secret:argocd/app", "https://x/r", CredentialError, "GitHub App"),
    ("argocd-method", "argocd", "https://x/r", InvalidWriteBackConfig, "is not git"),
    ("bad-ref", "git:secret:a/b/c", "https://x/r", InvalidWriteBackConfig, "git:secret:<namespace>/<name>"),
]


@pytest.mark.parametrize(
    ("method", "url", "error", "problem"), [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS]
)
async def test_resolve_errors(method: str, url: str, error: type[Exception], problem: str) -> None:
    with pytest.raises(error, match=problem):
        await resolve_git_credentials(
            method, repo_url=url, secrets=SOURCE, app_namespace="apps", repo_creds=SOURCE
        )


async def test_repocreds_without_a_source_is_an_error() -> None:
    with pytest.raises(CredentialError, match="repository credentials"):
        await resolve_git_credentials("git", repo_url="https://x/r", secrets=SOURCE, app_namespace="apps")


def test_reprs_hide_secrets() -> None:
    assert "tok" not in repr(HttpsAuth("bot", "tok"))
    assert "OPENSSH" not in repr(SshKeyAuth(KEY))


SCRUB_CASES = [
    ("password", "fatal: tok rejected", "fatal: *** rejected"),
    ("basic-token", "header Ym90OnRvaw== sent", "header *** sent"),
    ("url-userinfo", "fatal: https://bot:xyz@host/r.git", "fatal: https://bot:***@host/r.git"),
    ("authorization-header", "Authorization: Bearer abc.def", "Authorization: ***"),
    ("key-block", "got " + KEY.decode(), "got ***\n"),
]


@pytest.mark.parametrize(("text", "clean"), [c[1:] for c in SCRUB_CASES], ids=[c[0] for c in SCRUB_CASES])
def test_scrub(text: str, clean: str) -> None:
    assert scrub(text, secrets_of(HttpsAuth("bot", "tok"))) == clean


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://github.com/o/r", True),
        ("ssh://git@h/r", True),
        ("git@h:r", True),
        ("https://u:p@h/r", False),
    ],
)
def test_check_repo_url(url: str, ok: bool) -> None:
    if ok:
        check_repo_url(url)
    else:
        with pytest.raises(InvalidWriteBackConfig, match="contains a password"):
            check_repo_url(url)
