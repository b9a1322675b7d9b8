"""Writes of overlapping runs are ordered per Application: a decision older than one already
written for the same image is dropped, never written over it (real WriteBack, real git)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from devtools.registry import LocalRegistry
from image_updater import annotations, applications, refs
from image_updater.changes import Change
from image_updater.refs import Tag
from image_updater.runtime.writeorder import WriteOrder
from image_updater.runtime.writing import PendingApp
from tests.runtime.dispatching import World, world


def pending(w: World, app: str, tag: str) -> PendingApp:
    manifest = yaml.safe_load((w.apps / f"{app}.yaml").read_text())
    parsed = applications.from_manifest(manifest)
    settings = annotations.parse(parsed.annotations, app=parsed.key, namespace=parsed.namespace)
    image = settings.images[0]
    new = replace(refs.parse_image(w.image(w.watches[app])), tag=Tag(tag))
    return PendingApp(parsed, settings, ((image, Change(alias="app", old=image.spec.image, new=new)),))


@pytest.mark.parametrize(
    ("writes", "expected", "written"),
    [
        pytest.param(
            [(2.0, "1.2.0"), (1.0, "1.1.0")], "1.2.0", [1, 0], id="older-decision-after-newer-is-dropped"
        ),
        pytest.param(
            [(1.0, "1.1.0"), (2.0, "1.2.0")], "1.2.0", [1, 1], id="newer-decision-after-older-is-written"
        ),
        pytest.param([(1.0, "1.1.0"), (1.0, "1.2.0")], "1.2.0", [1, 1], id="same-observation-both-written"),
    ],
)
async def test_an_older_decision_never_overwrites_a_newer_one(
    registry: LocalRegistry,
    tmp_path: Path,
    fresh_repo: str,
    writes: list[tuple[float, str]],
    expected: str,
    written: list[int],
) -> None:
    async with world(registry, tmp_path, {"a1": f"{fresh_repo}/a"}) as w:
        order = WriteOrder()
        results = [await order.write(w.writer, [pending(w, "a1", tag)], observed=at) for at, tag in writes]
        assert [len(r) for r in results] == written
        assert w.tag_of("a1") == expected


async def test_concurrent_writes_of_one_application_are_serialised(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str
) -> None:
    async with world(registry, tmp_path, {"a1": f"{fresh_repo}/a", "b1": f"{fresh_repo}/b"}) as w:
        order = WriteOrder()
        newer = order.write(w.writer, [pending(w, "a1", "1.2.0"), pending(w, "b1", "2.0.0")], observed=2.0)
        older = order.write(w.writer, [pending(w, "a1", "1.1.0")], observed=1.0)
        first, second = await asyncio.gather(newer, older)  # the newer run takes the lock first
        assert [r.commit is not None for r in first] == [True, True]
        assert second == []
        assert w.tags() == {"a1": "1.2.0", "b1": "2.0.0"}


async def test_a_failed_newer_write_does_not_hold_back_an_older_one(
    registry: LocalRegistry, tmp_path: Path, fresh_repo: str
) -> None:
    async with world(registry, tmp_path, {"a1": f"{fresh_repo}/a"}) as w:
        order = WriteOrder()
        broken = pending(w, "a1", "1.2.0")
        broken = replace(broken, settings=replace(broken.settings, git_branch="bad..branch"))
        [failed] = await order.write(w.writer, [broken], observed=2.0)
        assert failed.error is not None
        [ok] = await order.write(w.writer, [pending(w, "a1", "1.1.0")], observed=1.0)
        assert ok.commit is not None
        assert w.tag_of("a1") == "1.1.0"
