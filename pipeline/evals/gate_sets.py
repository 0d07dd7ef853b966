"""Gate sets: replay stored answers through the real review path to measure the quality gate.

Two sets live under ``evals/answers``:

- ``good/<case_id>.json``: answers a capable reviewer would give, one per rubric item, as
  ``{"case_id", "answers": {item_id: {"tags": [...], "answer": {evidence, finding, rating,
  recommendation}}}}``. Quotes carry no chunk ID: the replaying model copies it from the prompt,
  as a capable model would, taking the offered passage that contains the quote.
- ``junk/<case_id>.json``: raw text a small model really generated, as ``{"case_id", "model",
  "prompt_hashes": {file: sha256}, "answers": {item_id: "<raw text>"}}``, replayed verbatim. A
  set whose ``prompt_hashes`` are not today's (:func:`stale_junk_sets`) was generated from other
  prompts: the eval run warns, since the gate is then tested on output the model may no longer
  give.

Each answer is judged by :func:`pipeline.review.review_item` with a scripted model that returns
it, so the gate under test is exactly the one a review runs. An answer is *kept* when its item
comes back with ``confidence == "model"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from ..fsutil import atomic_write_text
from ..indicators import compute_indicators
from ..ingest import ingest
from ..models.base import Message
from ..models.scripted import ScriptedModel
from ..normalise import normalise_for_match
from ..prompts import prompt_hashes
from ..records import Document, Indicator, ItemResult
from ..resources import data_path
from ..review import ReviewOptions, review_item
from ..rubric import load_rubric
from ..rules import indicator_rating
from ..store import Store
from .cases import EvalCase, EvalError
from .metrics import Row

GATE_SETS_FILE = "gate_sets.json"
SetName = Literal["good", "junk"]
_CHUNK_ID = re.compile(r"c\d{3}-p\d+(?:-\d+)?")
_MARKER = re.compile(r"\[(c\d{3}-p\d+(?:-\d+)?)\]")
_PASSAGES_END = "DOCUMENT PASSAGES>>>"


def answers_dir() -> Path:
    """``evals/answers`` in a clone, or the copy a wheel carries."""
    return data_path("evals", "answers")


# ---------------------------------------------------------------- the stored sets


class Quote(BaseModel):
    quote: str


class Answer(BaseModel):
    """A model answer as a good reviewer would write it, minus the chunk IDs."""

    evidence: list[Quote] = Field(default_factory=list)
    finding: str
    rating: str
    recommendation: str


class GoodEntry(BaseModel):
    tags: list[str] = Field(default_factory=list)
    answer: Answer


class GoodSet(BaseModel):
    case_id: str
    answers: dict[str, GoodEntry]


class JunkSet(BaseModel):
    case_id: str
    model: str = ""
    prompt_hashes: dict[str, str] = Field(default_factory=dict)  # of the prompts it was made with
    answers: dict[str, str]


SetT = TypeVar("SetT", GoodSet, JunkSet)


def _load(path: Path, model: type[SetT], case_id: str) -> SetT | None:
    if not path.is_file():
        return None
    try:
        loaded = model.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise EvalError(f"{path}: not a valid answer set ({str(exc).splitlines()[0]})") from None
    if loaded.case_id != case_id:
        raise EvalError(f"{path}: says case_id {loaded.case_id!r}, expected {case_id!r}")
    return loaded


def load_good(root: Path, case_id: str) -> GoodSet | None:
    return _load(root / "good" / f"{case_id}.json", GoodSet, case_id)


def load_junk(root: Path, case_id: str) -> JunkSet | None:
    return _load(root / "junk" / f"{case_id}.json", JunkSet, case_id)


def stale_prompts(recorded: dict[str, str], today: dict[str, str]) -> list[str]:
    """Today's prompt files whose hash the recording does not carry (all, if it has none)."""
    return sorted(name for name, digest in today.items() if recorded.get(name) != digest)


def stale_junk_sets(
    case_ids: Iterable[str], root: Path, today: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Case -> the prompt files that differ, for each junk set recorded with other prompts."""
    today = prompt_hashes() if today is None else today
    stale: dict[str, list[str]] = {}
    for case_id in sorted(set(case_ids)):
        junk = load_junk(root, case_id)
        if junk is not None and (files := stale_prompts(junk.prompt_hashes, today)):
            stale[case_id] = files
    return stale


def stale_junk_notes(outcomes: Sequence[Outcome], root: Path) -> list[str]:
    """One warning line when any replayed junk set was recorded with other prompts than today's
    (a warning, not a failure: the answers are still real junk, but maybe not today's)."""
    stale = stale_junk_sets({o.case_id for o in outcomes if o.set == "junk"}, root)
    if not stale:
        return []
    files = sorted({name for names in stale.values() for name in names})
    return [
        f"Warning: the junk answers of {', '.join(stale)} were recorded with prompts other than "
        f"today's ({', '.join(files)} differ), so junk_pass_rate tests the gate on output today's "
        f"prompts may not produce; re-record with: python scripts/record_answers.py "
        f"{' '.join(stale)}"
    ]


# ---------------------------------------------------------------- copying chunk IDs


def offered_ids(schema: dict[str, Any] | None) -> list[str]:
    """The chunk IDs a schema allows: the first enum whose values all look like chunk IDs."""
    if isinstance(schema, dict):
        enum = schema.get("enum")
        if isinstance(enum, list) and enum and all(_is_chunk_id(v) for v in enum):
            return [str(v) for v in enum]
        children: list[Any] = list(schema.values())
    elif isinstance(schema, list):
        children = schema
    else:
        return []
    for child in children:
        if isinstance(child, dict | list) and (found := offered_ids(child)):  # type: ignore[arg-type]
            return found
    return []


def _is_chunk_id(value: object) -> bool:
    return isinstance(value, str) and bool(_CHUNK_ID.fullmatch(value))


def offered_passages(prompt: str) -> dict[str, str]:
    """The passages a prompt shows, by chunk ID: the text after each ``[c012-p4-5]`` marker up
    to the next marker (or the end of the passages block)."""
    prompt = prompt.split(_PASSAGES_END, 1)[0]
    marks = list(_MARKER.finditer(prompt))
    passages: dict[str, str] = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(prompt)
        passages.setdefault(mark.group(1), prompt[mark.end() : end])
    return passages


def pick_chunk_id(quote: str, passages: dict[str, str], allowed: Sequence[str]) -> str:
    """The offered passage that contains the quote; else the first allowed ID (the quote will
    then fail verification, which is the honest outcome)."""
    wanted = normalise_for_match(quote)
    for chunk_id, text in passages.items():
        if (not allowed or chunk_id in allowed) and wanted in normalise_for_match(text):
            return chunk_id
    return next(iter(allowed), next(iter(passages), ""))


def with_chunk_ids(answer: Answer, messages: list[Message], schema: dict[str, Any] | None) -> str:
    """The answer as JSON text, each quote given the chunk ID of the passage it came from."""
    prompt = "\n".join(m.content for m in messages if m.role == "user")
    passages = offered_passages(prompt)
    allowed = offered_ids(schema) or list(passages)
    data = answer.model_dump()
    data["evidence"] = [
        {"chunk_id": pick_chunk_id(q.quote, passages, allowed), "quote": q.quote}
        for q in answer.evidence
    ]
    return json.dumps(data, ensure_ascii=False)


# ---------------------------------------------------------------- replaying


class Outcome(BaseModel):
    """What the review path made of one stored answer."""

    set: SetName
    case_id: str
    item_id: str
    kept: bool  # the item came back with confidence "model"
    confidence: str
    status: str
    quality_flags: list[str] = Field(default_factory=list)
    answer_rating: str | None = None  # the rating the stored answer gave
    final_rating: str  # the item's rating in the report
    indicator_rating: str | None = None  # the deterministic signals' rating, if any
    tags: list[str] = Field(default_factory=list)
    quotes_proposed: int = 0
    quotes_verified: int = 0
    unfound_figures: list[str] = Field(default_factory=list)  # flagged for a person to check
    error: str | None = None


def _outcome(
    name: SetName,
    case_id: str,
    result: ItemResult,
    ind_rating: str | None,
    answer_rating: str | None,
    tags: list[str],
) -> Outcome:
    return Outcome(
        set=name,
        case_id=case_id,
        item_id=result.id,
        kept=result.status == "ok" and result.confidence == "model",
        confidence=result.confidence,
        status=result.status,
        quality_flags=list(result.quality_flags),
        answer_rating=answer_rating,
        final_rating=result.rating,
        indicator_rating=ind_rating,
        tags=tags,
        quotes_proposed=result.stats.quotes_proposed,
        quotes_verified=result.stats.quotes_verified,
        unfound_figures=list(result.unfound_figures),
        error=result.error,
    )


class _Replayer:
    """One case, ingested once, whose items are judged by scripted answers."""

    def __init__(self, case: EvalCase, store: Store) -> None:
        self.case_id = case.case_id
        self.store = store
        self.document: Document = ingest(case.pdf, None, store)[0]
        self.indicators: dict[str, Indicator] = {i.id: i for i in compute_indicators(self.document)}

    def judge(self, item_id: str, model: ScriptedModel) -> tuple[ItemResult, str | None]:
        item = load_rubric().item(item_id)
        options = ReviewOptions(only=[item_id], use_cache=False)
        result = review_item(self.document, item, self.indicators, model, self.store, options)
        return result, indicator_rating(item, self.indicators)

    def good(self, item_id: str, entry: GoodEntry) -> Outcome:
        model = ScriptedModel(
            lambda messages, schema: with_chunk_ids(entry.answer, messages, schema),
            model_id="goodset-replay",
        )
        result, ind = self.judge(item_id, model)
        return _outcome("good", self.case_id, result, ind, entry.answer.rating, entry.tags)

    def junk(self, item_id: str, text: str) -> Outcome:
        model = ScriptedModel(lambda messages, schema: text, model_id="junkset-replay")
        result, ind = self.judge(item_id, model)
        return _outcome("junk", self.case_id, result, ind, None, [])


def _wanted(item_ids: Sequence[str], only: Sequence[str] | None) -> list[str]:
    known = {i.id for i in load_rubric().items}
    return [i for i in item_ids if i in known and (only is None or i in only)]


def replay_case(
    case: EvalCase, store: Store, only: Sequence[str] | None = None, root: Path | None = None
) -> list[Outcome]:
    """Replay the case's good and junk answers (for the items in ``only``, default all)."""
    root = root or answers_dir()
    good, junk = load_good(root, case.case_id), load_junk(root, case.case_id)
    if good is None and junk is None:
        return []
    replayer = _Replayer(case, store)
    outcomes = []
    if good is not None:
        for item_id in _wanted(list(good.answers), only):
            outcomes.append(replayer.good(item_id, good.answers[item_id]))
    if junk is not None:
        for item_id in _wanted(list(junk.answers), only):
            outcomes.append(replayer.junk(item_id, junk.answers[item_id]))
    return outcomes


def replay_gate_sets(
    cases: Sequence[EvalCase],
    store: Store,
    only: Sequence[str] | None = None,
    root: Path | None = None,
) -> list[Outcome]:
    """Every stored good and junk answer for the chosen cases and items, through the gate."""
    return [o for case in cases for o in replay_case(case, store, only, root)]


# ---------------------------------------------------------------- metrics and the record


def _rate(outcomes: Sequence[Outcome], name: SetName, counted: bool) -> float | None:
    chosen = [o for o in outcomes if o.set == name]
    if not chosen:
        return None
    return round(sum(o.kept == counted for o in chosen) / len(chosen), 6)


def false_rejection_rate(outcomes: Sequence[Outcome]) -> float | None:
    """Good answers the gate rejected ÷ good answers; None when there are none."""
    return _rate(outcomes, "good", counted=False)


def junk_pass_rate(outcomes: Sequence[Outcome]) -> float | None:
    """Junk answers the gate kept ÷ junk answers; None when there are none."""
    return _rate(outcomes, "junk", counted=True)


class GateSetsRecord(BaseModel):
    """``OUT/gate_sets.json``: which stored answers the gate kept or rejected, and why."""

    answers_dir: str
    gate_false_rejection_rate: float | None
    junk_pass_rate: float | None
    counts: dict[str, int]
    rejected_good: list[Outcome]
    kept_junk: list[Outcome]
    stale_junk: dict[str, list[str]] = Field(default_factory=dict)  # case -> prompts that differ
    outcomes: list[Outcome]


def gate_sets_record(outcomes: Sequence[Outcome], root: Path) -> GateSetsRecord:
    good = [o for o in outcomes if o.set == "good"]
    junk = [o for o in outcomes if o.set == "junk"]
    return GateSetsRecord(
        answers_dir=str(root),
        gate_false_rejection_rate=false_rejection_rate(outcomes),
        junk_pass_rate=junk_pass_rate(outcomes),
        counts={
            "good_answers": len(good),
            "good_rejected": sum(not o.kept for o in good),
            "junk_answers": len(junk),
            "junk_kept": sum(o.kept for o in junk),
        },
        rejected_good=[o for o in good if not o.kept],
        kept_junk=[o for o in junk if o.kept],
        stale_junk=stale_junk_sets({o.case_id for o in junk}, root),
        outcomes=list(outcomes),
    )


def write_gate_sets(outcomes: Sequence[Outcome], out_dir: Path, root: Path) -> Path:
    path = out_dir / GATE_SETS_FILE
    record = gate_sets_record(outcomes, root)
    atomic_write_text(path, json.dumps(record.model_dump(), indent=2, ensure_ascii=False) + "\n")
    return path


# ---------------------------------------------------------------- into the scorecard


def attach_outcomes(rows: Sequence[Row], outcomes: Sequence[Outcome]) -> None:
    """Mark each row whose case and item have a replayed answer with whether the gate kept it
    (every run gets the same outcome: the replay is deterministic)."""
    kept = {(o.set, o.case_id, o.item_id): o.kept for o in outcomes}
    for row in rows:
        row.good_kept = kept.get(("good", row.case_id, row.item.id))
        row.junk_kept = kept.get(("junk", row.case_id, row.item.id))


def gate_set_counts(rows: Sequence[Row]) -> dict[str, int]:
    first = [r for r in rows if r.run == 1]
    return {
        "good_answers": sum(r.good_kept is not None for r in first),
        "good_rejected": sum(r.good_kept is False for r in first),
        "junk_answers": sum(r.junk_kept is not None for r in first),
        "junk_kept": sum(r.junk_kept is True for r in first),
    }


def gate_set_notes(rows: Sequence[Row]) -> list[str]:
    counts = gate_set_counts(rows)
    notes = []
    for name, metric in (("good", "gate_false_rejection_rate"), ("junk", "junk_pass_rate")):
        if not counts[f"{name}_answers"]:
            notes.append(f"No stored {name} answers for these cases and items, so {metric} is n/a.")
    if counts["good_rejected"] or counts["junk_kept"]:
        notes.append(
            f"The quality gate rejected {counts['good_rejected']} of {counts['good_answers']} "
            f"good answers and kept {counts['junk_kept']} of {counts['junk_answers']} junk "
            f"answers; {GATE_SETS_FILE} lists which, with the gate's reasons."
        )
    return notes
