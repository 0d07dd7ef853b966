"""Quote verification against page text, with normalisation."""

from __future__ import annotations

from pipeline.chunking import chunk_pages, page_offsets
from pipeline.normalise import normalise_page_text
from pipeline.records import Document, Page
from pipeline.verify import Citation, find_quote, verify_citations

RAW = [
    "Our ﬁrst priority is the electronic pa-\ntient record.\nWe will not build a new app.",
    "We interviewed 42 patients and\n120 staff about \u201cbooking\u201d problems "
    "\u2013 mostly phones.",
]


def make_document() -> Document:
    pages = page_offsets(
        [
            Page(page=i + 1, page_label=f"{i + 1}", text=normalise_page_text(t))
            for i, t in enumerate(RAW)
        ]
    )
    return Document(
        path="x.pdf",
        sha256="0" * 64,
        title="t",
        format="pdf",
        pages=pages,
        chunks=chunk_pages(pages, size=2000),
    )


def test_ligatures_hyphenation_line_breaks_and_punctuation_match() -> None:
    doc = make_document()
    chunk = doc.chunks[0]
    assert find_quote(doc, chunk, "Our first priority is the electronic patient record") == 1
    assert find_quote(doc, chunk, "Our ﬁrst priority is the electronic pa-\ntient record") == 1
    assert (
        find_quote(
            doc, chunk, 'interviewed 42 patients and 120 staff about "booking" problems - mostly'
        )
        == 2
    )
    assert find_quote(doc, chunk, "WE WILL NOT BUILD A NEW APP") == 1


def test_ellipsis_parts_must_appear_in_order_on_one_page() -> None:
    doc = make_document()
    chunk = doc.chunks[0]
    assert find_quote(doc, chunk, "Our first priority ... We will not build a new app") == 1
    assert find_quote(doc, chunk, "We will not build a new app ... Our first priority is") is None


def test_short_or_invented_quotes_fail() -> None:
    doc = make_document()
    chunk = doc.chunks[0]
    assert find_quote(doc, chunk, "the record") is None
    assert find_quote(doc, chunk, "We will build a new app for patients") is None


def test_verify_citations_strips_invented_ids_and_counts_drops() -> None:
    doc = make_document()
    cid = doc.chunks[0].id
    result = verify_citations(
        doc,
        [
            Citation("c404-p9", "Our first priority is the electronic patient record"),
            Citation(cid, "Our first priority is the electronic patient record"),
            Citation(cid, "Our first priority is the electronic patient record"),
            Citation(cid, "A sentence that is nowhere in this document at all"),
        ],
        allowed={cid},
    )
    assert result.invented_ids == ["c404-p9"]
    assert result.proposed == 4 and result.dropped == 3 and len(result.evidence) == 1
    (evidence,) = result.evidence
    assert evidence.verified and evidence.page == 1 and evidence.page_label == "1"
    assert evidence.chunk_id == cid and evidence.source == "model"
