"""The gates in the ImageUpdater status (directory mode, `--status-dir`): a `pin` field gives
`Pinned`, a release age that holds every candidate back gives `Held`, each with the log's words."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runtime.test_run_directory_mode import Setup
from tests.runtime.test_run_directory_mode_resources import app, git_write_back_example, status_of
from tests.runtime.test_run_directory_mode_resources import setup as setup  # the fixture


@pytest.mark.parametrize(
    ("settings", "reason", "message"),
    [
        pytest.param("pin: v1.4.2", "Pinned", "pinned by ", id="pin"),
        pytest.param(
            "minAge: 87600h", "Held", "no tag eligible yet: v1.5.0 is too young (created ", id="min-age"
        ),
    ],
)
def test_a_gated_image_says_why_in_the_status(
    setup: Setup, tmp_path: Path, settings: str, reason: str, message: str
) -> None:
    apps, statuses = tmp_path / "gated", tmp_path / "statuses"
    apps.mkdir()
    example = git_write_back_example(setup.repo_url, f"{setup.registry.host}/org/api")
    gated = example.replace(
        "  writeBackConfig:", f"  commonUpdateSettings:\n    {settings}\n  writeBackConfig:"
    )
    (apps / "updater.yaml").write_text(gated)
    (apps / "chart.yaml").write_text(app("my-app-chart", "charts/api", setup.repo_url, helm=True))
    result = setup.run("--status-dir", str(statuses), apps=apps)
    assert result.exit_code == 0, result.output
    (image,) = status_of(statuses, "my-image-updater")["imageResults"]
    assert image["reason"] == reason
    assert image["message"].startswith(message)
    assert "  tag: v1.0.0  # set by image-updater\n" in setup.show("charts/api/values.yaml")
