"""The proxy variables of git commands: Go's HTTP(S)_PROXY / NO_PROXY reading, told to libcurl.

git's HTTP transport (libcurl) reads proxies from the environment too, but by other rules: only
the lower-case `http_proxy`, no exception for loopback, no `*.domain` entries. So each command gets
`http_proxy`, `https_proxy` and `no_proxy` rebuilt from the settings as Go reads them (upper case
first; `HTTP_PROXY` dropped in a CGI environment; `*` in NO_PROXY means no proxy at all), with
loopback (`localhost`, `127.0.0.0/8`, `::1`) added to `no_proxy`, as Go never proxies it.

What libcurl still does differently: a `.domain` entry also matches `domain` itself, and an entry
with a port matches the host on every port. Credentials: git's Authorization header
(`http.extraHeader`) goes to the origin only, so over https it travels inside the CONNECT tunnel;
a plain-http remote reached through a proxy shows the proxy every request, that header included,
as with any git client.
"""

from __future__ import annotations

from collections.abc import Mapping

from image_updater.settings.proxies import ProxyVariables

LOOPBACK = ("localhost", "127.0.0.0/8", "::1")


def proxy_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """libcurl's variables for the proxies Go would use; empty when none applies."""
    settings = ProxyVariables.from_environ(environ)
    env = {}
    if settings.http and not settings.cgi:
        env["http_proxy"] = settings.http
    if settings.https:
        env["https_proxy"] = settings.https
    if not env or "*" in settings.no_proxy:
        return {}
    entries = (entry[1:] if entry.startswith("*.") else entry for entry in settings.no_proxy)
    env["no_proxy"] = ",".join((*entries, *LOOPBACK))
    return env
