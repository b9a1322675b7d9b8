"""Commit messages, author, sign-off, and signed commits verified with `git verify-commit`."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from image_updater.changes import Change
from image_updater.errors import InvalidWriteBackConfig
from image_updater.refs import ImageRef, Tag
from image_updater.templates import compile_template
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_commit import (
    Author,
    CommitOptions,
    Signing,
    combine_messages,
    commit_args,
    commit_message,
    default_commit_template,
)

if TYPE_CHECKING:
    from conftest import Remote

WEB = Change(
    alias="web",
    old=ImageRef("ghcr.io", "org/web", Tag("1.0.0")),
    new=ImageRef("ghcr.io", "org/web", Tag("1.1.0")),
)
API = Change(alias=None, old=ImageRef("", "api", None), new=ImageRef("", "api", Tag("2.0.1")))


def test_default_message_matches_upstream() -> None:
    message = commit_message(default_commit_template(), app_name="shop", changes=[WEB, API])
    assert message == (
        "build: automatic update of shop\n\n"
        "updates image org/web tag '1.0.0' to '1.1.0'\n"
        "updates image api tag '' to '2.0.1'\n"
    )


def test_custom_message_sees_labels() -> None:
    template = compile_template("{{range .AppChanges}}{{.Image}} by {{.Labels.team}}{{end}}", name="commit")
    labels = {"ghcr.io/org/web": {"team": "frontend"}}
    assert commit_message(template, app_name="a", changes=[WEB], labels=labels) == "org/web by frontend"


def test_go_template_features_over_the_real_data() -> None:
    text = (
        "{{ .AppName }}: {{ len .AppChanges }} image{{ if gt (len .AppChanges) 1 }}s{{ end }}\n"
        '{{ range $i, $c := .AppChanges }}{{ if $i }}, {{ end }}{{ printf "%s@%s" $c.Image $c.NewTag }}'
        '{{ with index $c.Labels "org.opencontainers.image.source" }} ({{ . }}){{ end }}{{ end }}'
    )
    labels = {"ghcr.io/org/web": {"org.opencontainers.image.source": "https://github.com/org/web"}}
    message = commit_message(
        compile_template(text, name="commit"), app_name="a", changes=[WEB, API], labels=labels
    )
    assert message == "a: 2 images\norg/web@1.1.0 (https://github.com/org/web), api@2.0.1"


def test_a_misspelt_field_is_an_error_as_with_upstreams_structs() -> None:
    template = compile_template("{{ range .AppChanges }}{{ .Tag }}{{ end }}", name="commit")
    with pytest.raises(InvalidWriteBackConfig) as err:
        commit_message(template, app_name="a", changes=[WEB])
    assert str(err.value) == (
        'template: commit:1:26: executing "commit" at <.Tag>: '
        "can't evaluate field Tag in type CommitMessageChange"
    )


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        (["only\n"], "only\n"),
        (["a: one\n\nx\n", "b: two"], "build: automatic update of 2 applications\n\na: one\n\nx\n\nb: two\n"),
    ],
    ids=["single-unchanged", "batched-summary"],
)
def test_combine_messages(messages: list[str], expected: str) -> None:
    assert combine_messages(messages) == expected


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            CommitOptions(),
            ["-c", "user.name=argocd-image-updater", "-c", "user.email=noreply@argoproj.io", "commit", "-q"],
        ),
        (
            CommitOptions(signing=Signing(method="ssh", key="/k"), signoff=True),
            [
                "-c",
                "gpg.format=ssh",
                "-c",
                "user.signingkey=/k",
                "commit",
                "-q",
                "--no-verify",
                "-F",
                "-",
                "-S",
            ],
        ),
    ],
    ids=["default-author", "signed-and-signed-off"],
)
def test_commit_args(options: CommitOptions, expected: list[str]) -> None:
    args = commit_args(options)
    assert " ".join(expected) in " ".join(args)
    assert ("--signoff" in args) == options.signoff


def verify(remote: Remote, commit: str, *config: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", "--git-dir", str(remote.bare), *config, "verify-commit", "-v", commit],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


async def test_ssh_signed_commit_verifies(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth, tmp_path: Path
) -> None:
    key = tmp_path / "signing_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'noreply@argoproj.io namespaces="git" {key.with_suffix(".pub").read_text()}')
    result = await writer.write(
        repo_url=remote.http_url,
        branch=TargetBranch(base="main"),
        auth=https_auth,
        edits={"signed.txt": lambda text: "signed\n"},
        message="signed",
        signing=Signing(method="ssh", key=str(key)),
    )
    assert result.commit is not None
    out = verify(remote, result.commit, "-c", f"gpg.ssh.allowedSignersFile={allowed}")
    assert 'Good "git" signature for noreply@argoproj.io' in out


@pytest.fixture
def gnupg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    if shutil.which("gpg") is None:
        pytest.skip("gpg is not installed")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    gen = ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key"]
    uid = "Image Updater <noreply@argoproj.io>"
    subprocess.run(["gpg", *gen, uid, "ed25519", "sign", "never"], check=True, env=env, capture_output=True)
    listing = subprocess.run(
        ["gpg", "--list-secret-keys", "--with-colons"], check=True, env=env, capture_output=True, text=True
    ).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    monkeypatch.setenv("GNUPGHOME", str(home))
    try:
        yield home, fingerprint
    finally:
        subprocess.run(["gpgconf", "--kill", "gpg-agent"], env=env, check=False)


async def test_gpg_signed_commit_verifies(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth, gnupg_home: tuple[Path, str]
) -> None:
    home, fingerprint = gnupg_home
    result = await writer.write(
        repo_url=remote.http_url,
        branch=TargetBranch(base="main"),
        auth=https_auth,
        edits={"signed.txt": lambda text: "gpg\n"},
        message="gpg signed",
        author=Author(name="Image Updater", email="noreply@argoproj.io"),
        signing=Signing(method="openpgp", key=fingerprint),
    )
    assert result.commit is not None
    out = verify(remote, result.commit, env={**os.environ, "GNUPGHOME": str(home)})
    assert 'Good signature from "Image Updater <noreply@argoproj.io>"' in out


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param(
            "frontend\nSigned-off-by: mallory", "frontend\\nSigned-off-by: mallory", id="forged-trailer"
        ),
        pytest.param("\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", None, id="terminal-hyperlink"),
        pytest.param("admin\u202egnp.exe", "admin\\u202egnp.exe", id="bidi-override"),
        pytest.param("x" * 5000, None, id="5000-characters"),
    ],
)
def test_registry_text_in_a_message_is_escaped_and_bounded(value: str, shown: str | None) -> None:
    """OCI labels and names are registry/Application data: the template's own newlines stay,
    theirs are escaped (docs/security.md)."""
    template = compile_template("{{.AppName}}\n{{range .AppChanges}}{{.Labels.team}}{{end}}\n", name="commit")
    labels = {"ghcr.io/org/web": {"team": value}}
    message = commit_message(template, app_name="shop\r\nX-Evil: 1", changes=[WEB], labels=labels)
    first, second = message.splitlines()
    assert first == "shop\\r\\nX-Evil: 1"
    assert second.isprintable()
    assert len(second) <= 300
    if shown is not None:
        assert second == shown
