"""The hold rules, table-driven: reverts, merges, squashes, rebases, hand edits, other Applications."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from image_updater.errors import ConfigError
from image_updater.holds import Commit, HoldMode, TrailerChange, find_hold, parse_hold_mode

APP, IMAGE, FILE = "argocd/api", "reg.example/org/api", "apps/api/kustomization.yaml"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def ours(sha: str, minute: int, new: str, *, app: str = APP, old: str = "v1.4.0", path: str = FILE) -> Commit:
    change = TrailerChange(app=app, alias="api", image=IMAGE, old=old, new=new)
    return Commit(
        sha=sha * 40, committed=T0 + timedelta(minutes=minute), changes=(change,), paths=frozenset({path})
    )


def theirs(sha: str, minute: int, *paths: str) -> Commit:
    return Commit(sha=sha * 40, committed=T0 + timedelta(minutes=minute), paths=frozenset(paths or {FILE}))


REVERTED = [theirs("b", 10), ours("a", 0, "v1.5.0")]  # newest first

CASES = [
    # (id, history, current, held version or None, hold start minute)
    ("git-revert", REVERTED, "v1.4.0", "v1.5.0", 10),
    ("hand-edit-to-other-version", [theirs("b", 10), ours("a", 0, "v1.5.0")], "v1.3.9", "v1.5.0", 10),
    ("still-ours", [theirs("b", 10), ours("a", 0, "v1.5.0")], "v1.5.0", None, 0),
    ("no-commit-of-ours", [theirs("b", 10), theirs("c", 5)], "v1.4.0", None, 0),
    ("unrelated-file-edited", [theirs("b", 10, "README.md"), ours("a", 0, "v1.5.0")], "v1.4.0", None, 0),
    (
        "merge-commit-restores",
        [theirs("m", 20), theirs("b", 10, "other"), ours("a", 0, "v1.5.0")],
        "v1.4.0",
        "v1.5.0",
        20,
    ),
    (
        "squashed-revert-with-other-work",
        [theirs("s", 10, FILE, "README.md"), ours("a", 0, "v1.5.0")],
        "v1.4.0",
        "v1.5.0",
        10,
    ),
    (
        "hold-starts-at-the-first-later-commit",
        [theirs("c", 30), theirs("b", 10), ours("a", 0, "v1.5.0")],
        "v1.4.0",
        "v1.5.0",
        10,
    ),
    ("rebased-ours-new-hash", [theirs("b", 10), ours("r", 5, "v1.5.0")], "v1.4.0", "v1.5.0", 10),
    (
        "our-newer-write-ends-it",
        [ours("c", 20, "v1.5.1"), theirs("b", 10), ours("a", 0, "v1.5.0")],
        "v1.5.1",
        None,
        0,
    ),
    (
        "another-application-of-ours-wrote-it",
        [ours("c", 20, "v1.4.0", app="argocd/other"), ours("a", 0, "v1.5.0")],
        "v1.4.0",
        None,
        0,
    ),
    (
        "another-application-then-a-revert",
        [
            theirs("d", 30),
            ours("c", 20, "v1.6.0", app="argocd/other", path="other.yaml"),
            ours("a", 0, "v1.5.0"),
        ],
        "v1.4.0",
        "v1.5.0",
        30,
    ),
    (
        "another-applications-commit-is-not-ours-for-this-app",
        [theirs("b", 10), ours("c", 0, "v1.5.0", app="argocd/other")],
        "v1.4.0",
        None,
        0,
    ),
    (
        "released-by-our-commit-recording-the-value",
        [ours("c", 20, "v1.4.0", old="v1.5.0"), *REVERTED],
        "v1.4.0",
        None,
        0,
    ),
    ("value-removed-by-the-revert", REVERTED, None, "v1.5.0", 10),
    (
        "digest",
        [theirs("b", 10), ours("a", 0, "latest@sha256:" + "1" * 64)],
        "latest@sha256:" + "0" * 64,
        "latest@sha256:" + "1" * 64,
        10,
    ),
]


@pytest.mark.parametrize(
    ("history", "current", "wrote", "since"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_find_hold(history: list[Commit], current: str | None, wrote: str | None, since: int) -> None:
    hold = find_hold(
        history, app=APP, image=IMAGE, current=current, mode=HoldMode(), now=T0 + timedelta(days=1)
    )
    if wrote is None:
        assert hold is None
        return
    assert hold is not None
    assert (hold.wrote, hold.current, hold.since) == (wrote, current, T0 + timedelta(minutes=since))
    assert hold.held_versions().tag == wrote.partition("@")[0]


@pytest.mark.parametrize(
    ("mode", "minutes_after_revert", "held"),
    [
        pytest.param(HoldMode(), 10**6, True, id="until-newer-never-expires"),
        pytest.param(HoldMode("forever"), 10**6, True, id="forever"),
        pytest.param(HoldMode("duration", 3600), 59, True, id="duration-running"),
        pytest.param(HoldMode("duration", 3600), 60, False, id="duration-over"),
        pytest.param(HoldMode("duration", 0), 0, False, id="zero-releases"),
    ],
)
def test_modes(mode: HoldMode, minutes_after_revert: int, held: bool) -> None:
    now = T0 + timedelta(minutes=10 + minutes_after_revert)
    hold = find_hold(REVERTED, app=APP, image=IMAGE, current="v1.4.0", mode=mode, now=now)
    assert (hold is not None) == held
    if hold is not None:
        assert hold.held_versions().everything == (mode.kind == "forever")
        assert "held after revert: we wrote v1.5.0" in hold.reason


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        (None, HoldMode()),
        ("", HoldMode()),
        ("until-newer", HoldMode()),
        (" Forever ", HoldMode("forever")),
        ("24h", HoldMode("duration", 86400)),
        ("1h30m", HoldMode("duration", 5400)),
        ("0s", HoldMode("duration", 0)),
    ],
)
def test_parse_hold_mode(text: str | None, mode: HoldMode) -> None:
    assert parse_hold_mode(text) == mode


@pytest.mark.parametrize("text", ["sometimes", "24", "-1h", "1d", "forever forever"])
def test_parse_hold_mode_refuses(text: str) -> None:
    with pytest.raises(ConfigError, match="hold-after-revert"):
        parse_hold_mode(text)
