"""An Application annotator fills a setting with as much as Kubernetes allows (256 KiB of
annotations): the Application fails with one short line naming it and the setting, and reading it
costs milliseconds, not the event loop's time for every other Application (docs/security.md,
"Bounded work")."""

from __future__ import annotations

import pytest

from image_updater import annotations, selection
from image_updater.errors import InvalidAnnotation

P = annotations.PREFIX
HOSTILE = [
    pytest.param(  # parsed quadratically before: 26 s of blocked event loop per image and cycle
        {P + "a.platforms": ",".join(f"linux/arch{i}" for i in range(20_000))},
        "a.platforms: 20000 platforms listed; at most 64 are supported",
        id="platforms-20000-distinct",
    ),
    pytest.param(
        {P + "a.platforms": "linux/" + "amd64/" * 40_000},
        "a.platforms: platform 'linux/amd64/amd64/",
        id="platform-240000-characters",
    ),
    pytest.param(
        {P + "image-list": "a=nginx:" + "1.x || " * 30_000},
        "a.update-strategy: image nginx: semver constraint '1.x || 1.x",
        id="constraint-210000-characters",
    ),
    pytest.param(
        {P + "a.update-strategy": "\x1b[2J" * 50_000},
        "a.update-strategy: update-strategy '\\x1b[2J\\x1b[2J",
        id="strategy-200000-escapes",
    ),
    pytest.param(  # matched against every tag: 20,000 globs took 43 s for 1,000 tags
        {P + "a.ignore-tags": ",".join(f"x{i}*" for i in range(20_000))},
        "a.allow-tags/ignore-tags: image nginx: ignore-tags lists 20000 patterns; at most 100 are allowed",
        id="ignore-tags-20000-globs",
    ),
    pytest.param(  # slow to match (0.2 ms a tag) once its DFA no longer fits RE2's memory budget
        {P + "a.allow-tags": "regexp:" + "(a|b|c)*x" * 3_000},
        "a.allow-tags/ignore-tags: image nginx: allow-tags 'regexp:(a|b|c)*x(a|b|c)*x",
        id="allow-tags-27000-characters",
    ),
    pytest.param(
        {P + "a.allow-tags": "^v" * 100_000},
        "a.allow-tags/ignore-tags: image nginx: allow-tags '^v^v^v",
        id="allow-tags-neither-regexp-nor-any",
    ),
    pytest.param(
        {P + "a.ignore-tags": "[" * 200_000},
        "a.allow-tags/ignore-tags: image nginx: ignore-tags glob '[[[[",
        id="ignore-tags-malformed-200000-characters",
    ),
    pytest.param(
        {P + "image-list": "a=nginx:" + "~" * 200_000, P + "a.update-strategy": "digest"},
        "a.update-strategy: image nginx: the digest strategy tracks one tag, and '~~~",
        id="digest-tag-200000-characters",
    ),
]


@pytest.mark.parametrize(("hostile", "message"), HOSTILE)
def test_an_oversized_setting_fails_its_application_in_one_short_line(
    hostile: dict[str, str], message: str
) -> None:
    written = {P + "image-list": "a=nginx"} | hostile
    with pytest.raises(InvalidAnnotation) as caught:
        annotations.parse(written, app="team/app", namespace="team")
    text = str(caught.value)
    assert text.startswith(f"application team/app: annotation {P}")
    assert message in text
    assert len(text) < 600
    assert text.isprintable()


def test_repeated_platforms_count_once() -> None:
    written = ", ".join(["linux/amd64", "linux/arm64/v8"] * 10_000)
    assert [str(p) for p in selection.parse_platforms(written)] == ["linux/amd64", "linux/arm64/v8"]
