"""strategy-review evals run | compare | agreement"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from ..models import EMBEDDED, resolve_model
from ..resources import eval_cases_dir
from ..rubric import resolve_rubric
from .common import (
    BaseUrlOpt,
    ModelOpt,
    NoCacheOpt,
    fail,
    handle_errors,
    progress_bar,
)
from .review import RubricOpt

if TYPE_CHECKING:  # pipeline.evals pulls in the whole review pipeline: imported when a command runs
    from ..evals.runner import ProgressEvent
    from ..evals.scorecard import Comparison, Scorecard
    from ..models.base import ModelAPI

app = typer.Typer(
    help="Score reviews against the gold eval cases, and compare runs.", no_args_is_help=True
)
stdout = Console()


def parse_gates(values: list[str] | None, option: str) -> dict[str, float]:
    from ..evals.metrics import parse_threshold

    gates: dict[str, float] = {}
    for text in values or []:
        try:
            name, limit = parse_threshold(text, option)
        except ValueError as exc:
            raise fail(str(exc)) from None
        gates[name] = limit
    return gates


def resolve_judge(name: str | None, base_url: str | None) -> ModelAPI | None:
    if not name and not base_url:
        return None
    if not (name and base_url):
        raise fail("--judge-model and --judge-base-url go together")
    from ..models.openai_compat import OpenAICompatModel

    return OpenAICompatModel(model=name, base_url=base_url)


def summary_table(card: Scorecard) -> Table:
    from ..evals.metrics import METRIC_LIST
    from ..evals.scorecard import format_value

    table = Table(title=f"{card.model.id}: {len(card.cases)} cases x {card.repeat} run(s)")
    for column in ("Metric", "Mean", "Std", "Better"):
        table.add_column(column, justify="left" if column == "Metric" else "right")
    for m in METRIC_LIST:
        s = card.overall[m.name]
        std = "-" if s.std is None else format_value(s.std, m.unit)
        table.add_row(
            m.label, format_value(s.mean, m.unit), std, "lower" if m.lower_is_better else "higher"
        )
    return table


def comparison_table(comparison: Comparison) -> Table:
    from ..evals.metrics import METRICS
    from ..evals.scorecard import format_diff, format_summary

    table = Table(title="Eval comparison (diff against the first run)")
    table.add_column("Metric")
    table.add_column(comparison.runs[0].label, justify="right")
    for run in comparison.runs[1:]:
        table.add_column(run.label, justify="right")
        table.add_column("diff", justify="right")
        table.add_column("noise")
    for mc in comparison.metrics:
        unit = METRICS[mc.metric].unit
        row = [mc.label, format_summary(mc.values[0], unit)]
        for value, diff, verdict in zip(mc.values[1:], mc.diffs[1:], mc.verdicts[1:], strict=True):
            row += [format_summary(value, unit), format_diff(diff, unit), verdict]
        table.add_row(*row)
    return table


@app.command("run")
@handle_errors
def run_command(
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    cases: Path | None = typer.Option(None, "--cases", help="Cases folder (default: evals/cases)."),
    only: list[str] = typer.Option(None, "--only", help="Score only these rubric item ids."),
    case: list[str] = typer.Option(None, "--case", help="Run only these case ids."),
    split: str = typer.Option(
        "all",
        "--split",
        metavar="tuning|held_out|all",
        help="Run only the tuning cases, only the held-out cases, or all of them.",
    ),
    repeat: int = typer.Option(
        1, "--repeat", min=1, help="Runs per case (runs after the first bypass the cache)."
    ),
    out: Path = typer.Option(Path("evals-out"), "--out", help="Folder for reviews and scorecard."),
    fail_under: list[str] = typer.Option(
        None,
        "--fail-under",
        metavar="METRIC=VALUE",
        help="Exit 1 if a higher-is-better metric is below VALUE.",
    ),
    fail_over: list[str] = typer.Option(
        None,
        "--fail-over",
        metavar="METRIC=VALUE",
        help="Exit 1 if a lower-is-better metric is above VALUE.",
    ),
    no_cache: NoCacheOpt = False,
    judge_model: str | None = typer.Option(
        None,
        "--judge-model",
        help="OpenAI-compatible model that judges whether "
        "citations support findings (citation_support).",
    ),
    judge_base_url: str | None = typer.Option(
        None, "--judge-base-url", help="The judge model's server URL."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar or summary table."),
    answers: Path | None = typer.Option(
        None,
        "--answers",
        help="Folder of stored good/ and junk/ answers replayed through the quality gate "
        "(default: evals/answers).",
    ),
    rubric: RubricOpt = None,
) -> None:
    """Review every eval case and write scorecard.json, scorecard.md and scorecard.html."""
    from ..evals.cases import parse_split
    from ..evals.metrics import check_thresholds
    from ..evals.runner import run_evals

    custom = resolve_rubric(rubric)
    under, over = parse_gates(fail_under, "--fail-under"), parse_gates(fail_over, "--fail-over")
    chosen_split = parse_split(split)
    judge = resolve_judge(judge_model, judge_base_url)
    backend = resolve_model(model, base_url, EMBEDDED)
    with progress_bar(quiet) as bar:
        task = bar.add_task("reviewing", total=None)

        def advance(event: ProgressEvent) -> None:
            bar.update(
                task,
                total=event.total,
                completed=event.done,
                description=f"{event.case_id} run {event.run} {event.item_id}: {event.rating}",
            )

        card = run_evals(
            backend,
            cases or eval_cases_dir(),
            out,
            only or None,
            case or None,
            repeat,
            advance,
            use_cache=not no_cache,
            judge=judge,
            split=chosen_split,
            answers=answers,
            rubric=custom,
        )
    if not quiet:
        stdout.print(summary_table(card))
        for note in card.notes:
            typer.echo(f"note: {note}")
        typer.echo(
            f"wrote {out / 'scorecard.json'}, scorecard.md, scorecard.html, gate_sets.json and "
            f"{card.counts.get('reviews', 0)} reviews"
        )
    failures = check_thresholds(card.overall, under, over)
    if failures:
        raise fail("eval gate failed: " + "; ".join(failures), 1)


@app.command("compare")
@handle_errors
def compare_command(
    runs: list[Path] = typer.Argument(
        ..., help="Run folders (or scorecard.json files); the first is the baseline."
    ),
    out: Path = typer.Option(
        Path("evals-compare"), "--out", help="Folder for compare.json, compare.md and compare.html."
    ),
) -> None:
    """Compare the scorecards of several runs side by side."""
    from ..evals.runner import compare_runs

    comparison = compare_runs(runs, out)
    stdout.print(comparison_table(comparison))
    for note in comparison.notes:
        typer.echo(f"note: {note}")
    typer.echo(f"wrote {out / 'compare.json'}, compare.md, compare.html")


@app.command("agreement")
@handle_errors
def agreement_command(
    review_dirs: list[Path] = typer.Argument(..., help="Review folders with decisions.json."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the report as JSON."),
) -> None:
    """How often people accepted, edited or rejected the tool's findings, and Cohen's kappa."""
    from ..evals.agreement import agreement, format_report, write_json

    report = agreement(review_dirs)
    typer.echo(format_report(report))
    if json_out is not None:
        typer.echo(f"wrote {write_json(report, json_out)}")
