"""A manifest author in directory mode (docs/security.md) names an `ImageUpdater` whatever they like.

Attacks: a resource named after another resource's hashed `--status-dir` file (its safe characters
plus the 16 hex digits of its hash, which anyone can compute) took over that file, and on a
case-insensitive file system `Team/x` and `team-x/<hash>` were one file; a name carrying escape
sequences or a newline reached the terminal through `run --once`'s printed block; a broken
manifest reusing another resource's namespace/name replaced that resource's status and metrics
with its own failure. Now a hashed file name has `__`, which no valid key's file has, every
printed line is made printable, and a key is reported once, by the resource that is used.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from image_updater.resources import assigning
from image_updater.runtime.metrics import Metrics
from image_updater.runtime.outcomes import CycleReport
from image_updater.runtime.statuses import PrintedStatus, StatusFiles, publish
from image_updater.sources.status_files import file_name, read_status

NOW = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
# A hostile key, and a valid-looking key built from the file name the hostile key used to get.
HOSTILE = {
    "underscore-in-name": ("a", "b_c"),
    "upper-case-namespace": ("Team", "x"),
    "slash-in-name": ("argocd", "web/x"),
}


def _lookalike(namespace: str, name: str) -> tuple[str, str]:
    """The valid key whose `<namespace>_<name>.yaml` spells the hostile key's old file name."""
    stem = file_name(namespace, name).removesuffix(".yaml")
    safe, digest = stem.split("__") if "__" in stem else stem.split("_")
    return safe.lower(), digest


def _manifest(namespace: str, name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "argocd-image-updater.argoproj.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": name, "namespace": namespace, "generation": 1},
        "spec": spec or {"applicationRefs": [{"namePattern": "*", "useAnnotations": True}]},
    }


def _report(*manifests: dict[str, Any]) -> CycleReport:
    resources = assigning.load(manifests, default_namespace="argocd")
    return CycleReport(resources=resources.items, refused=resources.refused)


@pytest.mark.parametrize("key", sorted(HOSTILE))
async def test_a_resource_named_after_a_hashed_file_does_not_take_it(key: str, tmp_path: Path) -> None:
    hostile = HOSTILE[key]
    lookalike = _lookalike(*hostile)
    assert file_name(*lookalike) == "{}_{}.yaml".format(*lookalike)  # a valid key, used as it is
    names = {file_name(*hostile).casefold(), file_name(*lookalike).casefold()}
    assert len(names) == 2, "the two keys share a file on a case-insensitive file system"
    sink = StatusFiles(tmp_path)
    # the hostile resource is refused (no spec), the lookalike is valid: both get a status
    await publish(
        _report(_manifest(*hostile, other=1), _manifest(*lookalike)), sinks=[sink], metrics=Metrics()
    )
    assert {path.name.casefold() for path in tmp_path.iterdir()} == names
    assert all(path.resolve().parent == tmp_path.resolve() for path in tmp_path.iterdir())


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("evil\x1b[2K\x1b[1Ainjected", id="escape-sequence"),
        pytest.param("evil\nimageupdater argocd/prod: Ready=True ReconcileSucceeded: forged", id="newline"),
        pytest.param("evil\u202egnp.exe", id="bidi-override"),
    ],
)
async def test_a_hostile_name_is_printed_as_one_printable_line(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await publish(
        _report(_manifest("argocd", name), _manifest("argocd", name + "-refused", other=1)),
        sinks=[PrintedStatus()],
        metrics=Metrics(),
        now=lambda: NOW,
    )
    printed = capsys.readouterr().out
    heads = [line for line in printed.splitlines() if line.startswith("imageupdater ")]
    assert len(heads) == 2  # one per resource, none forged
    assert all(char.isprintable() or char == "\n" for char in printed)


@pytest.mark.parametrize("broken_first", [False, True], ids=["broken-after", "broken-before"])
async def test_a_broken_manifest_reusing_a_resources_name_does_not_replace_its_status(
    broken_first: bool, tmp_path: Path
) -> None:
    valid, broken = _manifest("argocd", "web"), _manifest("argocd", "web", other=1)
    metrics = Metrics()
    await publish(
        _report(*((broken, valid) if broken_first else (valid, broken))),
        sinks=[StatusFiles(tmp_path)],
        metrics=metrics,
        now=lambda: NOW,
    )
    stored = read_status(tmp_path, namespace="argocd", name="web")
    assert stored is not None
    ready = next(c for c in stored["conditions"] if c["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("True", "ReconcileSucceeded")
    errors = metrics.registry.get_sample_value(
        "argocd_image_updater_images_errors_total",
        {"image_updater_cr_name": "web", "image_updater_cr_namespace": "argocd"},
    )
    assert errors == 0
