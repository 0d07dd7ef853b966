"""Test documents read as ingest reads them, quotes looked for in any of their chunks, and an
item's chunks found by BM25 alone: shared by the held-out trust and rules tests and the rules
tests."""

from __future__ import annotations

from pathlib import Path

from pipeline.chunking import chunk_pages, page_offsets
from pipeline.documents import read_document
from pipeline.records import Document
from pipeline.retrieval import BM25, Retrieved, _item_query, _matched
from pipeline.rubric import RubricItem
from pipeline.verify import NOT_FOUND, Located, locate_quote


def read_chunked(path: Path, size: int | None = None) -> Document:
    """The document as ingest reads it, cut into chunks (of ``size`` characters if given)."""
    document = read_document(path)
    pages = page_offsets(document.pages)
    chunks = chunk_pages(pages) if size is None else chunk_pages(pages, size=size)
    return document.model_copy(update={"pages": pages, "chunks": chunks})


def locate_anywhere(document: Document, quote: str) -> Located | str:
    """Where the quote verifies in any chunk, else the reasons every chunk gave."""
    reasons = set()
    for chunk in document.chunks:
        found = locate_quote(document, chunk, quote)
        if isinstance(found, Located):
            return found
        reasons.add(found)
    return ",".join(sorted(reasons - {NOT_FOUND}) or [NOT_FOUND])


def bm25_hits(doc: Document, item: RubricItem, k: int = 4) -> list[Retrieved]:
    """The item's top chunks by BM25 alone (no embedding store needed)."""
    scores = BM25([c.text for c in doc.chunks]).scores(_item_query(item))
    order = sorted(range(len(scores)), key=lambda i: -scores[i])[:k]
    return [
        Retrieved(
            chunk=doc.chunks[i],
            score=scores[i],
            lexical_rank=rank,
            matched_terms=_matched(doc.chunks[i].text, item.keywords),
        )
        for rank, i in enumerate(order)
    ]
