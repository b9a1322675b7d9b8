"""Which configured images a registry push concerns: Docker Hub's spellings are one repository,
registries.conf endpoints are matched by the host they are read from, nothing else matches."""

from __future__ import annotations

import pytest

from image_updater import refs
from image_updater.runtime.pushes import RepositoryFilter, RepositoryKey, push_key
from image_updater.settings.registries import RegistryConfig, parse_registries_conf
from image_updater.webhooks.events import RegistryPush

MIRROR = parse_registries_conf(
    "registries:\n- name: mirror\n  prefix: mirror.example\n  api_url: https://registry.internal:5000\n"
    "  defaultns: team\n"
)


@pytest.mark.parametrize(
    ("push", "image", "config", "matches"),
    [
        pytest.param(("docker.io", "library/nginx"), "nginx", RegistryConfig(), True, id="hub-short-name"),
        pytest.param(
            ("docker.io", "nginx"), "nginx", RegistryConfig(), True, id="hub-payload-without-library"
        ),
        pytest.param(
            ("index.docker.io", "library/nginx"),
            "docker.io/nginx",
            RegistryConfig(),
            True,
            id="hub-index-host",
        ),
        pytest.param(
            ("registry-1.docker.io", "bitnami/redis"),
            "bitnami/redis",
            RegistryConfig(),
            True,
            id="hub-api-host",
        ),
        pytest.param(
            ("docker.io", "library/nginx"), "quay.io/nginx", RegistryConfig(), False, id="other-registry"
        ),
        pytest.param(
            ("docker.io", "library/nginx"), "nginx-extra", RegistryConfig(), False, id="other-repository"
        ),
        pytest.param(("GHCR.IO", "org/app"), "ghcr.io/org/app", RegistryConfig(), True, id="host-case"),
        pytest.param(
            ("ghcr.io", "org/app"), "ghcr.io/org/app/sub", RegistryConfig(), False, id="no-prefix-match"
        ),
        pytest.param(
            ("127.0.0.1:5000", "org/app"), "127.0.0.1:5000/org/app", RegistryConfig(), True, id="host-port"
        ),
        pytest.param(
            ("127.0.0.1:5001", "org/app"), "127.0.0.1:5000/org/app", RegistryConfig(), False, id="other-port"
        ),
        pytest.param(
            ("registry.internal:5000", "team/app"), "mirror.example/app", MIRROR, True, id="endpoint-api-host"
        ),
        pytest.param(
            ("mirror.example", "app"), "mirror.example/app", MIRROR, True, id="endpoint-prefix-as-written"
        ),
        pytest.param(
            ("registry.internal:5000", "app"), "mirror.example/app", MIRROR, False, id="endpoint-defaultns"
        ),
    ],
)
def test_push_matches_image(push: tuple[str, str], image: str, config: RegistryConfig, matches: bool) -> None:
    key = push_key(RegistryPush(registry=push[0], repository=push[1], tag="1.0"))
    assert RepositoryFilter.of([key]).matches(refs.parse_image(image), config) is matches


def test_keys_are_canonical() -> None:
    assert push_key(RegistryPush(registry="Index.Docker.IO", repository="nginx")) == RepositoryKey(
        "docker.io", "library/nginx"
    )
    assert str(RepositoryFilter.of([RepositoryKey("b", "x"), RepositoryKey("a", "y")])) == "a/y, b/x"
