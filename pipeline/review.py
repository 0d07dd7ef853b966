"""The main job: review a strategy document item by item, with cache, resume and concurrency.

Items are judged ``--concurrency`` at a time (bounded by what the backend declares it can run at
once: 1 for the embedded llama.cpp model and the rules). Retrieval for every item is planned
up front and done on the calling thread, one item ahead of the model calls; only generation runs
in the worker threads. Each finished item is cached at once by the thread that made it.

If the model server becomes unreachable, no new item is started: the rest are marked failed
with the reason, the review is still assembled (and its reports written by :func:`run_review`),
and :class:`ReviewIncomplete` is raised. A re-run takes the finished items from the cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import __version__, cache
from .cache import ItemKeys
from .config import DEFAULT_CONCURRENCY
from .corpus import ensure_built
from .errors import ModelError, ModelUnreachable, StrategyReviewError
from .indicators import compute_indicators
from .ingest import ingest
from .injection import find_injections, withheld_sentences
from .judge import ItemContext, judge_with_model, judge_with_rules
from .models.base import ModelAPI
from .models.endpoint import public_url
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
from .retrieval import RetrievalPlan, RetrievalSettings
from .review_index import register
from .rubric import Rubric, RubricItem, active
from .store import Store

Progress = Callable[[RubricItem, ItemResult], None]

__all__ = [
    "DEFAULT_CONCURRENCY",
    "ReviewIncomplete",
    "ReviewOptions",
    "model_ref",
    "parallelism",
    "public_url",
    "review_document",
    "review_item",
    "run_review",
]


@dataclass
class ReviewOptions:
    only: list[str] | None = None
    use_cache: bool = True
    password: str | None = None
    settings: RetrievalSettings = RetrievalSettings()
    exemplar_sources: list[str] | None = None
    concurrency: int = DEFAULT_CONCURRENCY  # items judged at the same time, at most
    rubric: Rubric | None = None  # None: the built-in rubric


class ReviewIncomplete(ModelUnreachable):
    """The model server stopped answering part way: ``review`` holds the finished items and
    the failed ones, each with its reason."""

    def __init__(
        self, review: Review, cause: ModelUnreachable, reports: Path | None = None
    ) -> None:
        failed = review.stats["items_failed"]
        written = f"; reports written to {reports}" if reports else ""
        super().__init__(
            f"{cause}: {failed} of {len(review.items)} items not reviewed{written}; "
            "a re-run completes only those"
        )
        self.review = review
        self.cause = cause


def model_ref(model: ModelAPI) -> ModelRef:
    if is_rules(model):
        return ModelRef(id="rules", backend="rules")
    endpoint = getattr(model, "base_url", None)
    return ModelRef(id=model.id, backend=model.backend, endpoint=public_url(endpoint))


def parallelism(model: ModelAPI) -> int:
    """How many generations the backend may run at once, as it declares (``max_parallel``);
    1 for a backend that declares nothing, and for the rules."""
    if is_rules(model):
        return 1
    return max(1, int(getattr(model, "max_parallel", 1) or 1))


def item_context(
    document: Document,
    item: RubricItem,
    indicators: dict[str, Indicator],
    store: Store,
    options: ReviewOptions,
) -> ItemContext:
    plan = RetrievalPlan(document, [item], store, options.settings, options.exemplar_sources)
    withheld = withheld_sentences(document)
    return _context(plan, document, item, indicators, withheld, active(options.rubric))


def _context(
    plan: RetrievalPlan,
    document: Document,
    item: RubricItem,
    indicators: dict[str, Indicator],
    withheld: list[str],
    rubric: Rubric,
) -> ItemContext:
    hits, exemplars = plan.evidence(item), plan.exemplars(item)
    return ItemContext(item, document, indicators, hits, exemplars, rubric, withheld)


def judge_item(ctx: ItemContext, model: ModelAPI) -> ItemResult:
    """The item judged; a model fault for this one request is a failed item, but an
    unreachable server is raised (no other item could be judged either)."""
    if is_rules(model):
        return judge_with_rules(ctx)
    try:
        return judge_with_model(ctx, model)
    except ModelUnreachable:
        raise
    except ModelError as exc:
        return _failed(ctx.item, str(exc))


def review_item(
    document: Document,
    item: RubricItem,
    indicators: dict[str, Indicator],
    model: ModelAPI,
    store: Store,
    options: ReviewOptions,
) -> ItemResult:
    return judge_item(item_context(document, item, indicators, store, options), model)


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


class _ItemRunner:
    """Judges the items of one document: cached ones first, the rest ``workers`` at a time.
    Progress is reported on the calling thread, in the order items finish."""

    def __init__(
        self,
        document: Document,
        indicators: dict[str, Indicator],
        model: ModelAPI,
        keys: ItemKeys,
        progress: Progress | None,
        rubric: Rubric,
    ) -> None:
        self.rubric = rubric
        self.document = document
        self.indicators = indicators
        self.model = model
        self.keys = keys
        self.progress = progress
        self.results: dict[str, ItemResult] = {}
        self.down: ModelUnreachable | None = None
        self._down_lock = threading.Lock()

    def finish(self, item: RubricItem, result: ItemResult) -> None:
        self.results[item.id] = result
        if self.progress:
            self.progress(item, result)

    def judge(self, ctx: ItemContext, key: str) -> ItemResult:
        """Runs on a worker thread: judge one item and cache it as soon as it is made."""
        if self.down is not None:
            return self.not_attempted(ctx.item)
        try:
            result = judge_item(ctx, self.model)
        except ModelUnreachable as exc:
            with self._down_lock:
                self.down = self.down or exc
            return _failed(ctx.item, str(exc))
        if result.status == "ok":
            cache.put(key, result)
        return result

    def not_attempted(self, item: RubricItem) -> ItemResult:
        return _failed(item, f"not attempted: {self.down}")

    def run(
        self, items: Sequence[RubricItem], plan: Callable[[], RetrievalPlan], workers: int
    ) -> None:
        if not items:
            return
        retrieval = plan()
        withheld = withheld_sentences(self.document)

        def ready(item: RubricItem) -> ItemContext:
            return _context(retrieval, self.document, item, self.indicators, withheld, self.rubric)

        if workers <= 1:
            for item in items:
                if self.down is not None:
                    self.finish(item, self.not_attempted(item))
                else:
                    self.finish(item, self.judge(ready(item), self.keys.key(item.id)))
            return
        self._run_pool(items, ready, workers)

    def _run_pool(
        self,
        items: Sequence[RubricItem],
        ready: Callable[[RubricItem], ItemContext],
        workers: int,
    ) -> None:
        futures: dict[Future[ItemResult], RubricItem] = {}
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="review")
        try:
            for item in items:
                if self.down is not None:
                    break
                futures[pool.submit(self.judge, ready(item), self.keys.key(item.id))] = item
                self._collect(futures, wait=False)
            self._collect(futures, wait=True)
        except BaseException:  # Ctrl-C or a stopped batch: items in flight finish and are cached
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        for item in items:
            if item.id not in self.results:
                self.finish(item, self.not_attempted(item))

    def _collect(self, futures: dict[Future[ItemResult], RubricItem], wait: bool) -> None:
        done = as_completed(list(futures)) if wait else [f for f in list(futures) if f.done()]
        for future in done:
            if self.down is not None:
                for waiting in futures:
                    waiting.cancel()  # not started yet: reported as not attempted
            item = futures.pop(future)
            if not future.cancelled():
                self.finish(item, future.result())


def review_document(
    path: Path,
    model: ModelAPI,
    options: ReviewOptions | None = None,
    progress: Progress | None = None,
    store: Store | None = None,
) -> Review:
    """Ingest, retrieve, judge every item (from cache where possible) and assemble a Review.
    Raises :class:`ReviewIncomplete` (holding the review) if the model server went away."""
    options = options or ReviewOptions()
    started = time.perf_counter()
    store = store or Store()
    document, _ = ingest(path, options.password, store)
    corpus_version = ensure_built(store)
    prepared = time.perf_counter()
    indicators = {i.id: i for i in compute_indicators(document)}
    rubric = active(options.rubric)
    items = rubric.select(options.only)
    keys = ItemKeys(
        document,
        model,
        options.settings.as_dict(),
        corpus_version,
        options.exemplar_sources,
        rubric.ref,
    )
    runner = _ItemRunner(document, indicators, model, keys, progress, rubric)
    todo = []
    for item in items:
        hit = cache.get(keys.key(item.id)) if options.use_cache else None
        if hit is None:
            todo.append(item)
        else:
            runner.finish(item, hit)
    workers = min(max(1, options.concurrency), parallelism(model), max(1, len(todo)))
    runner.run(
        todo,
        lambda: RetrievalPlan(document, todo, store, options.settings, options.exemplar_sources),
        workers,
    )
    results = [runner.results[item.id] for item in items]
    finished = time.perf_counter()
    review = Review(
        tool_version=__version__,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        document=DocumentRef(
            path=document.path,
            sha256=document.sha256,
            pages=len(document.pages),
            title=document.title,
            format=document.format,
        ),
        model=model_ref(model),
        rubric_version=rubric.version,
        corpus_version=corpus_version,
        prompts=prompt_hashes(),
        rubric=rubric.ref,
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
    if runner.down is not None:
        raise ReviewIncomplete(review, runner.down)
    return review


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
    """Review a document and write its reports. Nothing is written if the review cannot start;
    if the model server goes away part way, the reports are written (the items not reviewed
    say why) and :class:`ReviewIncomplete` is raised."""
    try:
        review = review_document(path, model, options, progress)
    except ReviewIncomplete as exc:
        _write(exc.review, out_dir, formats)
        raise ReviewIncomplete(exc.review, exc.cause, out_dir) from exc.cause
    if (
        not is_rules(model)
        and review.items
        and all(
            r.status == "failed" or "invalid output (not JSON)" in r.quality_flags
            for r in review.items
        )
    ):
        _write(review, out_dir, formats)
        raise StrategyReviewError(
            f"model {review.model.id} gave no usable output for any item; the reports in "
            f"{out_dir} show deterministic evidence only"
        )
    return review, _write(review, out_dir, formats)


def _write(review: Review, out_dir: Path, formats: Sequence[str]) -> dict[str, Path]:
    """Write the reports and add the folder to the home's index of reviews (for ``serve``)."""
    paths = write_reports(review, out_dir, formats)
    if "json" in paths:
        register(out_dir)
    return paths
