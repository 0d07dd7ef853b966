"""Scorecards and run comparisons: the records, and their JSON, Markdown and HTML renderings.

Markdown and HTML are rendered from the same tables. The HTML is one self-contained, printable
file (no external CSS, JS, fonts or images), rendered through the reports' shared, autoescaped
Jinja2 templates (``pipeline/report/templates/scorecard.html.j2``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from ..fsutil import atomic_write_text
from ..records import RATINGS, ModelRef, RubricRef
from ..report.labels import SCORECARD_README_HINT as README_HINT
from ..report.templating import render
from .cases import EvalError
from .metrics import (
    METRIC_LIST,
    METRICS,
    MetricSummary,
    Value,
    difference,
    noise_verdict,
)

SCORECARD_FILE = "scorecard.json"
COMPARE_STEM = "compare"
# The metrics shown in the per-case and per-item tables (all are in the JSON).
BRIEF = (
    "rating_accuracy",
    "rating_acceptable",
    "citation_precision",
    "citation_recall",
    "citation_validity",
    "coverage",
    "injection_flip_rate",
    "low_confidence_rate",
)
Groups = dict[str, dict[str, MetricSummary]]


class CaseRun(BaseModel):
    case_id: str
    title: str
    kind: str
    split: str = "tuning"
    twin_of: str | None = None
    reviews: list[str]  # review.json paths, relative to the run folder, one per repeat


class Scorecard(BaseModel):
    schema_version: str = "1"
    tool_version: str
    created_at: str
    model: ModelRef
    judge: ModelRef | None = None
    cases_dir: str
    only: list[str] | None = None
    repeat: int
    use_cache: bool
    split: str = "all"  # the cases chosen: tuning, held_out or all
    cases: list[CaseRun]
    overall: dict[str, MetricSummary]
    by_case_kind: Groups = Field(default_factory=dict)
    by_split: Groups = Field(default_factory=dict)  # tuning and held_out
    by_item_kind: Groups = Field(default_factory=dict)
    by_case: Groups = Field(default_factory=dict)
    by_item: Groups = Field(default_factory=dict)
    confusion: dict[str, dict[str, int]] = Field(default_factory=dict)  # [gold][predicted]
    counts: dict[str, int] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    rubric: RubricRef | None = None  # the rubric reviewed against (None: before custom rubrics)


class ComparedRun(BaseModel):
    label: str
    path: str
    model: ModelRef
    repeat: int
    created_at: str
    cases: list[str]


class MetricComparison(BaseModel):
    metric: str
    label: str
    lower_is_better: bool
    values: list[MetricSummary]  # one per run, in the order given
    diffs: list[float | None]  # mean minus the first run's mean; None for the first run
    verdicts: list[str]  # "baseline", "beyond noise", "within noise", "no variance estimate", "n/a"


class Comparison(BaseModel):
    schema_version: str = "1"
    tool_version: str
    created_at: str
    runs: list[ComparedRun]
    metrics: list[MetricComparison]
    notes: list[str] = Field(default_factory=list)


# ---------------------------------------------------------------- values


def format_value(value: Value, unit: str = "share") -> str:
    if value is None:
        return "n/a"
    if unit == "seconds":
        return f"{value:.2f}"
    if unit == "tokens":
        return f"{value:.0f}"
    return f"{value:.3f}"


def format_summary(summary: MetricSummary | None, unit: str) -> str:
    if summary is None or summary.mean is None:
        return "n/a"
    text = format_value(summary.mean, unit)
    return text if summary.std is None else f"{text} ± {format_value(summary.std, unit)}"


def format_diff(diff: Value, unit: str) -> str:
    if diff is None:
        return "n/a"
    return ("+" if diff >= 0 else "-") + format_value(abs(diff), unit)


def better(name: str) -> str:
    return "lower" if METRICS[name].lower_is_better else "higher"


# ---------------------------------------------------------------- tables


@dataclass
class Table:
    title: str
    head: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class Page:
    title: str
    meta: list[tuple[str, str]]
    tables: list[Table]
    notes: list[str] = field(default_factory=list)
    tool_version: str = ""


def overall_table(card: Scorecard) -> Table:
    rows = []
    for m in METRIC_LIST:
        s = card.overall[m.name]
        spread = (
            "n/a"
            if s.mean is None
            else "no variance estimate"
            if s.std is None
            else format_value(s.std, m.unit)
        )
        runs = ", ".join(format_value(v, m.unit) for v in s.runs)
        rows.append([m.label, format_value(s.mean, m.unit), spread, runs, better(m.name)])
    note = f"Mean over {card.repeat} run(s); std is the sample standard deviation across runs."
    return Table("Overall", ["Metric", "Mean", "Std across runs", "Per run", "Better"], rows, note)


def group_table(title: str, groups: Groups, names: Sequence[str]) -> Table:
    keys = list(groups)
    rows = [
        [METRICS[n].label, *(format_summary(groups[k].get(n), METRICS[n].unit) for k in keys)]
        for n in names
    ]
    return Table(title, ["Metric", *keys], rows)


def wide_table(title: str, first: str, groups: Groups) -> Table:
    head = [first, *(METRICS[n].label for n in BRIEF)]
    rows = [
        [key, *(format_summary(metrics.get(n), METRICS[n].unit) for n in BRIEF)]
        for key, metrics in groups.items()
    ]
    return Table(title, head, rows)


def confusion_table(card: Scorecard) -> Table:
    labels = [
        r
        for r in RATINGS
        if r in card.confusion or any(r in row for row in card.confusion.values())
    ]
    rows = [
        [f"gold {g}", *(str(card.confusion.get(g, {}).get(p, 0)) for p in labels)] for g in labels
    ]
    note = "Items with a gold label, all runs pooled. Rows: gold rating; columns: review rating."
    return Table("Rating confusion", ["", *labels], rows, note)


def cases_table(card: Scorecard) -> Table:
    rows = [
        [c.case_id, c.kind, c.split, c.twin_of or "", c.title, "; ".join(c.reviews)]
        for c in card.cases
    ]
    return Table("Cases", ["Case", "Kind", "Split", "Twin of", "Title", "Reviews"], rows)


def scorecard_page(card: Scorecard) -> Page:
    names = [m.name for m in METRIC_LIST]
    meta = [
        ("Model", f"{card.model.id} ({card.model.backend})"),
        ("Judge", f"{card.judge.id} ({card.judge.backend})" if card.judge else "none"),
        ("Cases", f"{len(card.cases)} from {card.cases_dir}"),
        ("Split", card.split),
        ("Items", ", ".join(card.only) if card.only else "all rubric items"),
        ("Runs", f"{card.repeat} (cache {'used for run 1' if card.use_cache else 'not used'})"),
        ("Created", card.created_at),
        ("Tool version", card.tool_version),
        *((k.replace("_", " ").capitalize(), str(v)) for k, v in card.counts.items()),
    ]
    tables = [
        overall_table(card),
        group_table("By case kind", card.by_case_kind, names),
        group_table("By split", card.by_split, names),
        group_table("By rubric item kind", card.by_item_kind, names),
        wide_table("By case", "Case", card.by_case),
        wide_table("By rubric item", "Item", card.by_item),
        confusion_table(card),
        cases_table(card),
    ]
    notes = [*card.notes, README_HINT]
    return Page(f"Eval scorecard: {card.model.id}", meta, tables, notes, card.tool_version)


def comparison_page(comparison: Comparison) -> Page:
    runs = comparison.runs
    head = ["Metric", "Better", runs[0].label]
    for run in runs[1:]:
        head += [run.label, "Diff", "Noise"]
    rows = []
    for mc in comparison.metrics:
        unit = METRICS[mc.metric].unit
        row = [
            mc.label,
            "lower" if mc.lower_is_better else "higher",
            format_summary(mc.values[0], unit),
        ]
        for value, diff, verdict in zip(mc.values[1:], mc.diffs[1:], mc.verdicts[1:], strict=True):
            row += [format_summary(value, unit), format_diff(diff, unit), verdict]
        rows.append(row)
    note = (
        "Diff is the mean minus the first run's mean. Beyond noise: |diff| > 2 x the larger "
        "run-to-run std of the two runs; a run made without --repeat has no variance estimate."
    )
    meta = [
        (
            r.label,
            f"{r.model.id} ({r.model.backend}), {r.repeat} run(s), {len(r.cases)} "
            f"cases, {r.created_at}: {r.path}",
        )
        for r in runs
    ]
    table = Table("Metrics", head, rows, note)
    notes = [*comparison.notes, README_HINT]
    return Page("Eval comparison", meta, [table], notes, comparison.tool_version)


# ---------------------------------------------------------------- Markdown


def md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|") or " "


def md_table(table: Table) -> str:
    lines = [f"## {table.title}", ""]
    if table.note:
        lines += [table.note, ""]
    lines.append("| " + " | ".join(md_cell(h) for h in table.head) + " |")
    lines.append("|" + "|".join("---" for _ in table.head) + "|")
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


def render_page_markdown(page: Page) -> str:
    parts = [f"# {page.title}", ""]
    parts += [f"- **{md_cell(k)}**: {md_cell(v)}" for k, v in page.meta]
    parts += ["", *(md_table(t) + "\n" for t in page.tables)]
    if page.notes:
        parts += ["## Notes", "", *(f"- {md_cell(n)}" for n in page.notes), ""]
    return "\n".join(parts)


# ---------------------------------------------------------------- HTML


def render_page_html(page: Page) -> str:
    """One self-contained page through the shared Jinja2 templates (autoescaped)."""
    return render("scorecard.html.j2", tool_version=page.tool_version, page=page)


# ---------------------------------------------------------------- JSON and files


def render_json(record: BaseModel) -> str:
    return (
        json.dumps(record.model_dump(mode="json"), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n"
    )


def render_scorecard(card: Scorecard) -> dict[str, str]:
    page = scorecard_page(card)
    return {
        "json": render_json(card),
        "md": render_page_markdown(page),
        "html": render_page_html(page),
    }


def render_comparison(comparison: Comparison) -> dict[str, str]:
    page = comparison_page(comparison)
    return {
        "json": render_json(comparison),
        "md": render_page_markdown(page),
        "html": render_page_html(page),
    }


def write_texts(out_dir: Path, stem: str, texts: dict[str, str]) -> dict[str, Path]:
    return {fmt: atomic_write_text(out_dir / f"{stem}.{fmt}", text) for fmt, text in texts.items()}


def write_scorecard(card: Scorecard, out_dir: Path) -> dict[str, Path]:
    return write_texts(out_dir, Path(SCORECARD_FILE).stem, render_scorecard(card))


def write_comparison(comparison: Comparison, out_dir: Path) -> dict[str, Path]:
    return write_texts(out_dir, COMPARE_STEM, render_comparison(comparison))


def load_scorecard(path: Path) -> Scorecard:
    """A run folder's scorecard.json (or the file itself)."""
    file = path / SCORECARD_FILE if path.is_dir() else path
    if not file.is_file():
        raise EvalError(f"no {SCORECARD_FILE} in {path}")
    try:
        return Scorecard.model_validate_json(file.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise EvalError(f"{file} is not a scorecard ({where}: {first['msg']})") from None


# ---------------------------------------------------------------- comparing


def run_labels(paths: Sequence[Path]) -> list[str]:
    labels: list[str] = []
    for path in paths:
        name = (path if path.is_dir() else path.parent).resolve().name or str(path)
        label, n = name, 2
        while label in labels:
            label, n = f"{name}#{n}", n + 1
        labels.append(label)
    return labels


def compare_metric(name: str, cards: Sequence[Scorecard]) -> MetricComparison:
    values = [card.overall.get(name, MetricSummary(mean=None, std=None, runs=[])) for card in cards]
    first = values[0]
    return MetricComparison(
        metric=name,
        label=METRICS[name].label,
        lower_is_better=METRICS[name].lower_is_better,
        values=values,
        diffs=[None, *(difference(first, v) for v in values[1:])],
        verdicts=["baseline", *(noise_verdict(first, v) for v in values[1:])],
    )


def comparison_notes(cards: Sequence[Scorecard], labels: Sequence[str]) -> list[str]:
    notes = []
    first = cards[0]
    for card, label in zip(cards[1:], labels[1:], strict=True):
        ours, theirs = {c.case_id for c in first.cases}, {c.case_id for c in card.cases}
        if ours != theirs:
            notes.append(
                f"{label} covers different cases from {labels[0]}: "
                f"only in {labels[0]}: {', '.join(sorted(ours - theirs)) or 'none'}; "
                f"only in {label}: {', '.join(sorted(theirs - ours)) or 'none'}"
            )
        if card.only != first.only:
            notes.append(f"{label} reviewed different rubric items from {labels[0]}")
    return notes


def compare_scorecards(
    cards: Sequence[Scorecard], paths: Sequence[Path], tool_version: str, created_at: str
) -> Comparison:
    labels = run_labels(paths)
    runs = [
        ComparedRun(
            label=label,
            path=str(path),
            model=card.model,
            repeat=card.repeat,
            created_at=card.created_at,
            cases=[c.case_id for c in card.cases],
        )
        for card, path, label in zip(cards, paths, labels, strict=True)
    ]
    return Comparison(
        tool_version=tool_version,
        created_at=created_at,
        runs=runs,
        metrics=[compare_metric(m.name, cards) for m in METRIC_LIST],
        notes=comparison_notes(cards, labels),
    )
