"""An ImageUpdater's settings for one Application: upstream's precedence (image > applicationRef >
spec, field by field; cases from upstream's Test_mergeCommonUpdateSettings / Test_mergeWBCSettings),
useAnnotations, the refusals of what is not implemented, tenancy, and upstream's documented
examples parsed into the AppSettings annotations would give."""

from __future__ import annotations

from typing import Any

import pytest

from image_updater import annotations, selection
from image_updater.annotations import AppSettings, AppTrust
from image_updater.applications import Application, from_manifest
from image_updater.errors import InvalidAnnotation, InvalidImageUpdater
from image_updater.holds import HoldMode
from image_updater.resources import matching, merging
from image_updater.resources.validation import parse
from tests.resources.samples import load

P = annotations.PREFIX


def application(name: str, *, labels: dict[str, str] | None = None, **notes: str) -> Application:
    return from_manifest(
        {
            "metadata": {
                "name": name,
                "namespace": "argocd",
                "labels": labels or {},
                "annotations": {P + k.replace("__", "."): v for k, v in notes.items()},
            },
            "spec": {"source": {"repoURL": "https://git.example/r.git", "path": "app", "helm": {}}},
        }
    )


def settings_for(
    obj: dict[str, Any], app: Application, trust: AppTrust = merging.TRUST
) -> AppSettings | None:
    resource = parse(obj, default_namespace="argocd")
    labels = app.manifest["metadata"].get("labels", {})
    match = matching.select(resource, name=app.name, namespace=app.namespace, labels=labels)
    assert match is not None, f"{app.key} is not selected"
    return merging.app_settings(resource, match, app, trust=trust)


def updater(spec: dict[str, Any], **ref: Any) -> dict[str, Any]:
    ref = {"namePattern": "web", "images": [{"alias": "web", "imageName": "nginx:1.x"}], **ref}
    return {
        "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": "u", "namespace": "argocd"},
        "spec": {**spec, "applicationRefs": [ref]},
    }


def with_image_settings(**common: Any) -> list[dict[str, Any]]:
    return [{"alias": "web", "imageName": "nginx:1.x", "commonUpdateSettings": common}]


def one_image(obj: dict[str, Any]) -> Any:
    result = settings_for(obj, application("web"))
    assert result is not None
    (image,) = result.images
    return image


WEB = application("web")
PRECEDENCE = [
    ("should return empty settings when all inputs are nil", updater({}), "semver", None, False),
    (
        "should use global settings when app settings are nil",
        updater({"commonUpdateSettings": {"updateStrategy": "digest"}}),
        "digest",
        None,
        False,
    ),
    (
        "should use app settings when global settings are nil",
        updater({}, commonUpdateSettings={"updateStrategy": "newest-build"}),
        "newest-build",
        None,
        False,
    ),
    (
        "should override global settings with app settings",
        updater(
            {"commonUpdateSettings": {"updateStrategy": "semver", "allowTags": "regexp:^v1"}},
            commonUpdateSettings={"updateStrategy": "newest-build"},
        ),
        "newest-build",
        "regexp:^v1",
        False,
    ),
    (
        "should merge settings, taking non-nil fields from each level",
        updater(
            {"commonUpdateSettings": {"updateStrategy": "semver", "forceUpdate": False}},
            commonUpdateSettings={"forceUpdate": True, "allowTags": "regexp:^v1"},
            images=with_image_settings(allowTags="regexp:^rc-"),
        ),
        "semver",
        "regexp:^rc-",
        True,
    ),
    (
        "image false beats ref true (false is set, not unset)",
        updater(
            {}, commonUpdateSettings={"forceUpdate": True}, images=with_image_settings(forceUpdate=False)
        ),
        "semver",
        None,
        False,
    ),
]


@pytest.mark.parametrize(
    ("obj", "strategy", "allow", "force"),
    [c[1:] for c in PRECEDENCE],
    ids=[f"Test_mergeCommonUpdateSettings/{c[0]}" for c in PRECEDENCE],
)
def test_common_update_settings_precedence(
    obj: dict[str, Any], strategy: str, allow: str | None, force: bool
) -> None:
    image = one_image(obj)
    assert image.policy.name == strategy
    assert (image.tag_filter.allow.text if image.tag_filter.allow else None) == allow
    assert image.force_update is force


def test_lists_are_replaced_not_appended() -> None:
    obj = updater(
        {"commonUpdateSettings": {"ignoreTags": ["latest"], "platforms": ["linux/amd64"]}},
        images=with_image_settings(ignoreTags=["rc-*", "dev"]),
    )
    image = one_image(obj)
    assert [r.text for r in image.tag_filter.ignore] == ["glob rc-*", "glob dev"]
    assert [str(p) for p in image.platforms] == ["linux/amd64"]


GIT = {
    "repository": "https://git.example/global.git",
    "branch": "main",
    "writeBackTarget": "helmvalues:g.yaml",
}
WRITE_BACK = [
    ("should return empty config when both are nil", updater({}), ("argocd", None, None, None)),
    (
        "global set method is returned as-is when app is nil",
        updater({"writeBackConfig": {"method": "git"}}),
        ("git", None, None, None),
    ),
    (
        "app explicit method is used when global is nil",
        updater({}, writeBackConfig={"method": "git"}),
        ("git", None, None, None),
    ),
    (
        "app inherits global method when app method is nil",
        updater(
            {"writeBackConfig": {"method": "git:repocreds"}}, writeBackConfig={"gitConfig": {"branch": "dev"}}
        ),
        ("git:repocreds", None, "dev", None),
    ),
    (
        "app method overrides global method when explicitly set",
        updater({"writeBackConfig": {"method": "git"}}, writeBackConfig={"method": "argocd"}),
        ("argocd", None, None, None),
    ),
    (
        "global GitConfig is preserved when appWBC is nil",
        updater({"writeBackConfig": {"method": "git", "gitConfig": GIT}}),
        ("git", GIT["repository"], "main", "helmvalues:g.yaml"),
    ),
    (
        "app GitConfig fields override global GitConfig fields",
        updater(
            {"writeBackConfig": {"method": "git", "gitConfig": GIT}},
            writeBackConfig={"gitConfig": {"branch": "release", "writeBackTarget": "kustomization:."}},
        ),
        ("git", GIT["repository"], "release", "kustomization:."),
    ),
]


@pytest.mark.parametrize(
    ("obj", "expected"),
    [c[1:] for c in WRITE_BACK],
    ids=[f"Test_mergeWBCSettings/{c[0]}" for c in WRITE_BACK],
)
def test_write_back_precedence(
    obj: dict[str, Any], expected: tuple[str, str | None, str | None, str | None]
) -> None:
    result = settings_for(obj, WEB)
    assert result is not None
    assert (
        result.write_back_method,
        result.git_repository,
        result.git_branch,
        result.write_back_target,
    ) == expected


def test_helm_spec_wins_over_name_and_tag_and_kustomize_name_is_kept() -> None:
    helm = {"name": "image.name", "tag": "image.tag", "spec": "image.full"}
    image = one_image(
        updater({}, images=[{"alias": "a", "imageName": "nginx", "manifestTargets": {"helm": helm}}])
    )
    assert (image.helm_name, image.helm_tag, image.helm_spec) == (None, None, "image.full")
    kustomize = {"kustomize": {"name": "docker.io/library/nginx"}}
    image = one_image(
        updater({}, images=[{"alias": "a", "imageName": "nginx", "manifestTargets": kustomize}])
    )
    assert image.kustomize_name == "docker.io/library/nginx"


def test_use_annotations_reads_the_applications_annotations_and_ignores_the_resources_settings() -> None:
    obj = updater(
        {"commonUpdateSettings": {"updateStrategy": "digest"}, "writeBackConfig": {"method": "git"}},
        useAnnotations=True,
        images=None,
    )
    del obj["spec"]["applicationRefs"][0]["images"]
    app = application("web", **{"image-list": "api=ghcr.io/o/api:~1.2", "api__update-strategy": "semver"})
    result = settings_for(obj, app)
    assert result == annotations.parse(app.annotations, app=app.key, namespace="argocd")
    assert result.write_back_method == "argocd"


def test_use_annotations_without_an_image_list_is_not_managed() -> None:
    obj = load("config/samples/imageupdater-short.yaml#1")
    assert settings_for(obj, application("anything", labels={"image-updater": "my-image-updater"})) is None


def test_use_annotations_errors_name_the_annotation() -> None:
    obj = load("config/samples/imageupdater-short.yaml#1")
    app = application(
        "x", labels={"image-updater": "my-image-updater"}, **{"image-list": "a=nginx", "a__platforms": "x"}
    )
    with pytest.raises(InvalidAnnotation, match=r"^application argocd/x: annotation .*a\.platforms"):
        settings_for(obj, app)


REFUSED = [
    (
        "verification-enabled",
        load("config/samples/imageupdater-verification.yaml"),
        "my-app",
        "imageupdater argocd/argocd-image-updater-verification: spec.imagesVerification: signature "
        "verification is not supported",
    ),
    (
        "pull-request",
        load("config/samples/imageupdater-pull-request.yaml"),
        "app-001",
        "imageupdater argocd/argocd-image-updater-github: spec.writeBackConfig.gitConfig.pullRequest: "
        "pull-request write-back is not supported",
    ),
    (
        "plugin-target",
        load("config/samples/imageupdater-plugin.yaml"),
        "my-plugin-app",
        "imageupdater argocd/argocd-image-updater-sample-plugin: spec.applicationRefs[0].images[0]"
        ".manifestTargets.plugin: Config Management Plugin targets are not supported",
    ),
    (
        "bad-strategy-names-the-level-that-set-it",
        updater({"commonUpdateSettings": {"updateStrategy": "newest"}}),
        "web",
        "imageupdater argocd/u: spec.commonUpdateSettings.updateStrategy / spec.applicationRefs[0].images[0]"
        ".imageName: ",
    ),
    (
        "bad-allow-tags-at-image-level",
        updater({}, images=with_image_settings(allowTags="v1.*")),
        "web",
        "imageupdater argocd/u: spec.applicationRefs[0].images[0].commonUpdateSettings.allowTags: "
        "image nginx",
    ),
    (
        "bad-platform",
        updater({}, commonUpdateSettings={"platforms": ["windows"]}),
        "web",
        "imageupdater argocd/u: spec.applicationRefs[0].commonUpdateSettings.platforms: ",
    ),
    (
        "bad-image-name",
        updater({}, images=[{"alias": "a", "imageName": "UPPER/Case:1"}]),
        "web",
        "imageupdater argocd/u: spec.applicationRefs[0].images[0].imageName: ",
    ),
    (
        "pull-secret-of-another-namespace",
        updater({"commonUpdateSettings": {"pullSecret": "pullsecret:other/creds"}}),
        "web",
        "imageupdater argocd/u: spec.commonUpdateSettings.pullSecret: Secret other/creds is not in the "
        "Application's namespace 'argocd'",
    ),
    (
        "env-credentials-need-the-operators-consent",
        updater({}, commonUpdateSettings={"pullSecret": "env:TOKEN"}),
        "web",
        "imageupdater argocd/u: spec.applicationRefs[0].commonUpdateSettings.pullSecret: env: "
        "credentials are not allowed in ImageUpdater resources",
    ),
    (
        "git-secret-of-another-namespace",
        updater({"writeBackConfig": {"method": "git:secret:other/creds"}}),
        "web",
        "imageupdater argocd/u: spec.writeBackConfig.method: Secret other/creds is not in the Application's",
    ),
]


@pytest.mark.parametrize(("obj", "app", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_refusals_name_the_resource_and_field(obj: dict[str, Any], app: str, message: str) -> None:
    with pytest.raises(InvalidImageUpdater) as caught:
        settings_for(obj, application(app))
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_verification_switched_off_at_image_level_is_accepted() -> None:
    obj = load("config/samples/imageupdater-verification.yaml")
    obj["spec"]["applicationRefs"][0]["images"] = obj["spec"]["applicationRefs"][0]["images"][1:]
    result = settings_for(obj, application("my-app"))
    assert result is not None
    assert [i.spec.alias for i in result.images] == ["no-signature"]


def test_operator_allowed_credential_kinds_apply_to_resources_too() -> None:
    obj = updater({}, commonUpdateSettings={"pullSecret": "env:TOKEN"})
    trust = AppTrust(credential_kinds=frozenset({"pullsecret", "secret", "env"}))
    assert one_image_with(obj, trust).pull_secret is not None


def one_image_with(obj: dict[str, Any], trust: AppTrust) -> Any:
    result = settings_for(obj, WEB, trust)
    assert result is not None
    return result.images[0]


def test_deprecated_strategy_names_warn_naming_the_resource() -> None:
    result = settings_for(updater({"commonUpdateSettings": {"updateStrategy": "latest"}}), WEB)
    assert result is not None
    assert result.images[0].policy.name == "newest-build"
    assert result.warnings == (
        "imageupdater argocd/u: image web: update-strategy 'latest' is deprecated; use 'newest-build'",
    )


def summary(result: AppSettings | None) -> tuple[Any, ...]:
    assert result is not None
    images = tuple(
        (i.spec.alias, str(i.spec.image), i.spec.version, i.policy.name, i.helm_name, i.helm_tag)
        for i in result.images
    )
    return (
        images,
        result.write_back_method,
        result.git_repository,
        result.git_branch,
        result.write_back_target,
    )


EXAMPLES = [
    (
        "docs/examples: basic with global defaults",
        "my-app-frontend",
        ((("nginx", "nginx", "1.20", "semver", None, None),), "argocd", None, None, None),
    ),
    (
        "docs/examples: application-specific overrides",
        "production-eu",
        ((("app", "myapp", "latest", "digest", None, None),), "argocd", None, None, None),
    ),
    (
        "docs/examples: application-specific overrides",
        "staging-eu",
        ((("app", "myapp", "latest", "newest-build", None, None),), "argocd", None, None, None),
    ),
    (
        "docs/examples: git write-back",
        "my-app-1",
        (
            (("nginx", "nginx", "1.20", "semver", "image.repository", "image.tag"),),
            "git",
            "git@github.com:myorg/myrepo.git",
            "main",
            "helmvalues:./values.yaml",
        ),
    ),
    (
        "docs/examples: digest strategy",
        "dev",
        (
            (
                ("api", "registry.com/vendor/api", "latest", "digest", None, None),
                ("front", "registry.com/vendor/front", "latest", "digest", None, None),
            ),
            "argocd",
            None,
            None,
            None,
        ),
    ),
    (
        "docs/examples: semver with constraints",
        "prod",
        (
            (
                ("api", "registry.com/vendor/api", "1.x", "semver", None, None),
                ("front", "registry.com/vendor/front", "1.x", "semver", None, None),
            ),
            "argocd",
            None,
            None,
            None,
        ),
    ),
    (
        "config/samples/imageupdater-short.yaml#0",
        "app-001",
        ((("nginx", "nginx", "1.17.10", "semver", None, None),), "argocd", None, None, None),
    ),
]


@pytest.mark.parametrize(("sample", "app", "expected"), EXAMPLES, ids=[f"{c[0]} -> {c[1]}" for c in EXAMPLES])
def test_upstreams_documented_examples(sample: str, app: str, expected: tuple[Any, ...]) -> None:
    assert summary(settings_for(load(sample), application(app))) == expected


def test_upstreams_full_sample_selects_and_reports_its_placeholder_secret() -> None:
    # The sample's pullSecret is a placeholder (`secret:<namespace>/<secret_name>#<field>`): every
    # Application it reaches reports it, naming the level it comes from; the annotated ref is not affected.
    obj = load("config/samples/imageupdater.yaml")
    with pytest.raises(
        InvalidImageUpdater, match=r"spec\.applicationRefs\[2\]\.commonUpdateSettings\.pullSecret"
    ):
        settings_for(obj, application("app-002"))
    app = application("any", labels={"image-updater": "my-image-updater"}, **{"image-list": "nginx"})
    assert summary(settings_for(obj, app))[0] == ((None, "nginx", None, "semver", None, None),)


def test_the_image_names_version_is_the_constraint_or_the_tracked_tag() -> None:
    image = one_image(updater({}, images=[{"alias": "web", "imageName": "nginx:~1.2"}]))
    assert image.policy == selection.make_policy("semver", version="~1.2", image="nginx")
    image = one_image(updater({"commonUpdateSettings": {"updateStrategy": "digest"}}))
    assert image.policy == selection.make_policy("digest", version="1.x", image="nginx")


@pytest.mark.parametrize(
    ("obj", "mode"),
    [
        pytest.param(updater({}), HoldMode(), id="unset-until-newer"),
        pytest.param(
            updater({"commonUpdateSettings": {"holdAfterRevert": "forever"}}), HoldMode("forever"), id="spec"
        ),
        pytest.param(
            updater(
                {"commonUpdateSettings": {"holdAfterRevert": "forever"}},
                images=with_image_settings(holdAfterRevert="24h"),
            ),
            HoldMode("duration", 86400),
            id="image-wins",
        ),
    ],
)
def test_hold_after_revert_extension(obj: dict[str, Any], mode: HoldMode) -> None:
    assert one_image(obj).hold_after_revert == mode


def test_a_bad_hold_after_revert_names_the_field() -> None:
    obj = updater({}, images=with_image_settings(holdAfterRevert="sometimes"))
    with pytest.raises(InvalidImageUpdater, match=r"holdAfterRevert.*hold-after-revert 'sometimes'"):
        one_image(obj)
