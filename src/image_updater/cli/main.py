"""The `image-updater` (alias `argocd-image-updater`) command group."""

from __future__ import annotations

import click

from image_updater import __version__
from image_updater.cli.plan_command import plan_command
from image_updater.cli.run_command import run_command
from image_updater.cli.template_command import template_command
from image_updater.cli.test_command import test_command
from image_updater.cli.webhook_command import webhook_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Keep Argo CD Applications on the newest allowed image; drop-in for argocd-image-updater."""


@cli.command()
@click.option("--short", is_flag=True, help="Print only the version number.")
def version(short: bool) -> None:
    """Print the version."""
    click.echo(__version__ if short else f"image-updater {__version__}")


cli.add_command(test_command)
cli.add_command(run_command)
cli.add_command(plan_command)
cli.add_command(template_command)
cli.add_command(webhook_command)


def main() -> None:
    """Console-script entry point."""
    cli()
