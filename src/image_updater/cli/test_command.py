"""`image-updater test IMAGE`: ask the registry which tag the configured strategy would pick.

Exit status: 0 a tag was chosen; 1 nothing matched (the message says why); 2 bad input (one
line naming the flag or value). Output is text, or JSON on stdout with `--output json`.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from image_updater.cli.failing import exiting_on_error
from image_updater.runtime import explaining
from image_updater.text import printable

if TYPE_CHECKING:  # the registry client loads only when `test` runs
    from image_updater.runtime.tagcheck import CheckReport

EXIT_CHOSEN, EXIT_NO_MATCH, EXIT_FAILED = 0, 1, 3


@click.command("test")
@click.argument("image")
@click.option("--update-strategy", "strategy", help="semver (default), newest-build, alphabetical, digest.")
@click.option("--semver-constraint", "constraint", help="Constraint (semver) or tag to track (digest).")
@click.option("--allow-tags", help="regexp:<RE2 expression> or any.")
@click.option("--ignore-tags", multiple=True, help="Glob or regexp:<expr>; repeatable.")
@click.option("--platforms", help="os/arch[/variant],... (default: no platform filter).")
@click.option("--min-age", help="Minimum release age (Go duration, e.g. 24h): younger tags are dropped.")
@click.option(
    "--credentials", help="pullsecret:<ns>/<name>, secret:<ns>/<name>#<field>, env:<VAR>, ext:<path>."
)
@click.option("--registries-conf-path", type=click.Path(path_type=Path), help="registries.conf to use.")
@click.option("--rate-limit", type=float, help="Requests per second to the registry.")
@click.option("--secrets-dir", type=click.Path(path_type=Path), help="Secret manifests for secret refs.")
@click.option(
    "--kubeconfig", type=click.Path(path_type=Path, dir_okay=False), help="Read Secrets from this cluster."
)
@click.option("--held-version", help="Exclude what a revert-aware hold on this tag (or tag@digest) excludes.")
@click.option("--hold-after-revert", help="until-newer (default) or forever, for --held-version.")
@click.option("--explain", is_flag=True, help="List every tag with why it was kept or dropped.")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--loglevel", default="warn", show_default=True, help="trace, debug, info, warn, error.")
def test_command(image: str, explain: bool, output: str, loglevel: str, **flags: Any) -> None:
    """Show which tag of IMAGE the update strategy would choose, and why."""
    from image_updater.runtime import logs
    from image_updater.runtime.tagcheck import CheckOptions, check_image

    logs.configure(level=loglevel)
    flags["ignore_tags"] = tuple(flags["ignore_tags"])
    flags["registries_conf"] = flags.pop("registries_conf_path")
    options = CheckOptions(image=image, **flags)
    report = exiting_on_error(
        lambda: asyncio.run(check_image(options, environ=os.environ)), failed=EXIT_FAILED
    )
    if output == "json":
        click.echo(json.dumps(_as_json(report), indent=2))
    else:
        _print_text(report, explain=explain)
    if report.chosen is None:
        if output == "json":
            click.echo(_no_match_message(report), err=True)
        raise SystemExit(EXIT_NO_MATCH)


def _print_text(report: CheckReport, *, explain: bool) -> None:
    registry = report.endpoint.api_url.split("://", 1)[-1]
    click.echo(f"Found {len(report.result.tags)} tags in registry {registry}/{report.repository}")
    if explain:
        _print_explanation(report)
    chosen = report.chosen
    if chosen is None:
        click.echo(_no_match_message(report))
    else:
        what = f"constraint {report.constraint!r}" if report.constraint else f"strategy {report.strategy}"
        click.echo(f"latest image according to {what} is {chosen}")
    total = sum(report.requests.values())
    click.echo(f"{total} registry requests ({_requests_summary(report.requests)})")


def _print_explanation(report: CheckReport) -> None:
    selection = report.result.selection
    chosen = selection.chosen.name if selection.chosen else None
    for rank, info in enumerate(selection.kept, start=1):
        mark = "chosen" if info.name == chosen else f"kept   #{rank}"
        click.echo(f"  {mark:10} {info.name}")
    for rejection in selection.rejected:  # reasons may quote registry data (platforms, error texts)
        click.echo(f"  {'dropped':10} {printable(rejection.tag)}: {printable(rejection.reason)}")


def _no_match_message(report: CheckReport) -> str:
    text = explaining.no_match(
        report.result.selection, listed=len(report.result.tags), image=report.image.name
    )
    return f"{text}. Run with --explain to see each tag." if report.result.tags else text


def _requests_summary(requests: dict[str, int] | Any) -> str:
    return ", ".join(f"{kind} {count}" for kind, count in sorted(requests.items())) or "none"


def _as_json(report: CheckReport) -> dict[str, Any]:
    selection = report.result.selection
    chosen = report.chosen
    return {
        "image": report.image.name,
        "registry": report.endpoint.api_url,
        "repository": report.repository,
        "strategy": report.strategy,
        "constraint": report.constraint,
        "tag": chosen.tag if chosen else None,
        "digest": selection.chosen.digest if selection.chosen else None,
        "chosen": str(chosen) if chosen else None,
        "tags_found": len(report.result.tags),
        "candidates": [info.name for info in selection.kept],
        "rejected": [{"tag": r.tag, "reason": r.reason} for r in selection.rejected],
        "requests": dict(report.requests),
    }
