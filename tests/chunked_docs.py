"""Held-out documents read as ingest reads them, and quotes looked for in any of their chunks:
shared by the held-out trust and rules tests."""

from __future__ import annotations

from pathlib import Path

from pipeline.chunking import chunk_pages, page_offsets
from pipeline.documents import read_document
from pipeline.records import Document
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
