"""`Image-Updater-Change` trailers: written, read back, and hostile values that must not forge one."""

from __future__ import annotations

import subprocess

import pytest

from image_updater.holds import TrailerChange, format_trailers, parse_trailers
from image_updater.holds.trailers import FIELD_LIMIT

API = TrailerChange(app="argocd/api", alias="api", image="reg.example/org/api", old="v1.4.0", new="v1.5.0")
DIGEST = TrailerChange(
    app="argocd/api", alias="", image="reg.example/org/api", old="", new="latest@sha256:" + "a" * 64
)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(API, id="plain"),
        pytest.param(DIGEST, id="digest-no-alias-no-old"),
        pytest.param(TrailerChange("a/b", "x y", "i", "o=1", "n%2"), id="space-equals-percent"),
        pytest.param(TrailerChange("a/b", "x", "i", "v1\nImage-Updater-Change: forged", "v2"), id="newline"),
        pytest.param(TrailerChange("a/b", "x", "i", "\u202ev1", "v2\r"), id="bidi-and-cr"),
    ],
)
def test_a_written_trailer_reads_back_as_one_line(change: TrailerChange) -> None:
    text = format_trailers([change])
    assert text.count("\n") == 1
    parsed = parse_trailers(f"build: update\n\nbody\n\n{text}")
    if change.old.isprintable() and change.new.isprintable() and change.alias.isprintable():
        assert parsed == (change,)
    else:  # a value with a control character is not one we wrote from a valid image: not ours
        assert parsed == ()


def test_values_are_cut_to_the_field_limit() -> None:
    text = format_trailers([TrailerChange("a/b", "x", "i" * 5000, "o", "n")])
    (parsed,) = parse_trailers(text)
    assert parsed.image == "i" * FIELD_LIMIT


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param(f"subject\n\n{format_trailers([API])}", (API,), id="ours"),
        pytest.param(
            f"subject\n\n{format_trailers([API, DIGEST])}Signed-off-by: x <y>\n", (API, DIGEST), id="sign-off"
        ),
        pytest.param('Revert "build"\n\nThis reverts commit abc.\n', (), id="revert"),
        pytest.param(
            f'squash\n\n{format_trailers([API])}\nRevert "build"\n\nThis reverts commit abc.\n',
            (),
            id="squash-ending-in-a-revert",
        ),
        pytest.param(f"{format_trailers([API])}", (API,), id="trailers-only"),
        pytest.param(f"s\n\n{format_trailers([API])}\nmore text\n", (), id="not-the-last-paragraph"),
        pytest.param("s\n\nImage-Updater-Change: app=a/b image=i old=o new=n\n", (), id="missing-field"),
        pytest.param(
            "s\n\nImage-Updater-Change: app=a/b alias= image=i old=o new=n extra=1\n", (), id="extra-field"
        ),
        pytest.param(
            "s\n\nImage-Updater-Change: app=a/b alias= alias= image=i old=o new=n\n", (), id="twice"
        ),
        pytest.param(
            "s\n\nImage-Updater-Change: app=a/b alias= image=i old=o new=n%zz\n", (), id="bad-escape"
        ),
        pytest.param("s\n\nImage-Updater-Change: app= alias= image=i old=o new=n\n", (), id="empty-app"),
        pytest.param(
            "s\n\nimage-updater-change: app=a/b alias= image=i old=o new=n\n",
            (TrailerChange("a/b", "", "i", "o", "n"),),
            id="key-case-insensitive",
        ),
        pytest.param("", (), id="empty"),
    ],
)
def test_parse_trailers(message: str, expected: tuple[TrailerChange, ...]) -> None:
    assert parse_trailers(message) == expected


def test_git_reads_our_trailers_too(tmp_path: object) -> None:
    message = f"build: automatic update of api\n\nupdates image org/api\n\n{format_trailers([API, DIGEST])}"
    out = subprocess.run(
        ["git", "interpret-trailers", "--parse"], input=message, capture_output=True, text=True, check=True
    ).stdout
    assert out.count("Image-Updater-Change: ") == 2
