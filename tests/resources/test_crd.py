"""The CRD: generated from the model and fresh, field for field upstream's v1alpha1 schema, in the
chart and manifests/install.yaml; upstream's documented resources validate against it, invalid ones
are refused by the schema and by our parser with the message the API server gives."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, get_args, get_origin

import jsonschema
import pytest
from pydantic import BaseModel
from ruamel.yaml import YAML

from devtools import render_crd, render_install
from image_updater.errors import InvalidImageUpdater
from image_updater.resources import model
from image_updater.resources.validation import parse
from tests.resources.samples import SAMPLES, load

# Every leaf of upstream's CRD (v1.3, config/crd/bases/…imageupdaters.yaml): `[]` an array's items,
# `{}` a map's values. Support, for docs and the report: all are read; `imagesVerification` enabled,
# `pullRequest` and `manifestTargets.plugin` are refused with a clear error (not implemented).
_COMMON = ("allowTags", "forceUpdate", "ignoreTags[]", "platforms[]", "pullSecret", "updateStrategy")
_VERIFY = ("cosignKey.key", "cosignKey.secretName", "enabled")
_WRITE_BACK = (
    "gitConfig.branch",
    "gitConfig.pullRequest.github",
    "gitConfig.pullRequest.gitlab",
    "gitConfig.pullRequest.labels[]",
    "gitConfig.repository",
    "gitConfig.writeBackTarget",
    "method",
)
_REF = "spec.applicationRefs[]"
_IMAGE = f"{_REF}.images[]"
UPSTREAM_FIELDS = {
    *(f"spec.commonUpdateSettings.{f}" for f in _COMMON),
    *(f"spec.imagesVerification.{f}" for f in _VERIFY),
    *(f"spec.writeBackConfig.{f}" for f in _WRITE_BACK),
    *(f"{_REF}.{f}" for f in ("namePattern", "useAnnotations")),
    *(f"{_REF}.commonUpdateSettings.{f}" for f in _COMMON),
    *(f"{_REF}.imagesVerification.{f}" for f in _VERIFY),
    *(f"{_REF}.writeBackConfig.{f}" for f in _WRITE_BACK),
    *(
        f"{_REF}.labelSelectors.{f}"
        for f in ("matchExpressions[].key", "matchExpressions[].operator", "matchExpressions[].values[]")
    ),
    f"{_REF}.labelSelectors.matchLabels{{}}",
    *(f"{_IMAGE}.{f}" for f in ("alias", "imageName")),
    *(f"{_IMAGE}.commonUpdateSettings.{f}" for f in _COMMON),
    *(f"{_IMAGE}.imagesVerification.{f}" for f in _VERIFY),
    *(f"{_IMAGE}.manifestTargets.helm.{f}" for f in ("name", "spec", "tag")),
    f"{_IMAGE}.manifestTargets.kustomize.name",
    *(f"{_IMAGE}.manifestTargets.plugin.{f}" for f in ("name", "spec", "tag")),
    *(
        f"status.{f}"
        for f in (
            "applicationsMatched",
            "imagesManaged",
            "lastCheckedAt",
            "lastUpdatedAt",
            "observedGeneration",
            *(f"conditions[].{c}" for c in ("lastTransitionTime", "message", "observedGeneration")),
            *(f"conditions[].{c}" for c in ("reason", "status", "type")),
            *(f"recentUpdates[].{r}" for r in ("alias", "applicationsUpdated", "image", "message")),
            *(f"recentUpdates[].{r}" for r in ("newVersion", "updatedAt")),
        )
    ),
}


# Beyond upstream, optional (docs/migration.md): why each image did or did not update.
OUR_FIELDS = {f"status.imageResults[].{f}" for f in ("alias", "application", "image", "message", "reason")}
# ... and the gates of selection/gates.py and the revert-aware hold, wherever settings layer.
_GATES = ("minAge", "pin", "promoteAfter", "promoteFrom", "holdAfterRevert")
OUR_FIELDS |= {f"{where}.commonUpdateSettings.{f}" for where in ("spec", _REF, _IMAGE) for f in _GATES}


def schema() -> dict[str, Any]:
    crd = YAML(typ="safe", pure=True).load(render_crd.CRD_YAML.read_text())
    result: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return result


def schema_leaves(node: Mapping[str, Any], path: str) -> Iterator[str]:
    if node.get("type") == "array":
        yield from schema_leaves(node["items"], f"{path}[]")
    elif node.get("properties"):
        for name, sub in node["properties"].items():
            yield from schema_leaves(sub, f"{path}.{name}")
    elif isinstance(node.get("additionalProperties"), Mapping):
        yield f"{path}{{}}"
    else:
        yield path


def model_leaves(annotation: Any, path: str) -> Iterator[str]:
    """The same walk over the pydantic model's own fields (aliases), not its JSON schema."""
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) is tuple:
        yield from model_leaves(args[0], f"{path}[]")
    elif get_origin(annotation) is dict:
        yield f"{path}{{}}"
    elif args and get_origin(annotation) is not None and not isinstance(annotation, type):
        yield from model_leaves(args[0], path)  # Annotated[...] / X | None
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation.model_fields:
        for name, info in annotation.model_fields.items():
            yield from model_leaves(info.annotation, f"{path}.{info.alias or name}")
    else:
        yield path


def test_crd_file_is_generated_from_the_model() -> None:
    assert render_crd.CRD_YAML.read_text() == render_crd.crd_yaml(), "run python -m devtools.render_crd"
    assert render_crd.main(["--check"]) == 0


def test_install_yaml_carries_the_crd_first() -> None:
    objects = list(YAML(typ="safe", pure=True).load_all(render_install.INSTALL_YAML.read_text()))
    assert objects[0]["kind"] == "CustomResourceDefinition"
    assert objects[0] == YAML(typ="safe", pure=True).load(render_crd.CRD_YAML.read_text())


def test_schema_has_exactly_upstreams_fields_and_our_documented_extras() -> None:
    root = schema()["properties"]
    ours = {*schema_leaves(root["spec"], "spec"), *schema_leaves(root["status"], "status")}
    assert ours == UPSTREAM_FIELDS | OUR_FIELDS


def test_schema_and_model_have_the_same_fields() -> None:
    fields = model.ImageUpdater.model_fields
    from_model = {
        *model_leaves(fields["spec"].annotation, "spec"),
        *model_leaves(fields["status"].annotation, "status"),
    }
    root = schema()["properties"]
    assert from_model == {*schema_leaves(root["spec"], "spec"), *schema_leaves(root["status"], "status")}


def test_printer_columns_and_status_subresource_are_upstreams() -> None:
    crd = YAML(typ="safe", pure=True).load(render_crd.CRD_YAML.read_text())
    version = crd["spec"]["versions"][0]
    assert [c["name"] for c in version["additionalPrinterColumns"]] == [
        "Apps",
        "Images",
        "Last Checked",
        "Ready",
    ]
    assert version["subresources"] == {"status": {}}
    assert crd["metadata"]["name"] == "imageupdaters.argocd-image-updater.argoproj.io"
    assert crd["spec"]["scope"] == "Namespaced"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_upstream_samples_validate_against_the_schema_and_parse(name: str) -> None:
    obj = load(name)
    jsonschema.Draft7Validator(schema()).validate(obj)
    assert parse(obj, default_namespace="argocd").name == obj["metadata"]["name"]


def spec_with(**ref: Any) -> dict[str, Any]:
    return {
        "apiVersion": model.API_VERSION,
        "kind": "ImageUpdater",
        "metadata": {"name": "web", "namespace": "argocd"},
        "spec": {"applicationRefs": [{"namePattern": "web", **ref}]},
    }


IMAGES = [{"alias": "nginx", "imageName": "nginx:1.x"}]
PATH = "imageupdater argocd/web: spec.applicationRefs[0]"
# (id, resource, whether the structural schema refuses it too, the message; CEL rules are the API
# server's, so only our parser sees them).
INVALID = [
    (
        "alias-pattern",
        spec_with(images=[{"alias": "-x", "imageName": "nginx"}]),
        True,
        f"{PATH}.images[0].alias: Invalid value: \"-x\": should match '^[a-zA-Z0-9][a-zA-Z0-9-._]*$'",
    ),
    (
        "alias-required",
        spec_with(images=[{"imageName": "nginx"}]),
        True,
        f"{PATH}.images[0].alias: Required value",
    ),
    (
        "image-name-required",
        spec_with(images=[{"alias": "a"}]),
        True,
        f"{PATH}.images[0].imageName: Required value",
    ),
    (
        "name-pattern-required",
        {**spec_with(), "spec": {"applicationRefs": [{"images": IMAGES}]}},
        True,
        f"{PATH}.namePattern: Required value",
    ),
    (
        "application-refs-min-items",
        {**spec_with(), "spec": {"applicationRefs": []}},
        True,
        "imageupdater argocd/web: spec.applicationRefs: Invalid value: 0: should have at least 1 items",
    ),
    (
        "images-required-unless-use-annotations",
        spec_with(),
        False,
        f"{PATH}: Invalid value: {model.CEL_IMAGES[1]}",
    ),
    (
        "images-empty-without-use-annotations",
        spec_with(images=[]),
        False,
        f"{PATH}: Invalid value: {model.CEL_IMAGES[1]}",
    ),
    (
        "use-annotations-not-boolean",
        spec_with(useAnnotations="true"),
        True,
        f'{PATH}.useAnnotations: Invalid value: "true": must be of type boolean',
    ),
    (
        "method-pattern",
        spec_with(images=IMAGES, writeBackConfig={"method": "gitt"}),
        True,
        f'{PATH}.writeBackConfig.method: Invalid value: "gitt": should match '
        "'^(argocd|git|git:[a-zA-Z0-9][a-zA-Z0-9-._/:]*)$'",
    ),
    (
        "two-manifest-targets",
        spec_with(images=[{**IMAGES[0], "manifestTargets": {"helm": {}, "kustomize": {"name": "n"}}}]),
        False,
        f"{PATH}.images[0].manifestTargets: Invalid value: Exactly one of helm, kustomize, or plugin must be "
        "specified within manifestTargets if the block is present.",
    ),
    (
        "kustomize-name-required",
        spec_with(images=[{**IMAGES[0], "manifestTargets": {"kustomize": {}}}]),
        True,
        f"{PATH}.images[0].manifestTargets.kustomize.name: Required value",
    ),
    (
        "plugin-needs-name-or-spec",
        spec_with(images=[{**IMAGES[0], "manifestTargets": {"plugin": {"tag": "T"}}}]),
        False,
        f"{PATH}.images[0].manifestTargets.plugin: Invalid value: At least one of spec or name must be "
        "specified in plugin target.",
    ),
    (
        "verification-needs-cosign-key",
        spec_with(images=IMAGES, imagesVerification={}),
        False,
        f"{PATH}.imagesVerification: Invalid value: at least one verification method (cosignKey) is "
        "required when verification is enabled",
    ),
    (
        "pull-request-one-provider",
        spec_with(images=IMAGES, writeBackConfig={"gitConfig": {"pullRequest": {}}}),
        False,
        f"{PATH}.writeBackConfig.gitConfig.pullRequest: Invalid value: "
        "Exactly one of github or gitlab must be set",
    ),
    (
        "duplicate-alias",
        spec_with(images=[*IMAGES, *IMAGES]),
        False,
        f"{PATH}: Invalid value: duplicate alias 'nginx'; each alias may appear once",
    ),
    (
        "unknown-field",
        spec_with(images=[{**IMAGES[0], "updateStrategy": "semver"}]),
        False,
        "imageupdater argocd/web: unknown field 'spec.applicationRefs[0].images[0].updateStrategy'",
    ),
    (
        "bad-operator",
        spec_with(images=IMAGES, labelSelectors={"matchExpressions": [{"key": "a", "operator": "Is"}]}),
        False,
        f"{PATH}.labelSelectors.matchExpressions[0]: Invalid value: 'Is' is not a valid label selector "
        "operator; use In, NotIn, Exists, DoesNotExist",
    ),
    (
        "in-without-values",
        spec_with(images=IMAGES, labelSelectors={"matchExpressions": [{"key": "a", "operator": "In"}]}),
        False,
        f"{PATH}.labelSelectors.matchExpressions[0]: Invalid value: values must not be empty for operator In",
    ),
    (
        "bad-glob",
        spec_with(namePattern="web-[", images=IMAGES),
        False,
        f"{PATH}.namePattern 'web-[' is not a valid glob",
    ),
]


@pytest.mark.parametrize(
    ("resource", "structural", "message"), [i[1:] for i in INVALID], ids=[i[0] for i in INVALID]
)
def test_invalid_resources_are_refused_with_the_api_servers_message(
    resource: dict[str, Any], structural: bool, message: str
) -> None:
    errors = list(jsonschema.Draft7Validator(schema()).iter_errors(resource))
    assert bool(errors) == structural
    with pytest.raises(InvalidImageUpdater) as caught:
        parse(resource, default_namespace="argocd")
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_duplicate_name_patterns_are_refused() -> None:
    resource = spec_with(images=IMAGES)
    resource["spec"]["applicationRefs"] *= 2
    with pytest.raises(InvalidImageUpdater, match=r"spec: Invalid value: duplicate namePattern 'web'"):
        parse(resource, default_namespace="argocd")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"metadata": {"namespace": "argocd"}}, "imageupdater argocd/?: metadata.name: Required value"),
        (
            {"apiVersion": "argocd-image-updater.argoproj.io/v1"},
            "apiVersion 'argocd-image-updater.argoproj.io/v1' is not served",
        ),
    ],
    ids=["no-name", "other-version"],
)
def test_identity_problems_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidImageUpdater, match=re.escape(message)):
        parse({**spec_with(images=IMAGES), **change}, default_namespace="argocd")


def test_namespace_defaults_to_the_directory_modes() -> None:
    resource = spec_with(images=IMAGES)
    del resource["metadata"]["namespace"]
    assert parse(resource, default_namespace="team-a").key == "team-a/web"
