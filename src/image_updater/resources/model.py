"""The `ImageUpdater` resource (`argocd-image-updater.argoproj.io/v1alpha1`) as upstream 1.x defines
it: typed, frozen, validated. Pure.

These models are the one source of truth for the resource: devtools/render_crd.py turns them into
the chart's CRD (its OpenAPI schema), and `validation.parse` checks a manifest with the rules the
API server applies with that CRD: types (a string is not a boolean), required fields, patterns,
list-map keys (unique `namePattern`s, unique `alias`es) and upstream's CEL rules (the `CEL_*`
constants, checked here by the matching validators). Unknown fields are
refused rather than pruned, so a typo is an error and not a silently ignored setting.

Limits: label selector operators are checked as Kubernetes' `LabelSelectorAsSelector` does, which
upstream's schema leaves to run time. Status is upstream's, plus `imageResults` (beyond upstream, optional:
what the last cycle did with each image, and why nothing was updated); `resources.status` computes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator
from pydantic.alias_generators import to_camel

GROUP = "argocd-image-updater.argoproj.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
KIND = "ImageUpdater"
ALIAS_PATTERN = r"^[a-zA-Z0-9][a-zA-Z0-9-._]*$"
METHOD_PATTERN = r"^(argocd|git|git:[a-zA-Z0-9][a-zA-Z0-9-._/:]*)$"
OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def _atomic() -> Any:
    return Field(json_schema_extra={"x-kubernetes-list-type": "atomic"})


def _keyed(key: str, **kwargs: Any) -> Any:
    extra = {"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": [key]}
    return Field(json_schema_extra=extra, **kwargs)  # type: ignore[arg-type]


Str = StrictStr
Strings = Annotated[tuple[StrictStr, ...], _atomic()]
Count = Annotated[StrictInt, Field(ge=0, json_schema_extra={"format": "int32"})]
Generation = Annotated[StrictInt, Field(ge=0, json_schema_extra={"format": "int64"})]


def _rules(*rules: tuple[str, str]) -> dict[str, Any]:
    return {"x-kubernetes-validations": [{"rule": rule, "message": message} for rule, message in rules]}


# Upstream's CEL rules (rule, message): the CRD carries them, the validators below check them.
CEL_IMAGES = (
    "!(has(self.useAnnotations) && self.useAnnotations == true) ? "
    "(has(self.images) && size(self.images) > 0) : true",
    "Either useAnnotations must be true, or images must be provided with at least one item",
)
CEL_TARGET = (
    "(has(self.helm) ? 1 : 0) + (has(self.kustomize) ? 1 : 0) + (has(self.plugin) ? 1 : 0) == 1",
    "Exactly one of helm, kustomize, or plugin must be specified within manifestTargets if the block "
    "is present.",
)
CEL_PLUGIN = (
    "has(self.spec) || has(self.name)",
    "At least one of spec or name must be specified in plugin target.",
)
CEL_VERIFY = (
    "self.enabled == false || has(self.cosignKey)",
    "at least one verification method (cosignKey) is required when verification is enabled",
)
CEL_PULL_REQUEST = (
    "(has(self.github) ? 1 : 0) + (has(self.gitlab) ? 1 : 0) == 1",
    "Exactly one of github or gitlab must be set",
)


class Model(BaseModel):
    """Base: camelCase field names as in the manifest, frozen, unknown fields refused."""

    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


class CommonUpdateSettings(Model):
    """How tags are chosen; set for the whole resource, an applicationRef or one image."""

    update_strategy: Str | None = None
    force_update: StrictBool | None = None
    allow_tags: Str | None = None
    ignore_tags: Strings | None = None
    pull_secret: Str | None = None
    platforms: Strings | None = None
    # extensions (docs/migration.md): the gates of selection/gates.py
    pin: Str | None = None
    min_age: Str | None = None
    promote_from: Str | None = None
    promote_after: Str | None = None
    hold_after_revert: Str | None = None  # extension: until-newer | forever | <duration> (docs/rollback.md)


class PullRequestProvider(Model):
    """A pull request provider (no settings of its own)."""


class PullRequest(Model, json_schema_extra=_rules(CEL_PULL_REQUEST)):
    """Open a pull request instead of pushing to the branch."""

    github: PullRequestProvider | None = None
    gitlab: PullRequestProvider | None = None
    labels: (
        Annotated[
            tuple[Annotated[StrictStr, Field(min_length=1, max_length=255)], ...],
            Field(max_length=100, json_schema_extra={"x-kubernetes-list-type": "atomic"}),
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _one_provider(self) -> PullRequest:
        if (self.github is not None) + (self.gitlab is not None) != 1:
            raise ValueError(CEL_PULL_REQUEST[1])
        return self


class GitConfig(Model):
    """Where git write-back commits: repository, branch, target file."""

    repository: Str | None = None
    branch: Str | None = None
    write_back_target: Str | None = None
    pull_request: PullRequest | None = None


class WriteBackConfig(Model):
    """How updates are written back: `argocd` (the Application) or `git[:credentials]`."""

    method: Annotated[StrictStr, Field(pattern=METHOD_PATTERN)] | None = None
    git_config: GitConfig | None = None


class SecretRef(Model):
    """A key of a Secret in the resource's namespace."""

    secret_name: Str
    key: Str


class ImagesVerification(Model, json_schema_extra=_rules(CEL_VERIFY)):
    """Signature verification policy (cosign key)."""

    enabled: StrictBool = True
    cosign_key: SecretRef | None = None

    @model_validator(mode="after")
    def _method(self) -> ImagesVerification:
        if self.enabled and self.cosign_key is None:
            raise ValueError(CEL_VERIFY[1])
        return self


class HelmTarget(Model):
    """Helm parameter names for the image name and tag, or one for the whole image (`spec` wins)."""

    name: Str | None = None
    tag: Str | None = None
    spec: Str | None = None


class KustomizeTarget(Model):
    """The image name as the kustomization's `images` list knows it."""

    name: Str


EnvName = Annotated[StrictStr, Field(min_length=1, max_length=253)]


class PluginTarget(Model, json_schema_extra=_rules(CEL_PLUGIN)):
    """Config Management Plugin environment variable names (`spec` wins over name/tag)."""

    name: EnvName | None = None
    tag: EnvName | None = None
    spec: EnvName | None = None

    @model_validator(mode="after")
    def _named(self) -> PluginTarget:
        if self.spec is None and self.name is None:
            raise ValueError(CEL_PLUGIN[1])
        return self


class ManifestTarget(Model, json_schema_extra=_rules(CEL_TARGET)):
    """Where the image is written in the Application's manifests: exactly one of helm, kustomize, plugin."""

    helm: HelmTarget | None = None
    kustomize: KustomizeTarget | None = None
    plugin: PluginTarget | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ManifestTarget:
        if sum(t is not None for t in (self.helm, self.kustomize, self.plugin)) != 1:
            raise ValueError(CEL_TARGET[1])
        return self


class ImageConfig(Model):
    """One image: its alias, `imageName` (`registry/repo[:constraint-or-tag]`) and overrides."""

    alias: Annotated[StrictStr, Field(pattern=ALIAS_PATTERN)]
    image_name: Str
    common_update_settings: CommonUpdateSettings | None = None
    manifest_targets: ManifestTarget | None = None
    images_verification: ImagesVerification | None = None


class LabelSelectorRequirement(Model):
    """One `matchExpressions` entry."""

    key: Str
    operator: Str
    values: Strings | None = None

    @model_validator(mode="after")
    def _operator(self) -> LabelSelectorRequirement:
        # What Kubernetes' LabelSelectorAsSelector refuses; upstream's schema leaves it to run time.
        if self.operator not in OPERATORS:
            raise ValueError(
                f"{self.operator!r} is not a valid label selector operator; use {', '.join(OPERATORS)}"
            )
        if self.operator in ("In", "NotIn") and not self.values:
            raise ValueError(f"values must not be empty for operator {self.operator}")
        if self.operator in ("Exists", "DoesNotExist") and self.values:
            raise ValueError(f"values must be empty for operator {self.operator}")
        return self


class LabelSelector(Model, json_schema_extra={"x-kubernetes-map-type": "atomic"}):
    """A Kubernetes label selector: all `matchLabels` and all `matchExpressions` must hold."""

    match_labels: dict[StrictStr, StrictStr] | None = None
    match_expressions: (
        Annotated[
            tuple[LabelSelectorRequirement, ...],
            _atomic(),
        ]
        | None
    ) = None


class ApplicationRef(Model, json_schema_extra=_rules(CEL_IMAGES)):
    """Which Applications (name glob, labels) and how their images are updated."""

    name_pattern: Str
    label_selectors: LabelSelector | None = None
    use_annotations: StrictBool = False
    common_update_settings: CommonUpdateSettings | None = None
    write_back_config: WriteBackConfig | None = None
    images_verification: ImagesVerification | None = None
    images: (
        Annotated[
            tuple[ImageConfig, ...],
            Field(
                json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["alias"]}
            ),
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _images(self) -> ApplicationRef:
        if not self.use_annotations and not self.images:
            raise ValueError(CEL_IMAGES[1])
        _unique("alias", [i.alias for i in self.images or ()])
        return self


class ImageUpdaterSpec(Model):
    """Defaults for every matched Application, and the applicationRefs that match them."""

    common_update_settings: CommonUpdateSettings | None = None
    write_back_config: WriteBackConfig | None = None
    application_refs: Annotated[
        tuple[ApplicationRef, ...],
        Field(
            min_length=1,
            json_schema_extra={
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["namePattern"],
            },
        ),
    ]
    images_verification: ImagesVerification | None = None

    @model_validator(mode="after")
    def _patterns(self) -> ImageUpdaterSpec:
        _unique("namePattern", [r.name_pattern for r in self.application_refs])
        return self


Reason = Annotated[
    StrictStr, Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
]
MAX_IMAGE_RESULTS = 100  # bounds the status object however many Applications a resource selects


class ImageResult(Model):
    """Beyond upstream: what the last cycle did with one image of one matched Application, and why.

    `alias` and `image` are absent when the Application failed before its images were checked."""

    application: Str
    alias: Str | None = None
    image: Str | None = None
    reason: Reason
    message: Annotated[StrictStr, Field(max_length=1024)]


class Condition(Model):
    """A Kubernetes `metav1.Condition`."""

    type: Annotated[
        StrictStr,
        Field(
            max_length=316,
            pattern=r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
            r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
        ),
    ]
    status: Literal["True", "False", "Unknown"]
    observed_generation: Generation | None = None
    last_transition_time: datetime
    reason: Reason
    message: Annotated[StrictStr, Field(max_length=32768)]


class RecentUpdate(Model):
    """One image update of the last cycle."""

    alias: Str
    image: Str
    new_version: Str
    applications_updated: Count
    updated_at: datetime
    message: Str | None = None


class ImageUpdaterStatus(Model):
    """What the controller last observed and did."""

    observed_generation: Generation | None = None
    last_checked_at: datetime | None = None
    last_updated_at: datetime | None = None
    applications_matched: Count | None = None
    images_managed: Count | None = None
    recent_updates: Annotated[tuple[RecentUpdate, ...], _atomic()] | None = None
    conditions: (
        Annotated[
            tuple[Condition, ...],
            Field(
                json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]}
            ),
        ]
        | None
    ) = None
    image_results: (
        Annotated[tuple[ImageResult, ...], Field(max_length=MAX_IMAGE_RESULTS), _atomic()] | None
    ) = None


class ImageUpdater(Model):
    """An ImageUpdater resource: `metadata` is kept as given (name and namespace are read from it)."""

    api_version: Literal["argocd-image-updater.argoproj.io/v1alpha1"]
    kind: Literal["ImageUpdater"]
    metadata: Mapping[str, Any]
    spec: ImageUpdaterSpec
    status: ImageUpdaterStatus | None = None

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def namespace(self) -> str:
        return str(self.metadata.get("namespace") or "")

    @property
    def generation(self) -> int | None:
        """`metadata.generation` (set by the API server; None in directory mode unless written)."""
        value = self.metadata.get("generation")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def key(self) -> str:
        """`namespace/name`, how errors name the resource."""
        return f"{self.namespace}/{self.name}"


def _unique(key: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {key} {value!r}; each {key} may appear once")
        seen.add(value)
