"""Wrong-typed fields in directory-mode manifests and Secret files (docs/security.md, "Bounded work").

A manifest read from a directory has not been through an API server, so any field may have any
type. Each wrong type fails that Application (or that Secret's lookups) with one line naming it
and the field; the other Applications of the same cycle are still updated.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devtools.gitops_sample import P
from image_updater import applications, yamlsafe
from image_updater.errors import CredentialError, InvalidAnnotation
from image_updater.sources.secret_files import SecretFiles
from tests.hostile.conftest import HostileFactory

SOURCE = {"repoURL": "https://git.example.com/r.git", "path": "apps/x"}


def manifest(metadata: Any = None, spec: Any = None) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "x", "namespace": "argocd"} if metadata is None else metadata,
        "spec": {"source": SOURCE} if spec is None else spec,
    }


WRONG = {
    "metadata-list": (
        manifest(metadata=["x"]),
        "an Application manifest: metadata must be a mapping, got a list",
    ),
    "name-number": (
        manifest(metadata={"name": 7}),
        "an Application manifest: metadata.name must be a string, got a number",
    ),
    "namespace-mapping": (
        manifest(metadata={"name": "x", "namespace": {"a": 1}}),
        "application x: metadata.namespace must be a string, got a mapping",
    ),
    "annotations-list": (
        manifest(metadata={"name": "x", "annotations": ["a"]}),
        "application argocd/x: metadata.annotations must be a mapping, got a list",
    ),
    "annotation-yaml-1.1-boolean": (
        manifest(metadata={"name": "x", "annotations": {f"{P}image-list": True}}),
        f"application argocd/x: metadata.annotations['{P}image-list'] must be a string, got a boolean "
        "(quote it)",
    ),
    "annotation-number": (
        manifest(metadata={"name": "x", "annotations": {f"{P}api.helm.image-tag": 1.1}}),
        "must be a string, got a number (quote it)",
    ),
    "spec-string": (manifest(spec="x"), "application argocd/x: spec must be a mapping, got a string"),
    "source-string": (
        manifest(spec={"source": "x"}),
        "application argocd/x: spec.source must be a mapping, got a string",
    ),
    "sources-mapping": (manifest(spec={"sources": {"a": 1}}), "spec.sources must be a list, got a mapping"),
    "sources-entry-number": (
        manifest(spec={"sources": [SOURCE, 3]}),
        "spec.sources[1] must be a mapping, got a number",
    ),
    "repo-url-list": (
        manifest(spec={"source": {"repoURL": ["a"]}}),
        "spec.source.repoURL must be a string, got a list",
    ),
    "path-number": (
        manifest(spec={"source": {"path": 12}}),
        "spec.source.path must be a string, got a number",
    ),
    "helm-string": (
        manifest(spec={"source": {"helm": "x"}}),
        "spec.source.helm must be a mapping, got a string",
    ),
    "value-files-entry": (
        manifest(spec={"sources": [{"helm": {"valueFiles": ["a.yaml", None]}}]}),
        "spec.sources[0].helm.valueFiles[1] must be a string, got null",
    ),
}


@pytest.mark.parametrize(("obj", "message"), WRONG.values(), ids=WRONG.keys())
def test_a_wrong_type_is_one_line_naming_the_application_and_field(obj: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidAnnotation) as caught:
        applications.from_manifest(obj)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unquoted_yes_is_a_boolean_as_kubernetes_reads_it() -> None:
    (obj,) = yamlsafe.load_documents(
        f"metadata:\n  name: x\n  annotations:\n    {P}write-back-method: yes\nspec: {{source: {{}}}}\n",
        source="f",
    )
    with pytest.raises(InvalidAnnotation, match="must be a string, got a boolean"):
        applications.from_manifest(obj)


SECRETS_WRONG = {
    "data-not-base64": ("data: {password: '!!!'}", 'data "password": is not valid base64'),
    "data-number": ("data: {password: 12}", 'data "password": must be a base64 string'),
    "string-data-boolean": ("stringData: {password: yes}", 'stringData "password": must be a string'),
    "data-list": ("data: [a]", "data must be a mapping of field names to strings"),
}


@pytest.mark.parametrize(("body", "message"), SECRETS_WRONG.values(), ids=SECRETS_WRONG.keys())
async def test_a_broken_secret_fails_its_own_lookups_only(tmp_path: Path, body: str, message: str) -> None:
    (tmp_path / "a-bad.yaml").write_text(f"kind: Secret\nmetadata: {{name: bad}}\n{body}\n")
    (tmp_path / "b-good.yaml").write_text("kind: Secret\nmetadata: {name: good}\nstringData: {password: p}\n")
    files = SecretFiles(tmp_path)
    assert await files.get_secret("default", "good") == {"password": b"p"}
    with pytest.raises(
        CredentialError, match=rf"^{tmp_path / 'a-bad.yaml'}: document 1 \(Secret default/bad\)"
    ):
        await files.get_secret("default", "bad")
    with pytest.raises(CredentialError) as caught:
        await files.get_secret("default", "bad")
    assert message in str(caught.value)


async def test_a_secret_defined_twice_fails_that_secret_only(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("kind: Secret\nmetadata: {name: twice}\n")
    (tmp_path / "c.yaml").write_text("kind: Secret\nmetadata: {name: good}\nstringData: {password: p}\n")
    files = SecretFiles(tmp_path)
    assert await files.get_secret("default", "good") == {"password": b"p"}
    with pytest.raises(CredentialError, match="Secret default/twice is defined twice"):
        await files.get_secret("default", "twice")


def test_wrong_types_in_manifests_fail_only_their_applications(hostile: HostileFactory) -> None:
    setup = hostile({})
    good = (setup.apps / "good.yaml").read_text()
    cases = {
        "annotations-list": good.replace("name: good", "name: annotations-list").replace(
            "  annotations:\n", "  annotations:\n  - oops\n  unused:\n"
        ),
        "source-string": good.replace("name: good", "name: source-string").split("  source:")[0]
        + "  source: apps/x\n",
        "name-number": good.replace("name: good", "name: 12345"),
        "yes-annotation": good.replace("name: good", "name: yes-annotation").replace(
            "  annotations:\n", f"  annotations:\n    {P}api.force-update: yes\n"
        ),
    }
    for name, text in cases.items():
        (setup.apps / f"{name}.yaml").write_text(text)

    result = setup.run()

    assert result.exit_code == 1
    out = result.output
    assert "application argocd/annotations-list: metadata.annotations must be a mapping, got a list" in out
    assert "application argocd/source-string: spec.source must be a mapping, got a string" in out
    assert "an Application manifest: metadata.name must be a string, got a number" in out
    assert (
        f"application argocd/yes-annotation: metadata.annotations['{P}api.force-update'] must be a string"
        in out
    )
    assert "Traceback" not in out
    assert setup.good_was_updated()
