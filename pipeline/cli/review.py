"""strategy-review review FILE"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import DEFAULT_CONCURRENCY
from ..errors import StrategyReviewError
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

if TYPE_CHECKING:
    from ..records import ItemResult
    from ..rubric import RubricItem

FORMATS = ("md", "html", "json")
ConcurrencyOpt = Annotated[
    int,
    typer.Option(
        "--concurrency",
        min=1,
        envvar="STRATEGY_REVIEW_CONCURRENCY",
        help="Items judged at the same time against a server (the embedded model runs one).",
    ),
]

RubricOpt = Annotated[
    str | None,
    typer.Option(
        "--rubric",
        metavar="FILE",
        help="Review against this rubric (JSON or YAML), or a shipped one by name "
        "(council-annual-plan). Default: the built-in 22-item rubric. "
        "`strategy-review rubric FILE` checks a file.",
    ),
]


def parse_formats(value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise StrategyReviewError(f"--format {value!r}: choose from {','.join(FORMATS)}")
    return formats


@handle_errors
def review_command(
    file: Path = typer.Argument(..., help="The strategy document to review."),
    out: Path = typer.Option(Path("review-out"), "--out", help="Folder for the reports."),
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    only: list[str] = typer.Option(None, "--only", help="Review only these rubric item ids."),
    formats: str = typer.Option("md,html,json", "--format", help="Comma-separated: md,html,json."),
    no_cache: NoCacheOpt = False,
    concurrency: ConcurrencyOpt = DEFAULT_CONCURRENCY,
    password: PasswordOpt = None,
    quiet: QuietOpt = False,
    rubric: RubricOpt = None,
) -> None:
    """Write a cited draft critique: review.md, review.html and review.json."""
    from ..models import resolve_model
    from ..review import ReviewOptions, run_review

    chosen = parse_formats(formats)
    custom = resolve_rubric(rubric)
    total = len(active(custom).select(only or None))
    backend = resolve_model(model, base_url)
    options = ReviewOptions(
        only=only or None,
        use_cache=not no_cache,
        password=password,
        concurrency=concurrency,
        rubric=custom,
    )
    with progress_bar(quiet) as bar:
        task = bar.add_task("reviewing", total=total)

        def advance(item: RubricItem, result: ItemResult) -> None:
            bar.update(task, advance=1, description=f"{item.id}: {result.rating}")

        review, paths = run_review(file, out, backend, options, chosen, advance)
    if not quiet:
        stats = review.stats
        typer.echo(
            f"reviewed {review.document.title} with {review.model.id} "
            f"in {review.timings['total']:.1f}s"
        )
        typer.echo(
            f"  quotes verified {stats['quotes_verified']}/{stats['quotes_proposed']}, "
            f"low-confidence items {stats['items_low_confidence']}, "
            f"failed {stats['items_failed']}, cached {stats['items_cached']}"
        )
        for path in paths.values():
            typer.echo(f"  wrote {path}")
    announce(backend, quiet)
