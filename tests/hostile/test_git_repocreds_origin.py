"""A `repo-creds` Secret matches repositories by URL prefix, as Argo CD's do, and whoever annotates
an Application chooses the URL (`git-repository`). So the prefix matches only on the credential's
own origin (docs/security.md, "Credentials"): `https://git.example.com` must not hand its password
to `https://git.example.com.evil.org/`, to `https://git.example.com@evil.org/` (a user name, then
another host), or to `https://git.example.comx/`; `git@git.example.com` must not sign in to
`git@git.example.com.evil.org:`. Those Applications get "no credentials" (git then uses the
machine's own, which an operator does not configure for other hosts); the real host still matches.
"""

from __future__ import annotations

import pytest

from image_updater.writeback.git_auth import GitAuth, HttpsAuth, SshKeyAuth, resolve_git_credentials
from tests.writeback.test_git_credentials import KEY, Secrets

CREDS = Secrets(
    {},
    [
        {"url": b"https://git.example.com", "username": b"team", "password": b"team-token"},
        {"url": b"git@git.example.com", "sshPrivateKey": KEY},
    ],
)
CASES = [
    ("same-host", "https://git.example.com/org/repo.git", HttpsAuth("team", "team-token")),
    ("same-host-other-case", "https://GIT.example.com/org/repo.git", HttpsAuth("team", "team-token")),
    ("same-host-ssh", "git@git.example.com:org/repo.git", SshKeyAuth(private_key=KEY)),
    ("longer-host", "https://git.example.com.evil.org/x.git", None),
    ("userinfo-then-host", "https://git.example.com@evil.org/x.git", None),
    ("host-with-suffix", "https://git.example.comx/x.git", None),
    ("longer-host-ssh", "git@git.example.com.evil.org:x.git", None),
]


@pytest.mark.parametrize(("url", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_repocreds_prefix_never_reaches_another_origin(url: str, expected: GitAuth | None) -> None:
    found = await resolve_git_credentials(
        "git", repo_url=url, secrets=CREDS, app_namespace="apps", repo_creds=CREDS
    )

    assert found == expected
