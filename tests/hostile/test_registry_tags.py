"""A registry lists names that are not OCI tags: each is dropped at screening with a reason, shown
escaped, never fetched, never chosen by any strategy (docs/security.md, "Registry operators")."""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from image_updater import selection
from image_updater.cli.main import cli
from image_updater.registry.scanning import ScanRequest, scan
from image_updater.selection.choose import NOT_A_TAG
from image_updater.text import printable
from tests.hostile.threaded import serve_in_thread
from tests.registry import StubRegistry, running

GOOD = ("1.0.0", "1.1.0")
# Each would win its strategy if it were admitted: a higher version, a greater name, a newer build.
BAD_TAGS = [
    pytest.param("~~~", id="tildes"),
    pytest.param("a: b", id="colon-space"),
    pytest.param("9.9.9\n", id="trailing-newline"),
    pytest.param("9.9.9\nSigned-off-by: mallory", id="forged-trailer"),
    pytest.param("9" * 5000, id="5000-characters"),
    pytest.param("\x1b[31m9.9.9", id="ansi-escape"),
    pytest.param("9.9.9\u202e", id="bidi-override"),
    pytest.param("9.9.9\r", id="carriage-return"),
    pytest.param(".9.9.9", id="leading-dot"),
    pytest.param("-9.9.9", id="leading-dash"),
    pytest.param("z" * 129, id="129-characters"),
    pytest.param("9.9.\uff19", id="fullwidth-digit"),
    pytest.param("", id="empty"),
    pytest.param("../../9.9.9", id="path-traversal"),
]
STRATEGIES = ["semver", "alphabetical", "newest-build"]


def _stub(bad: str) -> StubRegistry:
    stub = StubRegistry()
    for day, tag in enumerate(GOOD, start=1):
        stub.add_image("team/app", tag, created=datetime(2026, 1, day, tzinfo=UTC).isoformat())
    stub.add_image("team/app", bad, created="2030-01-01T00:00:00Z")  # the newest build, if it counted
    return stub


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("bad", BAD_TAGS)
async def test_an_invalid_tag_is_dropped_before_any_strategy_sees_it(bad: str, strategy: str) -> None:
    stub = _stub(bad)
    request = ScanRequest(
        repository="team/app",
        tag_filter=selection.TagFilter(),
        policy=selection.make_policy(strategy, version=None, image="team/app"),
        explain=True,
    )
    async with running(stub) as (client, _):
        result = await scan(client, request)
    assert result.selection.chosen is not None
    assert result.selection.chosen.name == "1.1.0"
    assert selection.Rejection(tag=printable(bad, limit=140), reason=NOT_A_TAG) in result.selection.rejected
    fetched = [s.path for s in stub.seen if "/manifests/" in s.path or "/blobs/" in s.path]
    assert all(path.rsplit("/", 1)[1] in GOOD or "sha256:" in path for path in fetched)


@pytest.mark.parametrize("bad", BAD_TAGS)
def test_explain_shows_the_invalid_tag_escaped_on_one_line(bad: str) -> None:
    stub = _stub(bad)
    with serve_in_thread(stub.app()) as url:
        image = url.removeprefix("http://") + "/team/app"
        text = CliRunner().invoke(cli, ["test", image, "--explain"], catch_exceptions=False)
        as_json = CliRunner().invoke(cli, ["test", image, "--output", "json"], catch_exceptions=False)
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert f"  dropped    {printable(bad, limit=140)}: {NOT_A_TAG}" in lines
    assert all(line.isprintable() and len(line) < 400 for line in lines)
    assert lines[-2].endswith("/team/app:1.1.0")
    answer = json.loads(as_json.stdout)
    assert answer["tag"] == "1.1.0"
    assert {"tag": printable(bad, limit=140), "reason": NOT_A_TAG} in answer["rejected"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("v1.2.3", "v1.2.3", id="plain"),
        pytest.param("a\nb", "a\\nb", id="newline"),
        pytest.param("\x1b[2J", "\\x1b[2J", id="escape"),
        pytest.param("\u202eevil", "\\u202eevil", id="bidi-override"),
        pytest.param("\u2028", "\\u2028", id="line-separator"),
        pytest.param("x" * 20, "x" * 10 + "...[10 more characters]", id="cut"),
        pytest.param("\n" * 20, "\\n" * 5 + "...[15 more characters]", id="cut-between-escapes"),
    ],
)
def test_printable(text: str, shown: str) -> None:
    assert printable(text, limit=10) == shown
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in printable(text, limit=10))


@pytest.mark.parametrize("strategy", STRATEGIES)
async def test_a_tag_listed_a_thousand_times_is_one_candidate_and_one_fetch(strategy: str) -> None:
    stub = _stub("1.2.0")
    stub.tags["team/app"] = [*stub.tags["team/app"]] * 1000  # repeats would each cost a HEAD
    request = ScanRequest(
        repository="team/app",
        tag_filter=selection.TagFilter(),
        policy=selection.make_policy(strategy, version=None, image="team/app"),
        explain=True,
    )
    async with running(stub) as (client, _):
        result = await scan(client, request)
    assert result.tags == ("1.0.0", "1.1.0", "1.2.0")
    assert sorted(info.name for info in result.selection.kept) == ["1.0.0", "1.1.0", "1.2.0"]
    assert result.selection.chosen is not None
    assert result.selection.chosen.name == "1.2.0"
    assert stub.count("HEAD", "/manifests/") == 0
    assert stub.count("GET", "/manifests/") <= 3
