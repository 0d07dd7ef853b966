"""strategy-review rubric [FILE]"""

from __future__ import annotations

import typer

from ..rubric import active, describe, resolve_rubric
from .common import handle_errors, print_json


@handle_errors
def rubric_command(
    file: str = typer.Argument(
        None,
        metavar="[FILE]",
        help="A rubric file (JSON or YAML) or a shipped rubric's name; default: the built-in one.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Check a rubric file and show its items, and which of them the rules can rate."""
    shown = describe(active(resolve_rubric(file)))
    if json_out:
        print_json(shown)
        return
    typer.echo(
        f"{shown['name']} {shown['version']} (sha256 {shown['sha256']}): "
        f"{len(shown['items'])} items"
    )
    for item in shown["items"]:
        checks = ", ".join(item["checks"]) or "none: a model judges it"
        typer.echo(f"  {item['id']} ({item['kind']}): {item['title']} [rules check: {checks}]")
    typer.echo(f"shipped rubrics: {', '.join(shown['shipped']) or 'none'}")
