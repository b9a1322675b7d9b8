"""`image-updater template [PATH]`: preview a commit message template with sample changes, as
argocd-image-updater's `template` command does. A template that does not compile or render is an
error naming the position, not a silent fall-back."""

from __future__ import annotations

from pathlib import Path

import click

from image_updater.changes import Change
from image_updater.cli.failing import exiting_on_error
from image_updater.refs import ImageRef, Tag

SAMPLE_CHANGES = (
    Change(
        alias="app",
        old=ImageRef("gcr.io", "example/example", Tag("1.0.0")),
        new=ImageRef("gcr.io", "example/example", Tag("1.0.1")),
    ),
    Change(
        alias="worker",
        old=ImageRef("", "example/updater", Tag("0.5.3")),
        new=ImageRef("", "example/updater", Tag("0.5.4")),
    ),
)


@click.command("template")
@click.argument("path", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True))
def template_command(path: Path | None) -> None:
    """Render the commit message template at PATH (default: the built-in one) with sample data."""

    def render() -> str:
        from image_updater.runtime.configfiles import load_commit_template
        from image_updater.writeback.git_commit import commit_message

        template = load_commit_template(path)
        return commit_message(template, app_name="example-app", changes=SAMPLE_CHANGES)

    click.echo(exiting_on_error(render, failed=2), nl=False)
