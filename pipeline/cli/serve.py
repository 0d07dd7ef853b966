"""strategy-review serve [DIR...]"""

from __future__ import annotations

from pathlib import Path

import typer

from .common import handle_errors

ReviewerOpt = typer.Option(
    None,
    "--reviewer",
    help="Who is deciding (default: STRATEGY_REVIEW_REVIEWER, then your user name).",
)


@handle_errors
def serve_command(
    folders: list[Path] = typer.Argument(
        None, help="Review folders to show besides those the home knows.", show_default=False
    ),
    port: int = typer.Option(8421, "--port", min=0, max=65535, help="Port (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Only 127.0.0.1 or localhost."),
    reviewer: str | None = ReviewerOpt,
) -> None:
    """Open the review workspace: accept, edit or reject each finding in your browser."""
    from ..workspace.server import serve  # uvicorn and starlette only when serving

    serve(folders or [], port=port, reviewer=reviewer, host=host, announce=typer.echo)
