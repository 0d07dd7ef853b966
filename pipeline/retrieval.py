"""Hybrid retrieval: dense search in Chroma plus BM25 over the same chunks, fused by
reciprocal rank. Exemplars come from the corpus notes for the item, then corpus passages.

A review asks for every item's passages at once through a :class:`RetrievalPlan`: the queries of
all items are embedded in one batch and the document's BM25 index is built once, so retrieval
costs a few store lookups per item and never holds up the model calls.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .fsutil import atomic_write_text
from .home import cache_dir
from .records import Chunk, Document, ExemplarRef
from .rubric import RubricItem
from .store import EXEMPLARS, Hit, Store, document_collection

if TYPE_CHECKING:
    from .embeddings import Embedder

RRF_K = 60
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "how",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "our",
        "that",
        "the",
        "their",
        "this",
        "to",
        "was",
        "we",
        "what",
        "which",
        "will",
        "with",
        "does",
        "do",
        "your",
        "you",
    ]
)


@dataclass(frozen=True)
class RetrievalSettings:
    k_evidence: int = 4
    k_dense: int = 8
    k_exemplars: int = 2
    min_passage_score: float = 0.35

    def as_dict(self) -> dict[str, float | int | str]:
        return {"method": "hybrid dense+bm25 rrf", **self.__dict__}


@dataclass
class Retrieved:
    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None
    matched_terms: list[str] = field(default_factory=list)


def tokens(text: str) -> list[str]:
    return [t for t in _WORD.findall(text.lower()) if t not in _STOP]


class BM25:
    def __init__(self, texts: list[str], k1: float = 1.4, b: float = 0.75) -> None:
        self.docs = [Counter(tokens(t)) for t in texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lengths) / max(1, len(self.docs))
        self.df: Counter[str] = Counter(term for d in self.docs for term in d)
        self.k1, self.b = k1, b

    def scores(self, query: str) -> list[float]:
        terms = set(tokens(query))
        n = len(self.docs)
        out = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            score = 0.0
            for term in terms & doc.keys():
                idf = math.log(1 + (n - self.df[term] + 0.5) / (self.df[term] + 0.5))
                tf = doc[term]
                score += (
                    idf
                    * tf
                    * (self.k1 + 1)
                    / (tf + self.k1 * (1 - self.b + self.b * length / self.avg))
                )
            out.append(score)
        return out


def _item_query(item: RubricItem) -> str:
    return " ".join([*item.queries, *item.keywords])


def _exemplar_query(item: RubricItem) -> str:
    return " ".join(item.queries)


def retrieve_evidence(
    document: Document,
    item: RubricItem,
    store: Store,
    settings: RetrievalSettings,
    lexical_index: BM25 | None = None,
) -> list[Retrieved]:
    """The top chunks of the document for an item, by dense + lexical rank fusion."""
    chunks = {c.id: c for c in document.chunks}
    fused: defaultdict[str, float] = defaultdict(float)
    dense_rank: dict[str, int] = {}
    for query in item.queries:
        for rank, hit in enumerate(
            store.search(document_collection(document.sha256), query, settings.k_dense)
        ):
            fused[hit.id] += 1.0 / (RRF_K + rank)
            dense_rank.setdefault(hit.id, rank)
    index = lexical_index or BM25([c.text for c in document.chunks])
    lexical = index.scores(_item_query(item))
    ordered = sorted(range(len(lexical)), key=lambda i: -lexical[i])
    lexical_rank: dict[str, int] = {}
    for rank, position in enumerate(i for i in ordered if lexical[i] > 0):
        chunk_id = document.chunks[position].id
        fused[chunk_id] += 1.0 / (RRF_K + rank)
        lexical_rank[chunk_id] = rank
    best = sorted((cid for cid in fused if cid in chunks), key=lambda cid: -fused[cid])
    return [
        Retrieved(
            chunk=chunks[cid],
            score=round(fused[cid] * RRF_K, 4),
            dense_rank=dense_rank.get(cid),
            lexical_rank=lexical_rank.get(cid),
            matched_terms=_matched(chunks[cid].text, item.keywords),
        )
        for cid in best[: settings.k_evidence]
    ]


def _matched(text: str, keywords: list[str]) -> list[str]:
    lowered = text.lower()
    return [k for k in keywords if re.search(rf"(?<!\w){re.escape(k.lower())}(?!\w)", lowered)]


def _exemplar(hit: Hit) -> ExemplarRef:
    meta = hit.metadata
    return ExemplarRef(
        source_id=str(meta.get("source_id", "")),
        title=str(meta.get("title", "")),
        organisation=str(meta.get("organisation", "")),
        url=str(meta.get("url", "")),
        passage=hit.text,
        page=str(meta.get("section") or "") or None,
        kind="note" if meta.get("kind") == "note" else "passage",
        secondary=bool(meta.get("secondary")),
        stance=str(meta.get("stance") or ("exemplary" if meta.get("kind") == "note" else "")),
    )


def retrieve_exemplars(
    item: RubricItem,
    store: Store,
    settings: RetrievalSettings,
    sources: list[str] | None = None,
) -> list[ExemplarRef]:
    """Exemplary notes written for this item, then the closest corpus passage, if close enough."""
    notes = store.get(EXEMPLARS, where={"item_id": item.id})
    if sources is not None:
        notes = [n for n in notes if n.metadata.get("source_id") in sources]
    notes.sort(
        key=lambda h: (
            h.metadata.get("stance") != "exemplary",
            bool(h.metadata.get("secondary")),
            h.id,
        )
    )
    picked = [_exemplar(h) for h in notes[: settings.k_exemplars]]
    where: dict = {"kind": "passage"}
    if sources is not None:
        where = {"$and": [where, {"source_id": {"$in": sources}}]} if sources else where
    passages = store.search(EXEMPLARS, _exemplar_query(item), 3, where=where)
    picked += [_exemplar(h) for h in passages[:1] if h.score >= settings.min_passage_score]
    return picked


# ---------------------------------------------------------------- one plan for a whole review


class BatchedQueries:
    """An embedder for queries: vectors made earlier are looked up, the missing ones of a whole
    review are embedded in one batch (``prime``), any other text as it comes. The rubric's
    queries never change, so their vectors are kept for the process and on disk under the
    cache folder, by embedder name. Thread-safe; the wrapped embedder's name is kept, so the
    store's check that vectors never mix still holds."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self.name = embedder.name
        with _QUERY_LOCK:
            if self.name not in _QUERY_VECTORS:
                _QUERY_VECTORS[self.name] = _load_vectors(self.name)
            self._vectors = _QUERY_VECTORS[self.name]

    def prime(self, texts: Sequence[str]) -> None:
        with _QUERY_LOCK:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._add(missing)
            with _QUERY_LOCK:
                snapshot = dict(self._vectors)
            _save_vectors(self.name, snapshot)

    def embed(self, texts: list[str]) -> list[list[float]]:
        with _QUERY_LOCK:
            missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if missing:
            self._add(missing)
        with _QUERY_LOCK:
            return [self._vectors[t] for t in texts]

    def _add(self, texts: list[str]) -> None:
        made = dict(zip(texts, self.embedder.embed(texts), strict=True))
        with _QUERY_LOCK:
            if len(self._vectors) > MAX_QUERY_VECTORS:
                self._vectors.clear()
            self._vectors.update(made)


MAX_QUERY_VECTORS = 4096
_QUERY_LOCK = threading.Lock()
_QUERY_VECTORS: dict[str, dict[str, list[float]]] = {}


def _vectors_file(name: str) -> Path:
    return cache_dir() / "queries" / f"{hashlib.sha256(name.encode()).hexdigest()[:16]}.json"


def _load_vectors(name: str) -> dict[str, list[float]]:
    try:
        data = json.loads(_vectors_file(name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("embedder") != name:
        return {}
    vectors = data.get("vectors")
    return dict(vectors) if isinstance(vectors, dict) else {}


def _save_vectors(name: str, vectors: dict[str, list[float]]) -> None:
    with contextlib.suppress(OSError):  # only a saving of time: never fails a review
        atomic_write_text(_vectors_file(name), json.dumps({"embedder": name, "vectors": vectors}))


class RetrievalPlan:
    """Retrieval for many items of one document: every query embedded in one batch up front,
    the BM25 index built once; then :meth:`evidence` and :meth:`exemplars` per item."""

    def __init__(
        self,
        document: Document,
        items: Sequence[RubricItem],
        store: Store,
        settings: RetrievalSettings,
        sources: list[str] | None = None,
    ) -> None:
        queries = BatchedQueries(store.embedder)
        queries.prime([q for item in items for q in (*item.queries, _exemplar_query(item))])
        self.store = Store(embedder=queries)
        self.document = document
        self.settings = settings
        self.sources = sources
        self.lexical = BM25([c.text for c in document.chunks])

    def evidence(self, item: RubricItem) -> list[Retrieved]:
        return retrieve_evidence(self.document, item, self.store, self.settings, self.lexical)

    def exemplars(self, item: RubricItem) -> list[ExemplarRef]:
        return retrieve_exemplars(item, self.store, self.settings, self.sources)
