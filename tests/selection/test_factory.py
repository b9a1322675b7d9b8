"""make_policy / parse_strategy: names, legacy aliases, and configuration errors."""

from __future__ import annotations

import pytest

from image_updater.errors import ConfigError, InvalidConstraint, InvalidStrategy
from image_updater.selection import StrategyName, UpdatePolicy, make_policy, parse_strategy
from image_updater.selection.alphabetical import AlphabeticalPolicy
from image_updater.selection.digest import DigestPolicy
from image_updater.selection.newest_build import NewestBuildPolicy
from image_updater.selection.semver_policy import SemverPolicy

IMAGE = "ghcr.io/org/app"


@pytest.mark.parametrize(
    ("written", "name", "legacy"),
    [
        pytest.param(None, "semver", None, id="unset"),
        pytest.param("", "semver", None, id="empty"),
        pytest.param("semver", "semver", None, id="semver"),
        pytest.param(" SemVer ", "semver", None, id="case-and-space"),
        pytest.param("newest-build", "newest-build", None, id="newest-build"),
        pytest.param("latest", "newest-build", "latest", id="legacy-latest"),
        pytest.param("LATEST", "newest-build", "latest", id="legacy-latest-upper"),
        pytest.param("alphabetical", "alphabetical", None, id="alphabetical"),
        pytest.param("name", "alphabetical", "name", id="legacy-name"),
        pytest.param("digest", "digest", None, id="digest"),
    ],
)
def test_parse_strategy(written: str | None, name: str, legacy: str | None) -> None:
    assert parse_strategy(written) == StrategyName(name, legacy)


@pytest.mark.parametrize("written", ["newest", "semver2", "lexical", "latest-build", "sem ver"])
def test_unknown_strategy_lists_valid_names(written: str) -> None:
    with pytest.raises(InvalidStrategy) as caught:
        make_policy(written, version=None, image=IMAGE)
    message = str(caught.value)
    assert repr(written) in message
    for valid in ("semver", "newest-build", "alphabetical", "digest", "latest", "name"):
        assert valid in message


@pytest.mark.parametrize(
    ("strategy", "version", "kind", "metadata", "digest"),
    [
        pytest.param(None, None, SemverPolicy, False, False, id="default-semver"),
        pytest.param("semver", ">=1.0.0 <2.0.0", SemverPolicy, False, False, id="semver-range"),
        pytest.param("semver", "  ", SemverPolicy, False, False, id="blank-constraint-is-none"),
        pytest.param("latest", None, NewestBuildPolicy, True, False, id="latest"),
        pytest.param(
            "newest-build", "^1.0", NewestBuildPolicy, True, False, id="newest-build-ignores-version"
        ),
        pytest.param("name", None, AlphabeticalPolicy, False, False, id="name"),
        pytest.param(
            "alphabetical", "1.x", AlphabeticalPolicy, False, False, id="alphabetical-ignores-version"
        ),
        pytest.param("digest", "stable", DigestPolicy, False, True, id="digest"),
    ],
)
def test_make_policy(
    strategy: str | None, version: str | None, kind: type, metadata: bool, digest: bool
) -> None:
    policy: UpdatePolicy = make_policy(strategy, version=version, image=IMAGE)
    assert isinstance(policy, kind)
    assert (policy.needs_metadata, policy.needs_digest) == (metadata, digest)
    assert policy.name == parse_strategy(strategy).name


def test_semver_policy_uses_the_constraint() -> None:
    policy = make_policy("semver", version=">=1.0.0 <2.0.0", image=IMAGE)
    assert policy.admit("2.0.0") == "outside constraint >=1.0.0 <2.0.0"
    assert policy.admit("1.9.0") is None


def test_digest_tracks_the_version() -> None:
    policy = make_policy("digest", version="stable", image=IMAGE)
    assert policy.admit("stable") is None
    assert policy.admit("latest") == "not the tracked tag stable"


@pytest.mark.parametrize(
    ("strategy", "version", "fragments"),
    [
        pytest.param(
            "semver", ">=1.0 <", ["'>=1.0 <'", "does not parse", "write e.g."], id="dangling-operator"
        ),
        pytest.param("semver", "one.two", ["'one.two'"], id="not-a-version"),
        pytest.param("semver", ">>1", ["'>>1'"], id="double-operator"),
        pytest.param(
            "digest", ">=1.0", ["'>=1.0' is not a tag", f"{IMAGE}:<tag>"], id="digest-with-constraint"
        ),
    ],
)
def test_invalid_constraint(strategy: str, version: str | None, fragments: list[str]) -> None:
    with pytest.raises(InvalidConstraint) as caught:
        make_policy(strategy, version=version, image=IMAGE)
    assert isinstance(caught.value, ConfigError)
    message = str(caught.value)
    assert message.startswith(f"image {IMAGE}: ")
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("version", [None, ""], ids=["none", "empty"])
def test_digest_without_a_tag_tracks_latest(version: str | None) -> None:
    policy = make_policy("digest", version=version, image=IMAGE)
    assert policy.admit("latest") is None
    assert policy.admit("stable") is not None
