"""strategy-review batch PATH... --out DIR"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import Progress, TaskID

from ..config import DEFAULT_CONCURRENCY
from ..rubric import resolve_rubric
from .common import (
    BaseUrlOpt,
    ModelOpt,
    NoCacheOpt,
    QuietOpt,
    announce,
    console,
    fail,
    handle_errors,
    progress_bar,
)
from .review import ConcurrencyOpt, RubricOpt

if TYPE_CHECKING:
    from ..league import FailedDocument


class BarProgress:
    """One progress bar over every document's items; failures printed as they happen."""

    def __init__(self, bar: Progress) -> None:
        self.bar = bar
        self.task: TaskID | None = None

    def start(self, steps: int) -> None:
        self.task = self.bar.add_task("reviewing", total=steps)

    def advance(self, steps: int, description: str) -> None:
        if self.task is not None:
            self.bar.update(self.task, advance=steps, description=description)

    def failed(self, document: FailedDocument) -> None:
        console.print(
            f"failed: {document.file}: {document.error}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@handle_errors
def batch_command(
    paths: list[str] = typer.Argument(
        ..., help="Documents, folders (searched recursively) or glob patterns such as 'docs/*.pdf'."
    ),
    out: Path = typer.Option(Path("batch-out"), "--out", help="Folder for the league and reviews."),
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    jobs: int = typer.Option(2, "--jobs", min=1, help="Documents reviewed at the same time."),
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    no_cache: NoCacheOpt = False,
    quiet: QuietOpt = False,
    rubric: RubricOpt = None,
) -> None:
    """Review many strategies and write league.html, league.csv and league.json."""
    from ..batch import BatchOptions, run_batch
    from ..models import resolve_model
    from ..review import ReviewOptions

    custom = resolve_rubric(rubric)
    backend = resolve_model(model, base_url)
    options = BatchOptions(
        jobs=jobs,
        concurrency=concurrency,
        review=ReviewOptions(use_cache=not no_cache, rubric=custom),
    )
    with progress_bar(quiet) as bar:
        result = run_batch(paths, out, backend, options, BarProgress(bar))
    for pattern in result.unmatched:
        typer.echo(f"warning: {pattern} matched no documents", err=True)
    league = result.league
    if not quiet:
        typer.echo(f"reviewed {len(league.rows)} of {result.total} documents")
        for path in result.paths.values():
            typer.echo(f"  wrote {path}")
    announce(backend, quiet)
    if league.failed:
        names = ", ".join(d.file for d in league.failed)
        raise fail(
            f"{len(league.failed)} of {result.total} documents could not be reviewed ({names}); "
            f"the others are in {result.paths['html']}"
        )
