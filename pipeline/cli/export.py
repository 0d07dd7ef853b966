"""strategy-review export REVIEW_DIR --format docx|md|html"""

from __future__ import annotations

from pathlib import Path

import typer

from .common import handle_errors


@handle_errors
def export_command(
    review_dir: Path = typer.Argument(..., help="A review folder (with review.json)."),
    fmt: str = typer.Option("docx", "--format", metavar="docx|md|html", help="Paper format."),
    out: Path | None = typer.Option(
        None, "--out", help="File to write (default: REVIEW_DIR/board-paper.FORMAT)."
    ),
    include_undecided: bool = typer.Option(
        False,
        "--include-undecided",
        help="List undecided findings under a marked 'Not yet reviewed' section "
        "(default: refuse while any finding is undecided).",
    ),
    template: Path | None = typer.Option(
        None, "--template", help="An organisation's .docx to take styles and page setup from."
    ),
    organisation: str | None = typer.Option(
        None, "--organisation", help="Organisation named on the title page (default: guessed)."
    ),
) -> None:
    """Write the board paper: accepted and edited findings, rejected items in an appendix."""
    from ..paper import export_paper

    path, paper = export_paper(
        review_dir,
        fmt.lower().strip(),
        out,
        include_undecided=include_undecided,
        template=template,
        organisation=organisation,
    )
    for warning in paper.warnings:
        typer.echo(warning, err=True)
    typer.echo(f"wrote {path} ({paper.counts_text})")
