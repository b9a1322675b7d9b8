"""A git group's write planned against one tip: each target file read once, parsed once and
verified once for all the Applications writing it, with the same result as writing them one at a
time, and a failure that stays with its Application.

The tip is a dict of real file texts; the targets are the real ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pytest

from image_updater.changes import Change
from image_updater.refs import parse_image
from image_updater.runtime.gitplan import AppWrite, plan_group
from image_updater.writeback import targets
from image_updater.writeback import yamltext as yt
from image_updater.writeback.model import AppTarget, HelmParams, ManifestImage, WriteTarget

KUSTOMIZATION = (
    "# shared base\nresources:\n- deployment.yaml\nimages:\n"
    "- name: ghcr.io/org/api\n  newTag: v1.0.0 # pinned by CI\n"
    "- name: ghcr.io/org/worker\n  newTag: 'v1.0.0'\n"
)
VALUES = (
    "api:\n  image:\n    repository: ghcr.io/org/api\n    tag: v1.0.0\n"
    "worker:\n  image: {repository: docker.io/org/worker, tag: v1.0.0}\n"
)
SOURCE = "kustomize:\n  images:\n  - ghcr.io/org/api:v1.0.0\n"


def write(
    name: str, images: Sequence[str], *, target: str, helm: Sequence[str] = (), path: str = "apps/base"
) -> AppWrite:
    kind, _, where = target.partition(":")
    manifest_images = tuple(
        ManifestImage(None, parse_image(image), helm=HelmParams(name=f"{h}.repository", tag=f"{h}.tag"))
        if h
        else ManifestImage(None, parse_image(image))
        for image, h in zip(images, [*helm, *[""] * len(images)], strict=False)
    )
    app = AppTarget(
        app_name=name,
        app_namespace="argocd",
        controller_namespace="argocd",
        target=WriteTarget(kind=kind, path=where or None),  # type: ignore[arg-type]
        source_path=path,
        kind="kustomize",
        images=manifest_images,
    )
    changes = tuple(Change(None, parse_image(i.split(":")[0]), parse_image(i)) for i in images)
    return AppWrite(subject=f"application argocd/{name}", target=app, changes=changes)


def one_at_a_time(files: dict[str, str], writes: Sequence[AppWrite]) -> dict[str, str | None]:
    """What writing each Application on its own, in order, leaves in the files."""
    texts: dict[str, str | None] = dict(files)
    for item in writes:
        file = targets.locate(item.target, texts.get)
        texts[file.path] = file.load(texts.get(file.path)).apply(item.target.images)
    return texts


# files, the group's Applications, and how many YAML parses planning them takes: one per file and
# one check of each spliced file; a list created or an entry added re-reads the text it edits
# unless it is the first edit; the `.argocd-source` file is re-emitted whole, so not checked
GROUPS = {
    "kustomization-shared-by-three": (
        {"apps/base/kustomization.yaml": KUSTOMIZATION},
        [
            write("api", ["ghcr.io/org/api:v1.1.0", "ghcr.io/org/worker:v1.1.0"], target="kustomization"),
            write("api-canary", ["ghcr.io/org/api:v1.2.0"], target="kustomization"),
            write("web", ["ghcr.io/org/web:v3.0.0", "ghcr.io/org/web:v3.0.1"], target="kustomization"),
        ],
        3,
    ),
    "kustomization-seeded-by-two": (
        {"apps/base/kustomization.yaml": "resources:\n- deployment.yaml\n"},
        [
            write("a", ["ghcr.io/org/api:v1.1.0@sha256:" + "1" * 64], target="kustomization"),
            write("b", ["ghcr.io/org/api:v1.1.0", "ghcr.io/org/worker:v2.0.0"], target="kustomization"),
        ],
        3,
    ),
    "helmvalues-shared-by-two": (
        {"apps/base/values.yaml": VALUES},
        [
            write("api", ["ghcr.io/org/api:v1.1.0"], target="helmvalues", helm=["api.image"]),
            write("worker", ["docker.io/org/worker:v2.0.0"], target="helmvalues", helm=["worker.image"]),
            write("api-again", ["ghcr.io/org/api:v1.3.0"], target="helmvalues", helm=["api.image"]),
        ],
        2,
    ),
    "argocd-source-per-app": (
        {"apps/base/.argocd-source-api.yaml": SOURCE},
        [
            write("api", ["ghcr.io/org/api:v1.1.0"], target=""),
            write("web", ["ghcr.io/org/web:v1.1.0"], target=""),
        ],
        2,
    ),
}


@pytest.mark.parametrize(("files", "writes", "parses"), list(GROUPS.values()), ids=list(GROUPS))
def test_one_pass_writes_what_one_at_a_time_writes(
    files: dict[str, str], writes: list[AppWrite], parses: int
) -> None:
    plan = plan_group(writes, files.get)
    expected = one_at_a_time(files, writes)
    assert {path: edit(files.get(path)) for path, edit in plan.edits.items()} == {
        path: expected[path] for path in plan.edits
    }
    assert plan.failures == {}
    assert sorted(plan.changes) == list(range(len(writes)))


@pytest.mark.parametrize(("files", "writes", "parses"), list(GROUPS.values()), ids=list(GROUPS))
def test_each_file_is_read_parsed_and_verified_once(
    files: dict[str, str], writes: list[AppWrite], parses: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: Counter[str] = Counter()
    composed: list[str] = []
    compose = yt.compose_documents

    def read(path: str) -> str | None:
        reads[path] += 1
        return files.get(path)

    def counting(text: str, *, path: str) -> list[object]:
        composed.append(path)
        return compose(text, path=path)  # type: ignore[return-value]

    monkeypatch.setattr(yt, "compose_documents", counting)
    plan = plan_group(writes, read)
    assert set(reads.values()) == {1}
    assert len(composed) == parses
    assert plan.failures == {}


def test_a_failing_application_fails_alone_and_the_others_still_write() -> None:
    files = {"apps/base/values.yaml": VALUES}
    writes = [
        write("api", ["ghcr.io/org/api:v1.1.0"], target="helmvalues", helm=["api.image"]),
        write("broken", ["ghcr.io/org/x:v1"], target="helmvalues", helm=["api.image.tag.deeper"]),
        write("worker", ["ghcr.io/org/worker:v2.0.0"], target="helmvalues", helm=["worker.image"]),
    ]
    plan = plan_group(writes, files.get)
    assert list(plan.failures) == [1]
    assert "api.image.tag" in str(plan.failures[1])
    assert sorted(plan.changes) == [0, 2]
    assert (
        plan.edits["apps/base/values.yaml"](VALUES)
        == one_at_a_time(files, [writes[0], writes[2]])["apps/base/values.yaml"]
    )


def test_what_the_file_holds_is_no_change_and_an_unknown_old_tag_comes_from_the_same_parse() -> None:
    files = {"apps/base/kustomization.yaml": KUSTOMIZATION}
    writes = [
        write("api", ["ghcr.io/org/api:v1.0.0"], target="kustomization"),
        write("worker", ["ghcr.io/org/worker:v1.1.0"], target="kustomization"),
    ]
    plan = plan_group(writes, files.get)
    assert list(plan.changes) == [1]
    assert [str(c.old) for c in plan.changes[1]] == ["ghcr.io/org/worker:v1.0.0"]
