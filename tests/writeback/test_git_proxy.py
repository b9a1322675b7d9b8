"""git behind HTTP(S)_PROXY: the variables git's libcurl gets follow Go's reading (a table), a push
to an http remote goes through a real recording proxy (devtools.proxy), loopback stays direct, and
over https the proxy sees only the CONNECT request, never the Authorization header."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from devtools.proxy import ProxyStub
from image_updater.errors import GitError
from image_updater.writeback.git import GitWriter
from image_updater.writeback.git_auth import HttpsAuth
from image_updater.writeback.git_branches import TargetBranch
from image_updater.writeback.git_proxy import proxy_environment

if TYPE_CHECKING:
    from conftest import Remote

MAIN = TargetBranch(base="main")
HOST = "git.test"  # not loopback, so the proxy is used; the proxy routes it to 127.0.0.1
LOOPBACK = "localhost,127.0.0.0/8,::1"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param({}, {}, id="none"),
        pytest.param(
            {"HTTP_PROXY": "http://p:3128"},
            {"http_proxy": "http://p:3128", "no_proxy": LOOPBACK},
            id="upper-case-HTTP_PROXY-told-in-lower-case",
        ),
        pytest.param(
            {
                "https_proxy": "p:1",
                "HTTPS_PROXY": "q:2",
                "no_proxy": "a.io",
                "NO_PROXY": "B.io, *.c.io,10.0.0.0/8",
            },
            {"https_proxy": "q:2", "no_proxy": f"b.io,.c.io,10.0.0.0/8,{LOOPBACK}"},
            id="upper-case-wins-and-wildcards",
        ),
        pytest.param({"HTTPS_PROXY": "q:2", "NO_PROXY": "x.io,*"}, {}, id="star-means-no-proxy"),
        pytest.param({"HTTP_PROXY": "p:1", "REQUEST_METHOD": "GET"}, {}, id="cgi-drops-HTTP_PROXY"),
        pytest.param({"ALL_PROXY": "socks5://p:1"}, {}, id="ALL_PROXY-is-not-Gos"),
    ],
)
def test_proxy_environment(environ: dict[str, str], expected: dict[str, str]) -> None:
    assert proxy_environment(environ) == expected


def port_of(remote: Remote) -> int:
    return int(remote.http_url.split("/")[2].rpartition(":")[2])


async def test_an_http_remote_is_reached_through_HTTP_PROXY(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = port_of(remote)
    async with ProxyStub(routes={f"{HOST}:{port}": port}).running() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        result = await writer.write(
            repo_url=remote.http_url.replace("127.0.0.1", HOST),
            branch=MAIN,
            auth=https_auth,
            edits={"apps/guestbook/values.yaml": lambda text: "image:\n  tag: 7.0.0\n"},
            message="through the proxy",
        )
    assert result.commit == remote.tip()
    assert {s.target.split("/")[2] for s in proxy.seen} == {f"{HOST}:{port}"}
    assert {s.method for s in proxy.seen} >= {"GET", "POST"}  # fetch and push


async def test_a_loopback_remote_is_reached_directly(
    writer: GitWriter, remote: Remote, https_auth: HttpsAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with ProxyStub(routes={}).running() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        result = await writer.write(
            repo_url=remote.http_url,
            branch=MAIN,
            auth=https_auth,
            edits={"apps/guestbook/values.yaml": lambda text: "image:\n  tag: 7.0.1\n"},
            message="direct",
        )
    assert result.commit == remote.tip()
    assert proxy.seen == []


async def test_over_https_the_proxy_sees_no_credentials(
    writer: GitWriter, https_auth: HttpsAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with ProxyStub(routes={}).running() as proxy:  # no route: the tunnel is refused
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        with pytest.raises(GitError):
            await writer.write(
                repo_url=f"https://{HOST}/org/repo.git",
                branch=MAIN,
                auth=https_auth,
                edits={"a.yaml": lambda text: "a: 1\n"},
                message="never sent",
            )
    assert proxy.seen
    assert {(s.method, s.target) for s in proxy.seen} == {("CONNECT", f"{HOST}:443")}
    assert [s for s in proxy.seen if "authorization" in s.headers] == []
    assert https_auth.password not in repr(proxy.seen)
