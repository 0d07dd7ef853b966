"""Quote verification: whole words from the cited chunk, meaning kept, the page's own text shown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.chunking import chunk_pages, page_offsets
from pipeline.normalise import normalise_page_text
from pipeline.records import Document, Page
from pipeline.verify import (
    AFTER_NEGATION,
    CROSSES_PAGES,
    INVENTED_ID,
    NOT_FOUND,
    SHORT_FRAGMENT,
    SKIPS_NEGATION,
    TOO_SHORT,
    Citation,
    Located,
    find_quote,
    fold,
    locate_quote,
    verify_citations,
)

RAW = [
    "Our ﬁrst priority is the electronic pa-\ntient record.\nWe will not build a new app.",
    "We interviewed 42 patients and\n120 staff about \u201cbooking\u201d problems "
    "\u2013 mostly phones.",
]


def make_document(raw: list[str] = RAW, size: int = 2000) -> Document:
    pages = page_offsets(
        [
            Page(page=i + 1, page_label=f"{i + 1}", text=normalise_page_text(t))
            for i, t in enumerate(raw)
        ]
    )
    return Document(
        path="x.pdf",
        sha256="0" * 64,
        title="t",
        format="pdf",
        pages=pages,
        chunks=chunk_pages(pages, size=size),
    )


def located(doc: Document, quote: str, chunk_index: int = 0) -> Located | str:
    return locate_quote(doc, doc.chunks[chunk_index], quote)


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


def test_the_document_s_own_text_is_shown_not_the_model_s() -> None:
    doc = make_document(["The board is uninvolved in digital decisions at present."])
    found = located(doc, "THE BOARD IS UNINVOLVED IN DIGITAL DECISIONS")
    assert isinstance(found, Located)
    assert found.text == "The board is uninvolved in digital decisions"
    result = verify_citations(
        doc,
        [Citation(doc.chunks[0].id, "“the board is UNINVOLVED in digital decisions.”")],
        {doc.chunks[0].id},
    )
    assert [e.quote for e in result.evidence] == ["The board is uninvolved in digital decisions"]


def test_an_ellipsis_never_skips_a_negation() -> None:
    doc = make_document(["We will not replace the EPR before 2027, whatever happens next."])
    assert located(doc, "We will ... replace the EPR before 2027") == SHORT_FRAGMENT
    four = "We will not replace ... the EPR before 2027, whatever happens next"
    assert located(doc, four) == SHORT_FRAGMENT
    doc = make_document(
        ["In the first year we will not under any circumstances replace the EPR before 2027."]
    )
    quote = "In the first year we will ... replace the EPR before 2027"
    assert located(doc, quote) == SKIPS_NEGATION


@pytest.mark.parametrize("negation", ["not", "never", "without", "cannot", "no", "won't"])
def test_every_negation_word_blocks_an_ellipsis(negation: str) -> None:
    page = f"Over the next three years the trust {negation} funding for the new shared care record."
    doc = make_document([page])
    quote = "Over the next three years the trust ... funding for the new shared care record"
    assert located(doc, quote) == SKIPS_NEGATION


def test_an_ellipsis_between_long_fragments_without_negation_is_allowed() -> None:
    doc = make_document(
        [
            "We will replace the patient administration system in 2026. After a full "
            "procurement, we will move every ward to the shared care record by March 2027."
        ]
    )
    quote = (
        "We will replace the patient administration system ... "
        "we will move every ward to the shared care record"
    )
    found = located(doc, quote)
    assert isinstance(found, Located)
    assert found.text == (
        "We will replace the patient administration system … "
        "we will move every ward to the shared care record"
    )
    wrong_order = (
        "we will move every ward to the shared care record … "
        "We will replace the patient administration system"
    )
    assert located(doc, wrong_order) == NOT_FOUND


def test_a_quote_cut_just_after_a_negation_is_dropped() -> None:
    doc = make_document(["We will not replace the EPR before 2027 under this plan."])
    assert located(doc, "replace the EPR before 2027 under this plan") == AFTER_NEGATION
    doc = make_document(["It is not true that we will replace the EPR before 2027 at all."])
    assert located(doc, "we will replace the EPR before 2027 at all") == AFTER_NEGATION
    # a negation in an earlier sentence does not count
    doc = make_document(["We did not stop. We will replace the EPR before 2027 under this plan."])
    assert isinstance(located(doc, "We will replace the EPR before 2027 under this plan"), Located)


def test_whole_words_only() -> None:
    doc = make_document(["At present the board is uninvolved in digital decisions of any kind."])
    assert located(doc, "involved in digital decisions of any kind") == NOT_FOUND
    assert located(doc, "the board is uninvolved in digital decisions") != NOT_FOUND
    doc = make_document(["Our partners co-design services with residents every single month."])
    assert located(doc, "design services with residents every single month") == NOT_FOUND


def test_only_the_cited_chunk_counts_not_the_rest_of_the_page() -> None:
    filler = " ".join(
        f"Sentence number {i} says nothing in particular about digital." for i in range(30)
    )
    page = "We will publish our digital service standard for every team. " + filler
    doc = make_document([page], size=300)
    assert len(doc.chunks) > 2
    last = len(doc.chunks) - 1
    quote = "We will publish our digital service standard for every team"
    assert isinstance(located(doc, quote, 0), Located)
    assert located(doc, quote, last) == NOT_FOUND


def test_short_or_invented_quotes_fail() -> None:
    doc = make_document()
    assert located(doc, "the electronic patient record") == TOO_SHORT
    assert located(doc, "We will build a new app for patients") == NOT_FOUND


def test_a_quote_across_a_page_break_is_not_verified() -> None:
    doc = make_document(
        ["The first page ends with these words about the plan", "and the second page goes on."]
    )
    assert located(doc, "words about the plan and the second page goes on") == CROSSES_PAGES


def test_verify_citations_strips_invented_ids_and_counts_drops_by_reason() -> None:
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
    assert result.reasons[INVENTED_ID] == 1 and result.reasons[NOT_FOUND] == 1
    (evidence,) = result.evidence
    assert evidence.verified and evidence.page == 1 and evidence.page_label == "1"
    assert evidence.chunk_id == cid and evidence.source == "model"
    assert evidence.quote == "Our first priority is the electronic patient record"


def test_fold_keeps_a_map_to_the_source() -> None:
    source = "The ﬁrst  “plan” – in\u00adfull"
    folded = fold(source)
    assert folded.text == 'the first "plan" - infull'
    assert len(folded.origin) == len(folded.text)
    assert all(0 <= i < len(source) for i in folded.origin)


WORDS = st.lists(
    st.sampled_from(["we", "will", "not", "replace", "the", "record", "in", "2027", "staff"]),
    min_size=8,
    max_size=30,
)


@given(WORDS, st.integers(min_value=0, max_value=20), st.integers(min_value=6, max_value=12))
def test_any_verified_quote_is_a_whole_word_run_of_the_page(
    words: list[str], start: int, length: int
) -> None:
    page = " ".join(words) + "."
    doc = make_document([page])
    quote = " ".join(words[start : start + length])
    found = located(doc, quote)
    if isinstance(found, Located):
        assert f" {found.text.lower()} " in f" {page.lower().rstrip('.')} "
        assert len(found.text.split()) >= 6


def test_a_negation_in_the_heading_above_does_not_block_a_quote() -> None:
    doc = make_document(["Care without walls\nA ten-year strategy approved by the Board in 2025."])
    assert isinstance(located(doc, "A ten-year strategy approved by the Board in 2025"), Located)
    doc = make_document(["We will not\nreplace the EPR before 2027 under this plan."])
    assert located(doc, "replace the EPR before 2027 under this plan") == AFTER_NEGATION


def test_a_soft_hyphen_at_a_line_end_joins_the_word_across_the_break() -> None:
    page = normalise_page_text(
        "Borgerne skal have en intui\u00ad\ntiv og sikker adgang.\nNext line."
    )
    assert "intuitiv og sikker adgang" in page
    assert "intui tiv" not in page and "intui\ntiv" not in page
    assert page.endswith("\nNext line.")  # other line breaks stay
    # a soft hyphen inside a line is simply dropped, and words either side of a space stay apart
    assert normalise_page_text("co\u00adoperate and share") == "cooperate and share"
