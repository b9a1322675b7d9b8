"""What a target holds now for an image (for commit messages in directory mode, and to skip what
is already written), read from the same parse the edit uses."""

from __future__ import annotations

import pytest

from image_updater.refs import ImageRef, Tag
from image_updater.writeback.model import AppTarget, HelmParams, ManifestImage, WriteTarget
from image_updater.writeback.targets import current_tag
from tests.test_yamlsafe import laughs

IMAGE = ImageRef("ghcr.io", "org/api", Tag("v2.0.0"))


def target(kind: str, path: str | None = None) -> AppTarget:
    return AppTarget(
        app_name="api",
        app_namespace="argocd",
        controller_namespace="argocd",
        target=WriteTarget(kind=kind, path=path),  # type: ignore[arg-type]
        source_path="apps/api",
        kind="kustomize",
        images=(),
    )


@pytest.mark.parametrize(
    ("kind", "files", "image", "expected"),
    [
        pytest.param(
            "kustomization",
            {"apps/api/kustomization.yaml": "images:\n- name: ghcr.io/org/api\n  newTag: v1.0.0\n"},
            ManifestImage(None, IMAGE),
            "v1.0.0",
            id="kustomization",
        ),
        pytest.param(
            "kustomization",
            {
                "apps/api/Kustomization": "images:\n- name: api\n  newName: ghcr.io/org/api\n"
                "  newTag: '1.10'\n"
            },
            ManifestImage(None, IMAGE, kustomize_name="api"),
            "1.10",
            id="kustomize-name-and-quoted",
        ),
        pytest.param(
            "kustomization",
            {
                "apps/api/kustomization.yaml": "images:\n- name: ghcr.io/org/api\n  newTag: latest\n"
                "  digest: sha256:ab\n"
            },
            ManifestImage(None, IMAGE),
            "latest@sha256:ab",
            id="digest",
        ),
        pytest.param(
            "helmvalues",
            {"apps/api/values.yaml": "image:\n  tag: 1.10\n"},
            ManifestImage(None, IMAGE),
            "1.10",
            id="helm-unquoted-1.10-stays-text",
        ),
        pytest.param(
            "helmvalues",
            {"apps/api/values.yaml": "images:\n- spec: ghcr.io/org/api:v1.2.3\n"},
            ManifestImage(None, IMAGE, helm=HelmParams(spec="images[0].spec")),
            "v1.2.3",
            id="helm-spec-with-index",
        ),
        pytest.param(
            "argocd-source",
            {"apps/api/.argocd-source-api.yaml": "kustomize:\n  images:\n  - ghcr.io/org/api:v1.9.0\n"},
            ManifestImage(None, IMAGE),
            "v1.9.0",
            id="argocd-source-kustomize",
        ),
        pytest.param(
            "argocd-source",
            {
                "apps/api/.argocd-source-api.yaml": (
                    "helm:\n  parameters:\n  - name: image.tag\n    value: v1.8.0\n    forcestring: true\n"
                )
            },
            ManifestImage(None, IMAGE),
            "v1.8.0",
            id="argocd-source-helm",
        ),
        pytest.param("argocd-source", {}, ManifestImage(None, IMAGE), None, id="absent-file"),
        pytest.param(
            "helmvalues",
            {"apps/api/values.yaml": "image: [unclosed\n"},
            ManifestImage(None, IMAGE),
            None,
            id="broken",
        ),
        pytest.param(
            "helmvalues",
            {"apps/api/values.yaml": laughs() + "image:\n  tag: v1.0.0\n"},
            ManifestImage(None, IMAGE),
            None,
            id="alias-bomb-gives-no-answer",
        ),
        pytest.param(
            "kustomization",
            {"apps/api/kustomization.yaml": "images:\n" + "- " * 300 + "x\n"},
            ManifestImage(None, IMAGE),
            None,
            id="nested-too-deeply-gives-no-answer",
        ),
    ],
)
def test_current_tag(kind: str, files: dict[str, str], image: ManifestImage, expected: str | None) -> None:
    assert current_tag(files.get, target(kind), image) == expected
