"""Credentials on the wire: SSH keys and host-key checking, and no secret in config, argv or errors."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from devtools.git_ssh import GitSshServer
from image_updater.errors import GitError, InvalidWriteBackConfig
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth, SshKeyAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_cli import GitTrace
from image_updater.writeback.git_repo import GitRepoCache

if TYPE_CHECKING:
    from conftest import Remote

MAIN = TargetBranch(base="main")


def tagged(tag: str) -> dict[str, object]:
    return {"apps/guestbook/values.yaml": lambda text: f"image:\n  tag: {tag}\n"}


@pytest.mark.parametrize("pinned", [True, False], ids=["known-hosts-pinned", "accept-new"])
async def test_push_over_ssh_with_a_key(
    writer: GitWriter, remote: Remote, ssh_git: GitSshServer, pinned: bool
) -> None:
    auth = SshKeyAuth(private_key=ssh_git.user_key, known_hosts=ssh_git.known_hosts if pinned else None)
    result = await writer.write(
        repo_url=ssh_git.url_for(remote.bare),
        branch=MAIN,
        auth=auth,
        edits=tagged("5.0.0"),
        message="over ssh",
    )
    assert result.commit == remote.tip()
    assert remote.show("apps/guestbook/values.yaml") == "image:\n  tag: 5.0.0\n"
    learnt = writer.cache.known_hosts_file
    assert learnt.exists() != pinned  # accept-new remembers the host key in the cache
    ssh_commands = [a for a in writer.trace.argv if "push" in a or "fetch" in a]
    assert all(ssh_git.user_key.decode().splitlines()[1] not in " ".join(a) for a in ssh_commands)


def _key_descriptors() -> list[Path]:
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = Path("/proc/self/fd", name)
        with contextlib.suppress(FileNotFoundError):  # the listing's own descriptor is gone already
            if "image-updater-ssh-key" in os.readlink(fd):
                found.append(fd)
    return found


async def test_ssh_key_is_held_in_memory_only_during_the_write(
    writer: GitWriter, remote: Remote, ssh_git: GitSshServer
) -> None:
    # Deliberate change: the key used to be a 0600 file in a temp dir; now it never reaches a
    # filesystem (a memfd), so nothing can be left behind (tests/hostile/test_ssh_key_lifetime.py).
    during: list[tuple[int, bytes]] = []

    def edit(text: str | None) -> str | None:
        during.extend((fd.stat().st_mode & 0o777, fd.read_bytes()) for fd in _key_descriptors())
        return "changed\n"

    auth = SshKeyAuth(private_key=ssh_git.user_key, known_hosts=ssh_git.known_hosts)
    await writer.write(
        repo_url=ssh_git.url_for(remote.bare), branch=MAIN, auth=auth, edits={"x": edit}, message="m"
    )
    assert during == [(0o600, ssh_git.user_key)]
    assert _key_descriptors() == []


async def test_wrong_pinned_host_key_is_refused(
    writer: GitWriter, remote: Remote, ssh_git: GitSshServer
) -> None:
    other_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBSdc4zW2M9Ay1Yd1kQ3VtPjbjQZzqmsWDD0vTYCr5j7"
    impostor = f"[127.0.0.1]:{ssh_git.port} {other_key}\n"
    auth = SshKeyAuth(private_key=ssh_git.user_key, known_hosts=impostor)
    with pytest.raises(
        GitError, match=r"fetch failed: .*(Host key verification failed|REMOTE HOST IDENTIFICATION)"
    ):
        await writer.write(
            repo_url=ssh_git.url_for(remote.bare), branch=MAIN, auth=auth, edits=tagged("6.0.0"), message="m"
        )


async def test_wrong_ssh_key_is_a_clear_error_without_the_key(
    writer: GitWriter, remote: Remote, ssh_git: GitSshServer, tmp_path: Path
) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True)
    key = (tmp_path / "other").read_bytes()
    auth = SshKeyAuth(private_key=key, known_hosts=ssh_git.known_hosts)
    with pytest.raises(GitError) as err:
        await writer.write(
            repo_url=ssh_git.url_for(remote.bare), branch=MAIN, auth=auth, edits=tagged("6.0.0"), message="m"
        )
    assert "Permission denied" in str(err.value)
    for line in key.decode().splitlines()[1:-1]:
        assert line not in str(err.value)


async def test_no_credential_in_git_config_argv_or_errors(
    writer: GitWriter, trace: GitTrace, remote: Remote, https_auth: HttpsAuth
) -> None:
    await writer.write(
        repo_url=remote.http_url, branch=MAIN, auth=https_auth, edits=tagged("7.0.0"), message="m"
    )
    wrong = HttpsAuth(username=https_auth.username, password="another-secret-value")
    with pytest.raises(GitError) as err:
        await writer.write(
            repo_url=remote.http_url, branch=MAIN, auth=wrong, edits=tagged("7.1.0"), message="m"
        )
    forbidden = ["pa55-w0rd-very-secret", "another-secret-value", "cGE1NS13MHJk", "Authorization"]
    everything_on_disk = "".join(
        p.read_text(errors="replace")
        for p in writer.cache.workdir.rglob("*")
        if p.is_file() and p.stat().st_size < 1e6
    )
    argv = " ".join(" ".join(a) for a in trace.argv)
    assert trace.counts["push"] == 1
    for secret in forbidden:
        assert secret not in argv, secret
        assert secret not in str(err.value), secret
        assert secret not in everything_on_disk, secret
    assert remote.http_url in (writer.cache.repo_dir(remote.http_url) / "config").read_text()


async def test_url_with_embedded_password_is_refused(writer: GitWriter, remote: Remote) -> None:
    url = remote.http_url.replace("http://", "http://bot:hunter2@")
    with pytest.raises(InvalidWriteBackConfig) as err:
        await writer.write(repo_url=url, branch=MAIN, auth=None, edits=tagged("1"), message="m")
    assert "hunter2" not in str(err.value)
    assert "secret" in str(err.value)


@pytest.mark.parametrize("genuine", [True, False], ids=["argocd-known-hosts", "impostor"])
async def test_writer_wide_known_hosts_pin_every_ssh_remote(
    tmp_path: Path, trace: GitTrace, remote: Remote, ssh_git: GitSshServer, genuine: bool
) -> None:
    other_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBSdc4zW2M9Ay1Yd1kQ3VtPjbjQZzqmsWDD0vTYCr5j7"
    pinned = ssh_git.known_hosts if genuine else f"[127.0.0.1]:{ssh_git.port} {other_key}\n"
    writer = GitWriter(cache=GitRepoCache(tmp_path / "cache"), trace=trace, known_hosts=pinned)
    auth = SshKeyAuth(private_key=ssh_git.user_key)  # the credentials pin nothing themselves
    write = writer.write(
        repo_url=ssh_git.url_for(remote.bare), branch=MAIN, auth=auth, edits=tagged("7.0.0"), message="m"
    )
    if genuine:
        assert (await write).commit == remote.tip()
        assert not writer.cache.known_hosts_file.exists()  # nothing learnt on first use
    else:
        with pytest.raises(GitError, match=r"Host key verification failed|REMOTE HOST IDENTIFICATION"):
            await write
