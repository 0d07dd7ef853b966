"""The main job: review a strategy document item by item, with cache and resume."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from . import __version__
from .corpus import ensure_built
from .errors import ModelError, StrategyReviewError
from .fsutil import atomic_write_text
from .home import cache_dir
from .indicators import compute_indicators
from .ingest import ingest
from .injection import DETECTOR_VERSION, find_injections, withheld_sentences
from .judge import ItemContext, judge_with_model, judge_with_rules
from .models.base import ModelAPI
from .models.rules import is_rules
from .prompts import prompt_hashes
from .records import (
    Document,
    DocumentRef,
    Indicator,
    ItemResult,
    ItemStats,
    ModelRef,
    Review,
    rating_label,
)
from .report import write_reports
from .retrieval import RetrievalSettings, retrieve_evidence, retrieve_exemplars
from .rubric import RubricItem, load_rubric
from .store import Store

Progress = Callable[[RubricItem, ItemResult], None]


@dataclass
class ReviewOptions:
    only: list[str] | None = None
    use_cache: bool = True
    password: str | None = None
    settings: RetrievalSettings = RetrievalSettings()
    exemplar_sources: list[str] | None = None


def model_ref(model: ModelAPI) -> ModelRef:
    if is_rules(model):
        return ModelRef(id="rules", backend="rules")
    endpoint = getattr(model, "base_url", None)
    return ModelRef(id=model.id, backend=model.backend, endpoint=public_url(endpoint))


def public_url(url: object) -> str | None:
    """A server URL without credentials or query string, safe to record in review.json."""
    if not url:
        return None
    parts = urlsplit(str(url))
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def cache_key(
    document: Document,
    item: RubricItem,
    model: ModelRef,
    options: ReviewOptions,
    corpus_version: str,
) -> str:
    parts = {
        "document": document.sha256,
        "item": item.id,
        "prompts": prompt_hashes(),
        "model": model.model_dump(),
        "retrieval": options.settings.as_dict(),
        "rubric": load_rubric().version,
        "corpus": corpus_version,
        "exemplar_sources": options.exemplar_sources,
        "injection": [DETECTOR_VERSION, withheld_sentences(document)],  # what is withheld
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _cache_path(key: str) -> Path:
    return cache_dir() / "items" / f"{key}.json"


def _cached(key: str) -> ItemResult | None:
    path = _cache_path(key)
    if not path.exists():
        return None
    try:
        result = ItemResult.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    result.stats.cached = True
    return result


def review_item(
    document: Document,
    item: RubricItem,
    indicators: dict[str, Indicator],
    model: ModelAPI,
    store: Store,
    options: ReviewOptions,
) -> ItemResult:
    hits = retrieve_evidence(document, item, store, options.settings)
    exemplars = retrieve_exemplars(item, store, options.settings, options.exemplar_sources)
    ctx = ItemContext(
        item, document, indicators, hits, exemplars, load_rubric(), withheld_sentences(document)
    )
    if is_rules(model):
        return judge_with_rules(ctx)
    try:
        return judge_with_model(ctx, model)
    except ModelError as exc:
        if "cannot reach" in str(exc):
            raise  # nothing to gain from trying the other items
        return _failed(item, str(exc))


def _failed(item: RubricItem, error: str) -> ItemResult:
    return ItemResult(
        id=item.id,
        kind=item.kind,
        title=item.title,
        rating="insufficient_evidence",
        rating_label=rating_label(item.kind, "insufficient_evidence"),
        summary="This item could not be assessed.",
        status="failed",
        error=error,
        stats=ItemStats(),
    )


def review_document(
    path: Path,
    model: ModelAPI,
    options: ReviewOptions | None = None,
    progress: Progress | None = None,
    store: Store | None = None,
) -> Review:
    """Ingest, retrieve, judge every item (from cache where possible) and assemble a Review."""
    options = options or ReviewOptions()
    started = time.perf_counter()
    store = store or Store()
    document, _ = ingest(path, options.password, store)
    corpus_version = ensure_built(store)
    prepared = time.perf_counter()
    indicators = {i.id: i for i in compute_indicators(document)}
    rubric = load_rubric()
    ref = model_ref(model)
    results: list[ItemResult] = []
    for item in rubric.select(options.only):
        key = cache_key(document, item, ref, options, corpus_version)
        result = _cached(key) if options.use_cache else None
        if result is None:
            result = review_item(document, item, indicators, model, store, options)
            if result.status == "ok":
                atomic_write_text(_cache_path(key), result.model_dump_json())
        results.append(result)
        if progress:
            progress(item, result)
    finished = time.perf_counter()
    return Review(
        tool_version=__version__,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        document=DocumentRef(
            path=document.path,
            sha256=document.sha256,
            pages=len(document.pages),
            title=document.title,
        ),
        model=ref,
        rubric_version=rubric.version,
        corpus_version=corpus_version,
        prompts=prompt_hashes(),
        retrieval=options.settings.as_dict(),
        items=results,
        indicators=list(indicators.values()),
        timings={
            "total": round(finished - started, 3),
            "ingest_and_corpus": round(prepared - started, 3),
            "items": round(finished - prepared, 3),
            **{f"item:{r.id}": r.stats.latency_s for r in results},
        },
        stats=review_stats(results, document),
        flagged_text=find_injections(document),
    )


def review_stats(results: Sequence[ItemResult], document: Document) -> dict[str, int]:
    def total(field: str) -> int:
        return int(sum(getattr(r.stats, field) for r in results))

    return {
        "items": len(results),
        "items_failed": sum(r.status == "failed" for r in results),
        "items_low_confidence": sum(r.confidence == "low" for r in results),
        "items_cached": sum(r.stats.cached for r in results),
        "quotes_proposed": total("quotes_proposed"),
        "quotes_verified": total("quotes_verified"),
        "quotes_dropped": total("quotes_dropped"),
        "invented_ids_stripped": total("invented_ids_stripped"),
        "parse_failures": total("parse_failures"),
        "invalid_answers": total("invalid_answers"),
        "pages_without_text": len(document.pages_without_text),
    }


def run_review(
    path: Path,
    out_dir: Path,
    model: ModelAPI,
    options: ReviewOptions | None = None,
    formats: Sequence[str] = ("md", "html", "json"),
    progress: Progress | None = None,
) -> tuple[Review, dict[str, Path]]:
    """Review a document and write its reports. Nothing is written if the review fails."""
    review = review_document(path, model, options, progress)
    if (
        not is_rules(model)
        and review.items
        and all(
            r.status == "failed" or "invalid output (not JSON)" in r.quality_flags
            for r in review.items
        )
    ):
        write_reports(review, out_dir, formats)
        raise StrategyReviewError(
            f"model {review.model.id} gave no usable output for any item; the reports in "
            f"{out_dir} show deterministic evidence only"
        )
    return review, write_reports(review, out_dir, formats)
