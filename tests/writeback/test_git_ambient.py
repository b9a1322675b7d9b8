"""Git without a Secret: the machine's own credential helpers reach git, nothing else of its config.

A real smart-HTTP server with Basic auth and a real `git credential-store` helper configured in a
temporary HOME's `.gitconfig`, next to settings that must not apply (`url.*.insteadOf`, which
would send every fetch to a host that does not exist); a real sshd that only the key held by a
real ssh-agent can log in to.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from image_updater.errors import GitAuthError
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_cli import ambient_credential_config

if TYPE_CHECKING:
    from conftest import Remote
    from devtools.git_ssh import GitSshServer

MAIN = TargetBranch(base="main")
EDIT = {"apps/guestbook/values.yaml": lambda text: "image:\n  tag: 9.9.9\n"}


def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gitconfig: str) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text(gitconfig)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")  # this machine's /etc/gitconfig stays out of it
    return home


def store_helper(home: Path, remote: Remote, *, password: str) -> str:
    """A gitconfig using `git credential-store` with `password` for the server, and a trap."""
    origin = urlsplit(remote.http_url)
    (home / "creds").write_text(f"{origin.scheme}://image-updater-bot:{password}@{origin.netloc}\n")
    return (
        f"[credential]\n\thelper = store --file={home / 'creds'}\n"
        f'[url "http://nowhere.invalid/"]\n\tinsteadOf = {origin.scheme}://{origin.netloc}/\n'
    )


async def test_without_a_secret_the_users_credential_helper_answers(
    writer: GitWriter, remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = user_home(tmp_path, monkeypatch, "")
    (home / ".gitconfig").write_text(store_helper(home, remote, password="pa55-w0rd-very-secret"))

    result = await writer.write(repo_url=remote.http_url, branch=MAIN, auth=None, edits=EDIT, message="m\n")

    assert result.commit == remote.tip()  # fetched and pushed through the helper, not via insteadOf
    assert "pa55-w0rd-very-secret" not in (writer.cache.repo_dir(remote.http_url) / "config").read_text()


async def test_with_a_secret_the_users_helper_is_not_a_fallback(
    writer: GitWriter, remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = user_home(tmp_path, monkeypatch, "")
    (home / ".gitconfig").write_text(store_helper(home, remote, password="pa55-w0rd-very-secret"))
    wrong = HttpsAuth(username="image-updater-bot", password="not-the-password")

    with pytest.raises(GitAuthError) as err:
        await writer.write(repo_url=remote.http_url, branch=MAIN, auth=wrong, edits=EDIT, message="m\n")

    assert "not-the-password" not in str(err.value)


async def test_without_any_credentials_a_refusal_is_a_git_auth_error(
    writer: GitWriter, remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_home(tmp_path, monkeypatch, "")

    with pytest.raises(GitAuthError, match="Authentication failed"):
        await writer.write(repo_url=remote.http_url, branch=MAIN, auth=None, edits=EDIT, message="m\n")


@pytest.mark.parametrize(
    ("gitconfig", "expected"),
    [
        pytest.param("", {}, id="none"),
        pytest.param(
            "[credential]\n\thelper = cache\n\thelper = store\n\tuseHttpPath\n"
            '[credential "https://git.example"]\n\tusername = bot\n'
            "[core]\n\thooksPath = /tmp/evil\n[alias]\n\tco = !rm -rf /\n",
            {
                "GIT_CONFIG_COUNT": "4",
                "GIT_CONFIG_KEY_0": "credential.helper",
                "GIT_CONFIG_VALUE_0": "cache",
                "GIT_CONFIG_KEY_1": "credential.helper",
                "GIT_CONFIG_VALUE_1": "store",
                "GIT_CONFIG_KEY_2": "credential.usehttppath",
                "GIT_CONFIG_VALUE_2": "true",
                "GIT_CONFIG_KEY_3": "credential.https://git.example.username",
                "GIT_CONFIG_VALUE_3": "bot",
            },
            id="credential-entries-only-in-order",
        ),
    ],
)
async def test_ambient_config_carries_the_credential_entries_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gitconfig: str, expected: dict[str, str]
) -> None:
    user_home(tmp_path, monkeypatch, gitconfig)
    assert await ambient_credential_config() == expected


@pytest.fixture
def ssh_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real ssh-agent of our own on a socket in tmp_path, reachable through SSH_AUTH_SOCK."""
    sock = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):  # the socket appears within milliseconds
            if sock.exists():
                break
            time.sleep(0.01)
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        yield sock
    finally:
        agent.terminate()
        agent.wait()


async def test_without_a_secret_the_users_ssh_agent_answers(
    writer: GitWriter, remote: Remote, ssh_git: GitSshServer, ssh_agent: Path, tmp_path: Path
) -> None:
    key = tmp_path / "agent_key"
    key.write_bytes(ssh_git.user_key)
    key.chmod(0o600)
    subprocess.run(["ssh-add", "-q", str(key)], check=True)  # SSH_AUTH_SOCK is the agent's
    key.unlink()  # only the agent holds it now

    result = await writer.write(
        repo_url=ssh_git.url_for(remote.bare), branch=MAIN, auth=None, edits=EDIT, message="m\n"
    )

    assert result.commit == remote.tip()
