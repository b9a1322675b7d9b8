"""ProxyRules against Go's own tables (golang.org/x/net/http/httpproxy proxy_test.go:
proxyForURLTests, UseProxyTests with its NO_PROXY list, TestInvalidNoProxy, TestAllNoProxy), plus
the environment names, proxy credentials and the schemes we cannot serve."""

from __future__ import annotations

import base64

import pytest

from image_updater.errors import InvalidProxyConfig
from image_updater.settings.proxies import Proxy, ProxyRules

GO_NO_PROXY = (
    "foobar.com, .barbaz.net, *.wildcard.io, 192.168.1.1, 192.168.1.2:81, 192.168.1.3:80, 10.0.0.0/30, "
    "2001:db8::52:0:1, [2001:db8::52:0:2]:443, [2001:db8::52:0:3]:80, 2002:db8:a::45/64"
)

# Go's UseProxyTests: host (requested on port 80) -> whether it goes through the proxy.
GO_USE_PROXY = [
    ("localhost", False),
    ("127.0.0.1", False),
    ("127.0.0.2", False),
    ("[::1]", False),
    ("[::2]", True),
    ("192.168.1.1", False),
    ("192.168.1.2", True),
    ("192.168.1.3", False),
    ("192.168.1.4", True),
    ("10.0.0.2", False),
    ("[2001:db8::52:0:1]", False),
    ("[2001:db8::52:0:2]", True),
    ("[2001:db8::52:0:3]", False),
    ("[2002:db8:a::123]", False),
    ("[fe80::424b:c8be:1643:a1b6]", True),
    ("barbaz.net", True),
    ("www.barbaz.net", False),
    ("foobar.com", False),
    ("www.foobar.com", False),
    ("foofoobar.com", True),
    ("baz.com", True),
    ("localhost.net", True),
    ("local.localhost", True),
    ("barbarbaz.net", True),
    ("wildcard.io", True),
    ("nested.wildcard.io", False),
    ("awildcard.io", True),
]


def proxied(no_proxy: str, url: str) -> bool:
    rules = ProxyRules.from_environ({"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": no_proxy})
    return rules.for_url(url) is not None


@pytest.mark.parametrize(("host", "expected"), GO_USE_PROXY, ids=[h for h, _ in GO_USE_PROXY])
def test_go_use_proxy_table(host: str, expected: bool) -> None:
    assert proxied(GO_NO_PROXY, f"http://{host}:80/v2/") is expected


@pytest.mark.parametrize(("host", "_"), GO_USE_PROXY, ids=[h for h, _ in GO_USE_PROXY])
def test_star_proxies_nothing(host: str, _: bool) -> None:
    assert proxied("*", f"http://{host}:80/v2/") is False


def test_an_entry_without_host_is_skipped() -> None:
    assert proxied(":1", "http://example.com/") is True


@pytest.mark.parametrize(
    ("environ", "url", "expected"),
    [
        pytest.param(
            {"HTTP_PROXY": "127.0.0.1:8080"}, "http://example.com", "http://127.0.0.1:8080", id="ip-no-scheme"
        ),
        pytest.param(
            {"HTTP_PROXY": "cache.corp.example.com:1234"},
            "http://example.com",
            "http://cache.corp.example.com:1234",
            id="host-port",
        ),
        pytest.param(
            {"HTTP_PROXY": "cache.corp.example.com"},
            "http://example.com",
            "http://cache.corp.example.com",
            id="host",
        ),
        pytest.param(
            {"HTTP_PROXY": "localhost"}, "http://example.com", "http://localhost", id="single-label"
        ),
        pytest.param(
            {"HTTP_PROXY": "https://cache.corp.example.com"},
            "http://example.com",
            "https://cache.corp.example.com",
            id="https-proxy",
        ),
        pytest.param(
            {"HTTP_PROXY": "http.proxy.tld", "HTTPS_PROXY": "secure.proxy.tld"},
            "http://insecure.tld/",
            "http://http.proxy.tld",
            id="http-uses-HTTP_PROXY",
        ),
        pytest.param(
            {"HTTP_PROXY": "http.proxy.tld", "HTTPS_PROXY": "secure.proxy.tld"},
            "https://secure.tld/",
            "http://secure.proxy.tld",
            id="https-uses-HTTPS_PROXY",
        ),
        pytest.param(
            {"HTTP_PROXY": "http.proxy.tld"}, "https://secure.tld/", None, id="no-fallback-to-HTTP_PROXY"
        ),
        pytest.param({"HTTP_PROXY": "http.proxy.tld"}, "ftp://insecure.tld/", None, id="other-scheme"),
        pytest.param(
            {"HTTPS_PROXY": "https://secure.proxy.tld", "REQUEST_METHOD": "GET"},
            "https://secure.tld/",
            "https://secure.proxy.tld",
            id="cgi-keeps-HTTPS_PROXY",
        ),
        pytest.param({}, "http://example.com", None, id="nothing-set"),
        pytest.param(
            {"NO_PROXY": "example.com", "HTTP_PROXY": "proxy"},
            "http://example.com/",
            None,
            id="domain-itself",
        ),
        pytest.param(
            {"NO_PROXY": ".example.com", "HTTP_PROXY": "proxy"},
            "http://example.com/",
            "http://proxy",
            id="dot-only-subdomains",
        ),
        pytest.param(
            {"NO_PROXY": "ample.com", "HTTP_PROXY": "proxy"},
            "http://example.com/",
            "http://proxy",
            id="not-a-label-suffix",
        ),
        pytest.param(
            {"NO_PROXY": "example.com", "HTTP_PROXY": "proxy"},
            "http://foo.example.com/",
            None,
            id="subdomain",
        ),
        pytest.param(
            {"NO_PROXY": ".foo.com", "HTTP_PROXY": "proxy"},
            "http://example.com/",
            "http://proxy",
            id="other-domain",
        ),
        pytest.param(
            {"NO_PROXY": ".示例.com", "HTTP_PROXY": "proxy"}, "http://www.示例.com", None, id="idna-both"
        ),
        pytest.param(
            {"NO_PROXY": "xn--fsq092h.com", "HTTP_PROXY": "proxy"},
            "http://www.示例.com",
            None,
            id="idna-ascii-entry",
        ),
        pytest.param(
            {"NO_PROXY": "示例.com", "HTTP_PROXY": "proxy"},
            "http://www.xn--fsq092h.com",
            None,
            id="idna-unicode-entry",
        ),
        # Beyond Go's table: ports, case, lower-case names and precedence.
        pytest.param(
            {"NO_PROXY": "registry.local:5000", "HTTP_PROXY": "proxy"},
            "http://registry.local:5000/",
            None,
            id="domain-port-match",
        ),
        pytest.param(
            {"NO_PROXY": "registry.local:5000", "HTTP_PROXY": "proxy"},
            "http://registry.local/",
            "http://proxy",
            id="domain-port-mismatch",
        ),
        pytest.param(
            {"NO_PROXY": "Registry.Local", "HTTP_PROXY": "proxy"},
            "http://REGISTRY.local/",
            None,
            id="case-insensitive",
        ),
        pytest.param(
            {"https_proxy": "lower:1", "no_proxy": "x.io"},
            "https://ghcr.io/",
            "http://lower:1",
            id="lower-case-names",
        ),
        pytest.param(
            {"https_proxy": "lower:1", "HTTPS_PROXY": "upper:2"},
            "https://ghcr.io/",
            "http://upper:2",
            id="upper-case-wins",
        ),
        pytest.param(
            {"HTTPS_PROXY": "", "https_proxy": "lower:1"},
            "https://ghcr.io/",
            "http://lower:1",
            id="empty-is-unset",
        ),
        pytest.param(
            {"NO_PROXY": "ghcr.io", "no_proxy": "", "HTTPS_PROXY": "p"},
            "https://ghcr.io/",
            None,
            id="NO_PROXY-upper",
        ),
    ],
)
def test_go_proxy_for_url_table(environ: dict[str, str], url: str, expected: str | None) -> None:
    proxy = ProxyRules.from_environ(environ).for_url(url)
    assert (proxy.url if proxy else None) == expected


def test_cgi_refuses_http_proxy() -> None:
    rules = ProxyRules.from_environ({"HTTP_PROXY": "http://10.1.2.3:8080", "REQUEST_METHOD": "GET"})
    with pytest.raises(InvalidProxyConfig, match="REQUEST_METHOD"):
        rules.for_url("http://example.com/")


def test_proxy_credentials_become_a_proxy_authorization_header() -> None:
    proxy = ProxyRules.from_environ({"HTTPS_PROXY": "http://us%40er:p%3Ass@proxy:3128"}).for_url(
        "https://ghcr.io/"
    )
    assert proxy == Proxy(
        url="http://proxy:3128", authorization="Basic " + base64.b64encode(b"us@er:p:ss").decode()
    )
    assert "p:ss" not in repr(proxy)
    assert "cDpzcw" not in repr(proxy)


@pytest.mark.parametrize("value", ["socks5://user:secret@127.0.0.1:1080", "foo://host"])
def test_unsupported_proxy_schemes_fail_at_start_without_credentials(value: str) -> None:
    with pytest.raises(InvalidProxyConfig, match="HTTPS_PROXY") as caught:
        ProxyRules.from_environ({"HTTPS_PROXY": value})
    assert "secret" not in str(caught.value)
