"""Trust, round 2: quotes a capable model writes in another Unicode or hyphen form, findings that
pad a restatement, two more held-out documents (a generated PDF with roman front matter, two
columns, running lines, a table and a sentence over a page break; a Markdown plan) and new
scripted personas (paraphraser, page-jumper, format-abuser, over-confident, absence) served
from a real loopback server through the whole pipeline."""

from __future__ import annotations

import unicodedata

import pytest

from pipeline.chunking import chunk_pages, page_offsets
from pipeline.records import Document, Page
from pipeline.verify import NOT_FOUND, Located, locate_quote


def one_page(text: str) -> Document:
    pages = page_offsets([Page(page=1, page_label="1", text=text)])
    return Document(
        path="plan.txt",
        sha256="0" * 64,
        title="Plan",
        format="text",
        pages=pages,
        chunks=chunk_pages(pages, size=4000),
    )


def verdict_in(text: str, quote: str) -> Located | str:
    document = one_page(text)
    found = [locate_quote(document, chunk, quote) for chunk in document.chunks]
    return next((f for f in found if isinstance(f, Located)), found[0])


# ---------------------------------------------------------------- known gaps from round 1

ACCENTED = "The café and the régie will open a council-wide booking service by 2026."


@pytest.mark.parametrize(("page_form", "quote_form"), [("NFD", "NFC"), ("NFC", "NFD")])
def test_a_quote_in_composed_accents_verifies_on_a_page_in_decomposed_ones(
    page_form: str, quote_form: str
) -> None:
    page = unicodedata.normalize(page_form, ACCENTED)  # type: ignore[arg-type]
    quote = unicodedata.normalize(quote_form, "The café and the régie will open")  # type: ignore[arg-type]
    found = verdict_in(page, quote)
    assert isinstance(found, Located), found
    # the evidence shown is the page's own text, every accent kept
    assert unicodedata.normalize("NFC", found.text) == "The café and the régie will open"


def test_an_accent_is_still_a_letter_of_its_own() -> None:
    page = unicodedata.normalize("NFD", ACCENTED)
    assert verdict_in(page, "The cafe and the regie will open") == NOT_FOUND
    assert verdict_in(page, "The café and the régime will open") == NOT_FOUND


@pytest.mark.parametrize(
    ("page", "quote", "shown"),
    [
        # a soft hyphen the page breaks a line at, or never shows
        (
            "We will open a council\u00ad\nwide service for booking rooms.",
            "We will open a council-wide service for",
            "We will open a councilwide service for",
        ),
        (
            "We will open a council\u00adwide service for booking rooms.",
            "We will open a council-wide service for",
            "We will open a councilwide service for",
        ),
        (
            "We will build an intui\u00adtive booking service for everyone.",
            "We will build an intuitive booking service",
            "We will build an intuitive booking service",
        ),
        # a real hyphen at a line end: a compound, or a word split by the typesetter
        (
            "We will open a council-\nwide service for booking rooms.",
            "We will open a council-wide service for",
            "We will open a council-wide service for",
        ),
        (
            "We will build an intui-\ntive booking service for everyone.",
            "We will build an intuitive booking service",
            "We will build an intui-tive booking service",
        ),
    ],
)
def test_a_hyphenated_word_verifies_however_the_page_breaks_it(
    page: str, quote: str, shown: str
) -> None:
    found = verdict_in(page, quote)
    assert isinstance(found, Located), found
    assert found.text == shown  # no soft hyphen, no line break inside a word


def test_folding_hyphens_keeps_word_boundaries_and_dashes() -> None:
    page = "We will fix all non-compliant services by the end of 2026 \u2013 and report monthly."
    assert verdict_in(page, "compliant services by the end of 2026") == NOT_FOUND
    assert verdict_in(page, "We will fix all non compliant services") == NOT_FOUND
    assert isinstance(verdict_in(page, "the end of 2026 - and report monthly"), Located)


def gate(item_id: str, rating: str, finding: str, document_text: str = "") -> list[str]:
    from pipeline.judge import item_wording
    from pipeline.quality import GateInput, assess
    from pipeline.rubric import load_rubric

    item = next(i for i in load_rubric().items if i.id == item_id)
    return assess(
        GateInput(
            kind=item.kind,
            rating=rating,
            finding=finding,
            recommendation="Name an owner and a date for each commitment.",
            verified_quotes=1,
            prompt_words=item.description,
            document_text=document_text,
            item_words=item_wording(item),
            item_title=item.title,
        )
    ).unusable


PLAN_TEXT = (
    "Our workforce plan costs two million pounds. Residents were interviewed about the "
    "booking service. We will link to the council plan and the care partnership."
)


@pytest.mark.parametrize(
    ("item_id", "finding"),
    [
        ("realistic", "The strategy is realistic and meets this item, with sensible plans."),
        ("focused", "The strategy is focused and shows a small number of priorities, robustly."),
        ("user_centred", "The strategy is user centred and meets this item: encouraging."),
        ("integrated", "The strategy is integrated and meets this item: a credible approach."),
        ("q10_risks", "The strategy answers this question well and in a convincing manner."),
        # two words of its own, neither of them the document's
        ("mainstream", "The strategy is mainstream and clearly meets this item; marvellous stuff."),
    ],
)
def test_a_restatement_padded_with_a_word_or_two_is_not_kept(item_id: str, finding: str) -> None:
    from pipeline.quality import RESTATES_ITEM

    assert RESTATES_ITEM in gate(item_id, "green", finding, PLAN_TEXT)


@pytest.mark.parametrize(
    ("item_id", "finding"),
    [
        ("realistic", "The strategy is realistic: staffing is costed."),
        ("user_centred", "Residents were interviewed before the booking service was designed."),
        ("integrated", "The strategy links to the council plan and the care partnership."),
        ("focused", "The strategy is focused: it drops the intranet rebuild."),
        ("focused", "The strategy is focused on three priorities: housing repairs and bins."),
    ],
)
def test_a_short_finding_with_facts_of_its_own_is_kept(item_id: str, finding: str) -> None:
    assert gate(item_id, "green", finding, PLAN_TEXT) == []
