"""Review many strategies at once and write a league table of them.

``run_batch`` expands files, folders and glob patterns into documents, gives each a folder under
the output with a unique slug, reads them one by one (the parsers are not all thread-safe),
reviews them concurrently with :func:`pipeline.review.run_review`, and writes ``league.json``,
``league.csv`` and ``league.html``.

- A document that cannot be read or reviewed is recorded with its one-line error and the
  others go on.
- Every item result is cached as it is made, so a batch stopped part way resumes: a re-run
  takes finished items from the cache and makes no model call for them.
- An unreachable model stops the batch: no other document could be reviewed either. The
  document it was reviewing keeps its report, with the items not reviewed marked failed.
- ``jobs`` documents are reviewed at once, and at most ``concurrency`` model calls are in flight
  across all of them (fewer if the backend declares less: one for the embedded model).
"""

from __future__ import annotations

import glob
import os
import re
import threading
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from .corpus import ensure_built
from .diagnose import explain, internal_error_message
from .errors import InputError, ModelUnreachable
from .ingest import ingest
from .league import FailedDocument, League, Reviewed, build_league
from .models.base import Generation, Message, ModelAPI
from .models.rules import is_rules
from .records import ItemResult
from .review import DEFAULT_CONCURRENCY, ReviewOptions, parallelism, run_review
from .rubric import RubricItem, active
from .store import Store

SUPPORTED_SUFFIXES = frozenset({".pdf", ".html", ".htm", ".md", ".markdown", ".txt", ".docx"})
GLOB_CHARS = frozenset("*?[")
SLUG_MAX = 60


# ---------------------------------------------------------------- finding the documents


@dataclass(frozen=True)
class BatchDocument:
    path: Path  # resolved
    file: str  # as found, for people to read
    slug: str  # its folder under the output


@dataclass
class Expansion:
    documents: list[BatchDocument]
    missing: list[BatchDocument]  # files named literally that do not exist
    unmatched: list[str]  # folders and patterns that matched no document


def expand_paths(args: Sequence[str | Path], exclude: Path | None = None) -> Expansion:
    """Files as named, folders searched recursively for supported documents, and glob patterns
    (``**`` too), in the order given, each file once (by resolved path). Hidden files and
    anything under ``exclude`` (the output folder) are skipped."""
    skip = exclude.resolve() if exclude else None
    found: dict[Path, str] = {}
    missing: dict[Path, str] = {}
    unmatched: list[str] = []
    for arg in map(str, args):
        path = Path(arg).expanduser()
        if not path.exists() and not GLOB_CHARS & set(arg):
            missing.setdefault(path.absolute(), arg)
            continue
        matches = _matches(arg, skip)
        if not matches:
            unmatched.append(arg)
        for match in matches:
            found.setdefault(match.resolve(), str(match))
    documents = assign_slugs([*found.items(), *missing.items()])
    return Expansion(documents[: len(found)], documents[len(found) :], unmatched)


def _matches(arg: str, skip: Path | None) -> list[Path]:
    path = Path(arg).expanduser()
    if path.is_file():
        return [path]  # named on purpose: tried whatever its suffix
    if path.is_dir():
        return _walk(path, skip)
    out: list[Path] = []
    for hit in sorted(Path(p) for p in glob.glob(os.path.expanduser(arg), recursive=True)):
        out += _walk(hit, skip) if hit.is_dir() else [hit] if _wanted(hit, skip) else []
    return out


def _walk(folder: Path, skip: Path | None) -> list[Path]:
    files = (p for p in folder.rglob("*") if p.is_file())
    return sorted(
        (p for p in files if _wanted(p, skip) and not _hidden(p.relative_to(folder))),
        key=lambda p: p.relative_to(folder).as_posix().lower(),
    )


def _wanted(path: Path, skip: Path | None) -> bool:
    if path.suffix.lower() not in SUPPORTED_SUFFIXES or _hidden(Path(path.name)):
        return False
    return skip is None or not path.resolve().is_relative_to(skip)


def _hidden(relative: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in relative.parts)


def assign_slugs(found: Sequence[tuple[Path, str]]) -> list[BatchDocument]:
    """A folder name per document from its file name, made unique in the order given."""
    used: set[str] = set()
    out = []
    for path, file in found:
        base = re.sub(r"[^a-z0-9]+", "-", Path(file).stem.lower()).strip("-")[:SLUG_MAX]
        base = base or "document"
        slug, n = base, 1
        while slug in used:
            n += 1
            slug = f"{base}-{n}"
        used.add(slug)
        out.append(BatchDocument(path=path, file=file, slug=slug))
    return out


# ---------------------------------------------------------------- progress


class BatchProgress(Protocol):
    """What the batch reports as it goes. Calls come from several threads, one at a time."""

    def start(self, steps: int) -> None: ...

    def advance(self, steps: int, description: str) -> None: ...

    def failed(self, document: FailedDocument) -> None: ...


class _Stopped(Exception):
    """The batch is stopping: a document gives up after its current item."""


class _Tracker:
    """Counts items per document for one progress bar over documents x items, and says when
    to stop. Every report to ``progress`` is made under one lock."""

    def __init__(self, progress: BatchProgress | None, items: int) -> None:
        self.progress = progress
        self.items = items
        self.done: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def _report(self, steps: int, description: str) -> None:
        if self.progress is not None:
            self.progress.advance(steps, description)

    def start(self, documents: int) -> None:
        if self.progress is not None:
            self.progress.start(documents * self.items)

    def note(self, description: str) -> None:
        with self.lock:
            self._report(0, description)

    def item_done(self, doc: BatchDocument, item: RubricItem, result: ItemResult) -> None:
        if self.stopping.is_set():
            raise _Stopped  # this item is cached already; a re-run resumes after it
        with self.lock:
            self.done[doc.slug] += 1
            self._report(1, f"{doc.slug}: {item.id} {result.rating}")

    def document_done(self, doc: BatchDocument) -> None:
        """Count the steps a document did not take (it failed or was cut short)."""
        with self.lock:
            left = self.items - self.done[doc.slug]
            self.done[doc.slug] = self.items
            if left > 0:
                self._report(left, f"{doc.slug}: done")

    def failed(self, doc: BatchDocument, exc: BaseException) -> FailedDocument:
        failure = FailedDocument(slug=doc.slug, file=doc.file, error=one_line(exc))
        self.document_done(doc)
        with self.lock:
            if self.progress is not None:
                self.progress.failed(failure)
        return failure


def one_line(exc: BaseException) -> str:
    """The error as the CLI would show it for one document."""
    error = explain(exc)
    if error is None:
        return internal_error_message(exc)
    return (str(error).strip().splitlines() or [""])[0] or type(exc).__name__


def _fatal(exc: BaseException) -> bool:
    """An unreachable model server: no document could be reviewed, so the batch stops."""
    return isinstance(exc, ModelUnreachable)


# ---------------------------------------------------------------- one model, many threads


class _Limited:
    """A backend shared by the documents of a batch, with at most ``limit`` generations at a
    time across all of them. Everything else is the wrapped backend's."""

    def __init__(self, model: ModelAPI, limit: int) -> None:
        self._model = model
        self._slots = threading.BoundedSemaphore(limit)
        self.id = model.id
        self.backend = model.backend
        self.max_parallel = limit

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def generate(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation:
        with self._slots:
            return self._model.generate(messages, schema, max_tokens, temperature)


def shareable(model: ModelAPI, concurrency: int) -> ModelAPI:
    """The model as the batch's documents share it: ``concurrency`` calls at most, and never
    more than the backend declares it can run (one for llama.cpp in this process)."""
    if is_rules(model):
        return model
    return _Limited(model, max(1, min(concurrency, parallelism(model))))


# ---------------------------------------------------------------- the batch


@dataclass
class BatchOptions:
    jobs: int = 2  # documents reviewed at the same time
    concurrency: int = DEFAULT_CONCURRENCY  # model calls in flight across all documents
    review: ReviewOptions = field(default_factory=ReviewOptions)  # passed to every review


@dataclass
class BatchResult:
    league: League
    paths: dict[str, Path]  # league format -> file written
    unmatched: list[str]  # folders and patterns that matched no document

    @property
    def total(self) -> int:
        return len(self.league.rows) + len(self.league.failed)


def run_batch(
    paths: Sequence[str | Path],
    out_dir: Path,
    model: ModelAPI,
    options: BatchOptions | None = None,
    progress: BatchProgress | None = None,
) -> BatchResult:
    """Review every document found in ``paths`` into ``out_dir/<slug>/`` and write the league
    table there. Raises InputError when nothing matched; a bad document is only recorded."""
    options = options or BatchOptions()
    out_dir = Path(out_dir)
    expansion = expand_paths(paths, exclude=out_dir)
    if not expansion.documents:
        named = ", ".join(map(str, paths))
        raise InputError(f"no documents found in {named} (looked for {_suffixes()})")
    rubric = active(options.review.rubric)
    tracker = _Tracker(progress, len(rubric.select(options.review.only)))
    tracker.start(len(expansion.documents) + len(expansion.missing))
    failed = {d.slug: tracker.failed(d, _not_found(d)) for d in expansion.missing}
    store = Store()
    ensure_built(store)  # once, before any thread needs it
    ready = _read_all(expansion.documents, options.review.password, store, tracker, failed)
    shared = shareable(model, options.concurrency)
    options = replace(options, review=replace(options.review, concurrency=options.concurrency))
    reviewed = _review_all(ready, out_dir, shared, options, tracker, failed)
    order = [*expansion.documents, *expansion.missing]
    league = build_league(
        [reviewed[d.slug] for d in order if d.slug in reviewed],
        [failed[d.slug] for d in order if d.slug in failed],
        rubric,
    )
    from .report.league import write_league  # jinja2 only when a league is written

    return BatchResult(league, write_league(league, out_dir), expansion.unmatched)


def _suffixes() -> str:
    return " ".join(sorted(SUPPORTED_SUFFIXES))


def _not_found(doc: BatchDocument) -> InputError:
    return InputError("no such file")


def _read_all(
    documents: list[BatchDocument],
    password: str | None,
    store: Store,
    tracker: _Tracker,
    failed: dict[str, FailedDocument],
) -> list[BatchDocument]:
    """Read and index each document in turn, so the reviews only read what is kept."""
    ready = []
    for doc in documents:
        tracker.note(f"reading {doc.file}")
        try:
            ingest(doc.path, password, store)
        except Exception as exc:  # any failure is this document's, and the others go on
            failed[doc.slug] = tracker.failed(doc, exc)
        else:
            ready.append(doc)
    return ready


def _review_all(
    documents: list[BatchDocument],
    out_dir: Path,
    model: ModelAPI,
    options: BatchOptions,
    tracker: _Tracker,
    failed: dict[str, FailedDocument],
) -> dict[str, Reviewed]:
    reviewed: dict[str, Reviewed] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, options.jobs), thread_name_prefix="batch")
    try:
        futures: dict[Future[Reviewed], BatchDocument] = {
            pool.submit(_review_one, doc, out_dir, model, options.review, tracker): doc
            for doc in documents
        }
        for future in as_completed(futures):
            doc = futures[future]
            try:
                reviewed[doc.slug] = future.result()
            except _Stopped:
                continue
            except Exception as exc:
                if _fatal(exc):
                    raise
                failed[doc.slug] = tracker.failed(doc, exc)
    except BaseException:  # Ctrl-C or an unreachable model: stop after the current items
        tracker.stopping.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return reviewed


def _review_one(
    doc: BatchDocument,
    out_dir: Path,
    model: ModelAPI,
    options: ReviewOptions,
    tracker: _Tracker,
) -> Reviewed:
    def on_item(item: RubricItem, result: ItemResult) -> None:
        tracker.item_done(doc, item, result)

    try:
        review, _ = run_review(doc.path, out_dir / doc.slug, model, options, progress=on_item)
    finally:
        tracker.document_done(doc)
    return Reviewed(slug=doc.slug, file=doc.file, review=review)
