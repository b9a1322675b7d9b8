"""A git server that redirects must not carry our credentials to another origin
(docs/security.md, "Git servers").

A front on one loopback port answers every request with a redirect to a real smart-HTTP git
server on another port, which accepts the same credentials and records every `Authorization`
header it receives. Git is run with `http.followRedirects=false`, so the write fails with a
one-line error, the second server never sees a credential (nor any request), and a write to
another repository in the same cycle goes through.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from devtools import git_http
from image_updater.errors import GitError
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from tests.hostile.conftest import GIT_PASSWORD, GIT_USER, SAMPLE_FILES, HostileRemote

MAIN = TargetBranch(base="main")


@contextmanager
def redirecting_front(status: int, to: str) -> Iterator[str]:
    """Serve on 127.0.0.1 (a free port) answering `status` with `Location: <to><path>`; its base URL."""

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Location", to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    thread = threading.Thread(target=httpd.serve_forever, name="redirect-front", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_credentials_never_follow_a_redirect_to_another_origin(
    writer: GitWriter,
    new_remote: Callable[[], HostileRemote],
    auth: HttpsAuth,
    tmp_path: Path,
    status: int,
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    git_http.make_bare_repo(elsewhere, "repo.git", files=SAMPLE_FILES)
    other = new_remote()
    with (
        git_http.serve(elsewhere, credentials=(GIT_USER, GIT_PASSWORD)) as thief,
        redirecting_front(status, f"http://127.0.0.1:{thief.port}") as front,
    ):
        bad, good = await asyncio.gather(
            writer.write(
                repo_url=f"{front}/repo.git",
                branch=MAIN,
                auth=auth,
                edits={"README.md": lambda text: "stolen\n"},
                message="x",
            ),
            writer.write(
                repo_url=other.url,
                branch=MAIN,
                auth=auth,
                edits={"README.md": lambda text: "fine\n"},
                message="fine",
            ),
            return_exceptions=True,
        )
    assert isinstance(bad, GitError), bad
    assert "\n" not in str(bad)
    assert f"returned error: {status} (a redirect: not followed" in str(bad)
    assert GIT_PASSWORD not in str(bad)
    assert thief.authorizations == []
    assert sum(thief.requests.values()) == 0
    assert not isinstance(good, BaseException)
    assert other.show("README.md") == "fine\n"
