"""An image-list entry whose registry host no URL can hold (a port out of range, a bracketed
address that is no IPv6 address) is refused where the annotation is read, with one line naming
it; it used to reach the HTTP client and come out as "internal error (ValueError)"
(docs/security.md, "Application annotators")."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from image_updater import refs
from image_updater.cli.main import cli
from image_updater.errors import InvalidImageReference, InvalidRegistryConfig
from image_updater.settings.registries import parse_registries_conf

BAD_HOSTS = [
    pytest.param("localhost:65536", id="port-65536"),
    pytest.param("localhost:0", id="port-zero"),
    pytest.param("localhost:" + "9" * 5000, id="port-of-5000-digits"),
    pytest.param("[:::::]", id="brackets-not-ipv6"),
    pytest.param("[1.2.3.4]", id="brackets-around-ipv4"),
]


@pytest.mark.parametrize("host", BAD_HOSTS)
def test_a_registry_host_no_url_can_hold_is_refused_in_one_line(host: str) -> None:
    with pytest.raises(InvalidImageReference) as caught:
        refs.parse_image_list(f"app={host}/team/app")
    assert f"registry host {host[:20]}" in str(caught.value).replace("'", "")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("host", ["localhost:65535", "[::1]:5000", "[::]", "registry.example.com"])
def test_hosts_a_url_can_hold_still_parse(host: str) -> None:
    [spec] = refs.parse_image_list(f"app={host}/team/app")
    assert spec.image.registry == host


def test_the_test_command_reports_it_without_an_internal_error() -> None:
    result = CliRunner().invoke(cli, ["test", "localhost:99999/team/app"])
    assert result.exit_code != 0
    assert "internal error" not in result.output
    assert "registry host 'localhost:99999' is not host[:port]" in result.output


@pytest.mark.parametrize(
    ("key", "entry"),
    [
        pytest.param("api_url", "  api_url: https://h:\u00b2\n  prefix: h\n", id="api-url-superscript-port"),
        pytest.param("prefix", "  api_url: https://h\n  prefix: h:\u00b2\n", id="prefix-superscript-port"),
        pytest.param(
            "prefix", "  api_url: https://h\n  prefix: h:" + "9" * 5000 + "\n", id="prefix-5000-digit-port"
        ),
    ],
)
def test_registries_conf_ports_python_cannot_read_are_refused_at_load(key: str, entry: str) -> None:
    with pytest.raises(InvalidRegistryConfig) as caught:  # was a ValueError traceback at start-up
        parse_registries_conf(f"registries:\n- name: x\n{entry}")
    assert str(caught.value).startswith(f'registries.conf: registries[0] (x): "{key}" must be')
