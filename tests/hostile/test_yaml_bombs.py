"""YAML bombs in every file kind the controller reads (docs/security.md, "Bounded work").

A billion-laughs of under 1 KB in an Application manifest, a Secret manifest, registries.conf, a
kustomization.yaml, a values.yaml or an `.argocd-source-<app>.yaml` fails with one line naming the
file, and only what uses that file: through a directory-mode run, the other Applications of the
same cycle are still updated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from image_updater.errors import ImageUpdaterError, InvalidRegistryConfig, WriteBackError
from image_updater.refs import parse_image
from image_updater.runtime.configfiles import load_registries_conf
from image_updater.sources.applications_dir import load_applications
from image_updater.sources.secret_files import SecretFiles
from image_updater.writeback import argocd_source, helmvalues, kustomization
from image_updater.writeback.model import HelmParams, ManifestImage
from tests.hostile.conftest import HostileFactory
from tests.test_yamlsafe import laughs

BOMB = laughs()
IMAGE = ManifestImage(alias="api", image=parse_image("registry.example.com/org/api:v2"))
HELM_IMAGE = ManifestImage(
    alias="api", image=IMAGE.image, helm=HelmParams(name="image.repository", tag="image.tag")
)
ALIASES = "aliases expand to more than"


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(
            lambda: kustomization.apply(BOMB, [IMAGE], path="k/kustomization.yaml"), id="kustomization"
        ),
        pytest.param(lambda: helmvalues.apply(BOMB, [HELM_IMAGE], path="k/kustomization.yaml"), id="values"),
        pytest.param(
            lambda: argocd_source.apply(BOMB, [IMAGE], kind="kustomize", path="k/kustomization.yaml"),
            id="argocd-source",
        ),
        pytest.param(
            lambda: kustomization.apply("- " * 500 + "x\n", [IMAGE], path="k/kustomization.yaml"),
            id="deeper-than-ruamel-recurses",
        ),
    ],
)
def test_a_write_back_file_bomb_is_one_line_naming_the_file(edit: object) -> None:
    with pytest.raises(WriteBackError, match=r"^k/kustomization\.yaml[: ]") as caught:
        edit()  # type: ignore[operator]
    assert "\n" not in str(caught.value)


def test_an_application_manifest_bomb_skips_that_file_only(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text("kind: Application\n" + BOMB)
    (tmp_path / "good.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: a}\n"
    )
    loaded = load_applications(tmp_path)
    assert [app["metadata"]["name"] for app in loaded.applications] == ["a"]
    (problem,) = loaded.problems
    assert re.fullmatch(
        rf"{tmp_path / 'bomb.yaml'}: not readable as YAML: {ALIASES} \d+ nodes "
        r"\(an alias bomb or an anchor that refers to itself\); write the values out",
        problem,
    )


async def test_a_secret_bomb_fails_only_the_lookups_it_could_answer(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text(
        "kind: Secret\nmetadata: {name: hidden}\nstringData:\n"
        + "".join(f"  {line}" for line in BOMB.splitlines(keepends=True))
    )
    (tmp_path / "good.yaml").write_text("kind: Secret\nmetadata: {name: good}\nstringData: {password: p}\n")
    files = SecretFiles(tmp_path)
    assert await files.get_secret("default", "good") == {"password": b"p"}
    with pytest.raises(
        ImageUpdaterError, match=rf"^{tmp_path / 'bomb.yaml'}: .*{ALIASES}.*; Secret default/hidden"
    ):
        await files.get_secret("default", "hidden")


def test_a_registries_conf_bomb_stops_the_start_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "registries.conf"
    path.write_text(BOMB)
    with pytest.raises(InvalidRegistryConfig, match=rf"^{path}: {ALIASES}"):
        load_registries_conf(path)


def test_bombs_in_every_file_kind_fail_only_the_applications_using_them(hostile: HostileFactory) -> None:
    setup = hostile(
        {
            "apps/bomb-k/kustomization.yaml": BOMB,
            "charts/bomb/Chart.yaml": "apiVersion: v2\nname: bomb\nversion: 0.1.0\n",
            "charts/bomb/values.yaml": BOMB,
            "apps/bomb-s/kustomization.yaml": "resources: []\n",
            "apps/bomb-s/.argocd-source-bomb-source.yaml": BOMB,
        }
    )
    setup.app("bomb-kustomize", path="apps/bomb-k", annotations={"write-back-target": "kustomization"})
    helm = {
        "write-back-target": "helmvalues:values.yaml",
        "api.helm.image-name": "image.repository",
        "api.helm.image-tag": "image.tag",
    }
    setup.app("bomb-helm", path="charts/bomb", annotations=helm)
    setup.app("bomb-source", path="apps/bomb-s", annotations={})
    setup.app(
        "secret-user", path="apps/bomb-s", annotations={"write-back-method": "git:secret:argocd/hidden"}
    )
    (setup.apps / "bomb-app.yaml").write_text("kind: Application\n" + BOMB)
    (setup.secrets / "bomb-secret.yaml").write_text(BOMB)

    result = setup.run()

    assert result.exit_code == 1
    out = result.output
    assert f"{setup.apps / 'bomb-app.yaml'}: not readable as YAML: {ALIASES}" in out
    assert (
        f"application argocd/bomb-kustomize: write-back failed: apps/bomb-k/kustomization.yaml: {ALIASES}"
        in out
    )
    assert f"application argocd/bomb-helm: write-back failed: charts/bomb/values.yaml: {ALIASES}" in out
    source_file = "apps/bomb-s/.argocd-source-bomb-source.yaml"
    assert f"application argocd/bomb-source: write-back failed: {source_file}: {ALIASES}" in out
    assert re.search(
        rf"application argocd/secret-user: write-back failed: {setup.secrets / 'bomb-secret.yaml'}: "
        rf"{ALIASES} .*; Secret argocd/hidden is in no other file",
        out,
    )
    assert "Traceback" not in out
    assert setup.good_was_updated()
