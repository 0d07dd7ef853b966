"""strategy-review compare FILE [--with ID ...] | compare OLD_FILE NEW_FILE"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..rubric import active, resolve_rubric
from .common import (
    BaseUrlOpt,
    ModelOpt,
    NoCacheOpt,
    PasswordOpt,
    QuietOpt,
    announce,
    handle_errors,
    progress_bar,
)
from .review import RubricOpt

if TYPE_CHECKING:
    from ..records import ItemResult
    from ..rubric import RubricItem


def split_ids(values: list[str] | None) -> list[str]:
    """``--with a --with b`` and ``--with a,b`` alike."""
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


@contextmanager
def lazy_progress(total: int, quiet: bool) -> Iterator[Callable[[RubricItem, ItemResult], None]]:
    """A progress bar that appears with the first reviewed item, so that input errors, which
    come before any review work, print nothing but their one line."""
    bar = progress_bar(quiet)
    task = bar.add_task("reviewing", total=total, start=False)

    def advance(item: RubricItem, result: ItemResult) -> None:
        if not bar.live.is_started:
            bar.start()
            bar.start_task(task)
        bar.update(task, advance=1, description=f"{item.id}: {result.rating}")

    try:
        yield advance
    finally:
        if bar.live.is_started:
            bar.stop()


@handle_errors
def compare_command(
    files: list[Path] = typer.Argument(
        ...,
        metavar="FILE [NEW_FILE]",
        help="FILE to compare with exemplars, or OLD_FILE NEW_FILE to compare two versions.",
    ),
    with_: list[str] = typer.Option(
        None,
        "--with",
        metavar="SOURCE_ID",
        help="Exemplar source ids (repeat, or comma-separate); "
        "default: up to 3 chosen automatically.",
    ),
    out: Path = typer.Option(Path("compare-out"), "--out", help="Folder for the reports."),
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    only: list[str] = typer.Option(None, "--only", help="Compare only these rubric item ids."),
    no_cache: NoCacheOpt = False,
    password: PasswordOpt = None,
    quiet: QuietOpt = False,
    rubric: RubricOpt = None,
) -> None:
    """Compare a strategy with exemplars, or two versions: compare.md, .html and .json."""
    from ..compare import ExemplarComparison, run_compare  # numpy, chromadb: only when run
    from ..models import resolve_model
    from ..review import ReviewOptions

    sources = split_ids(with_)
    custom = resolve_rubric(rubric)
    total = len(active(custom).select(only or None)) * min(2, len(files))
    backend = resolve_model(model, base_url)
    options = ReviewOptions(
        only=only or None, use_cache=not no_cache, password=password, rubric=custom
    )
    with lazy_progress(total, quiet) as advance:
        comparison, paths = run_compare(files, out, backend, sources, options, advance)
    announce(backend, quiet)
    if quiet:
        return
    if isinstance(comparison, ExemplarComparison):
        typer.echo(
            f"compared {comparison.document.title} (sector: {comparison.sector}) with "
            f"{len(comparison.exemplars)} exemplar(s):"
        )
        for source in comparison.exemplars:
            typer.echo(f"  {source.source_id}: {source.reason}")
    else:
        counts = ", ".join(f"{n} {status}" for status, n in comparison.counts.items())
        typer.echo(f"compared {comparison.old.title} with {comparison.new.title}: {counts}")
    for path in paths.values():
        typer.echo(f"  wrote {path}")
