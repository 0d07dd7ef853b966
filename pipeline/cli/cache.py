"""strategy-review cache info|clear"""

from __future__ import annotations

import typer

from .common import handle_errors, print_json

app = typer.Typer(help="The cache of per-item review results.", no_args_is_help=True)


@app.command("info")
@handle_errors
def info(json_output: bool = typer.Option(False, "--json")) -> None:
    """How many item results are cached, and where."""
    from .. import cache

    found = cache.info()
    if json_output:
        print_json({"path": found.path, "entries": found.entries, "bytes": found.bytes})
        return
    typer.echo(f"{found.entries} cached item results, {found.bytes / 1024:.0f} KiB in {found.path}")


@app.command("clear")
@handle_errors
def clear() -> None:
    """Delete every cached item result: the next review asks the model again."""
    from .. import cache

    removed = cache.clear()
    typer.echo(f"removed {removed} cached item results from {cache.items_dir()}")
