"""registries.conf parsing, its error messages, and endpoint resolution."""

from __future__ import annotations

import pytest

from image_updater.errors import InvalidRegistryConfig
from image_updater.refs import ImageRef
from image_updater.settings.registries import (
    DOCKER_HUB,
    Endpoint,
    RegistryConfig,
    api_repository,
    parse_duration,
    parse_registries_conf,
)

# The seed article's `helm install --set config.registries[0]...` values, as the chart writes them.
SEED = """\
registries:
- name: GitHub
  prefix: ghcr.io
  api_url: https://ghcr.io
  credentials: pullsecret:argocd/ghcr-creds
  default: true
"""

FULL = """\
registries:
- name: Internal
  prefix: registry.example.com/team/
  api_url: https://registry.example.com:8443/
  credentials: env:INTERNAL_CREDS
  credsexpire: 1h30m
  defaultns: team
  insecure: true
  tagsortmode: latest-first
  limit: 0.5
  ping: false
  ca_file: /app/config/tls/registry.example.com
  ca_data: "-----BEGIN CERTIFICATE-----"
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            SEED,
            Endpoint(
                name="GitHub",
                api_url="https://ghcr.io",
                prefix="ghcr.io",
                credentials="pullsecret:argocd/ghcr-creds",
                default=True,
            ),
            id="seed-article-github",
        ),
        pytest.param(
            FULL,
            Endpoint(
                name="Internal",
                api_url="https://registry.example.com:8443",
                prefix="registry.example.com/team",
                credentials="env:INTERNAL_CREDS",
                credsexpire=5400.0,
                default_ns="team",
                insecure=True,
                ca_file="/app/config/tls/registry.example.com",
                tagsortmode="latest-first",
                limit=0.5,
                ca_data="-----BEGIN CERTIFICATE-----",
            ),
            id="every-key",
        ),
        pytest.param(
            "registries:\n- {name: Q, prefix: quay.io, api_url: 'https://quay.io', limit: 0, "
            "credsexpire: '0'}",
            Endpoint(name="Q", api_url="https://quay.io", prefix="quay.io"),
            id="limit-0-unlimited-credsexpire-0-never",
        ),
        pytest.param(
            "registries:\n- {name: L, prefix: 'localhost:5000', api_url: 'http://[::1]:5000', limit: 5}",
            Endpoint(name="L", api_url="http://[::1]:5000", prefix="localhost:5000", limit=5.0),
            id="ipv6-http-int-limit",
        ),
        pytest.param(
            "registries:\n- {name: E, prefix: e.io, api_url: 'https://e.io', tagsortmode: ''}",
            Endpoint(name="E", api_url="https://e.io", prefix="e.io"),
            id="empty-tagsortmode-is-none",
        ),
    ],
)
def test_parse_single_entry(text: str, expected: Endpoint) -> None:
    assert parse_registries_conf(text).endpoints == (expected,)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("\n# only a comment\n", id="comment"),
        pytest.param("registries:\n", id="null-list"),
        pytest.param("registries: []\n", id="empty-list"),
    ],
)
def test_empty_configuration_gives_builtin_docker_hub(text: str) -> None:
    config = parse_registries_conf(text)
    assert config.endpoints == ()
    assert config.resolve(ImageRef("", "nginx")) == DOCKER_HUB
    assert DOCKER_HUB.api_url == "https://registry-1.docker.io"
    assert (DOCKER_HUB.default_ns, DOCKER_HUB.limit, DOCKER_HUB.prefix) == ("library", 10.0, "docker.io")


# Upstream reads registries.conf with gopkg.in/yaml.v2 (registry-scanner/pkg/registry/config.go,
# yaml.UnmarshalStrict): a bool field takes the plain YAML 1.1 words, and null as false.
_GO_TRUE = ("y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE", "!!bool yes")
_GO_FALSE = ("n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE", "~", "null", "")


@pytest.mark.parametrize("key", ["insecure", "default"])
@pytest.mark.parametrize(
    ("word", "expected"),
    [pytest.param(w, True, id=f"true-{w or 'empty'}") for w in _GO_TRUE]
    + [pytest.param(w, False, id=f"false-{w or 'empty'}") for w in _GO_FALSE],
)
def test_booleans_read_as_go_yaml_v2_does(key: str, word: str, expected: bool) -> None:
    text = f"registries:\n- name: GitHub\n  api_url: https://ghcr.io\n  prefix: ghcr.io\n  {key}: {word}\n"
    (endpoint,) = parse_registries_conf(text).endpoints
    assert getattr(endpoint, key) is expected


def test_upstream_documented_entry_with_yes_parses() -> None:
    text = (
        "registries:\n- name: Docker Hub\n  prefix: docker.io\n  api_url: https://registry-1.docker.io\n"
        "  ping: yes\n  insecure: no\n  credentials: secret:foo/bar#creds\n  defaultns: library\n"
        "  credsexpire: 5m\n"
    )
    (endpoint,) = parse_registries_conf(text).endpoints
    assert (endpoint.insecure, endpoint.default_ns, endpoint.credsexpire) == (False, "library", 300.0)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("maybe", "\"insecure\" must be true or false, got 'maybe'", id="word"),
        pytest.param("'yes'", "\"insecure\" must be true or false, got 'yes'", id="quoted-yes"),
        pytest.param('"true"', "\"insecure\" must be true or false, got 'true'", id="quoted-true"),
        pytest.param("1", '"insecure" must be true or false, got 1', id="int"),
        pytest.param("[yes]", '"insecure" must be true or false, got a list', id="list"),
        pytest.param("yess", "\"insecure\" must be true or false, got 'yess'", id="near-word"),
    ],
)
def test_non_booleans_are_still_refused_naming_the_key(value: str, message: str) -> None:
    with pytest.raises(InvalidRegistryConfig) as caught:
        parse_registries_conf(_entry(insecure=value))
    assert str(caught.value) == f"registries.conf: registries[0] (GitHub): {message}"


@pytest.mark.parametrize("word", ["yes", "off", "Y"])
def test_boolean_words_stay_text_in_string_keys(word: str) -> None:
    (endpoint,) = parse_registries_conf(_entry(defaultns=word, name=word)).endpoints
    assert (endpoint.name, endpoint.default_ns) == (word, word)
    assert type(endpoint.name) is str


def _entry(**keys: str) -> str:
    body = {"name": "GitHub", "api_url": "https://ghcr.io", "prefix": "ghcr.io", **keys}
    return "registries:\n- {" + ", ".join(f"{k}: {v}" for k, v in body.items() if v != "DROP") + "}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "registries:\n- {name: Hub, prefix: docker.io, api_url: 'https://registry-1.docker.io'}\n"
            + _entry(ratelimit="10").removeprefix("registries:\n"),
            'registries.conf: registries[1] (GitHub): unknown key "ratelimit"; did you mean "limit"?',
            id="ratelimit-did-you-mean",
        ),
        pytest.param(
            _entry(zzz="1"),
            'registries.conf: registries[0] (GitHub): unknown key "zzz"; known keys: name, api_url,',
            id="unknown-key-no-suggestion",
        ),
        pytest.param(
            _entry(api_url="DROP"),
            'registries.conf: registries[0] (GitHub): missing required key "api_url" (a URL like',
            id="missing-api-url",
        ),
        pytest.param(
            "registries:\n- {api_url: 'https://ghcr.io'}\n",
            'registries.conf: registries[0]: missing required key "name" (a string)',
            id="missing-name-no-label",
        ),
        pytest.param(
            _entry(api_url="ghcr.io"),
            'registries.conf: registries[0] (GitHub): "api_url" must be a URL like '
            "https://host[:port][/path], got 'ghcr.io'",
            id="api-url-no-scheme",
        ),
        pytest.param(
            _entry(api_url="'ftp://ghcr.io'"),
            "\"api_url\" must be a URL like https://host[:port][/path], got 'ftp://ghcr.io'",
            id="api-url-ftp",
        ),
        pytest.param(
            _entry(api_url="'https://ghcr.io:99999'"),
            "got 'https://ghcr.io:99999'",
            id="api-url-bad-port",
        ),
        pytest.param(
            _entry(api_url="'https://ghcr.io/v2?x=1'"),
            "got 'https://ghcr.io/v2?x=1'",
            id="api-url-query",
        ),
        pytest.param(
            _entry(api_url="'https://ghcr.io/a b'"),
            '"api_url" has an unusable path',
            id="api-url-bad-path",
        ),
        pytest.param(
            _entry(prefix="'https://ghcr.io'"),
            "\"prefix\" is a registry host without a scheme (like ghcr.io), got 'https://ghcr.io'",
            id="prefix-with-scheme",
        ),
        pytest.param(
            _entry(prefix="'ghcr io'"),
            '"prefix" must be a registry host[:port][/path]',
            id="prefix-with-space",
        ),
        pytest.param(
            _entry(credsexpire="5"),
            '"credsexpire" must be a duration like 5m, 12h or 1h30m, got 5',
            id="credsexpire-int",
        ),
        pytest.param(
            _entry(credsexpire="5minutes"),
            "got '5minutes'",
            id="credsexpire-bad-unit",
        ),
        pytest.param(
            _entry(tagsortmode="newest"),
            "\"tagsortmode\" must be one of latest-first, latest-last, none, got 'newest'",
            id="tagsortmode",
        ),
        pytest.param(
            _entry(limit="ten"),
            "\"limit\" must be a number of requests per second, got 'ten'",
            id="limit-string",
        ),
        pytest.param(
            _entry(default="'yes'"), "\"default\" must be true or false, got 'yes'", id="default-string"
        ),
        pytest.param(_entry(insecure="1"), '"insecure" must be true or false, got 1', id="insecure-int"),
        pytest.param(_entry(name="42"), '"name" must be a string, got 42', id="name-int"),
        pytest.param(_entry(name="{a: 1}"), '"name" must be a string, got a mapping', id="name-mapping"),
        pytest.param(_entry(ca_file="[a]"), '"ca_file" must be a file path, got a list', id="ca-file-list"),
        pytest.param(_entry(defaultns="1" * 100), "got 1111111111", id="long-value-shortened"),
        pytest.param(
            "registries:\n- {name: a, api_url: 'https://a.io', default: true, prefix: a.io}\n"
            "- {name: b, api_url: 'https://b.io', default: true, prefix: b.io}\n",
            'registries.conf: registries[1] (b): only one entry may set "default: true" and '
            "registries[0] (a) already does",
            id="two-defaults",
        ),
        pytest.param(
            "registries:\n- {name: a, api_url: 'https://a.io'}\n- {name: b, api_url: 'https://b.io'}\n",
            'registries.conf: registries[1] (b): only one entry may omit "prefix" and '
            "registries[0] (a) already does",
            id="two-without-prefix",
        ),
        pytest.param(
            "registries:\n- {name: a, api_url: 'https://a.io', prefix: a.io}\n"
            "- {name: b, api_url: 'https://b.io', prefix: a.io/}\n",
            'registries.conf: registries[1] (b): prefix "a.io" is already used by registries[0] (a); '
            "merge the two entries",
            id="duplicate-prefix",
        ),
        pytest.param(
            "registries:\n- {name: a, api_url: 'https://a.io', prefix: a.io/team}\n"
            "- {name: b, api_url: 'https://b.io', prefix: A.IO/team}\n",
            'registries.conf: registries[1] (b): prefix "a.io/team" is already used by registries[0] (a)',
            id="duplicate-prefix-host-case",
        ),
        pytest.param(
            "registries:\n- {name: a, api_url: 'https://a.io', prefix: docker.io}\n"
            "- {name: b, api_url: 'https://b.io', prefix: index.docker.io}\n",
            'registries.conf: registries[1] (b): prefix "docker.io" is already used by registries[0] (a)',
            id="duplicate-prefix-docker-hub-spelling",
        ),
        pytest.param(
            "registry:\n- {name: a}\n",
            'registries.conf: unknown top-level key "registry"; the file holds only a "registries:" list',
            id="top-level-typo",
        ),
        pytest.param(
            "- name: a\n", 'registries.conf: expected a mapping with a "registries:" list', id="top-is-list"
        ),
        pytest.param("registries: 3\n", '"registries" must be a list of entries', id="registries-not-list"),
        pytest.param(
            "registries: [ghcr.io]\n",
            "registries.conf: registries[0] must be a mapping with at least name and api_url",
            id="entry-not-mapping",
        ),
        pytest.param("registries: [\n", "registries.conf: line 2: not valid YAML", id="bad-yaml"),
        pytest.param(
            "registries:\n- {name: a, name: b, api_url: 'https://a.io'}\n",
            "registries.conf: line 2: not valid YAML",
            id="duplicate-key",
        ),
    ],
)
def test_parse_errors_say_where_and_how_to_fix(text: str, message: str) -> None:
    with pytest.raises(InvalidRegistryConfig) as caught:
        parse_registries_conf(text)
    assert message in str(caught.value)
    assert str(caught.value).startswith("registries.conf: ")
    assert "\n" not in str(caught.value)


def test_error_names_the_source_file() -> None:
    with pytest.raises(InvalidRegistryConfig, match=r"^/app/config/registries.conf: registries\[0\]"):
        parse_registries_conf(_entry(limit="x"), source="/app/config/registries.conf")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(_entry(api_url="'https://bot:hunter2@ghcr.io'"), id="password-in-api-url"),
        pytest.param(_entry(credentials="42"), id="non-string-credentials"),
        pytest.param(_entry(api_url="'ghcr.io@hunter2'"), id="at-sign-without-scheme"),
    ],
)
def test_errors_never_echo_secrets(text: str) -> None:
    with pytest.raises(InvalidRegistryConfig) as caught:
        parse_registries_conf(text)
    assert "hunter2" not in str(caught.value)
    assert "42" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0", 0.0), ("5m", 300.0), ("12h", 43200.0), ("1h30m", 5400.0), ("1.5h", 5400.0), ("300ms", 0.3)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "m", "-5m", "5 m", "1h30", "1d"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


CONFIG = parse_registries_conf(
    """\
registries:
- {name: GHCR, prefix: ghcr.io, api_url: 'https://ghcr.io'}
- {name: GHCR org, prefix: ghcr.io/org, api_url: 'https://ghcr.io'}
- {name: GHCR org team, prefix: ghcr.io/org/team, api_url: 'https://ghcr.io'}
- {name: Quay team, prefix: quay.io/team, api_url: 'https://quay.io'}
- {name: Mirror, prefix: docker.io, api_url: 'https://mirror.example.com', defaultns: library}
"""
)


@pytest.mark.parametrize(
    ("image", "name"),
    [
        pytest.param(ImageRef("ghcr.io", "x/app"), "GHCR", id="exact-host"),
        pytest.param(ImageRef("ghcr.io", "org/app"), "GHCR org", id="longer-prefix"),
        pytest.param(ImageRef("ghcr.io", "org/team/app"), "GHCR org team", id="longest-prefix"),
        pytest.param(ImageRef("ghcr.io", "organisation/app"), "GHCR", id="boundary-org-vs-organisation"),
        pytest.param(ImageRef("ghcr.io", "org/teams/app"), "GHCR org", id="boundary-team-vs-teams"),
        pytest.param(ImageRef("quay.io", "team/app"), "Quay team", id="path-prefix-only"),
        pytest.param(ImageRef("quay.io", "other/app"), "quay.io", id="path-prefix-miss-infers"),
        pytest.param(ImageRef("", "nginx"), "Mirror", id="docker-io-entry-is-default"),
        pytest.param(ImageRef("docker.io", "nginx"), "Mirror", id="docker-io-exact"),
        pytest.param(ImageRef("index.docker.io", "nginx"), "Mirror", id="docker-hub-alias"),
    ],
)
def test_resolve_configured(image: ImageRef, name: str) -> None:
    assert CONFIG.resolve(image).name == name


@pytest.mark.parametrize(
    ("registry", "api_url"),
    [
        pytest.param("registry.example.com", "https://registry.example.com", id="https"),
        pytest.param("registry.example.com:5000", "https://registry.example.com:5000", id="https-port"),
        pytest.param("localhost", "http://localhost", id="localhost"),
        pytest.param("localhost:5000", "http://localhost:5000", id="localhost-port"),
        pytest.param("127.0.0.1:5000", "http://127.0.0.1:5000", id="ipv4-loopback"),
        pytest.param("127.1.2.3", "http://127.1.2.3", id="ipv4-loopback-range"),
        pytest.param("[::1]:5000", "http://[::1]:5000", id="ipv6-loopback"),
        pytest.param("10.0.0.1:5000", "https://10.0.0.1:5000", id="private-ip-is-https"),
        pytest.param("localhost.example.com", "https://localhost.example.com", id="not-localhost"),
    ],
)
def test_resolve_infers_unknown_hosts(registry: str, api_url: str) -> None:
    endpoint = RegistryConfig().resolve(ImageRef(registry, "team/app"))
    assert endpoint == Endpoint(name=registry, api_url=api_url, prefix=registry, limit=20.0)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param(SEED, "GitHub", id="default-true-wins"),
        pytest.param("registries:\n- {name: Any, api_url: 'https://r.example.com'}\n", "Any", id="no-prefix"),
        pytest.param(
            "registries:\n- {name: Hub, prefix: docker.io, api_url: 'https://registry-1.docker.io'}\n"
            "- {name: Plain, api_url: 'https://r.example.com'}\n",
            "Plain",
            id="no-prefix-before-docker-io",
        ),
        pytest.param(
            "registries:\n- {name: Q, prefix: quay.io, api_url: 'https://quay.io'}\n",
            "Docker Hub",
            id="builtin",
        ),
    ],
)
def test_default_registry(text: str, name: str) -> None:
    assert parse_registries_conf(text).resolve(ImageRef("", "nginx")).name == name


def test_default_true_leaves_docker_io_on_docker_hub() -> None:
    config = parse_registries_conf(SEED)
    assert config.resolve(ImageRef("docker.io", "nginx")) == DOCKER_HUB
    assert config.resolve(ImageRef("ghcr.io", "org/app")).name == "GitHub"


def test_prefixless_entry_is_not_a_catch_all() -> None:
    config = parse_registries_conf("registries:\n- {name: Any, api_url: 'https://r.example.com'}\n")
    assert config.resolve(ImageRef("quay.io", "org/app")).api_url == "https://quay.io"


@pytest.mark.parametrize(
    ("endpoint", "image", "path"),
    [
        pytest.param(DOCKER_HUB, ImageRef("", "nginx"), "library/nginx", id="hub-official"),
        pytest.param(DOCKER_HUB, ImageRef("", "bitnami/nginx"), "bitnami/nginx", id="hub-org"),
        pytest.param(
            Endpoint(name="x", api_url="https://registry-1.docker.io"),
            ImageRef("docker.io", "nginx"),
            "library/nginx",
            id="hub-api-without-defaultns",
        ),
        pytest.param(
            Endpoint(name="x", api_url="https://r.example.com", default_ns="team"),
            ImageRef("r.example.com", "app"),
            "team/app",
            id="custom-defaultns",
        ),
        pytest.param(
            Endpoint(name="x", api_url="https://ghcr.io"),
            ImageRef("ghcr.io", "app"),
            "app",
            id="no-defaultns",
        ),
    ],
)
def test_api_repository(endpoint: Endpoint, image: ImageRef, path: str) -> None:
    assert api_repository(endpoint, image) == path
