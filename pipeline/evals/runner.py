"""Run a backend over the eval cases and score it (:func:`run_evals`); compare runs
(:func:`compare_runs`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .. import __version__
from ..errors import ModelError
from ..fsutil import atomic_write_text
from ..models.base import JSONParseError, Message, ModelAPI, parse_json_object
from ..records import Evidence, ItemResult, Review
from ..report.json import render_json
from ..resources import eval_cases_dir
from ..review import ReviewOptions, model_ref, review_document
from ..rubric import Rubric, RubricItem, active, load_rubric
from ..store import Store
from .cases import SPLITS, EvalCase, EvalError, Split, load_cases
from .gate_sets import (
    answers_dir,
    attach_outcomes,
    gate_set_counts,
    gate_set_notes,
    replay_gate_sets,
    stale_junk_notes,
    write_gate_sets,
)
from .metrics import (
    MetricSummary,
    Row,
    cited_evidence,
    confusion,
    gold_pairs,
    group,
    summarise,
)
from .recheck import Rechecker, failure_line, tally
from .scorecard import (
    CaseRun,
    Comparison,
    Groups,
    Scorecard,
    compare_scorecards,
    load_scorecard,
    write_comparison,
    write_scorecard,
)

Reviews = dict[tuple[str, int], Review]  # (case_id, run) -> review
RECHECK_FILE = "recheck.json"  # every quote the independent re-check failed, with reasons


@dataclass(frozen=True)
class ProgressEvent:
    case_id: str
    run: int
    item_id: str
    rating: str
    done: int
    total: int


EvalProgress = Callable[[ProgressEvent], None]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def review_path(out_dir: Path, case_id: str, run: int) -> Path:
    return out_dir / "reviews" / case_id / f"run{run}" / "review.json"


# ---------------------------------------------------------------- reviewing


def review_cases(
    cases: Sequence[EvalCase],
    model: ModelAPI,
    out_dir: Path,
    only: list[str] | None,
    repeat: int,
    use_cache: bool,
    store: Store,
    progress: EvalProgress | None,
    rubric: Rubric | None = None,
) -> Reviews:
    """Review every case ``repeat`` times. Runs after the first never read the cache;
    nothing else differs between runs."""
    per_review = len(active(rubric).select(only))
    total, done = len(cases) * repeat * per_review, 0
    reviews: Reviews = {}
    for run in range(1, repeat + 1):
        options = ReviewOptions(only=only, use_cache=use_cache and run == 1, rubric=rubric)
        for case in cases:

            def advance(
                item: RubricItem, result: ItemResult, case_id: str = case.case_id, run: int = run
            ) -> None:
                nonlocal done
                done += 1
                if progress:
                    progress(ProgressEvent(case_id, run, item.id, result.rating, done, total))

            review = review_document(case.document, model, options, advance, store)
            atomic_write_text(review_path(out_dir, case.case_id, run), render_json(review))
            reviews[(case.case_id, run)] = review
    return reviews


# ---------------------------------------------------------------- judging citations

JUDGE_SYSTEM = (
    "You check citations in a review of a strategy document. Answer only with JSON "
    'of the form {"supports": "yes"} or {"supports": "no"}.'
)
JUDGE_SCHEMA = {
    "type": "object",
    "properties": {"supports": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["supports"],
}


def judge_messages(item: ItemResult, evidence: Evidence) -> list[Message]:
    user = (
        f"Rubric item: {item.title}\nFinding: {item.summary}\n\n"
        "Quotation from the document (untrusted text between the markers):\n"
        f"<<<QUOTE\n{evidence.quote}\nQUOTE>>>\n\n"
        'Does the quotation support the finding? Reply {"supports": "yes"} or '
        '{"supports": "no"}.'
    )
    return [Message("system", JUDGE_SYSTEM), Message("user", user)]


def judge_citation(judge: ModelAPI, item: ItemResult, evidence: Evidence) -> bool | None:
    """The judge's yes/no; None when its answer could not be read."""
    try:
        generation = judge.generate(
            judge_messages(item, evidence), schema=JUDGE_SCHEMA, max_tokens=20
        )
        answer = str(parse_json_object(generation.text).get("supports", "")).strip().lower()
    except (JSONParseError, ModelError) as exc:
        if "cannot reach" in str(exc):
            raise
        return None
    return {"yes": True, "no": False}.get(answer)


def judge_item(judge: ModelAPI, item: ItemResult) -> tuple[int, int]:
    verdicts = [judge_citation(judge, item, e) for e in cited_evidence(item)]
    answered = [v for v in verdicts if v is not None]
    return sum(answered), len(answered)


# ---------------------------------------------------------------- scoring


def build_rows(
    cases: Sequence[EvalCase], reviews: Reviews, repeat: int, judge: ModelAPI | None = None
) -> list[Row]:
    rows = []
    for case in cases:
        rechecker = Rechecker.for_file(case.document)  # independent of the pipeline's reading
        for run in range(1, repeat + 1):
            twin = reviews.get((case.gold.twin_of, run)) if case.gold.twin_of else None
            for item in reviews[(case.case_id, run)].items:
                twin_item = twin.item(item.id) if twin else None
                checks = rechecker.check_item(item, case.case_id, run)
                rows.append(
                    Row(
                        case_id=case.case_id,
                        case_kind=case.gold.kind,
                        run=run,
                        item=item,
                        gold=case.gold.items.get(item.id),
                        twin_rating=twin_item.rating if twin_item else None,
                        support=judge_item(judge, item) if judge else None,
                        reported=tally(checks),
                        recheck=checks,
                    )
                )
    return rows


def skipped_gold(cases: Sequence[EvalCase], rubric: Rubric | None) -> int:
    """Gold labels (case x item) for items the rubric does not have: not scored."""
    ids = set(active(rubric).ids)
    return sum(len(set(c.gold.items) - ids) for c in cases)


def gate_items(rubric: Rubric | None, only: list[str] | None) -> list[str] | None:
    """The items whose stored answers are replayed: all (None) for the built-in rubric, else
    the built-in items the custom rubric shares (the answers were written for those)."""
    if rubric is None:
        return only
    shared = set(rubric.ids) & set(load_rubric().ids)
    return [i for i in rubric.ids if i in shared and (not only or i in only)]


def rubric_notes(cases: Sequence[EvalCase], rubric: Rubric | None) -> list[str]:
    if rubric is None:
        return []
    skipped = skipped_gold(cases, rubric)
    note = (
        f"Rubric {rubric.name} {rubric.version} (sha256 {rubric.sha256}): {skipped} gold "
        "labels (case x item) name items not in this rubric and were skipped."
    )
    if not set(rubric.ids) & {i for c in cases for i in c.gold.items}:
        note += " No item has gold labels, so the rating metrics are n/a."
    return [note]


def counts(rows: Sequence[Row], reviews: Reviews) -> dict[str, int]:
    return {
        "reviews": len(reviews),
        "items_reviewed": len(rows),
        "items_with_gold": len(gold_pairs(rows)),
        "citations": sum(len(cited_evidence(r.item)) for r in rows),
        "gold_evidence_entries": sum(len(g.evidence) for _, g in gold_pairs(rows)),
        "quotes_proposed": sum(r.item.stats.quotes_proposed for r in rows),
        "quotes_verified": sum(r.item.stats.quotes_verified for r in rows),
        "items_cached": sum(r.item.stats.cached for r in rows),
        "items_failed": sum(r.item.status == "failed" for r in rows),
        **gate_set_counts(rows),
    }


def build_scorecard(
    cases: Sequence[EvalCase],
    reviews: Reviews,
    rows: Sequence[Row],
    *,
    model: ModelAPI,
    judge: ModelAPI | None,
    cases_dir: Path,
    only: list[str] | None,
    repeat: int,
    use_cache: bool,
    seconds: float,
    split: Split | None = None,
    rubric: Rubric | None = None,
) -> Scorecard:
    pairs = gold_pairs(rows)
    split_of = {c.case_id: c.gold.split for c in cases}

    def by(key: Callable[[Row], str]) -> dict[str, dict[str, MetricSummary]]:
        return {k: summarise(g, repeat) for k, g in group(rows, key).items()}

    return Scorecard(
        tool_version=__version__,
        created_at=now(),
        model=model_ref(model),
        judge=model_ref(judge) if judge else None,
        cases_dir=str(cases_dir),
        only=only,
        repeat=repeat,
        use_cache=use_cache,
        split=split or "all",
        cases=[case_run(c, repeat) for c in cases],
        overall=summarise(rows, repeat),
        by_case_kind=by(lambda r: r.case_kind),
        by_split=in_split_order(by(lambda r: split_of[r.case_id])),
        by_item_kind=by(lambda r: r.item.kind),
        by_case=by(lambda r: r.case_id),
        by_item=by(lambda r: r.item.id),
        confusion=confusion([g.rating for _, g in pairs], [i.rating for i, _ in pairs]),
        counts={**counts(rows, reviews), "gold_labels_skipped": skipped_gold(cases, rubric)},
        timings={"total_s": round(seconds, 3)},
        notes=rubric_notes(cases, rubric) + run_notes(cases, rows),
        rubric=active(rubric).ref,
    )


def in_split_order(groups: Groups) -> Groups:
    return {s: groups[s] for s in SPLITS if s in groups}


def case_run(case: EvalCase, repeat: int) -> CaseRun:
    reviews = [str(review_path(Path(), case.case_id, k)) for k in range(1, repeat + 1)]
    return CaseRun(
        case_id=case.case_id,
        title=case.gold.title,
        kind=case.gold.kind,
        split=case.gold.split,
        twin_of=case.gold.twin_of,
        reviews=reviews,
    )


def run_notes(cases: Sequence[EvalCase], rows: Sequence[Row]) -> list[str]:
    notes = []
    if not any(c.gold.twin_of for c in cases):
        notes.append("No injected case (twin_of) was run, so the injection flip rate is n/a.")
    if not any(r.item.stats.quotes_proposed for r in rows):
        notes.append("No model quotes were proposed, so citation validity is n/a.")
    return notes + recheck_notes(rows) + gate_set_notes(rows)


def recheck_notes(rows: Sequence[Row], limit: int = 30) -> list[str]:
    """One note per quote marked verified that the independent re-check failed."""
    failed = [c for r in rows for c in r.recheck if not c.ok]
    notes = [failure_line(c) for c in failed[:limit]]
    if len(failed) > limit:
        notes.append(f"...and {len(failed) - limit} more re-check failures in {RECHECK_FILE}")
    return notes


def write_recheck(rows: Sequence[Row], out_dir: Path) -> Path:
    """Every re-checked quote, with the reason for each failure, to ``out_dir/recheck.json``."""
    checks = [c for r in rows for c in r.recheck]
    passed, total = tally(checks)
    by_source: dict[str, dict[str, int]] = {}
    for check in checks:
        counts = by_source.setdefault(check.source, {"checked": 0, "failed": 0})
        counts["checked"] += 1
        counts["failed"] += not check.ok
    report = {
        "checked": total,
        "passed": passed,
        "by_source": by_source,
        "failures": [c.model_dump() for c in checks if not c.ok],
    }
    path = out_dir / RECHECK_FILE
    atomic_write_text(path, json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return path


# ---------------------------------------------------------------- entry points


def run_evals(
    model: ModelAPI,
    cases_dir: Path | None = None,
    out_dir: Path = Path("evals-out"),
    only: list[str] | None = None,
    case_ids: list[str] | None = None,
    repeat: int = 1,
    progress: EvalProgress | None = None,
    *,
    use_cache: bool = True,
    judge: ModelAPI | None = None,
    store: Store | None = None,
    split: Split | None = None,
    answers: Path | None = None,
    rubric: Rubric | None = None,
) -> Scorecard:
    """Review each case ``repeat`` times with ``model`` (``RulesModel()``: the rules baseline),
    write ``out_dir/reviews/<case>/run<k>/review.json`` and ``out_dir/scorecard.{json,md,html}``.
    ``split`` keeps only the ``tuning`` or the ``held_out`` cases (None: every case).
    The stored good and junk answers of the chosen cases (``answers``, default ``evals/answers``)
    are replayed through the quality gate; each outcome goes to ``out_dir/gate_sets.json``.
    ``rubric`` (None: the built-in one) is what the cases are reviewed against; gold labels
    for items it does not have are skipped and counted (``counts["gold_labels_skipped"]``)."""
    if repeat < 1:
        raise EvalError("--repeat must be at least 1")
    active(rubric).select(only)  # an unknown --only id fails before any work
    started = time.perf_counter()
    cases_dir = cases_dir or eval_cases_dir()
    cases = load_cases(cases_dir, case_ids, split)
    store = store or Store()
    reviews = review_cases(cases, model, out_dir, only, repeat, use_cache, store, progress, rubric)
    rows = build_rows(cases, reviews, repeat, judge)
    answers = answers or answers_dir()
    gated = gate_items(rubric, only)
    # the quality gate's own test
    outcomes = [] if gated == [] else replay_gate_sets(cases, store, gated, answers)
    attach_outcomes(rows, outcomes)
    card = build_scorecard(
        cases,
        reviews,
        rows,
        model=model,
        judge=judge,
        cases_dir=cases_dir,
        only=only,
        repeat=repeat,
        use_cache=use_cache,
        seconds=time.perf_counter() - started,
        split=split,
        rubric=rubric,
    )
    card.notes.extend(stale_junk_notes(outcomes, answers))
    write_scorecard(card, out_dir)
    write_recheck(rows, out_dir)
    write_gate_sets(outcomes, out_dir, answers)
    return card


def compare_runs(run_dirs: Sequence[Path], out_dir: Path | None = None) -> Comparison:
    """Compare the scorecards of earlier runs (folders or scorecard.json files), first run as
    the baseline; write ``out_dir/compare.{json,md,html}`` when ``out_dir`` is given."""
    if len(run_dirs) < 2:
        raise EvalError("compare needs at least two run folders")
    cards = [load_scorecard(path) for path in run_dirs]
    comparison = compare_scorecards(cards, run_dirs, __version__, now())
    if out_dir is not None:
        write_comparison(comparison, out_dir)
    return comparison
