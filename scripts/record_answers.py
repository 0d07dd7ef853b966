"""Record what a model really generates for every rubric item of an eval case (the junk set).

Runs a real review of ``evals/cases/<case_id>/strategy.pdf`` with the item cache off, wrapping
the model so each raw generation is captured against the rubric item being judged, and writes
``evals/answers/junk/<case_id>.json``:

    {"case_id": ..., "model": "<model id>", "recorded_at": "...",
     "prompt_hashes": {file: sha256}, "answers": {item_id: "<raw generated text>"}}

Usage: ``python scripts/record_answers.py CASE_ID [CASE_ID ...] [--model embedded]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.evals.cases import load_cases
from pipeline.models import resolve_model
from pipeline.models.base import Generation, Message, ModelAPI
from pipeline.prompts import prompt_hashes
from pipeline.records import ItemResult
from pipeline.review import ReviewOptions, review_document
from pipeline.rubric import RubricItem

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "evals" / "cases"
OUT_DIR = ROOT / "evals" / "answers" / "junk"


class RecordingModel:
    """Passes every call to ``inner`` and keeps the raw text of each generation."""

    def __init__(self, inner: ModelAPI) -> None:
        self.inner = inner
        self.id = inner.id
        self.backend = inner.backend
        self.pending: list[str] = []

    def generate(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation:
        generation = self.inner.generate(messages, schema, max_tokens, temperature)
        self.pending.append(generation.text)
        return generation

    def take(self) -> list[str]:
        texts, self.pending = self.pending, []
        return texts


def record_case(case_id: str, model: ModelAPI, out_dir: Path) -> Path:
    """Review one case with ``model`` (no cache) and write its raw answers per item. Until the
    review ends, the answers so far are kept in ``<case_id>.partial.json``."""
    case = load_cases(CASES_DIR, [case_id])[0]
    hashes = prompt_hashes()  # before the run, in case prompt files change while it runs
    recorder = RecordingModel(model)
    answers: dict[str, str] = {}
    extra: dict[str, list[str]] = {}
    record: dict[str, Any] = {
        "case_id": case_id,
        "model": model.id,
        "recorded_at": "",
        "prompt_hashes": hashes,
        "answers": answers,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f"{case_id}.partial.json"

    def capture(item: RubricItem, result: ItemResult) -> None:
        texts = recorder.take()
        if texts:
            answers[item.id] = texts[-1]
        if len(texts) > 1:
            extra[item.id] = texts[:-1]
        print(f"{case_id} {item.id}: {len(texts)} generation(s), {result.rating}", flush=True)
        _write(partial, record, extra)

    review_document(case.document, recorder, ReviewOptions(use_cache=False), capture)
    path = out_dir / f"{case_id}.json"
    _write(path, record, extra)
    partial.unlink(missing_ok=True)
    return path


def _write(path: Path, record: dict[str, Any], extra: dict[str, list[str]]) -> None:
    record["recorded_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    if extra:
        record["earlier_attempts"] = extra
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def use_threads(model: ModelAPI, threads: int) -> None:
    """Load the embedded model with ``threads`` CPU threads (fewer threads run faster on a
    machine whose cores are busy with other work; greedy output does not depend on it). The
    backend loads the model itself on first use, with its chat template and loop guard: only
    the thread count changes, so the answers are the ones a review gets."""
    from pipeline.models.llamacpp import LlamaCppModel

    if isinstance(model, LlamaCppModel):
        model.n_threads = threads
        model._llama = None  # loaded on first use, with the new thread count
        model._formatter = None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="+", help="eval case ids")
    parser.add_argument("--model", default="embedded", help="as for --model in the CLI")
    parser.add_argument("--base-url", default=None)
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--threads", type=int, default=0, help="llama.cpp CPU threads")
    args = parser.parse_args(argv)
    model = resolve_model(args.model, args.base_url)
    if model is None:
        parser.error("the rules baseline generates no text to record")
    if args.threads:
        use_threads(model, args.threads)
    for case_id in args.cases:
        path = record_case(case_id, model, args.out)
        print(f"wrote {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
