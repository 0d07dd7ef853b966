"""Hybrid retrieval: dense search in Chroma plus BM25 over the same chunks, fused by
reciprocal rank. Exemplars come from the corpus notes for the item, then corpus passages."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from .records import Chunk, Document, ExemplarRef
from .rubric import RubricItem
from .store import EXEMPLARS, Hit, Store, document_collection

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


def retrieve_evidence(
    document: Document, item: RubricItem, store: Store, settings: RetrievalSettings
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
    lexical = BM25([c.text for c in document.chunks]).scores(_item_query(item))
    ordered = sorted(range(len(lexical)), key=lambda i: -lexical[i])
    lexical_rank: dict[str, int] = {}
    for rank, index in enumerate(i for i in ordered if lexical[i] > 0):
        chunk_id = document.chunks[index].id
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
    passages = [h for h in store.search(EXEMPLARS, " ".join(item.queries), 3, where=where)]
    picked += [_exemplar(h) for h in passages[:1] if h.score >= settings.min_passage_score]
    return picked
