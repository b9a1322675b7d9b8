"""`write-back-target` parsing and where each target's file lives (worked examples of paths.py)."""

from __future__ import annotations

import pytest

from image_updater.errors import InvalidWriteBackConfig
from image_updater.writeback import paths
from image_updater.writeback.model import WriteTarget, normal_image_name, parse_write_back_target

PARSED = {
    "absent": (None, WriteTarget(kind="argocd-source")),
    "blank": ("  ", WriteTarget(kind="argocd-source")),
    "kustomization": ("kustomization", WriteTarget(kind="kustomization")),
    "kustomization-dir": (
        "kustomization:overlays/prod",
        WriteTarget(kind="kustomization", path="overlays/prod"),
    ),
    "kustomization-root": ("kustomization:/base", WriteTarget(kind="kustomization", path="/base")),
    "helmvalues": ("helmvalues", WriteTarget(kind="helmvalues")),
    "helmvalues-file": (
        "helmvalues:values-prod.yaml",
        WriteTarget(kind="helmvalues", path="values-prod.yaml"),
    ),
    "bare-yaml-is-root-helmvalues": (
        "env/prod/values.yaml",
        WriteTarget(kind="helmvalues", path="/env/prod/values.yaml"),
    ),
    "bare-yml-rooted": ("/env/values.yml", WriteTarget(kind="helmvalues", path="/env/values.yml")),
}


@pytest.mark.parametrize(("text", "expected"), PARSED.values(), ids=PARSED.keys())
def test_parse_write_back_target(text: str | None, expected: WriteTarget) -> None:
    assert parse_write_back_target(text) == expected


REJECTED = {
    "bare-kustomization-file": ("overlays/prod/kustomization.yaml", "use kustomization:overlays/prod"),
    "bare-Kustomization": ("Kustomization", "use kustomization:."),
    "argocd-source-file": (".argocd-source-api.yaml", "remove write-back-target"),
    "empty-dir": ("kustomization:", "needs a path after the colon"),
    "empty-file": ("helmvalues: ", "needs a path after the colon"),
    "unknown-word": ("kustomize", "is not one of"),
    "unknown-prefix": ("helm:values.yaml", "unknown prefix; use one of"),
}


@pytest.mark.parametrize(("text", "fix"), REJECTED.values(), ids=REJECTED.keys())
def test_parse_write_back_target_rejects_with_the_fix(text: str, fix: str) -> None:
    with pytest.raises(InvalidWriteBackConfig, match=fix):
        parse_write_back_target(text)


# The docstring table of paths.py, for an Application whose source path is apps/api.
RESOLVED = {
    "kustomization": ("kustomization", "apps/api"),
    "kustomization-relative": ("kustomization:overlays/prod", "apps/api/overlays/prod"),
    "kustomization-root": ("kustomization:/base", "base"),
    "kustomization-parent": ("kustomization:../base", "apps/base"),
    "helmvalues": ("helmvalues", "apps/api/values.yaml"),
    "helmvalues-relative": ("helmvalues:values-prod.yaml", "apps/api/values-prod.yaml"),
    "helmvalues-root": ("helmvalues:/env/prod/values.yaml", "env/prod/values.yaml"),
    "bare-path-root": ("env/prod/values.yaml", "env/prod/values.yaml"),
}


@pytest.mark.parametrize(("text", "expected"), RESOLVED.values(), ids=RESOLVED.keys())
def test_target_paths(text: str, expected: str) -> None:
    target = parse_write_back_target(text)
    if target.kind == "kustomization":
        assert paths.kustomization_dir(target, source_path="apps/api") == expected
    else:
        assert paths.helm_values_path(target, source_path="apps/api") == expected


@pytest.mark.parametrize("source_path", ["", ".", "/"])
def test_repository_root_as_source_path(source_path: str) -> None:
    assert paths.helm_values_path(WriteTarget(kind="helmvalues"), source_path=source_path) == "values.yaml"


@pytest.mark.parametrize(
    "text", ["helmvalues:../../../values.yaml", "kustomization:/../x", "kustomization:a/../../../.."]
)
def test_paths_leaving_the_repository_are_rejected(text: str) -> None:
    target = parse_write_back_target(text)
    resolve = paths.kustomization_dir if target.kind == "kustomization" else paths.helm_values_path
    with pytest.raises(InvalidWriteBackConfig, match="leaves the repository"):
        resolve(target, source_path="apps/api")


NAMES = {
    "same-namespace": ("api", "argocd", "argocd", ".argocd-source-api.yaml"),
    "other-namespace": ("api", "team-a", "argocd", ".argocd-source-team-a_api.yaml"),
    "no-app-namespace": ("api", "", "argocd", ".argocd-source-api.yaml"),
    "controller-default": ("api", "team-a", "default", ".argocd-source-api.yaml"),
    "controller-unknown": ("api", "team-a", "", ".argocd-source-api.yaml"),
}


@pytest.mark.parametrize(("app", "app_ns", "ctrl_ns", "expected"), NAMES.values(), ids=NAMES.keys())
def test_argocd_source_filename(app: str, app_ns: str, ctrl_ns: str, expected: str) -> None:
    assert (
        paths.argocd_source_filename(app_name=app, app_namespace=app_ns, controller_namespace=ctrl_ns)
        == expected
    )


def test_argocd_source_path_is_in_the_source_path() -> None:
    got = paths.argocd_source_path(
        source_path="apps/api/", app_name="api", app_namespace="team-a", controller_namespace="argocd"
    )
    assert got == "apps/api/.argocd-source-team-a_api.yaml"


FOUND = {
    "yaml-first": ({"Kustomization", "kustomization.yml", "kustomization.yaml"}, "apps/kustomization.yaml"),
    "yml": ({"kustomization.yml", "deployment.yaml"}, "apps/kustomization.yml"),
    "capitalised": ({"Kustomization"}, "apps/Kustomization"),
}


@pytest.mark.parametrize(("existing", "expected"), FOUND.values(), ids=FOUND.keys())
def test_find_kustomization(existing: set[str], expected: str) -> None:
    assert paths.find_kustomization("apps", existing=existing) == expected


def test_find_kustomization_names_the_directory_when_missing() -> None:
    with pytest.raises(InvalidWriteBackConfig, match=r"no kustomization\.yaml.*'apps/api'"):
        paths.find_kustomization("apps/api", existing={"values.yaml"})


def test_wrong_kind_is_refused() -> None:
    with pytest.raises(InvalidWriteBackConfig, match="not kustomization"):
        paths.kustomization_dir(WriteTarget(kind="helmvalues"), source_path="a")
    with pytest.raises(InvalidWriteBackConfig, match="not helmvalues"):
        paths.helm_values_path(WriteTarget(kind="kustomization"), source_path="a")


NORMAL = {
    "docker-hub-implicit": ("nginx", "nginx"),
    "docker-hub-library": ("docker.io/library/nginx", "nginx"),
    "index-docker-io": ("index.docker.io/bitnami/redis", "bitnami/redis"),
    "other-registry-keeps-library": ("ghcr.io/library/x", "ghcr.io/library/x"),
    "registry-port": ("localhost:5000/app", "localhost:5000/app"),
    "localhost": ("localhost/app", "localhost/app"),
    "org-path": ("org/app", "org/app"),
}


@pytest.mark.parametrize(("name", "expected"), NORMAL.values(), ids=NORMAL.keys())
def test_normal_image_name(name: str, expected: str) -> None:
    assert normal_image_name(name) == expected
