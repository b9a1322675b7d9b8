"""`image-updater test` end to end against a real registry: one case per strategy, exit codes,
JSON output, --explain, credentials, registries.conf, and errors without tracebacks or secrets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from devtools import oci
from devtools.registry import LocalRegistry
from image_updater.cli.main import cli

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["test", *args], env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def api_repo(registry: LocalRegistry) -> str:
    """Tags like the seed article's: releases, a release candidate and CI builds."""
    repo = "cli/api"
    for day, tag in enumerate(["v0.9.0", "v1.0.0", "v1.4.2", "v1.5.0", "v1.6.0-rc.1", "v2.0.0"]):
        oci.push_image(registry.url, repo, tag, created=BASE + dt.timedelta(days=day))
    for hour, tag in enumerate(["main-3f2a1bc", "main-9e8d7c6", "main-0a1b2c3", "dev-1234567"]):
        oci.push_image(registry.url, repo, tag, created=BASE + dt.timedelta(days=30, hours=hour))
    return f"{registry.host}/{repo}"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param(["--semver-constraint", ">=1.0.0 <2.0.0"], "v1.5.0", id="semver-production"),
        pytest.param([], "v2.0.0", id="semver-no-constraint-skips-prerelease"),
        pytest.param(
            ["--semver-constraint", ">=1.0.0-rc.0", "--allow-tags", r"regexp:^v[0-9]+\.[0-9]+\.[0-9]+-rc"],
            "v1.6.0-rc.1",
            id="semver-staging-rc",
        ),
        pytest.param(
            ["--update-strategy", "latest", "--allow-tags", "regexp:^main-[a-f0-9]{7}$"],
            "main-0a1b2c3",
            id="newest-build-legacy-name",
        ),
        pytest.param(
            ["--update-strategy", "alphabetical", "--allow-tags", "regexp:^main-"],
            "main-9e8d7c6",
            id="alphabetical",
        ),
        pytest.param(
            [
                "--semver-constraint",
                ">=1.0.0",
                "--ignore-tags",
                "regexp:(-rc|-alpha|-beta)",
                "--ignore-tags",
                "v2*",
            ],
            "v1.5.0",
            id="ignore-regexp-and-glob",
        ),
    ],
)
def test_each_strategy_picks_like_upstream(api_repo: str, flags: list[str], expected: str) -> None:
    result = run(api_repo, *flags, "--output", "json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["tag"] == expected
    assert answer["image"] == api_repo
    assert answer["digest"].startswith("sha256:")
    assert answer["requests"]["tags"] == 1


def test_constraint_in_the_image_argument_is_honoured(api_repo: str) -> None:
    result = run(f"{api_repo}:~1.4", "--output", "json")
    assert json.loads(result.stdout)["tag"] == "v1.4.2"


def test_text_output_and_explain(api_repo: str) -> None:
    result = run(api_repo, "--semver-constraint", ">=1.0.0 <2.0.0", "--explain")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"Found 10 tags in registry {api_repo}"
    assert "  chosen     v1.5.0" in lines
    assert "  dropped    v1.6.0-rc.1: pre-release; the constraint names no pre-release" in lines
    assert "  dropped    v2.0.0: outside constraint >=1.0.0 <2.0.0" in lines
    assert "  dropped    main-3f2a1bc: not a semantic version" in lines
    assert f"latest image according to constraint '>=1.0.0 <2.0.0' is {api_repo}:v1.5.0" in lines


@pytest.mark.parametrize(
    ("flags", "chosen", "dropped"),
    [
        pytest.param(["--held-version", "v1.4.2"], "v1.5.0", ["v1.4.2", "v1.0.0"], id="newer-exists"),
        pytest.param(["--held-version", "v1.5.0"], None, ["v1.5.0", "v1.4.2", "v1.0.0"], id="nothing-newer"),
        pytest.param(
            ["--held-version", "v1.4.2", "--hold-after-revert", "forever"],
            None,
            ["v1.5.0", "v1.4.2", "v1.0.0"],
            id="forever",
        ),
    ],
)
def test_explain_shows_what_a_hold_excludes(
    api_repo: str, flags: list[str], chosen: str | None, dropped: list[str]
) -> None:
    result = run(api_repo, "--semver-constraint", ">=1.0.0 <2.0.0", "--explain", *flags)
    assert result.exit_code == (0 if chosen else 1), result.output
    lines = result.stdout.splitlines()
    if chosen:
        assert f"  chosen     {chosen}" in lines
    held = [ln.split()[1].rstrip(":") for ln in lines if ln.startswith("  dropped") and "held after" in ln]
    assert held == dropped
    assert any("(--held-version)" in ln for ln in lines)


def test_semver_costs_one_tag_list_plus_one_head(api_repo: str) -> None:
    answer = json.loads(run(api_repo, "--output", "json").stdout)
    assert answer["requests"] == {"tags": 1, "manifest_head": 1}


def test_digest_of_a_multi_arch_tag_is_the_index_digest(registry: LocalRegistry) -> None:
    index = oci.push_index(
        registry.url, "cli/migrator", "latest", platforms=[("linux/amd64", BASE), ("linux/arm64/v8", BASE)]
    )
    result = run(f"{registry.host}/cli/migrator:latest", "--update-strategy", "digest", "--output", "json")
    answer = json.loads(result.stdout)
    assert (answer["tag"], answer["digest"]) == ("latest", index)
    assert answer["chosen"] == f"{registry.host}/cli/migrator:latest@{index}"
    assert "manifest_get" not in answer["requests"]  # a HEAD is enough: not a pull on Docker Hub


def test_platform_filter(registry: LocalRegistry) -> None:
    oci.push_image(registry.url, "cli/plat", "1.0.0", created=BASE, platform="linux/amd64")
    oci.push_index(
        registry.url, "cli/plat", "0.9.0", platforms=[("linux/amd64", BASE), ("linux/arm64/v8", BASE)]
    )
    image = f"{registry.host}/cli/plat"
    assert json.loads(run(image, "--output", "json").stdout)["tag"] == "1.0.0"
    arm = run(image, "--platforms", "linux/arm64", "--output", "json")
    assert json.loads(arm.stdout)["tag"] == "0.9.0"
    assert {"tag": "1.0.0", "reason": "offers linux/amd64 only; wanted linux/arm64"} in json.loads(
        arm.stdout
    )["rejected"]


def test_nothing_matches_exits_1_and_says_why(api_repo: str) -> None:
    result = run(api_repo, "--semver-constraint", ">=3.0.0")
    assert result.exit_code == 1
    assert "no tag matched: 10 tags listed; dropped: 5 outside constraint >=3.0.0" in result.stdout
    assert "--explain" in result.stdout


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        pytest.param(["--update-strategy", "newest"], "update-strategy 'newest' is unknown", id="strategy"),
        pytest.param(["--allow-tags", "regexp:(["], "regexp:([", id="bad-regexp"),
        pytest.param(["--allow-tags", "main-*"], "allow-tags", id="allow-without-function"),
        pytest.param(["--semver-constraint", ">>1"], ">>1", id="bad-constraint"),
        pytest.param(["--platforms", "linux"], "linux", id="bad-platform"),
        pytest.param(["--credentials", "vault:x"], "credential reference", id="bad-credentials"),
        pytest.param(["--held-version", "v1 .0"], "--held-version", id="bad-held-version"),
        pytest.param(
            ["--held-version", "v1", "--hold-after-revert", "1d"], "hold-after-revert", id="bad-hold"
        ),
        pytest.param(
            ["--registries-conf-path", "/nonexistent/registries.conf"], "registries.conf", id="conf"
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(api_repo: str, flags: list[str], fragment: str) -> None:
    result = run(api_repo, *flags)
    assert result.exit_code == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ")
    assert fragment in line


def test_bad_image_reference_exits_2() -> None:
    result = run("Ghcr.io/Org/App")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_htpasswd_registry_with_env_credentials(
    registry_htpasswd: LocalRegistry, registry_auth: tuple[str, str]
) -> None:
    user, password = registry_auth
    oci.push_image(registry_htpasswd.url, "cli/private", "1.2.3", created=BASE, auth=registry_auth)
    image = f"{registry_htpasswd.host}/cli/private"
    ok = run(
        image, "--credentials", "env:REG_CREDS", "--output", "json", env={"REG_CREDS": f"{user}:{password}"}
    )
    assert json.loads(ok.stdout)["tag"] == "1.2.3"
    bad = run(image, "--credentials", "env:REG_CREDS", env={"REG_CREDS": f"{user}:wrong-s3cret"})
    assert bad.exit_code == 3
    assert "wrong-s3cret" not in bad.output
    assert "Traceback" not in bad.output
    anonymous = run(image)
    assert anonymous.exit_code == 3


def test_token_registry_anonymous_pull(registry_token: LocalRegistry, registry_auth: tuple[str, str]) -> None:
    oci.push_image(registry_token.url, "cli/public", "2.0.0", created=BASE, auth=registry_auth)
    result = run(f"{registry_token.host}/cli/public", "--output", "json")
    assert json.loads(result.stdout)["tag"] == "2.0.0"
    assert json.loads(result.stdout)["requests"]["token"] >= 1


def test_registries_conf_entry_and_secret_files(
    tmp_path: Path, registry_htpasswd: LocalRegistry, registry_auth: tuple[str, str]
) -> None:
    user, password = registry_auth
    oci.push_image(registry_htpasswd.url, "team/app", "1.0.0", created=BASE, auth=registry_auth)
    conf = tmp_path / "registries.conf"
    conf.write_text(
        "registries:\n"
        "- name: Private\n"
        "  prefix: registry.example.com\n"
        f"  api_url: {registry_htpasswd.url}\n"
        "  credentials: secret:argocd/reg#creds\n"
    )
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "reg.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: reg, namespace: argocd}\n"
        f"stringData:\n  creds: '{user}:{password}'\n"
    )
    result = run(
        "registry.example.com/team/app",
        "--registries-conf-path",
        str(conf),
        "--secrets-dir",
        str(secrets),
        "--output",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tag"] == "1.0.0"


def test_unreachable_registry_exits_3_with_a_clear_line() -> None:
    result = run("127.0.0.1:9/x/y", "--rate-limit", "100")
    assert result.exit_code == 3
    (line,) = result.stderr.splitlines()
    assert "127.0.0.1:9" in line


def test_answers_to_the_upstream_command_name() -> None:
    scripts = Path(__file__).resolve().parents[2] / ".venv" / "bin"
    assert (scripts / "argocd-image-updater").exists()
    assert (scripts / "image-updater").exists()


@pytest.mark.parametrize(("mode", "end"), [("latest-first", 0), ("latest-last", -1)])
def test_tagsortmode_replaces_metadata_with_the_listing_order(
    api_repo: str, registry: LocalRegistry, tmp_path: Path, mode: str, end: int
) -> None:
    expected = oci.list_tags(registry.url, "cli/api")[end]
    conf = tmp_path / "registries.conf"
    conf.write_text(
        f"registries:\n- name: local\n  prefix: {registry.host}\n  api_url: {registry.url}\n"
        f"  tagsortmode: {mode}\n"
    )
    result = run(
        api_repo, "--update-strategy", "newest-build", "--registries-conf-path", str(conf), "--output", "json"
    )
    answer = json.loads(result.stdout)
    assert (
        answer["tag"] == expected
    )  # the registry lists tags alphabetically; the mode says which end is newest
    assert "blob_get" not in answer["requests"]
    assert answer["requests"].get("manifest_get", 0) == 0
