"""strategy-review ingest FILE"""

from __future__ import annotations

from pathlib import Path

import typer

from .common import handle_errors, print_json


@handle_errors
def ingest_command(
    file: Path = typer.Argument(..., help="Strategy document: PDF, HTML, Markdown, text or DOCX."),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON summary."),
    password: str | None = typer.Option(None, "--password", help="Password of an encrypted PDF."),
) -> None:
    """Read a strategy document, chunk it and keep it in the store (a no-op the second time)."""
    from ..ingest import ingest

    document, already = ingest(file, password=password)
    summary = document.summary() | {"already_ingested": already}
    if json_output:
        print_json(summary)
        return
    state = "already ingested" if already else "ingested"
    typer.echo(f"{state}: {document.title}")
    typer.echo(
        f"  {summary['pages']} pages, {summary['words']} words, {summary['chunks']} chunks, "
        f"sha256 {document.sha256[:12]}"
    )
    if document.pages_without_text:
        typer.echo(f"  pages without text: {document.pages_without_text}")
    for warning in document.warnings:
        typer.echo(f"warning: {warning}", err=True)
