"""Annotation parsing: the seed article's Applications, upstream's keys, and clear errors."""

from __future__ import annotations

import re

import pytest

from image_updater import annotations
from image_updater.errors import InvalidAnnotation
from image_updater.holds import HoldMode

P = annotations.PREFIX


def ann(**pairs: str) -> dict[str, str]:
    return {P + k.replace("__", "."): v for k, v in pairs.items()}


def parse(pairs: dict[str, str]) -> annotations.AppSettings:
    return annotations.parse(pairs, app="argocd/api-service", namespace="argocd")


def test_seed_production_application() -> None:
    settings = parse(
        {
            P + "image-list": "api=ghcr.io/your-org/api-service",
            P + "api.update-strategy": "semver",
            P + "api.semver-constraint": ">=1.0.0 <2.0.0",
            P + "api.ignore-tags": "regexp:(-rc|-alpha|-beta)",
            P + "write-back-method": "git",
            P + "write-back-target": "kustomization",
            P + "git-branch": "main",
        }
    )
    (image,) = settings.images
    assert image.spec.alias == "api"
    assert image.policy.name == "semver"
    assert image.policy.admit("v1.5.0") is None
    assert image.policy.admit("v2.0.0") is not None
    assert image.tag_filter.reason_to_drop("v1.6.0-rc.1") is not None
    assert (settings.write_back_method, settings.write_back_target, settings.git_branch) == (
        "git",
        "kustomization",
        "main",
    )
    assert settings.warnings == ()


def test_seed_multi_container_folded_list() -> None:
    settings = parse(
        {
            P
            + "image-list": "api=ghcr.io/org/api,\nworker=ghcr.io/org/worker,\nmigrator=ghcr.io/org/migrator",
            P + "api.semver-constraint": ">=2.0.0 <3.0.0",
            P + "worker.semver-constraint": ">=1.0.0 <2.0.0",
            P + "migrator.update-strategy": "digest",
        }
    )
    names = [(i.spec.alias, i.policy.name) for i in settings.images]
    assert names == [("api", "semver"), ("worker", "semver"), ("migrator", "digest")]
    assert settings.images[2].policy.admit("latest") is None


def test_seed_dev_latest_is_newest_build_with_a_deprecation_warning() -> None:
    settings = parse(
        {
            P + "image-list": "api=ghcr.io/org/api",
            P + "api.update-strategy": "latest",
            P + "api.allow-tags": "regexp:^main-[a-f0-9]{7}$",
            P + "write-back-method": "git",
            P + "git-branch": "deploy/dev",
        }
    )
    (image,) = settings.images
    assert image.policy.name == "newest-build"
    assert image.tag_filter.reason_to_drop("main-abc1234") is None
    assert image.tag_filter.reason_to_drop("feature-abc1234") is not None
    assert any("deprecated" in w for w in settings.warnings)


def test_app_wide_defaults_and_per_image_override() -> None:
    settings = parse(
        {
            P + "image-list": "a=ghcr.io/org/a, b=ghcr.io/org/b",
            P + "update-strategy": "alphabetical",
            P + "b.update-strategy": "semver",
            P + "force-update": "true",
        }
    )
    assert [i.policy.name for i in settings.images] == ["alphabetical", "semver"]
    assert all(i.force_update for i in settings.images)


def test_helm_and_kustomize_keys() -> None:
    settings = parse(
        {
            P + "image-list": "api=ghcr.io/org/api",
            P + "api.helm.image-name": "image.repository",
            P + "api.helm.image-tag": "image.tag",
            P + "api.kustomize.image-name": "org/api",
        }
    )
    (image,) = settings.images
    assert (image.helm_name, image.helm_tag, image.helm_spec, image.kustomize_name) == (
        "image.repository",
        "image.tag",
        None,
        "org/api",
    )


def test_unknown_key_is_a_warning_naming_it() -> None:
    settings = parse({P + "image-list": "api=ghcr.io/org/api", P + "api.update-stratgy": "semver"})
    assert settings.warnings == (
        f"application argocd/api-service: unknown annotation {P}api.update-stratgy is ignored",
    )


@pytest.mark.parametrize(
    ("pairs", "fragment"),
    [
        pytest.param({"image-list": ""}, "image-list is empty", id="empty-image-list"),
        pytest.param(
            {"image-list": "api=ghcr.io/org/api", "api.update-strategy": "newest"},
            "api.update-strategy",
            id="unknown-strategy",
        ),
        pytest.param(
            {"image-list": "api=ghcr.io/org/api", "api.allow-tags": "regexp:(["},
            "api.allow-tags",
            id="bad-regexp",
        ),
        pytest.param(
            {"image-list": "api=ghcr.io/org/api", "api.force-update": "maybe"},
            "use true or false",
            id="bad-bool",
        ),
        pytest.param(
            {"image-list": "api=ghcr.io/org/api", "write-back-method": "svn"},
            "write-back-method",
            id="bad-method",
        ),
        pytest.param(
            {"image-list": "api=ghcr.io/org/api", "api.platforms": "linux"},
            "api.platforms",
            id="bad-platform",
        ),
        pytest.param(
            {"image-list": "api=ghcr.io/org/api:~1.2", "api.semver-constraint": "^2"},
            "keep one",
            id="two-constraints",
        ),
        pytest.param(
            {"image-list": "api=ghcr.io/org/api", "api.pull-secret": "vault:x"},
            "api.pull-secret",
            id="bad-credential-ref",
        ),
    ],
)
def test_malformed_annotations_name_the_app_and_key(pairs: dict[str, str], fragment: str) -> None:
    with pytest.raises(InvalidAnnotation) as caught:
        parse({P + k: v for k, v in pairs.items()})
    message = str(caught.value)
    assert message.startswith("application argocd/api-service")
    assert fragment in message
    assert "\n" not in message


def test_is_managed() -> None:
    assert annotations.is_managed({P + "image-list": "nginx"})
    assert not annotations.is_managed({P + "image-list": " "})
    assert not annotations.is_managed({})


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        pytest.param(
            {"api.pull-secret": "pullsecret:kube-system/registry"},
            "Secret kube-system/registry is not in the Application's namespace 'argocd'",
            id="pullsecret-other-namespace",
        ),
        pytest.param(
            {"pull-secret": "secret:argocd-other/creds#token"},
            "Secret argocd-other/creds is not in the Application's namespace 'argocd'",
            id="secret-other-namespace-app-wide",
        ),
        pytest.param(
            {"api.pull-secret": "env:ARGOCD_TOKEN"},
            "env: credentials are not allowed in Application annotations",
            id="env-reads-the-controllers-environment",
        ),
        pytest.param(
            {"api.pull-secret": "ext:/usr/bin/env"},
            "ext: credentials are not allowed in Application annotations",
            id="ext-runs-the-controllers-files",
        ),
        pytest.param(
            {"write-back-method": "git:secret:kube-system/deploy-key"},
            "Secret kube-system/deploy-key is not in the Application's namespace 'argocd'",
            id="git-secret-other-namespace",
        ),
    ],
)
def test_annotations_reach_only_their_own_namespaces_credentials(pairs: dict[str, str], message: str) -> None:
    """docs/security.md, Application annotators: no other tenant's Secret, no controller env or files."""
    with pytest.raises(InvalidAnnotation, match=re.escape(message)):
        parse({P + key: value for key, value in {"image-list": "api=ghcr.io/org/api", **pairs}.items()})


@pytest.mark.parametrize(
    "pairs",
    [
        pytest.param({"api.pull-secret": "pullsecret:argocd/registry"}, id="pullsecret-own-namespace"),
        pytest.param({"write-back-method": "git:secret:argocd/creds"}, id="git-secret-own-namespace"),
        pytest.param({"write-back-method": "git:secret:creds"}, id="git-secret-implicit-namespace"),
    ],
)
def test_own_namespace_references_are_accepted(pairs: dict[str, str]) -> None:
    parse({P + key: value for key, value in {"image-list": "api=ghcr.io/org/api", **pairs}.items()})


def test_the_operator_may_allow_env_and_ext_references() -> None:
    trust = annotations.AppTrust(credential_kinds=frozenset({"pullsecret", "secret", "env", "ext"}))
    settings = annotations.parse(
        {P + "image-list": "api=ghcr.io/org/api", P + "api.pull-secret": "env:REGISTRY_TOKEN"},
        app="argocd/api-service",
        namespace="argocd",
        trust=trust,
    )
    assert str(settings.images[0].pull_secret) == "env:REGISTRY_TOKEN"


def test_an_image_list_of_thousands_is_refused_in_one_line() -> None:
    """docs/security.md, annotators: one Application cannot take the registry budget of all others."""
    images = ",".join(f"a{n}=ghcr.io/org/app{n}" for n in range(annotations.MAX_IMAGES + 1))
    with pytest.raises(InvalidAnnotation, match=r"names 201 images; at most 200 are watched per Application"):
        parse({P + "image-list": images})
    parse({P + "image-list": ",".join(f"a{n}=ghcr.io/org/app{n}" for n in range(annotations.MAX_IMAGES))})


@pytest.mark.parametrize(
    ("pairs", "mode"),
    [
        pytest.param({}, HoldMode(), id="default-until-newer"),
        pytest.param({"hold-after-revert": "forever"}, HoldMode("forever"), id="app-wide"),
        pytest.param(
            {"hold-after-revert": "forever", "api__hold-after-revert": "30m"},
            HoldMode("duration", 1800),
            id="per-image-wins",
        ),
    ],
)
def test_hold_after_revert(pairs: dict[str, str], mode: HoldMode) -> None:
    settings = parse(ann(**{"image-list": "api=ghcr.io/org/api", **pairs}))
    assert settings.images[0].hold_after_revert == mode
    assert settings.warnings == ()


def test_a_bad_hold_after_revert_names_the_app_and_key() -> None:
    with pytest.raises(
        InvalidAnnotation, match=re.escape(f"argocd/api-service: annotation {P}api.hold-after-revert")
    ):
        parse(ann(**{"image-list": "api=ghcr.io/org/api", "api__hold-after-revert": "1d"}))
