"""`image-updater template [PATH]`: upstream's preview of the commit message template."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from image_updater.cli.main import cli


def test_default_template_renders_upstreams_text() -> None:
    result = CliRunner().invoke(cli, ["template"])
    assert result.exit_code == 0
    assert result.stdout == (
        "build: automatic update of example-app\n\n"
        "updates image example/example tag '1.0.0' to '1.0.1'\n"
        "updates image example/updater tag '0.5.3' to '0.5.4'\n"
    )


def test_custom_template_and_a_broken_one(tmp_path: Path) -> None:
    good = tmp_path / "good.tpl"
    good.write_text("chore({{ .AppName }}): {{ range .AppChanges }}{{ .NewTag }} {{ end }}\n")
    assert CliRunner().invoke(cli, ["template", str(good)]).stdout == "chore(example-app): 1.0.1 0.5.4 \n"
    bad = tmp_path / "bad.tpl"
    bad.write_text("{{ .AppName }} {{ .Nope }}")
    result = CliRunner().invoke(cli, ["template", str(bad)])
    assert result.exit_code == 2
    assert "can't evaluate field Nope in type CommitMessageData" in result.stderr
