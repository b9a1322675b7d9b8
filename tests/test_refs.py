"""Image references and image-list entries, as users and Argo CD write them."""

from __future__ import annotations

import pytest

from image_updater.errors import InvalidImageReference
from image_updater.refs import (
    ImageRef,
    ImageSpec,
    is_docker_hub,
    is_tag,
    parse_image,
    parse_image_list,
    parse_image_spec,
    registry_path,
    same_image,
    same_image_strict,
)

SHA = "sha256:" + "a" * 64
SHA512 = "sha512:" + "b" * 128

# text, registry, repository, tag, digest
IMAGES = [
    pytest.param("nginx", "", "nginx", None, None, id="hub-official-bare"),
    pytest.param("nginx:1.25", "", "nginx", "1.25", None, id="hub-official-tag"),
    pytest.param(f"nginx:1.25@{SHA}", "", "nginx", "1.25", SHA, id="tag-and-digest"),
    pytest.param(f"nginx@{SHA}", "", "nginx", None, SHA, id="digest-only"),
    pytest.param("library/nginx", "", "nginx", None, None, id="hub-library-stripped"),
    pytest.param("docker.io/nginx", "docker.io", "nginx", None, None, id="hub-written-registry"),
    pytest.param("docker.io/library/nginx:1", "docker.io", "nginx", "1", None, id="hub-written-library"),
    pytest.param(
        "index.docker.io/library/nginx", "index.docker.io", "nginx", None, None, id="hub-index-host"
    ),
    pytest.param("docker.io/library/a/b", "docker.io", "library/a/b", None, None, id="hub-deep-library-kept"),
    pytest.param("bitnami/redis:7.2", "", "bitnami/redis", "7.2", None, id="hub-user-repo"),
    pytest.param("ghcr.io/org/app:v1", "ghcr.io", "org/app", "v1", None, id="ghcr"),
    pytest.param("ghcr.io/library/app", "ghcr.io", "library/app", None, None, id="library-kept-off-hub"),
    pytest.param("localhost:5000/x:1", "localhost:5000", "x", "1", None, id="localhost-port"),
    pytest.param("localhost/x", "localhost", "x", None, None, id="localhost-no-port"),
    pytest.param("127.0.0.1:5000/team/app", "127.0.0.1:5000", "team/app", None, None, id="ipv4-port"),
    pytest.param("[::1]:5000/app:2", "[::1]:5000", "app", "2", None, id="ipv6-port"),
    pytest.param("registry:5000/app", "registry:5000", "app", None, None, id="port-makes-host"),
    pytest.param("registry/app", "", "registry/app", None, None, id="no-dot-no-port-is-hub"),
    pytest.param(
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/svc/api:2024.1",
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
        "svc/api",
        "2024.1",
        None,
        id="ecr",
    ),
    pytest.param("quay.io/a/b/c/d:latest", "quay.io", "a/b/c/d", "latest", None, id="deep-path"),
    pytest.param("ghcr.io/o/my_app__x-y.z:1", "ghcr.io", "o/my_app__x-y.z", "1", None, id="separators"),
    pytest.param("ghcr.io/o/a:V1.0_RC-1", "ghcr.io", "o/a", "V1.0_RC-1", None, id="tag-uppercase-ok"),
    pytest.param("  nginx:1  ", "", "nginx", "1", None, id="surrounding-space"),
    pytest.param(f"ghcr.io/o/a@{SHA512}", "ghcr.io", "o/a", None, SHA512, id="sha512"),
]


@pytest.mark.parametrize(("text", "registry", "repository", "tag", "digest"), IMAGES)
def test_parse_image(text: str, registry: str, repository: str, tag: str | None, digest: str | None) -> None:
    assert parse_image(text) == ImageRef(registry, repository, tag, digest)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("", "no image name", id="empty"),
        pytest.param(":1", "no image name", id="only-tag"),
        pytest.param("Nginx", "must be lowercase; write 'nginx'", id="upper-hub"),
        pytest.param("ghcr.io/Org/App:1", "must be lowercase; write 'org/app'", id="upper-path"),
        pytest.param("MyOrg/app", "must be lowercase", id="upper-first-component-not-a-host"),
        pytest.param("ghcr.io/org//app", "component '' is not valid", id="double-slash"),
        pytest.param("ghcr.io/org/app-", "component 'app-' is not valid", id="trailing-dash"),
        pytest.param("ghcr.io/org/-app", "component '-app' is not valid", id="leading-dash"),
        pytest.param("ghcr.io/org/a___b", "component 'a___b' is not valid", id="triple-underscore"),
        pytest.param("ghcr.io/", "component '' is not valid", id="registry-only"),
        pytest.param("nginx:", "nothing follows ':'", id="empty-tag"),
        pytest.param("nginx:.1", "tag '.1' is not valid", id="tag-leading-dot"),
        pytest.param("nginx:>=1.0", "tag '>=1.0' is not valid", id="constraint-is-not-a-tag"),
        pytest.param("nginx:" + "a" * 129, "is not valid", id="tag-too-long"),
        pytest.param("nginx@sha256:abc", "write @sha256:<64 lowercase hex digits>", id="short-digest"),
        pytest.param("nginx@sha256:" + "A" * 64, "is not valid", id="uppercase-sha256"),
        pytest.param("nginx@latest", "is not valid", id="digest-not-a-digest"),
        pytest.param("a" * 64, "is an image ID", id="image-id"),
        pytest.param("ex_ample.com/app", "registry host 'ex_ample.com' is not host[:port]", id="bad-host"),
        pytest.param("example.com:port/app", "is not host[:port]", id="bad-port"),
        pytest.param("ghcr.io/" + "a/" * 130 + "b", "longer than 255", id="name-too-long"),
        pytest.param("ghcr.io/org/my app", "component 'my app' is not valid", id="space-in-path"),
    ],
)
def test_parse_image_rejects(text: str, fragment: str) -> None:
    with pytest.raises(InvalidImageReference, match=r"^image ") as caught:
        parse_image(text)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


# text, alias, registry, repository, version, digest
SPECS = [
    pytest.param(
        "api=ghcr.io/your-org/api-service",
        "api",
        "ghcr.io",
        "your-org/api-service",
        None,
        None,
        id="seed-api",
    ),
    pytest.param("app=ghcr.io/org/app:stable", "app", "ghcr.io", "org/app", "stable", None, id="seed-digest"),
    pytest.param("nginx", None, "", "nginx", None, None, id="no-alias"),
    pytest.param("nginx:~1.26", None, "", "nginx", "~1.26", None, id="tilde"),
    pytest.param("web=nginx:~1.26", "web", "", "nginx", "~1.26", None, id="alias-tilde"),
    pytest.param("app=ghcr.io/org/app:>=1.0 <2", "app", "ghcr.io", "org/app", ">=1.0 <2", None, id="range"),
    pytest.param("nginx:>=1.0 <2", None, "", "nginx", ">=1.0 <2", None, id="range-no-alias-eq-in-constraint"),
    pytest.param("nginx:=1.2.3", None, "", "nginx", "=1.2.3", None, id="equals-constraint"),
    pytest.param("app=nginx:1.2.x", "app", "", "nginx", "1.2.x", None, id="x-range"),
    pytest.param("app=nginx:^1.0", "app", "", "nginx", "^1.0", None, id="caret"),
    pytest.param("app=nginx:*", "app", "", "nginx", "*", None, id="star"),
    pytest.param("app=nginx:2.x-0", "app", "", "nginx", "2.x-0", None, id="prerelease-range"),
    pytest.param("app=nginx:^1 || ^2", "app", "", "nginx", "^1 || ^2", None, id="or"),
    pytest.param("app=nginx:!=1.3.0", "app", "", "nginx", "!=1.3.0", None, id="not-equal"),
    pytest.param(
        "app=localhost:5000/team/app:>=1.0.0-rc.0",
        "app",
        "localhost:5000",
        "team/app",
        ">=1.0.0-rc.0",
        None,
        id="port-and-constraint",
    ),
    pytest.param("localhost:5000/app", None, "localhost:5000", "app", None, None, id="port-not-version"),
    pytest.param("localhost:5000", None, "", "localhost", "5000", None, id="docker-reads-host-port-as-tag"),
    pytest.param(f"app=ghcr.io/o/a:stable@{SHA}", "app", "ghcr.io", "o/a", "stable", SHA, id="tag-digest"),
    pytest.param(f"app=ghcr.io/o/a@{SHA}", "app", "ghcr.io", "o/a", None, SHA, id="digest-only"),
    pytest.param("team/api=ghcr.io/o/api", "team/api", "ghcr.io", "o/api", None, None, id="slash-alias"),
    pytest.param("A.b_c-1=ghcr.io/o/api", "A.b_c-1", "ghcr.io", "o/api", None, None, id="alias-chars"),
    pytest.param(
        " api = ghcr.io/o/api:  ^1.0  ", "api", "ghcr.io", "o/api", "^1.0", None, id="spaces-trimmed"
    ),
    pytest.param("docker.io/library/nginx:1.x", None, "docker.io", "nginx", "1.x", None, id="hub-library"),
    # upstream registry-scanner/pkg/image/image_test.go TestNewFromIdentifier
    pytest.param(
        "classic-web=registry:5000/classic-web",
        "classic-web",
        "registry:5000",
        "classic-web",
        None,
        None,
        id="upstream-273-classic-web=registry:5000/classic-web",
    ),
    pytest.param(
        "ghcr.io:4567/jannfis/orig-image=gcr.io:1234/jannfis/test-image:0.1",
        "ghcr.io:4567/jannfis/orig-image",
        "gcr.io:1234",
        "jannfis/test-image",
        "0.1",
        None,
        id="upstream-source-name-and-registry-info-with-port",
    ),
    pytest.param(
        "localhost:5000/app:>=1.0", None, "localhost:5000", "app", ">=1.0", None, id="port-eq-in-constraint"
    ),
]


@pytest.mark.parametrize(("text", "alias", "registry", "repository", "version", "digest"), SPECS)
def test_parse_image_spec(
    text: str, alias: str | None, registry: str, repository: str, version: str | None, digest: str | None
) -> None:
    spec = parse_image_spec(text)
    assert spec == ImageSpec(alias, ImageRef(registry, repository, None, digest), version)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("=nginx", "alias before '=' is empty", id="empty-alias"),
        pytest.param("my app=nginx", "alias 'my app' must start", id="space-in-alias"),
        pytest.param("-x=nginx", "alias '-x' must start", id="alias-leading-dash"),
        pytest.param("app=", "no image name", id="alias-no-image"),
        pytest.param("app=Ghcr.io/Org/App", "must be lowercase", id="uppercase"),
        pytest.param("app=ghcr.io/org/App:^1", "write 'org/app'", id="uppercase-with-constraint"),
        pytest.param("app=nginx:", "nothing follows ':'", id="empty-version"),
        pytest.param("app=nginx:1@sha256:xyz", "digest", id="bad-digest"),
    ],
)
def test_parse_image_spec_rejects(text: str, fragment: str) -> None:
    with pytest.raises(InvalidImageReference, match=r"^image-list entry ") as caught:
        parse_image_spec(text)
    assert fragment in str(caught.value)
    assert repr(text.strip()) in str(caught.value)


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        pytest.param("api=ghcr.io/o/api", "api", id="alias"),
        pytest.param("team/api=ghcr.io/o/api", "team_api", id="alias-slash"),
        pytest.param("ghcr.io/o/api", "ghcr.io_o_api", id="no-alias"),
        pytest.param("nginx:1.x", "nginx", id="hub"),
    ],
)
def test_annotation_key(spec: str, key: str) -> None:
    assert parse_image_spec(spec).annotation_key == key


# The multi-container example of the seed article, as a YAML folded block (`>`) delivers it.
SEED_FOLDED = "api=ghcr.io/org/api, worker=ghcr.io/org/worker, migrator=ghcr.io/org/migrator\n"


@pytest.mark.parametrize(
    ("text", "aliases"),
    [
        pytest.param(SEED_FOLDED, ("api", "worker", "migrator"), id="seed-folded"),
        pytest.param(
            "api=ghcr.io/org/api,\nworker=ghcr.io/org/worker,\nmigrator=ghcr.io/org/migrator\n",
            ("api", "worker", "migrator"),
            id="literal-block",
        ),
        pytest.param("api=ghcr.io/org/api\nworker=ghcr.io/org/worker", ("api", "worker"), id="newlines-only"),
        pytest.param(" , api=ghcr.io/org/api ,, ,", ("api",), id="empty-items-skipped"),
        pytest.param("", (), id="empty"),
        pytest.param("nginx:~1.26, app=ghcr.io/o/a:>=1.0 <2", (None, "app"), id="constraints"),
    ],
)
def test_parse_image_list(text: str, aliases: tuple[str | None, ...]) -> None:
    assert tuple(spec.alias for spec in parse_image_list(text)) == aliases


def test_parse_image_list_keeps_constraint_with_spaces() -> None:
    (spec,) = parse_image_list("  api=ghcr.io/org/api:>=2.0.0 <3.0.0  ")
    assert spec.version == ">=2.0.0 <3.0.0"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        pytest.param("api=ghcr.io/o/a, api=ghcr.io/o/b", "share the annotation key 'api'", id="dup-alias"),
        pytest.param("nginx:1.x, nginx:2.x", "share the annotation key 'nginx'", id="dup-image"),
        pytest.param("a_b=x/y, a/b=x/z", "share the annotation key 'a_b'", id="dup-after-slash"),
        pytest.param("api=ghcr.io/o/a, worker=Ghcr.io/O/B", "'worker=Ghcr.io/O/B'", id="names-bad-entry"),
    ],
)
def test_parse_image_list_rejects(text: str, fragment: str) -> None:
    with pytest.raises(InvalidImageReference) as caught:
        parse_image_list(text)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("image", "default_ns", "path"),
    [
        pytest.param("nginx", None, "library/nginx", id="hub-official"),
        pytest.param("docker.io/nginx", None, "library/nginx", id="hub-written"),
        pytest.param("index.docker.io/library/nginx", None, "library/nginx", id="hub-index"),
        pytest.param("bitnami/redis", None, "bitnami/redis", id="hub-user"),
        pytest.param("ghcr.io/app", None, "app", id="other-registry-single"),
        pytest.param("ghcr.io/library/app", None, "library/app", id="other-registry-library"),
        pytest.param("ghcr.io/app", "acme", "acme/app", id="explicit-default-ns"),
        pytest.param("nginx", "", "nginx", id="default-registry-without-ns"),
    ],
)
def test_registry_path(image: str, default_ns: str | None, path: str) -> None:
    assert registry_path(parse_image(image), default_ns=default_ns) == path


@pytest.mark.parametrize(
    ("a", "b", "strict", "normalised"),
    [
        pytest.param("nginx:1", "nginx:2", True, True, id="tags-ignored"),
        pytest.param("nginx", f"nginx@{SHA}", True, True, id="digest-ignored"),
        pytest.param("nginx", "library/nginx", True, True, id="library"),
        pytest.param("docker.io/nginx", "docker.io/library/nginx", True, True, id="hub-written-library"),
        pytest.param("docker.io/nginx", "index.docker.io/nginx", True, True, id="index-host"),
        pytest.param("docker.io/nginx", "nginx", False, True, id="written-vs-default-upstream-strict"),
        pytest.param("quay.io/x", "docker.io/x", False, False, id="different-registry"),
        pytest.param("ghcr.io/o/a", "GHCR.io/o/a", False, True, id="host-case"),
        pytest.param("ghcr.io/library/a", "ghcr.io/a", False, False, id="library-matters-off-hub"),
        pytest.param("ghcr.io/o/a", "ghcr.io/o/b", False, False, id="different-repo"),
    ],
)
def test_same_image(a: str, b: str, strict: bool, normalised: bool) -> None:
    ra, rb = parse_image(a), parse_image(b)
    assert same_image_strict(ra, rb) is strict
    assert same_image_strict(rb, ra) is strict
    assert same_image(ra, rb) is normalised
    assert same_image(rb, ra) is normalised


def test_same_image_with_another_default_registry() -> None:
    local = parse_image("registry.local/app")
    assert same_image(parse_image("app"), local, default_registry="registry.local")
    assert not same_image(parse_image("app"), local)


@pytest.mark.parametrize(
    "text",
    ["nginx", "ghcr.io/org/app:v1", f"localhost:5000/x:1@{SHA}", "docker.io/bitnami/redis"],
)
def test_str_round_trips(text: str) -> None:
    assert str(parse_image(text)) == text


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        pytest.param("v1.2.3", True, id="semver"),
        pytest.param("_x", True, id="underscore-first"),
        pytest.param("A" * 128, True, id="max-length"),
        pytest.param("A" * 129, False, id="too-long"),
        pytest.param("-x", False, id="dash-first"),
        pytest.param("", False, id="empty"),
        pytest.param(">=1.0", False, id="constraint"),
    ],
)
def test_is_tag(text: str, valid: bool) -> None:
    assert is_tag(text) is valid


@pytest.mark.parametrize(
    ("registry", "hub"),
    [
        ("", True),
        ("docker.io", True),
        ("index.docker.io", True),
        ("Registry-1.Docker.io", True),
        ("ghcr.io", False),
    ],
)
def test_is_docker_hub(registry: str, hub: bool) -> None:
    assert is_docker_hub(registry) is hub
