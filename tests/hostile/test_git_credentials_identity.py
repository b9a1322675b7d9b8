"""Each git job is pushed with exactly its own credentials (docs/security.md, "Secret owners").

Applications on one repository branch whose credentials differ only in the secret (same user
name, so the same `repr`) must not share a push: each push uses its own key or password, the one
with a bad credential fails alone with a one-line error, the other lands. Real servers: the
smart-HTTP server with Basic auth and sshd, whose `authorized_keys` marks which key logged in.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools import git_http, git_ssh
from image_updater import annotations, applications, refs
from image_updater.changes import Change
from image_updater.refs import Tag
from image_updater.runtime.appsources import RepoCredsFromSecrets
from image_updater.runtime.writing import CommitSettings, PendingApp, WriteBack, Written
from image_updater.sources.secret_files import SecretFiles
from image_updater.templates import compile_template
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_commit import DEFAULT_COMMIT_TEMPLATE
from image_updater.writeback.git_repo import GitRepoCache
from tests.runtime.conftest import application

USER, PASSWORD = "bot", "right-pa55word"
FILES = {f"apps/{name}/kustomization.yaml": "resources: []\n" for name in ("a1", "a2", "a3")}
_names = itertools.count()


def _pending(name: str, *, repo_url: str, secret: str) -> PendingApp:
    manifest = application(
        name,
        annotations={"image-list": "x=quay.io/org/web", "write-back-method": f"git:secret:argocd/{secret}"},
        source={"repoURL": repo_url, "path": f"apps/{name}", "targetRevision": "main", "kustomize": {}},
    )
    app = applications.from_manifest(manifest)
    settings = annotations.parse(app.annotations, app=app.key, namespace=app.namespace)
    change = Change(
        alias="x",
        old=refs.parse_image("quay.io/org/web:1.0"),
        new=refs.ImageRef("quay.io", "org/web", Tag("1.1")),
    )
    return PendingApp(app=app, settings=settings, changes=((settings.images[0], change),))


def _writeback(tmp: Path, secrets: dict[str, str], *, known_hosts: str | None = None) -> WriteBack:
    folder = tmp / "secrets"
    folder.mkdir()
    for name, string_data in secrets.items():
        (folder / f"{name}.yaml").write_text(
            f"apiVersion: v1\nkind: Secret\nmetadata: {{name: {name}, namespace: argocd}}\n"
            f"stringData:\n{string_data}"
        )
    files = SecretFiles(folder)
    return WriteBack(
        git=GitWriter(cache=GitRepoCache(tmp / "work"), known_hosts=known_hosts),
        api=None,
        secrets=files,
        repo_creds=RepoCredsFromSecrets(files=files, namespace="argocd"),
        commit=CommitSettings(template=compile_template(DEFAULT_COMMIT_TEMPLATE, name="default")),
        controller_namespace="argocd",
        dry_run=False,
    )


def _by_app(written: list[Written]) -> dict[str, Written]:
    return {w.app.name: w for w in written}


def _changed(bare: Path) -> list[str]:
    """The files each commit on `main` touched, oldest first (the seed commit excluded)."""
    log = ["git", "--git-dir", str(bare), "log", "--reverse", "--format=%H", "main"]
    commits = subprocess.run(log, capture_output=True, text=True, check=True).stdout.split()[1:]
    show = ["git", "--git-dir", str(bare), "show", "--name-only", "--format="]
    return [
        subprocess.run([*show, c], capture_output=True, text=True, check=True).stdout.strip() for c in commits
    ]


def _password(password: str) -> str:
    return f"  username: {USER}\n  password: {password}\n"


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, git_http.GitHttpServer]]:
    root = tmp_path_factory.mktemp("http-remotes")
    with git_http.serve(root, credentials=(USER, PASSWORD)) as server:
        yield root, server


@pytest.mark.parametrize("order", [("good", "bad"), ("bad", "good")], ids=["good-first", "bad-first"])
async def test_a_wrong_password_fails_alone_on_a_shared_branch(
    http_server: tuple[Path, git_http.GitHttpServer], tmp_path: Path, order: tuple[str, str]
) -> None:
    root, server = http_server
    name = f"shared-{next(_names)}.git"
    bare = git_http.make_bare_repo(root, name, files=FILES)
    secrets = {"good": _password(PASSWORD), "bad": _password("wrong-pa55word")}
    apps = {"a1": "good", "a2": "bad"}
    pending = [_pending(app, repo_url=server.url_for(name), secret=apps[app]) for app in ("a1", "a2")]
    pending.sort(key=lambda p: order.index(apps[p.app.name]))

    written = _by_app(await _writeback(tmp_path, secrets).write_all(pending))

    assert written["a1"].error is None
    assert written["a1"].commit
    error = str(written["a2"].error)
    assert "\n" not in error
    assert "wrong-pa55word" not in error
    assert "Authentication failed" in error
    assert _changed(bare) == ["apps/a1/.argocd-source-a1.yaml"]


def _marked_keys(state: Path, keys: dict[str, Path], log: Path) -> None:
    """Authorize each key with a forced command that logs its name, then runs what git asked for."""
    lines = []
    for marker, key in keys.items():
        public = key.with_suffix(".pub").read_text().strip()
        command = f'echo {marker} \\"$SSH_ORIGINAL_COMMAND\\" >> {log}; eval \\"$SSH_ORIGINAL_COMMAND\\"'
        lines.append(f'command="{command}" {public}\n')
    (state / "authorized_keys").write_text("".join(lines))


def _keygen(path: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", path.name, "-f", str(path)], check=True
    )
    return path


def _ssh_key(path: Path) -> str:
    body = "".join(f"    {line}\n" for line in path.read_text().splitlines())
    return f"  sshPrivateKey: |\n{body}"


@pytest.fixture
def agent_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], None]]:
    """An ssh-agent of our own, in SSH_AUTH_SOCK: the operator's ambient identity."""
    sock = tmp_path / "agent.sock"
    with subprocess.Popen(["ssh-agent", "-D", "-a", str(sock)], stdout=subprocess.DEVNULL) as agent:
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}

        def add(key: Path) -> None:
            for _ in range(200):  # the agent creates its socket shortly after it starts
                if subprocess.run(["ssh-add", "-q", str(key)], env=env, capture_output=True).returncode == 0:
                    return
                time.sleep(0.02)
            pytest.fail("ssh-agent did not take the key")

        yield add
        agent.terminate()


async def test_a_wrong_key_gets_no_fallback_to_the_operators_agent(
    tmp_path: Path, agent_with: Callable[[Path], None]
) -> None:
    # Without a Secret git uses the machine's own credentials (write-back.md); with one, only it.
    state, root = tmp_path / "sshd", tmp_path / "remotes"
    state.mkdir()
    root.mkdir()
    bare = git_http.make_bare_repo(root, "private.git", files=FILES)
    operator, stranger = _keygen(tmp_path / "operator-key"), _keygen(tmp_path / "stranger")
    log = tmp_path / "logins"
    with git_ssh.serve(state) as server:
        _marked_keys(state, {"operator": operator}, log)
        agent_with(operator)
        pending = [_pending("a1", repo_url=server.url_for(bare), secret="stranger")]
        secrets = {"stranger": _ssh_key(stranger)}
        written = _by_app(
            await _writeback(tmp_path, secrets, known_hosts=server.known_hosts).write_all(pending)
        )

    assert "Permission denied" in str(written["a1"].error)
    assert not log.exists()  # the operator's key never logged in
    assert _changed(bare) == []


async def test_each_ssh_push_uses_its_own_key(tmp_path: Path) -> None:
    state, keys = tmp_path / "sshd", tmp_path / "keys"
    state.mkdir()
    keys.mkdir()
    root = tmp_path / "remotes"
    root.mkdir()
    bare = git_http.make_bare_repo(root, "shared.git", files=FILES)
    a, b, stranger = _keygen(keys / "key-a"), _keygen(keys / "key-b"), _keygen(keys / "stranger")
    log = tmp_path / "logins"
    with git_ssh.serve(state) as server:
        _marked_keys(state, {"key-a": a, "key-b": b}, log)
        secrets = {"key-a": _ssh_key(a), "key-b": _ssh_key(b), "stranger": _ssh_key(stranger)}
        url = server.url_for(bare)
        pending = [
            _pending("a1", repo_url=url, secret="key-a"),
            _pending("a2", repo_url=url, secret="key-b"),
            _pending("a3", repo_url=url, secret="stranger"),
        ]
        written = _by_app(
            await _writeback(tmp_path, secrets, known_hosts=server.known_hosts).write_all(pending)
        )

    assert written["a1"].error is None
    assert written["a1"].commit
    assert written["a2"].error is None
    assert written["a2"].commit
    assert written["a1"].commit != written["a2"].commit
    error = str(written["a3"].error)
    assert "Permission denied" in error
    assert "\n" not in error
    assert "PRIVATE KEY" not in error
    logins = log.read_text().splitlines()
    pushes = [line.split()[0] for line in logins if "git-receive-pack" in line]
    # pushes are serialised per branch, so the n-th push made the n-th commit
    assert dict(zip(pushes, _changed(bare), strict=True)) == {
        "key-a": "apps/a1/.argocd-source-a1.yaml",
        "key-b": "apps/a2/.argocd-source-a2.yaml",
    }
