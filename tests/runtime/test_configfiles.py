"""registries.conf is checked whole at start-up, as docs/registries.md promises: readable PEM for
`ca_file`/`ca_data`, credential references that parse, and the YAML within its bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from image_updater.errors import InvalidRegistryConfig
from image_updater.runtime.configfiles import load_registries_conf
from image_updater.yamlsafe import DEFAULT_LIMITS
from tests.registry.test_client_tls import self_signed


def _conf(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "registries.conf"
    path.write_text(
        f"registries:\n- name: Team\n  api_url: https://r.example.com\n  prefix: r.example.com\n{extra}"
    )
    return path


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        pytest.param(
            "  ca_file: /nonexistent/ca.pem\n", "ca_file '/nonexistent/ca.pem' cannot be read", id="missing"
        ),
        pytest.param(
            "  ca_file: {here}/not-pem.txt\n", "cannot be read as a PEM CA bundle", id="ca-file-not-pem"
        ),
        pytest.param(
            "  ca_data: 'not a certificate'\n", "ca_data cannot be read as a PEM CA bundle", id="ca-data"
        ),
        pytest.param("  credentials: pullsecret:only-a-name\n", '"credentials": ', id="credential-syntax"),
        pytest.param("  credentials: vault:x\n", '"credentials": ', id="credential-kind"),
    ],
)
def test_what_the_docs_promise_is_checked_at_load(tmp_path: Path, extra: str, message: str) -> None:
    (tmp_path / "not-pem.txt").write_text("hello\n")
    path = _conf(tmp_path, extra.replace("{here}", str(tmp_path)))
    with pytest.raises(InvalidRegistryConfig) as caught:
        load_registries_conf(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert "Team" in str(caught.value)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_readable_pem_bundle_loads(tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    (endpoint,) = load_registries_conf(_conf(tmp_path, f"  ca_file: {cert}\n")).endpoints
    assert endpoint.ca_file == str(cert)


def test_a_huge_registries_conf_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "registries.conf"
    path.write_bytes(b"#" * (DEFAULT_LIMITS.max_bytes + 10))
    with pytest.raises(
        InvalidRegistryConfig, match=rf"^{path}: larger than {DEFAULT_LIMITS.max_bytes} bytes"
    ):
        load_registries_conf(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("registries:\n" + "- " * 150 + "x\n", "nested deeper than 100 levels", id="deep"),
        pytest.param("registries:\n" + "- " * 5000 + "x\n", "nested too deeply", id="deeper-than-recursion"),
        pytest.param("registries: []\nregistries: []\n", "it has the key 'registries' twice", id="duplicate"),
    ],
)
def test_a_hostile_registries_conf_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "registries.conf"
    path.write_text(text)
    with pytest.raises(InvalidRegistryConfig) as caught:
        load_registries_conf(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
