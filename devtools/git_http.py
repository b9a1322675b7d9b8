"""A small smart-HTTP git server for tests, benchmarks and `make demo`. Not shipped.

Wraps `/usr/lib/git-core/git-http-backend` (CGI) in a stdlib `ThreadingHTTPServer` on 127.0.0.1,
with optional Basic auth. Chunked request bodies (large pushes) are de-chunked before they reach
the backend. `requests` counts served requests per service, which benchmarks use to check how
many network round trips the client made; `authorizations` keeps every `Authorization` header
received, so tests can prove which credentials reached which server.
"""

from __future__ import annotations

import base64
import collections
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

BACKEND = "/usr/lib/git-core/git-http-backend"


@dataclass
class GitHttpServer:
    """A running server: `url_for("app.git")` gives the clone URL of a repository under `root`."""

    root: Path
    port: int
    requests: collections.Counter[str] = field(default_factory=collections.Counter)
    authorizations: list[str] = field(default_factory=list)

    def url_for(self, repo: str) -> str:
        return f"http://127.0.0.1:{self.port}/{repo}"


def _handler(server: GitHttpServer, credentials: tuple[str, str] | None) -> type[BaseHTTPRequestHandler]:
    expected = None
    if credentials is not None:
        expected = "Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            if "Authorization" in self.headers:
                server.authorizations.append(self.headers["Authorization"])
            if expected is not None and self.headers.get("Authorization") != expected:
                self._reply(401, [("WWW-Authenticate", 'Basic realm="git"')], b"authentication required\n")
                return
            body = self._read_body()
            parts = urlsplit(self.path)
            service = parts.query.partition("service=")[2] or parts.path.rsplit("/", 1)[-1]
            server.requests[service] += 1
            env = {
                "GIT_PROJECT_ROOT": str(server.root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "PATH_INFO": parts.path,
                "QUERY_STRING": parts.query,
                "REQUEST_METHOD": self.command,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(len(body)),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
                "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                "REMOTE_USER": credentials[0] if credentials else "anonymous",
                "REMOTE_ADDR": "127.0.0.1",
                "PATH": "/usr/bin:/bin",
            }
            done = subprocess.run([BACKEND], input=body, env=env, capture_output=True, check=False)
            self._relay_cgi(done.stdout)

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)

        def _relay_cgi(self, output: bytes) -> None:
            head, _, body = output.partition(b"\r\n\r\n")
            if not _:
                head, _, body = output.partition(b"\n\n")
            status, headers = 200, []
            for line in head.decode("latin-1").splitlines():
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.split()[0])
                elif key:
                    headers.append((key, value.strip()))
            self._reply(status, headers, body)

        def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def serve(root: Path, *, credentials: tuple[str, str] | None = None) -> Iterator[GitHttpServer]:
    """Serve the bare repositories under `root` until the block exits; Basic auth if `credentials`."""
    state = GitHttpServer(root=root, port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state, credentials))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, name="git-http", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def make_bare_repo(root: Path, name: str, *, files: dict[str, str], branch: str = "main") -> Path:
    """Create `root/name` (bare) whose `branch` holds `files` in one commit; pushes allowed anonymously."""
    bare = root / name
    subprocess.run(["git", "init", "-q", "--bare", "-b", branch, str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "config", "http.receivepack", "true"], check=True)
    seed = root / f".seed-{name}"
    subprocess.run(["git", "init", "-q", "-b", branch, str(seed)], check=True)
    for rel, text in files.items():
        (seed / rel).parent.mkdir(parents=True, exist_ok=True)
        (seed / rel).write_text(text)
    env_args = ["-c", "user.name=seed", "-c", "user.email=seed@example.com"]
    subprocess.run(["git", "-C", str(seed), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(seed), *env_args, "commit", "-q", "-m", "initial"], check=True)
    subprocess.run(["git", "-C", str(seed), "push", "-q", str(bare), f"HEAD:refs/heads/{branch}"], check=True)
    subprocess.run(["rm", "-rf", str(seed)], check=True)
    return bare


if __name__ == "__main__":
    import sys
    import tempfile
    import time

    with tempfile.TemporaryDirectory() as tmp:
        make_bare_repo(Path(tmp), "demo.git", files={"README.md": "demo\n"})
        with serve(Path(tmp), credentials=("git", "git")) as srv:
            print(f"serving {srv.url_for('demo.git')} (user git, password git); Ctrl-C to stop")
            sys.stdout.flush()
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
