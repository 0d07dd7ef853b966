"""Check quotes and citation IDs against the document. Knows pages and quotes, not models."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalise import normalise_for_match
from .records import Chunk, Document, Evidence

MIN_QUOTE_WORDS = 4
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")


@dataclass
class Citation:
    chunk_id: str
    quote: str


@dataclass
class Verification:
    evidence: list[Evidence]  # verified quotes only
    proposed: int
    dropped: int
    invented_ids: list[str]


def find_quote(document: Document, chunk: Chunk, quote: str) -> int | None:
    """The page (1-based) among the chunk's pages where the quote appears, else None.

    Quotes are compared after normalisation (NFKC, hyphenation, whitespace, quotes, dashes,
    case). An ellipsis splits a quote into parts that must all appear, in order, on one page.
    """
    parts = [normalise_for_match(p) for p in _ELLIPSIS.split(quote) if p.strip()]
    if sum(len(p.split()) for p in parts) < MIN_QUOTE_WORDS:
        return None
    for number in range(chunk.page_start, chunk.page_end + 1):
        page_text = normalise_for_match(document.page(number).text)
        position = 0
        for part in parts:
            found = page_text.find(part, position)
            if found < 0:
                break
            position = found + len(part)
        else:
            return number
    return None


def verify_citations(
    document: Document, citations: list[Citation], allowed: set[str]
) -> Verification:
    """Strip IDs outside the retrieved set, verify quotes, drop what cannot be verified."""
    evidence: list[Evidence] = []
    invented: list[str] = []
    dropped = 0
    seen: set[tuple[int, str]] = set()
    for citation in citations:
        chunk = document.chunk(citation.chunk_id) if citation.chunk_id in allowed else None
        if chunk is None:
            invented.append(citation.chunk_id)
            dropped += 1
            continue
        page = find_quote(document, chunk, citation.quote)
        key = (page or 0, normalise_for_match(citation.quote))
        if page is None or key in seen:
            dropped += 1
            continue
        seen.add(key)
        evidence.append(
            Evidence(
                quote=citation.quote.strip(),
                page=page,
                page_label=document.page(page).page_label,
                chunk_id=chunk.id,
                verified=True,
                source="model",
            )
        )
    return Verification(evidence, proposed=len(citations), dropped=dropped, invented_ids=invented)
