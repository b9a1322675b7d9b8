"""`image-updater test --min-age`: the release age with the real clock, every young tag explained."""

from __future__ import annotations

import datetime as dt

from devtools import oci
from devtools.registry import LocalRegistry
from tests.cli.test_test_command import run


def test_min_age_drops_young_tags_and_says_until_when(registry: LocalRegistry, fresh_repo: str) -> None:
    now = dt.datetime.now(dt.UTC)
    oci.push_image(registry.url, fresh_repo, "1.0.0", created=now - dt.timedelta(days=3))
    oci.push_image(registry.url, fresh_repo, "1.1.0", created=now - dt.timedelta(hours=1))
    result = run(f"{registry.host}/{fresh_repo}", "--min-age", "24h", "--explain")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-2].endswith(f"{fresh_repo}:1.0.0")
    assert "dropped    1.1.0: too young (created " in result.output


def test_a_bad_min_age_is_one_line(registry: LocalRegistry) -> None:
    result = run(f"{registry.host}/t/x", "--min-age", "a day")
    assert result.exit_code == 2
    assert "--min-age 'a day' is not a duration like 30m, 24h or 1h30m" in result.output
