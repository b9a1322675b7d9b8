from click.testing import CliRunner

from image_updater import __version__
from image_updater.cli.main import cli


def test_version_short() -> None:
    result = CliRunner().invoke(cli, ["version", "--short"])
    assert result.exit_code == 0
    assert result.output.strip() == __version__
