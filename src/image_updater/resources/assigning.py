"""Which configuration each Application runs with when ImageUpdater resources and annotations
coexist (both generations in one process). Pure.

An Application selected by one resource takes that resource's settings (with `useAnnotations`,
its own annotations through it). One selected by no resource keeps the v0.x behaviour: its
annotations, or not managed. Two things configuring one Application are reported for that
Application, not fought over (upstream lets overlapping resources overwrite each other): two
resources selecting it, or a resource whose ref does not use annotations selecting an Application
that also carries an `image-list` annotation. Resources that do not parse are reported, one line
each, and select nothing. `--config-source` (`ConfigSource`) may leave one generation out:
`annotations` ignores resources, `resources` ignores annotations an Application carries on its own
(a ref with `useAnnotations` still reads them), so neither conflict arises there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from image_updater import annotations as app_annotations
from image_updater.annotations import AppSettings, AppTrust
from image_updater.applications import Application
from image_updater.errors import InvalidImageUpdater
from image_updater.resources import matching, merging, validation
from image_updater.resources.model import ImageUpdater

ConfigSource = Literal["annotations", "resources", "both"]
"""Which generation configures Applications (`--config-source`)."""
CONFIG_SOURCES: tuple[ConfigSource, ...] = ("annotations", "resources", "both")


@dataclass(frozen=True, slots=True)
class Resources:
    """The resources that parsed, one line per resource that did not, and those of them that
    have a name (a status can be written for them)."""

    items: tuple[ImageUpdater, ...]
    problems: tuple[str, ...]
    refused: tuple[Refused, ...] = ()


@dataclass(frozen=True, slots=True)
class Refused:
    """A resource that did not parse but names itself, so its status can say why."""

    namespace: str
    name: str
    generation: int | None
    problem: str


def load(manifests: Iterable[Mapping[str, Any]], *, default_namespace: str) -> Resources:
    """Parse every manifest; a later resource with an already seen namespace/name is reported."""
    items: dict[str, ImageUpdater] = {}
    problems: list[str] = []
    refused: list[Refused] = []
    for manifest in manifests:
        try:
            resource = validation.parse(manifest, default_namespace=default_namespace)
        except InvalidImageUpdater as err:
            problems.append(str(err))
            if named := _refused(manifest, default_namespace=default_namespace, problem=str(err)):
                refused.append(named)
            continue
        if resource.key in items:
            problems.append(f"imageupdater {resource.key}: defined twice; only the first one is used")
            continue
        items[resource.key] = resource
    return Resources(tuple(items.values()), tuple(problems), tuple(refused))


def _refused(manifest: Mapping[str, Any], *, default_namespace: str, problem: str) -> Refused | None:
    meta = manifest.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    name, namespace, generation = meta.get("name"), meta.get("namespace"), meta.get("generation")
    if not isinstance(name, str) or not name:
        return None
    return Refused(
        namespace=namespace if isinstance(namespace, str) and namespace else default_namespace,
        name=name,
        generation=generation if isinstance(generation, int) and not isinstance(generation, bool) else None,
        problem=problem,
    )


def selecting(
    app: Application, resources: Sequence[ImageUpdater]
) -> tuple[tuple[ImageUpdater, matching.Match], ...]:
    """The resources that select the Application, with the ref it takes in each."""
    return tuple(
        (resource, match)
        for resource in resources
        if (match := matching.select(resource, name=app.name, namespace=app.namespace, labels=app.labels))
    )


def settings_for(
    app: Application,
    resources: Sequence[ImageUpdater],
    *,
    trust: AppTrust = merging.TRUST,
    source: ConfigSource = "both",
) -> AppSettings | None:
    """The Application's settings, or None when nothing asks to update it.

    Raises InvalidImageUpdater on a conflict, or the error of the configuration it takes."""
    found = selecting(app, resources) if source != "annotations" else ()
    return settings_from(app, found, trust=trust, source=source)


def settings_from(
    app: Application,
    selected: Sequence[tuple[ImageUpdater, matching.Match]],
    *,
    trust: AppTrust = merging.TRUST,
    source: ConfigSource = "both",
) -> AppSettings | None:
    """`settings_for`, given what `selecting` found for the Application (none with `annotations`)."""
    if len(selected) > 1:
        names = " and ".join(sorted(f"imageupdater {resource.key}" for resource, _ in selected))
        raise InvalidImageUpdater(
            f"application {app.key}: selected by {names}; it is not updated until only one selects it "
            "(narrow their applicationRefs)"
        )
    if selected:
        resource, match = selected[0]
        if source == "both" and not match.ref.use_annotations and app_annotations.is_managed(app.annotations):
            raise InvalidImageUpdater(
                f"application {app.key}: configured by imageupdater {resource.key} "
                f"(spec.applicationRefs[{match.index}]) and by its own {app_annotations.PREFIX}image-list "
                "annotation; remove the annotations, or set useAnnotations: true on that applicationRef"
            )
        return merging.app_settings(resource, match, app, trust=trust)
    if source == "resources" or not app_annotations.is_managed(app.annotations):
        return None
    return app_annotations.parse(app.annotations, app=app.key, namespace=app.namespace, trust=trust)
