"""Which proxy a registry request goes through: Go's `http.ProxyFromEnvironment`, rule for rule.

argocd-image-updater's registry client is Go's net/http, so its users' `HTTPS_PROXY`,
`HTTP_PROXY` and `NO_PROXY` (or the lowercase names; the uppercase one wins when both are set)
mean what golang.org/x/net/http/httpproxy says:

- `https://` requests use `HTTPS_PROXY` only, `http://` requests `HTTP_PROXY` only (which is
  refused, as by Go, when `REQUEST_METHOD` says we run as a CGI script).
- A proxy value without a scheme is `http://<value>`. Only http and https proxies are supported
  (aiohttp has no SOCKS); another scheme is a configuration error at start-up.
- Never proxied: `localhost` and loopback addresses, whatever `NO_PROXY` says.
- `NO_PROXY` is a comma-separated list: `*` (nothing is proxied); an IP address or CIDR block,
  optionally with a port (`10.0.0.1`, `[::1]:5000`, `10.0.0.0/8`); a domain that matches itself
  and its subdomains (`example.com`), or with a leading `.` or `*.` only its subdomains, each
  optionally with a port (`registry.local:5000`). Other entries are skipped, as by Go.

aiohttp's own `trust_env` differs (it reads `NO_PROXY` through urllib, which knows neither CIDR
blocks nor the loopback rule), so the registry transport passes the proxy this module picks per
request; git gets libcurl variables built from the same reading (writeback/git_proxy.py). Proxy
credentials (`http://user:pass@proxy`) become a `Proxy-Authorization` header, as Go sends.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from image_updater.errors import InvalidProxyConfig

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_DEFAULT_PORTS = {"http": "80", "https": "443"}


@dataclass(frozen=True, slots=True)
class Proxy:
    """A proxy to send through: its URL without credentials, and the header carrying them."""

    url: str
    authorization: str | None = None

    def __repr__(self) -> str:
        return f"Proxy(url={self.url!r}, authorization={'<hidden>' if self.authorization else None})"


@dataclass(frozen=True, slots=True)
class _Exclusion:
    """One `NO_PROXY` entry: a network, an address or a domain suffix, with an optional port."""

    network: IPNetwork | None = None
    address: IPAddress | None = None
    domain: str = ""  # always starts with "."
    match_bare: bool = False  # `example.com` also matches `example.com` itself
    port: str = ""

    def matches(self, host: str, port: str, ip: IPAddress | None) -> bool:
        if self.network is not None:
            return ip is not None and ip in self.network
        if self.port and self.port != port:
            return False
        if self.address is not None:
            return ip is not None and ip == self.address
        return host.endswith(self.domain) or (self.match_bare and host == self.domain[1:])


@dataclass(frozen=True, slots=True)
class ProxyRules:
    """The proxy settings of the environment, parsed once; `for_url` decides per request."""

    http: Proxy | None = None
    https: Proxy | None = None
    exclusions: tuple[_Exclusion, ...] = ()
    bypass_all: bool = False
    cgi: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ProxyRules:
        """Read HTTP(S)_PROXY / NO_PROXY (upper case first, then lower case) and REQUEST_METHOD."""
        values = ProxyVariables.from_environ(environ)
        return cls(
            http=_parse_proxy(values.http, name="HTTP_PROXY"),
            https=_parse_proxy(values.https, name="HTTPS_PROXY"),
            exclusions=tuple(e for e in map(_exclusion, values.no_proxy) if e is not None),
            bypass_all="*" in values.no_proxy,
            cgi=values.cgi,
        )

    def for_url(self, url: str) -> Proxy | None:
        """The proxy for `url`, or None to connect directly."""
        parts = urlsplit(url)
        proxy = {"https": self.https, "http": self.http}.get(parts.scheme)
        if proxy is None:
            return None
        if parts.scheme == "http" and self.cgi:
            raise InvalidProxyConfig(
                "refusing to use HTTP_PROXY while REQUEST_METHOD is set (a CGI environment, where a "
                "client could set it); unset REQUEST_METHOD"
            )
        host = _idna((parts.hostname or "").lower())
        port = str(parts.port) if parts.port else _DEFAULT_PORTS[parts.scheme]
        return proxy if self._use_proxy(host, port) else None

    def _use_proxy(self, host: str, port: str) -> bool:
        if host == "localhost" or self.bypass_all:
            return False
        ip = _ip(host)
        if ip is not None and ip.is_loopback:
            return False
        return not any(exclusion.matches(host, port, ip) for exclusion in self.exclusions)


@dataclass(frozen=True, slots=True)
class ProxyVariables:
    """The raw settings, as Go's FromEnvironment reads them; `no_proxy` trimmed and lower-cased."""

    http: str = ""
    https: str = ""
    no_proxy: tuple[str, ...] = ()
    cgi: bool = False

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ProxyVariables:
        no_proxy = _first(environ, "NO_PROXY", "no_proxy")
        return cls(
            http=_first(environ, "HTTP_PROXY", "http_proxy"),
            https=_first(environ, "HTTPS_PROXY", "https_proxy"),
            no_proxy=tuple(e for e in (entry.strip().lower() for entry in no_proxy.split(",")) if e),
            cgi=bool(environ.get("REQUEST_METHOD")),
        )


def _first(environ: Mapping[str, str], *names: str) -> str:
    return next((environ[name] for name in names if environ.get(name)), "")


def _parse_proxy(value: str, *, name: str) -> Proxy | None:
    if not value:
        return None
    parts = urlsplit(value)
    if not parts.scheme or not parts.netloc:
        parts = urlsplit(f"http://{value}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"  # never the credentials
        raise InvalidProxyConfig(f"{name} {shown!r}: only http:// and https:// proxies are supported")
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode()
    return Proxy(url=f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}", authorization=authorization)


def _exclusion(entry: str) -> _Exclusion | None:
    """Go's parsing of one NO_PROXY entry (already trimmed and lower-cased); None to skip it."""
    if not entry or entry == "*":
        return None
    if "/" in entry:
        try:
            return _Exclusion(network=ipaddress.ip_network(entry, strict=False))
        except ValueError:
            pass
    host, port = _split_host_port(entry)
    if (ip := _ip(host)) is not None:
        return _Exclusion(address=ip, port=port)
    if not host:
        return None
    if host.startswith("*."):
        host = host[1:]
    match_bare = not host.startswith(".")
    return _Exclusion(domain=_idna(host if not match_bare else "." + host), match_bare=match_bare, port=port)


def _split_host_port(entry: str) -> tuple[str, str]:
    """Go's net.SplitHostPort where it succeeds, else the whole entry as the host."""
    if entry.startswith("["):
        host, bracket, rest = entry[1:].partition("]")
        if bracket and rest.startswith(":") and rest[1:].isdigit():
            return host, rest[1:]
        return entry, ""
    host, colon, port = entry.rpartition(":")
    if colon and ":" not in host and port.isdigit():
        return host, port
    return entry, ""


def _ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _idna(host: str) -> str:
    """The ASCII form of a host name (or `.suffix`), as Go compares them; unchanged if not encodable."""
    if host.isascii():
        return host
    try:
        return ".".join(label.encode("idna").decode("ascii") if label else "" for label in host.split("."))
    except UnicodeError:
        return host


DIRECT = ProxyRules()  # no proxy settings: every request connects directly
