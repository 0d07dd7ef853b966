"""Trust, round 2: quotes a capable model writes in another Unicode or hyphen form, findings that
pad a restatement, two more held-out documents (a generated PDF with roman front matter, two
columns, running lines, a table and a sentence over a page break; a Markdown plan) and new
scripted personas (paraphraser, page-jumper, format-abuser, over-confident, absence) served
from a real loopback server through the whole pipeline."""

from __future__ import annotations

import unicodedata

import pytest
from chunked_docs import locate_anywhere as anywhere
from chunked_docs import read_chunked

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


# ---------------------------------------------------------------- held-out PDF and Markdown

import re  # noqa: E402
from pathlib import Path  # noqa: E402

from heldout2_docs import write_castlebrook_md, write_wrenford_pdf  # noqa: E402
from heldout2_personas import (  # noqa: E402
    absence,
    format_abuser,
    over_confident,
    page_jumper,
    paraphraser,
    paraphrases,
)
from personas import serve  # noqa: E402

from pipeline.documents import read_document  # noqa: E402
from pipeline.evals.recheck import Rechecker  # noqa: E402
from pipeline.models.openai_compat import OpenAICompatModel  # noqa: E402
from pipeline.records import Evidence, Review  # noqa: E402
from pipeline.review import ReviewOptions, run_review  # noqa: E402
from pipeline.verify import AFTER_NEGATION as AFTER_NEG  # noqa: E402
from pipeline.verify import CROSSES_PAGES, fold  # noqa: E402


@pytest.fixture(scope="module")
def heldout2(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("heldout2")
    return {
        "pdf": write_wrenford_pdf(folder / "wrenford.pdf"),
        "md": write_castlebrook_md(folder / "castlebrook.md"),
    }


def test_the_pdf_keeps_its_printed_labels_and_drops_its_running_lines(
    heldout2: dict[str, Path],
) -> None:
    document = read_chunked(heldout2["pdf"], size=4000)
    assert [p.page_label for p in document.pages] == ["i", "ii", "1", "2", "3", "4"]
    assert "Wrenford Ambulance Service | Digital Strategy" not in document.text
    assert not re.search(r"^Page \w+$", document.text, re.M)
    found = anywhere(document, "Crews still complete 40% of patient records on paper")
    assert isinstance(found, Located) and document.page(found.page).page_label == "1"
    found = anywhere(document, "This strategy belongs to the Chief Executive and the Trust Board")
    assert isinstance(found, Located) and document.page(found.page).page_label == "i"


def test_a_sentence_broken_over_a_page_is_quoted_one_page_at_a_time(
    heldout2: dict[str, Path],
) -> None:
    """The report shows one page per quote, so the whole sentence is not verified; each half,
    long enough, is, on its own page."""
    document = read_chunked(heldout2["pdf"], size=4000)
    whole = "By March 2027 every crew will use one electronic patient record on a rugged tablet"
    assert anywhere(document, whole) == CROSSES_PAGES
    found = anywhere(document, "use one electronic patient record on a rugged tablet")
    assert isinstance(found, Located) and document.page(found.page).page_label == "3"


def test_pdf_negations_and_numbers_hold(heldout2: dict[str, Path]) -> None:
    document = read_chunked(heldout2["pdf"], size=4000)
    assert anywhere(document, "build our own dispatch software. We will") == AFTER_NEG
    assert anywhere(document, "We will build our own dispatch software") == NOT_FOUND
    assert anywhere(document, "We will buy systems that meet the national") == NOT_FOUND
    assert anywhere(document, "will fall from 41 minutes to 3 minutes") == NOT_FOUND


@pytest.mark.xfail(
    strict=True,
    reason="known gap: pypdf gives a PDF table's cells as plain lines, so a run across cells "
    "cannot be told from wrapped prose",
)
def test_a_run_across_pdf_table_cells_is_not_verified(heldout2: dict[str, Path]) -> None:
    document = read_chunked(heldout2["pdf"], size=4000)
    run = "Electronic patient record on every vehicle Director of Operations March 2027"
    assert not isinstance(anywhere(document, run), Located)


def document_sentences(document: Document) -> list[str]:
    """The sentences of each page (a sentence broken over a page is two quotes)."""
    found = []
    for page in document.pages:
        flat = " ".join(page.text.split())
        found += re.findall(r"(?<![\w,])[A-Z][^.!?|]{30,}?[.!?](?=\s|$)", flat)
    return found


@pytest.mark.parametrize("fmt", ["pdf", "md"])
def test_every_paraphrase_of_every_sentence_is_rejected(
    heldout2: dict[str, Path], fmt: str
) -> None:
    """will->may, all->most, a number or date changed, a negation or "only" dropped or added,
    a plural changed, two words swapped: none verifies, unless the edit is itself the
    document's text somewhere."""
    document = read_chunked(heldout2[fmt], size=4000)
    page_text = fold(document.text).text
    checked = 0
    for sentence in document_sentences(document):
        assert isinstance(anywhere(document, sentence), Located), sentence
        for name, quote in paraphrases(sentence):
            if fold(quote).text.strip(" .") in page_text:
                continue
            assert not isinstance(anywhere(document, quote), Located), (name, quote)
            checked += 1
    assert checked >= 20


def test_markdown_quotes_verify_without_the_marks_a_reader_does_not_see(
    heldout2: dict[str, Path],
) -> None:
    document = read_chunked(heldout2["md"], size=4000)
    found = anywhere(document, "This plan is owned by the Head of Libraries and agreed")
    assert isinstance(found, Located), found
    assert isinstance(anywhere(document, "Most said the online catalogue is hard to use"), Located)
    assert isinstance(
        anywhere(document, "Members want one library card that works for e-books"), Located
    )
    # a link's text reads on in its sentence; the evidence shown is the page's own text
    checker = Rechecker.for_file(heldout2["md"])
    for quote in (
        "agreed by the council's Cabinet in June 2025",
        "Progress is reported to the Communities Scrutiny Panel every six months",
    ):
        found = anywhere(document, quote)
        assert isinstance(found, Located), (quote, found)
        assert "](" in found.text
        shown = Evidence(
            quote=found.text,
            page=found.page,
            page_label=document.page(found.page).page_label,
            verified=True,
            source="model",
        )
        assert checker.check(shown) == "", found.text
    assert anywhere(document, "agreed by the council's Cabinet in July 2025") == NOT_FOUND
    # a table row is cells, not a sentence
    row = "One sign-in for the catalogue and e-books | Digital Services Manager"
    assert anywhere(document, row) == "runs across table cells"
    assert anywhere(document, "We will replace the library management system") == NOT_FOUND
    assert anywhere(document, "asked us to close any branch counters") == NOT_FOUND


# ---------------------------------------------------------------- personas, whole pipeline

ITEMS2 = [
    "realistic",
    "user_centred",
    "focused",
    "q10_risks",
    "q02_mission",
    "vague",
    "it_driven",
    "too_long_term",
    "integrated",
    "mainstream",
    "useful_to_teams",
    "q07_measures",
]


def review2(persona: object, path: Path, out: Path, prompts: list[str] | None = None) -> Review:
    with serve(persona) as (url, requests):  # type: ignore[arg-type]
        model = OpenAICompatModel("persona", url, retries=0)
        review, _ = run_review(path, out, model, ReviewOptions(only=ITEMS2))
    if prompts is not None:
        prompts += [r["messages"][-1]["content"] for r in requests]
    return review


def all_shown_quotes_recheck(review: Review, path: Path) -> None:
    checker = Rechecker.for_file(path)
    for item in review.items:
        for evidence in item.evidence:
            if evidence.verified:
                assert checker.check(evidence) == "", (item.id, evidence.quote)


@pytest.mark.parametrize("fmt", ["pdf", "md"])
def test_a_paraphrasing_model_gets_no_quote_and_no_kept_rating(
    corpus_home: Path, heldout2: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    review = review2(paraphraser, heldout2[fmt], tmp_path / "out")
    assert [i.id for i in review.items if i.confidence == "model"] == []
    assert sum(i.stats.quotes_verified for i in review.items if i.stats) == 0
    all_shown_quotes_recheck(review, heldout2[fmt])


@pytest.mark.parametrize("fmt", ["pdf", "md"])
def test_a_quote_cited_to_the_wrong_passage_or_past_what_was_shown_is_dropped(
    corpus_home: Path, heldout2: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    """The page-jumper cites real sentences of the document to passages that do not hold them,
    or to a passage whose shown part stops before them. Every quote kept is in the passage it
    cites, in the part of it the model was shown, and on the page shown with it."""
    document = read_chunked(heldout2[fmt], size=4000)
    prompts: list[str] = []
    persona = page_jumper(document_sentences(document))
    review = review2(persona, heldout2[fmt], tmp_path / "out", prompts)
    saved = read_document(heldout2[fmt])
    shown = fold(" ".join(prompts)).text
    for item in review.items:
        for evidence in item.evidence:
            if evidence.source == "model":
                page = saved.page(evidence.page)
                parts = [p for p in fold(evidence.quote).text.split(" \u2026 ") if p]
                assert all(p in fold(page.text).text for p in parts), evidence
                assert all(p in shown for p in parts), evidence
    all_shown_quotes_recheck(review, heldout2[fmt])


def test_a_quote_past_the_cut_of_its_passage_is_not_verified() -> None:
    from pipeline.verify import NOT_SHOWN, Citation, shown_in, verify_citations

    text = (
        "We will keep a staffed counter in every branch. We will replace the booking system "
        "with one that residents can use on a phone by March 2026."
    )
    document = one_page(text)
    chunk = document.chunks[0]
    first = "We will keep a staffed counter in every branch."
    second = "We will replace the booking system with one that residents can use"
    visible = {chunk.id: text[:60]}
    checked = verify_citations(
        document, [Citation(chunk.id, first), Citation(chunk.id, second)], {chunk.id}, visible
    )
    assert [e.quote for e in checked.evidence] == [first.rstrip(".")]
    assert checked.reasons[NOT_SHOWN] == 1
    # a last word the cut split is still one the model saw the start of
    assert shown_in("in every branch", "a staffed counter in every bran")
    assert not shown_in("in every branch today", "a staffed counter in every bran")
    # with nothing said about what was shown, the whole passage counts
    assert len(verify_citations(document, [Citation(chunk.id, second)], {chunk.id}).evidence) == 1


@pytest.mark.parametrize("fmt", ["pdf", "md"])
def test_an_over_confident_model_with_no_quote_of_the_document_keeps_no_green_good_sign(
    corpus_home: Path, heldout2: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    """ "the plan", the prompt's own words, an exemplar note and an indicator fact line are
    not the document's: none verifies, and a green that needed them is not kept."""
    review = review2(over_confident, heldout2[fmt], tmp_path / "out")
    assert sum(i.stats.quotes_verified for i in review.items if i.stats) == 0
    kept = [i for i in review.items if i.confidence == "model"]
    assert all(i.kind == "warning_sign" for i in kept), [(i.id, i.kind) for i in kept]


def rendered(markdown: str) -> str:
    """Markdown as a reader's viewer shows it (CommonMark, raw HTML allowed)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).render(markdown)


@pytest.mark.parametrize("fmt", ["pdf", "md"])
def test_a_format_abusing_model_is_parsed_where_it_can_be_and_never_leaks_markup(
    corpus_home: Path, heldout2: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    from typer.testing import CliRunner

    from pipeline.cli.app import app

    out = tmp_path / "out"
    review = review2(format_abuser, heldout2[fmt], out)
    by_id = {i.id: i for i in review.items}
    kept = {i.id for i in review.items if i.confidence == "model"}
    # fenced JSON with "GREEN", "RAG: green", " green " with extra keys, markup, control chars
    assert {"focused", "user_centred", "vague", "mainstream", "useful_to_teams"} <= kept
    # two objects, no rating, the rating only in the finding, a 5,000-character finding
    assert not kept & {"realistic", "it_driven", "too_long_term", "integrated"}
    assert "\x00" not in by_id["useful_to_teams"].summary
    assert "\u202e" not in by_id["useful_to_teams"].summary
    html = (out / "review.html").read_text(encoding="utf-8")
    markdown = (out / "review.md").read_text(encoding="utf-8")
    for text in (html, rendered(markdown)):
        assert "<script>alert(1)" not in text and "<img src=x" not in text
        assert 'href="javascript:' not in text
        assert "\x1b" not in text and "\x07" not in text
    for fmt_out in ("docx", "md", "html"):
        paper = tmp_path / f"paper.{fmt_out}"
        result = CliRunner().invoke(
            app,
            ["export", str(out), "--format", fmt_out, "--out", str(paper), "--include-undecided"],
        )
        assert result.exit_code == 0, result.output
        if fmt_out == "docx":
            import docx

            body = "\n".join(p.text for p in docx.Document(str(paper)).paragraphs)
        else:
            body = paper.read_text(encoding="utf-8")
        assert "\x1b" not in body and "\x00" not in body
        if fmt_out == "docx":
            assert "<script>" in body  # Word shows it as text, which is inert there
            continue
        body = rendered(body) if fmt_out == "md" else body
        assert "<script>alert(1)" not in body and 'href="javascript:' not in body


@pytest.mark.parametrize("fmt", ["pdf", "md"])
def test_absence_judgements_are_kept_and_flagged_where_the_checks_found_the_thing(
    corpus_home: Path, heldout2: dict[str, Path], tmp_path: Path, fmt: str
) -> None:
    review = review2(absence, heldout2[fmt], tmp_path / "out")
    assert all(i.confidence == "model" for i in review.items), [
        (i.id, i.quality_flags) for i in review.items
    ]
    for item in review.items:
        present = item.checks_rating not in (
            None,
            "green" if item.kind == "warning_sign" else "red",
        )
        assert item.disagreement == present, (item.id, item.rating, item.checks_rating)
    flagged = {i.id for i in review.items if i.disagreement}
    # the document names a risk (PDF) or its workshops (Markdown) that the model says it lacks
    assert ("q10_risks" if fmt == "pdf" else "user_centred") in flagged


def test_control_characters_in_a_document_never_reach_its_text(tmp_path: Path) -> None:
    """A bell, a terminal escape or a bidi override in the file is no text a reader sees (and
    no DOCX can hold it); a form feed still keeps the words either side apart."""
    path = tmp_path / "plan.txt"
    path.write_text(
        "Digital Plan\n\nWe will close\x07 the old \x1b[31mdata centre\x1b[0m by 2026.\x0c"
        "Residents \u202etold us\u202c what to fix first.",
        encoding="utf-8",
    )
    document = read_chunked(path, size=4000)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", document.text)
    assert "We will close the old data centre by 2026." in document.text
    assert "2026.\nResidents told us what to fix first." in document.text
    found = anywhere(document, "We will close the old data centre by 2026")
    assert isinstance(found, Located) and found.text == "We will close the old data centre by 2026"
