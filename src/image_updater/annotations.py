"""Application annotations → settings, exactly as argocd-image-updater v0.18 reads them. Pure.

Every key of the prefix `argocd-image-updater.argoproj.io/` is read here and nowhere else.
Per-image keys are `<alias>.<key>` (a `/` in an alias is written `_`); `update-strategy`,
`allow-tags`, `ignore-tags`, `force-update`, `pull-secret` and `platforms` may also be set
app-wide, and the per-image key wins. A malformed value raises `InvalidAnnotation` naming the
Application, the key and what is wrong; unknown keys under the prefix become warnings.

Differences from upstream, on purpose: an unknown strategy or a bad regexp is an error for that
Application instead of a silent fall-back; `<alias>.semver-constraint` (the seed article's form)
is honoured; `platforms` may be set app-wide.

Tenancy (docs/security.md): whoever annotates an Application must not reach a credential that is
not theirs. A `pull-secret` or `git:secret:` reference may name only a Secret of the Application's
own namespace (upstream 1.x's rule for image pull secrets); `env:` and `ext:` references, which
read the controller's environment or run its files, are accepted only when the operator allows
them (`AppTrust.credential_kinds`); registry-level credentials in registries.conf are the
operator's and are not restricted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from image_updater import refs, selection
from image_updater.credentials import CredentialRef, parse_credential_ref
from image_updater.errors import ConfigError, InvalidAnnotation
from image_updater.refs import ImageSpec
from image_updater.selection import TagFilter, UpdatePolicy
from image_updater.selection.types import Platform

PREFIX = "argocd-image-updater.argoproj.io/"
APP_KEYS = frozenset({"image-list", "write-back-method", "write-back-target", "git-branch", "git-repository"})
SHARED_KEYS = frozenset(
    {"update-strategy", "allow-tags", "ignore-tags", "force-update", "pull-secret", "platforms"}
)
IMAGE_KEYS = SHARED_KEYS | {
    "semver-constraint",
    "tag-match",
    "helm.image-name",
    "helm.image-tag",
    "helm.image-spec",
    "kustomize.image-name",
}
T = TypeVar("T")
NAMESPACED_KINDS = frozenset({"pullsecret", "secret"})
TRUE, FALSE = frozenset({"true", "yes", "1", "on"}), frozenset({"false", "no", "0", "off", ""})


@dataclass(frozen=True, slots=True)
class ImageSettings:
    """Everything configured for one image of an Application."""

    spec: ImageSpec
    policy: UpdatePolicy
    legacy_strategy: str | None  # the deprecated name used (`latest`, `name`), to warn about
    tag_filter: TagFilter
    platforms: tuple[Platform, ...]
    force_update: bool
    pull_secret: CredentialRef | None
    helm_name: str | None
    helm_tag: str | None
    helm_spec: str | None
    kustomize_name: str | None
    selection_key: tuple[str, ...] = ()  # the texts that decide selection: equal keys select alike


@dataclass(frozen=True, slots=True)
class AppSettings:
    """The image-updater configuration of one Application."""

    images: tuple[ImageSettings, ...]
    write_back_method: str
    write_back_target: str | None
    git_branch: str | None
    git_repository: str | None
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AppTrust:
    """What an Application's annotations may reference: the credential kinds the operator allows
    (`pullsecret` and `secret` always, limited to the Application's namespace)."""

    credential_kinds: frozenset[str] = NAMESPACED_KINDS


def is_managed(annotations: Mapping[str, str]) -> bool:
    """True when the Application asks for image updates at all."""
    return bool(annotations.get(PREFIX + "image-list", "").strip())


def parse(
    annotations: Mapping[str, str], *, app: str, namespace: str, trust: AppTrust = AppTrust()
) -> AppSettings:
    """Read an Application's annotations. `app` (`namespace/name`) names it in errors; `namespace`
    is the Application's, the only one whose Secrets it may reference."""
    ours = {k[len(PREFIX) :]: v for k, v in annotations.items() if k.startswith(PREFIX)}
    specs = _field(app, "image-list", lambda: refs.parse_image_list(ours.get("image-list", "")))
    if not specs:
        raise InvalidAnnotation(
            f"application {app}: annotation {PREFIX}image-list is empty; list images to watch"
        )
    images = tuple(_image(ours, spec, app=app) for spec in specs)
    for image in images:
        if image.pull_secret is not None:
            _check_reference(
                image.pull_secret, f"{image.spec.annotation_key}.pull-secret", app, namespace, trust
            )
    method = ours.get("write-back-method", "argocd").strip() or "argocd"
    _check_method(method, app=app, namespace=namespace)
    return AppSettings(
        images=images,
        write_back_method=method,
        write_back_target=_opt(ours.get("write-back-target")),
        git_branch=_opt(ours.get("git-branch")),
        git_repository=_opt(ours.get("git-repository")),
        warnings=_warnings(ours, images, app=app),
    )


def _image(ours: Mapping[str, str], spec: ImageSpec, *, app: str) -> ImageSettings:
    key = spec.annotation_key

    def get(name: str) -> str | None:
        value = ours.get(f"{key}.{name}")
        if value is None and name in SHARED_KEYS:
            value = ours.get(name)
        return value

    strategy = get("update-strategy")
    version = _version(spec, get("semver-constraint"), app=app)
    policy = _field(
        app,
        f"{key}.update-strategy",
        lambda: selection.make_policy(strategy, version=version, image=spec.image.name),
    )
    allow = get("allow-tags") if get("allow-tags") is not None else get("tag-match")
    ignore = get("ignore-tags")
    pull_secret = _opt(get("pull-secret"))
    return ImageSettings(
        spec=spec,
        policy=policy,
        legacy_strategy=selection.parse_strategy(strategy).legacy,
        tag_filter=_field(
            app,
            f"{key}.allow-tags/ignore-tags",
            lambda: TagFilter.parse(allow=allow, ignore=ignore, image=spec.image.name),
        ),
        platforms=_field(app, f"{key}.platforms", lambda: selection.parse_platforms(get("platforms"))),
        force_update=_bool(get("force-update"), key=f"{key}.force-update", app=app),
        pull_secret=_field(app, f"{key}.pull-secret", lambda: parse_credential_ref(pull_secret or ""))
        if pull_secret
        else None,
        helm_name=_opt(get("helm.image-name")),
        helm_tag=_opt(get("helm.image-tag")),
        helm_spec=_opt(get("helm.image-spec")),
        kustomize_name=_opt(get("kustomize.image-name")),
        selection_key=(strategy or "", version or "", allow or "", ignore or "", get("platforms") or ""),
    )


def _version(spec: ImageSpec, annotated: str | None, *, app: str) -> str | None:
    annotated = _opt(annotated)
    if annotated and spec.version and annotated != spec.version:
        raise InvalidAnnotation(
            f"application {app}: image {spec.image.name} has constraint {spec.version!r} in image-list and "
            f"{annotated!r} in {spec.annotation_key}.semver-constraint; keep one"
        )
    return annotated or spec.version


def _check_reference(ref: CredentialRef, key: str, app: str, namespace: str, trust: AppTrust) -> None:
    where = f"application {app}: annotation {PREFIX}{key}"
    if ref.kind not in trust.credential_kinds | NAMESPACED_KINDS:
        raise InvalidAnnotation(
            f"{where}: {ref.kind}: credentials are not allowed in Application annotations (they would "
            "read the controller's environment or run its files for whoever annotates); set them for "
            "the registry in registries.conf, or start the controller with "
            f"--app-credential-kinds pullsecret,secret,{ref.kind}"
        )
    if ref.kind in NAMESPACED_KINDS and ref.namespace != namespace:
        raise InvalidAnnotation(_other_namespace(where, f"{ref.namespace}/{ref.name}", namespace))


def _other_namespace(where: str, secret: str, namespace: str) -> str:
    return (
        f"{where}: Secret {secret} is not in the Application's namespace {namespace!r}; an Application "
        "may use only Secrets of its own namespace (put registry credentials in registries.conf)"
    )


def _check_method(method: str, *, app: str, namespace: str) -> None:
    if method in ("argocd", "git", "git:repocreds"):
        return
    secret = method.removeprefix("git:secret:").strip()
    if method.startswith("git:secret:") and secret:
        secret_namespace = secret.rpartition("/")[0]
        if secret_namespace not in ("", namespace):
            where = f"application {app}: annotation {PREFIX}write-back-method"
            raise InvalidAnnotation(_other_namespace(where, secret, namespace))
        return
    raise InvalidAnnotation(
        f"application {app}: annotation {PREFIX}write-back-method is {method!r}; use argocd, git, "
        "git:repocreds or git:secret:<namespace>/<name>"
    )


def _warnings(ours: Mapping[str, str], images: tuple[ImageSettings, ...], *, app: str) -> tuple[str, ...]:
    keys = {i.spec.annotation_key for i in images}
    found: list[str] = []
    for name in sorted(ours):
        alias, _, rest = name.partition(".")
        if name in APP_KEYS | SHARED_KEYS or (alias in keys and rest in IMAGE_KEYS):
            continue
        found.append(f"application {app}: unknown annotation {PREFIX}{name} is ignored")
    found += [
        f"application {app}: update-strategy {i.legacy_strategy!r} is deprecated; use {i.policy.name!r}"
        for i in images
        if i.legacy_strategy
    ]
    return tuple(found)


def _field(app: str, key: str, build: Callable[[], T]) -> T:
    try:
        return build()
    except InvalidAnnotation:
        raise
    except ConfigError as err:
        raise InvalidAnnotation(f"application {app}: annotation {PREFIX}{key}: {err}") from err


def _bool(value: str | None, *, key: str, app: str) -> bool:
    text = (value or "").strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise InvalidAnnotation(f"application {app}: annotation {PREFIX}{key} is {value!r}; use true or false")


def _opt(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
