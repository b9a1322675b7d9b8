"""An `ImageUpdater`'s settings for one Application, as the `AppSettings` annotations give. Pure.

Precedence is upstream's, field by field (an unset field inherits): image > applicationRef > spec
for `commonUpdateSettings`; applicationRef > spec for `writeBackConfig` (method, and each of
repository, branch, writeBackTarget). `useAnnotations: true` ignores all of that and reads the
Application's own annotations with `app_annotations.parse`; an Application without an image-list is
then not managed (upstream skips it). The result goes through the same checks as annotations
(strategy, tag filters, platforms, pull-secret tenancy, write-back method), with errors naming the
field that set the value: `imageupdater argocd/web: spec.applicationRefs[0].commonUpdateSettings.…`.

Refused on purpose, rather than silently ignored (each would do something else than asked):
`imagesVerification` that is enabled (cosign verification is not implemented), `pullRequest`
(pull-request write-back is not implemented), `manifestTargets.plugin` (no plugin targets).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from image_updater import annotations as app_annotations
from image_updater import refs
from image_updater.annotations import AppSettings, AppTrust, ImageInputs, ImageSettings
from image_updater.applications import Application
from image_updater.errors import ConfigError, InvalidImageUpdater
from image_updater.resources.matching import Match
from image_updater.resources.model import ImageConfig, ImagesVerification, ImageUpdater

# Which CommonUpdateSettings fields an `app_annotations.image_settings` setting comes from.
SETTING_FIELDS = {
    "update-strategy": ("updateStrategy",),
    "allow-tags/ignore-tags": ("allowTags", "ignoreTags"),
    "platforms": ("platforms",),
    "pull-secret": ("pullSecret",),
    "pin": ("pin",),
    "min-age": ("minAge",),
    "promote-from": ("promoteFrom",),
    "promote-after": ("promoteAfter",),
    "hold-after-revert": ("holdAfterRevert",),
}


TRUST = AppTrust()


@dataclass(frozen=True, slots=True)
class Layer:
    """Settings written at one place of the resource, and that place's path."""

    path: str
    value: Any


def app_settings(
    resource: ImageUpdater, match: Match, app: Application, *, trust: AppTrust = TRUST
) -> AppSettings | None:
    """The Application's settings from the ref it takes; None when `useAnnotations` finds no
    image-list on it (not managed, as upstream). Raises InvalidImageUpdater / InvalidAnnotation."""
    ref_path = f"spec.applicationRefs[{match.index}]"
    where = f"imageupdater {resource.key}"
    if match.ref.use_annotations:
        _refuse_verification([Layer(f"{ref_path}.imagesVerification", match.ref.images_verification)], where)
        if not app_annotations.is_managed(app.annotations):
            return None
        return app_annotations.parse(app.annotations, app=app.key, namespace=app.namespace, trust=trust)
    common = [
        Layer("spec.commonUpdateSettings", resource.spec.common_update_settings),
        Layer(f"{ref_path}.commonUpdateSettings", match.ref.common_update_settings),
    ]
    verification = [
        Layer("spec.imagesVerification", resource.spec.images_verification),
        Layer(f"{ref_path}.imagesVerification", match.ref.images_verification),
    ]
    images = tuple(
        _image(image, f"{ref_path}.images[{i}]", common, verification, where=where, app=app, trust=trust)
        for i, image in enumerate(match.ref.images or ())
    )
    writeback = [
        Layer("spec.writeBackConfig", resource.spec.write_back_config),
        Layer(f"{ref_path}.writeBackConfig", match.ref.write_back_config),
    ]
    return _with_write_back(images, writeback, where=where, namespace=app.namespace)


def _image(
    image: ImageConfig,
    path: str,
    common: Sequence[Layer],
    verification: Sequence[Layer],
    *,
    where: str,
    app: Application,
    trust: AppTrust,
) -> ImageSettings:
    _refuse_verification(
        [*verification, Layer(f"{path}.imagesVerification", image.images_verification)], where
    )
    layers = [*common, Layer(f"{path}.commonUpdateSettings", image.common_update_settings)]
    try:
        spec = refs.parse_image_spec(f"{image.alias}={image.image_name}")
    except ConfigError as err:
        raise InvalidImageUpdater(f"{where}: {path}.imageName: {err}") from err

    def fail(setting: str, message: str) -> ConfigError:
        paths = [p for name in SETTING_FIELDS.get(setting, ()) if (p := _pick(layers, name)[1])]
        if setting == "update-strategy":
            paths.append(f"{path}.imageName")  # its version part is the constraint
        return InvalidImageUpdater(f"{where}: {' / '.join(paths) or path}: {message}")

    inputs = _inputs(layers, image, path, where, version=spec.version)
    settings = app_annotations.image_settings(spec, inputs, fail=fail)
    if settings.pull_secret is not None:
        app_annotations.check_reference(
            settings.pull_secret,
            where=f"{where}: {_pick(layers, 'pullSecret')[1]}",
            namespace=app.namespace,
            trust=trust,
            error=InvalidImageUpdater,
            source="ImageUpdater resources",
        )
    app_annotations.check_promotion(
        settings.gates,
        where=f"{where}: {_pick(layers, 'promoteFrom')[1]}",
        namespace=app.namespace,
        trust=trust,
        error=InvalidImageUpdater,
    )
    return settings


def _inputs(
    layers: Sequence[Layer], image: ImageConfig, path: str, where: str, *, version: str | None
) -> ImageInputs:
    targets = image.manifest_targets
    if targets is not None and targets.plugin is not None:
        raise InvalidImageUpdater(
            f"{where}: {path}.manifestTargets.plugin: Config Management Plugin targets are not "
            "supported; use helm or kustomize"
        )
    helm = targets.helm if targets is not None else None
    by_spec = helm is not None and helm.spec is not None  # upstream: spec wins over name/tag
    ignore, platforms = _pick(layers, "ignoreTags")[0], _pick(layers, "platforms")[0]
    return ImageInputs(
        strategy=_pick(layers, "updateStrategy")[0],
        version=version,  # imageName's `:<constraint-or-tag>`, as in an image-list
        allow=_pick(layers, "allowTags")[0],
        ignore=tuple(ignore) if ignore is not None else None,
        platforms=",".join(platforms) if platforms is not None else None,
        force_update=bool(_pick(layers, "forceUpdate")[0]),
        pull_secret=_pick(layers, "pullSecret")[0],
        helm_name=helm.name if helm is not None and not by_spec else None,
        helm_tag=helm.tag if helm is not None and not by_spec else None,
        helm_spec=helm.spec if helm is not None else None,
        kustomize_name=targets.kustomize.name if targets is not None and targets.kustomize else None,
        pin=_pick(layers, "pin")[0],
        min_age=_pick(layers, "minAge")[0],
        promote_from=_pick(layers, "promoteFrom")[0],
        promote_after=_pick(layers, "promoteAfter")[0],
        hold_after_revert=_pick(layers, "holdAfterRevert")[0],
    )


def _with_write_back(
    images: tuple[ImageSettings, ...], layers: Sequence[Layer], *, where: str, namespace: str
) -> AppSettings:
    method, method_path = _pick(layers, "method")
    git = [Layer(f"{layer.path}.gitConfig", getattr(layer.value, "git_config", None)) for layer in layers]
    pull_request, pull_request_path = _pick(git, "pullRequest")
    if pull_request is not None:
        raise InvalidImageUpdater(
            f"{where}: {pull_request_path}: pull-request write-back is not supported; remove "
            "pullRequest to push to the branch"
        )
    method = (method or "").strip() or "argocd"
    app_annotations.check_method(
        method,
        where=f"{where}: {method_path or 'writeBackConfig.method'}",
        namespace=namespace,
        error=InvalidImageUpdater,
    )
    return AppSettings(
        images=images,
        write_back_method=method,
        write_back_target=_text(_pick(git, "writeBackTarget")[0]),
        git_branch=_text(_pick(git, "branch")[0]),
        git_repository=_text(_pick(git, "repository")[0]),
        warnings=tuple(
            f"{where}: image {i.spec.annotation_key}: update-strategy {i.legacy_strategy!r} is deprecated; "
            f"use {i.policy.name!r}"
            for i in images
            if i.legacy_strategy
        ),
    )


def _refuse_verification(layers: Sequence[Layer], where: str) -> None:
    present = [layer for layer in layers if isinstance(layer.value, ImagesVerification)]
    if present and present[-1].value.enabled:
        raise InvalidImageUpdater(
            f"{where}: {present[-1].path}: signature verification is not supported by image-updater; "
            "nothing is updated rather than updated unverified (set enabled: false to update anyway)"
        )


def _pick(layers: Sequence[Layer], camel: str) -> tuple[Any, str]:
    """The most specific value set for field `camel`, and the path that set it ("" if none did)."""
    for layer in reversed(layers):
        if layer.value is None:
            continue
        value = getattr(layer.value, _snake(camel), None)
        if value is not None:
            return value, f"{layer.path}.{camel}"
    return None, ""


def _snake(camel: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in camel)


def _text(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
