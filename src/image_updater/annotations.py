"""Application annotations → settings, exactly as argocd-image-updater v0.18 reads them. Pure.

Every key of the prefix `argocd-image-updater.argoproj.io/` is read here and nowhere else.
Per-image keys are `<alias>.<key>` (a `/` in an alias is written `_`); `update-strategy`,
`allow-tags`, `ignore-tags`, `force-update`, `pull-secret` and `platforms` may also be set
app-wide, and the per-image key wins. A malformed value raises `InvalidAnnotation` naming the
Application, the key and what is wrong; unknown keys under the prefix become warnings.

Differences from upstream, on purpose: an unknown strategy or a bad regexp is an error for that
Application instead of a silent fall-back; `<alias>.semver-constraint` (the seed article's form)
is honoured; `platforms` may be set app-wide. Extensions: `<alias>.pin`, `<alias>.min-age` (also
app-wide), `<alias>.promote-from` and `<alias>.promote-after` (selection/gates.py), and
`<alias>.hold-after-revert` (`until-newer`, `forever` or a duration; app-wide too: the revert-aware
hold of `image_updater.holds`).

Tenancy (docs/security.md): whoever annotates an Application must not reach a credential that is
not theirs. A `pull-secret` or `git:secret:` reference may name only a Secret of the Application's
own namespace (upstream 1.x's rule for image pull secrets); `env:` and `ext:` references, which
read the controller's environment or run its files, are accepted only when the operator allows
them (`AppTrust.credential_kinds`); registry-level credentials in registries.conf are the
operator's and are not restricted. Likewise `promote-from` may name only an Application of the
same namespace or of one the operator allows (`AppTrust.promotion_namespaces`): its status is
read for the gate, and what it runs shows in our logs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from image_updater import refs, selection
from image_updater.credentials import K8S_NAME, K8S_NAMESPACE, CredentialRef, parse_credential_ref
from image_updater.errors import ConfigError, InvalidAnnotation
from image_updater.holds import HoldMode, parse_hold_mode
from image_updater.refs import ImageSpec
from image_updater.selection import TagFilter, UpdatePolicy
from image_updater.selection.gates import Gates
from image_updater.selection.types import Platform
from image_updater.settings.registries import parse_duration
from image_updater.text import printable

PREFIX = "argocd-image-updater.argoproj.io/"
RECORD_KEY = "written-overrides"  # what the argocd write-back last wrote (runtime/pinning.py)
APP_KEYS = frozenset(
    {"image-list", "write-back-method", "write-back-target", "git-branch", "git-repository", RECORD_KEY}
)
SHARED_KEYS = frozenset(
    {"update-strategy", "allow-tags", "ignore-tags", "force-update", "pull-secret", "platforms", "min-age"}
    | {"hold-after-revert"}
)
IMAGE_KEYS = SHARED_KEYS | {
    "semver-constraint",
    "tag-match",
    "helm.image-name",
    "helm.image-tag",
    "helm.image-spec",
    "kustomize.image-name",
    "pin",
    "promote-from",
    "promote-after",
}
T = TypeVar("T")
NAMESPACED_KINDS = frozenset({"pullsecret", "secret"})
MAX_GATE_SECONDS = 3650 * 86400.0  # min-age, promote-after: ten years is "never" enough
MAX_IMAGES = 200  # per Application; real ones list a handful, a hostile one could list 25,000
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
    gates: Gates = field(default_factory=Gates)  # pin, release age, promotion (selection/gates.py)
    hold_after_revert: HoldMode = field(default_factory=HoldMode)  # extension: image_updater.holds


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
class ImageInputs:
    """The texts one image is configured with, before they are checked (see `image_settings`)."""

    strategy: str | None = None
    version: str | None = None
    allow: str | None = None
    ignore: Sequence[str] | str | None = None
    platforms: str | None = None
    force_update: bool = False
    pull_secret: str | None = None
    helm_name: str | None = None
    helm_tag: str | None = None
    helm_spec: str | None = None
    kustomize_name: str | None = None
    pin: str | None = None
    min_age: str | None = None
    promote_from: str | None = None
    promote_after: str | None = None
    hold_after_revert: str | None = None


class Fail(Protocol):
    """Makes the error for a bad `setting` (`update-strategy`, `platforms`, …), naming where it is."""

    def __call__(self, setting: str, message: str) -> ConfigError: ...


@dataclass(frozen=True, slots=True)
class AppTrust:
    """What an Application's annotations may reference: the credential kinds the operator allows
    (`pullsecret` and `secret` always, limited to the Application's namespace)."""

    credential_kinds: frozenset[str] = NAMESPACED_KINDS
    promotion_namespaces: frozenset[str] = frozenset()  # `promote-from` may name these, and its own


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
    if len(specs) > MAX_IMAGES:  # each image is registry work shared with every other Application
        raise InvalidAnnotation(
            f"application {app}: annotation {PREFIX}image-list names {len(specs)} images; "
            f"at most {MAX_IMAGES} are watched per Application, split it"
        )
    images = tuple(_image(ours, spec, app=app) for spec in specs)
    for image in images:
        where = f"application {app}: annotation {PREFIX}{image.spec.annotation_key}.promote-from"
        check_promotion(image.gates, where=where, namespace=namespace, trust=trust, error=InvalidAnnotation)
        if image.pull_secret is not None:
            where = f"application {app}: annotation {PREFIX}{image.spec.annotation_key}.pull-secret"
            check_reference(
                image.pull_secret, where=where, namespace=namespace, trust=trust, error=InvalidAnnotation
            )
    method = ours.get("write-back-method", "argocd").strip() or "argocd"
    where = f"application {app}: annotation {PREFIX}write-back-method"
    check_method(method, where=where, namespace=namespace, error=InvalidAnnotation)
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

    def fail(setting: str, message: str) -> ConfigError:
        return InvalidAnnotation(f"application {app}: annotation {PREFIX}{key}.{setting}: {message}")

    inputs = ImageInputs(
        strategy=get("update-strategy"),
        version=_version(spec, get("semver-constraint"), app=app),
        allow=get("allow-tags") if get("allow-tags") is not None else get("tag-match"),
        ignore=get("ignore-tags"),
        platforms=get("platforms"),
        force_update=_bool(get("force-update"), key=f"{key}.force-update", app=app),
        pull_secret=get("pull-secret"),
        helm_name=get("helm.image-name"),
        helm_tag=get("helm.image-tag"),
        helm_spec=get("helm.image-spec"),
        kustomize_name=get("kustomize.image-name"),
        pin=get("pin"),
        min_age=get("min-age"),
        promote_from=get("promote-from"),
        promote_after=get("promote-after"),
        hold_after_revert=get("hold-after-revert"),
    )
    return image_settings(spec, inputs, fail=fail)


def image_settings(spec: ImageSpec, inputs: ImageInputs, *, fail: Fail) -> ImageSettings:
    """Build one image's settings from its texts, wherever they were written (annotations or an
    ImageUpdater resource); `fail(setting, message)` makes the error naming where `setting` is."""
    image = spec.image.name
    pull_secret = _opt(inputs.pull_secret)
    ignore = inputs.ignore if isinstance(inputs.ignore, str | None) else ",".join(inputs.ignore)
    return ImageSettings(
        spec=spec,
        policy=_built(
            fail,
            "update-strategy",
            lambda: selection.make_policy(inputs.strategy, version=inputs.version, image=image),
        ),
        legacy_strategy=selection.parse_strategy(inputs.strategy).legacy,
        tag_filter=_built(
            fail,
            "allow-tags/ignore-tags",
            lambda: TagFilter.parse(allow=inputs.allow, ignore=inputs.ignore, image=image),
        ),
        platforms=_built(fail, "platforms", lambda: selection.parse_platforms(inputs.platforms)),
        force_update=inputs.force_update,
        pull_secret=_built(fail, "pull-secret", lambda: parse_credential_ref(pull_secret))
        if pull_secret
        else None,
        helm_name=_opt(inputs.helm_name),
        helm_tag=_opt(inputs.helm_tag),
        helm_spec=_opt(inputs.helm_spec),
        kustomize_name=_opt(inputs.kustomize_name),
        hold_after_revert=_built(
            fail, "hold-after-revert", lambda: parse_hold_mode(inputs.hold_after_revert)
        ),
        selection_key=tuple(
            t or "" for t in (inputs.strategy, inputs.version, inputs.allow, ignore, inputs.platforms)
        ),
        gates=_gates(inputs, fail=fail),
    )


def _gates(inputs: ImageInputs, *, fail: Fail) -> Gates:
    pin, source = _opt(inputs.pin), _opt(inputs.promote_from)
    if pin is not None and not refs.is_tag(pin):
        raise fail("pin", f"{printable(pin, limit=140)!r} is not a valid tag")
    if source is not None:
        namespace, slash, name = source.partition("/")
        if not (slash and K8S_NAMESPACE.fullmatch(namespace) and K8S_NAME.fullmatch(name)):
            raise fail("promote-from", f"{printable(source, limit=300)!r} is not <namespace>/<application>")
    if source is None and _opt(inputs.promote_after) is not None:
        raise fail("promote-after", "needs promote-from: <namespace>/<application>")
    return Gates(
        pin=pin,
        min_age=_duration(inputs.min_age, setting="min-age", fail=fail),
        promote_from=source,
        promote_after=_duration(inputs.promote_after, setting="promote-after", fail=fail),
    )


def _duration(text: str | None, *, setting: str, fail: Fail) -> float:
    value = _opt(text)
    shown = printable(value or "", limit=100)
    try:
        seconds = parse_duration(value) if value is not None else 0.0
    except ValueError:
        raise fail(setting, f"{shown!r} is not a duration like 30m, 24h or 1h30m") from None
    if not seconds <= MAX_GATE_SECONDS:  # NaN and inf included: times past year 9999 do not exist
        raise fail(setting, f"{shown!r} is longer than {MAX_GATE_SECONDS // 86400:.0f} days")
    return seconds


def check_promotion(
    gates: Gates, *, where: str, namespace: str, trust: AppTrust, error: type[ConfigError]
) -> None:
    """Refuse a `promote-from` Application its writer may not observe: only its own namespace, or
    one the operator allows (`--app-promote-from-namespaces`); `where` names the setting."""
    source_namespace = (gates.promote_from or "").partition("/")[0]
    if gates.promote_from is None or source_namespace in trust.promotion_namespaces | {namespace}:
        return
    raise error(
        f"{where}: Application {gates.promote_from} is not in the Application's namespace "
        f"{namespace!r}; promote from an Application of the same namespace, or start the controller "
        f"with --app-promote-from-namespaces {source_namespace}"
    )


def _version(spec: ImageSpec, annotated: str | None, *, app: str) -> str | None:
    annotated = _opt(annotated)
    if annotated and spec.version and annotated != spec.version:
        raise InvalidAnnotation(
            f"application {app}: image {spec.image.name} has constraint {spec.version!r} in image-list and "
            f"{annotated!r} in {spec.annotation_key}.semver-constraint; keep one"
        )
    return annotated or spec.version


def check_reference(
    ref: CredentialRef,
    *,
    where: str,
    namespace: str,
    trust: AppTrust,
    error: type[ConfigError],
    source: str = "Application annotations",
) -> None:
    """Refuse a credential reference its writer may not use; `where` names the setting, `source`
    the kind of configuration it is written in."""
    if ref.kind not in trust.credential_kinds | NAMESPACED_KINDS:
        raise error(
            f"{where}: {ref.kind}: credentials are not allowed in {source} (they would read the "
            "controller's environment or run its files for whoever writes them); set them for "
            "the registry in registries.conf, or start the controller with "
            f"--app-credential-kinds pullsecret,secret,{ref.kind}"
        )
    if ref.kind in NAMESPACED_KINDS and ref.namespace != namespace:
        raise error(_other_namespace(where, f"{ref.namespace}/{ref.name}", namespace))


def _other_namespace(where: str, secret: str, namespace: str) -> str:
    return (
        f"{where}: Secret {secret} is not in the Application's namespace {namespace!r}; an Application "
        "may use only Secrets of its own namespace (put registry credentials in registries.conf)"
    )


def check_method(method: str, *, where: str, namespace: str, error: type[ConfigError]) -> None:
    """Refuse an unknown write-back method or a git Secret of another namespace."""
    if method in ("argocd", "git", "git:repocreds"):
        return
    secret = method.removeprefix("git:secret:").strip()
    if method.startswith("git:secret:") and secret:
        secret_namespace = secret.rpartition("/")[0]
        if secret_namespace not in ("", namespace):
            raise error(_other_namespace(where, secret, namespace))
        return
    raise error(f"{where} is {method!r}; use argocd, git, git:repocreds or git:secret:<namespace>/<name>")


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


def _built(fail: Fail, setting: str, build: Callable[[], T]) -> T:
    try:
        return build()
    except ConfigError as err:
        raise fail(setting, str(err)) from err


def _bool(value: str | None, *, key: str, app: str) -> bool:
    text = (value or "").strip().lower()
    if text in TRUE or text in FALSE:
        return text in TRUE
    raise InvalidAnnotation(f"application {app}: annotation {PREFIX}{key} is {value!r}; use true or false")


def _opt(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None
