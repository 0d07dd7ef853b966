"""The eval's independent re-check of quotes a report marks verified (issue 8, section 1).

The test document is written for these tests. Its PDF is drawn with a TrueType font so that the
page really carries ligature characters ("ﬁ") and a word hyphenated across a line break.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from condensed_pdf import draw_condensed_pdf

from pipeline.evals.cases import EvalCase, Gold
from pipeline.evals.metrics import Row
from pipeline.evals.recheck import (
    Rechecker,
    check_quote,
    page_text,
    read_pdfium_pages,
    read_raw_pages,
)
from pipeline.evals.runner import build_rows, recheck_notes, write_recheck
from pipeline.records import DocumentRef, Evidence, ItemResult, ModelRef, Review

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
PAGE_1 = [
    "Digital Brackenmoor 2025-2028",
    "We will not replace the EPR before 2027.",
    "In the first two years we will not replace the EPR before 2027 under any budget.",
    "The board is uninvolved in digital decisions about clinical systems.",
    "Our ﬁrst priority is the ofﬁcial electronic pa-",
    "tient record for every ward and every community team.",
]
PAGE_2 = [
    "Residents told us in 40 interviews that they want to pay council tax online.",
    "We won't start the app until the website works for everyone who uses it.",
]

ELLIPSIS_SKIPS_NOT = "We will ... replace the EPR before 2027"
LONG_ELLIPSIS_SKIPS_NOT = (
    "In the first two years we ... replace the EPR before 2027 under any budget"
)
INSIDE_A_WORD = "involved in digital decisions about clinical systems"
MODEL_CASE = "THE BOARD IS UNINVOLVED in digital decisions"
FOUR_WORDS = "digital decisions about clinical"
DEFECTS = [ELLIPSIS_SKIPS_NOT, LONG_ELLIPSIS_SKIPS_NOT, INSIDE_A_WORD, MODEL_CASE, FOUR_WORDS]
GOOD = [
    ("Our first priority is the official electronic patient record for every ward", 1),
    ("Our ﬁrst priority is the ofﬁcial electronic pa-tient record", 1),
    ("The board is uninvolved in digital decisions about clinical systems.", 1),
    ("Residents told us in 40 interviews ... they want to pay council tax online", 2),
    ("…they want to pay council tax online.", 2),
    ("We won’t start the app until the website works…", 2),
]


@pytest.fixture(scope="module")
def pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not FONT.exists():
        pytest.skip(f"needs {FONT} to draw ligatures into a PDF")
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVuTest", str(FONT)))
    path = tmp_path_factory.mktemp("recheck") / "strategy.pdf"
    page = canvas.Canvas(str(path), invariant=1)
    for lines in (PAGE_1, PAGE_2):
        page.setFont("DejaVuTest", 10)
        for n, line in enumerate(lines):
            page.drawString(50, 800 - 16 * n, line)
        page.showPage()
    page.save()
    return path


def ev(quote: str, page: int | None = 1, source: str = "model", verified: bool = True) -> Evidence:
    return Evidence.model_validate(
        {"quote": quote, "page": page, "verified": verified, "source": source}
    )


def item(*evidence: Evidence, item_id: str = "q04_services") -> ItemResult:
    return ItemResult.model_validate(
        {
            "id": item_id,
            "kind": "board_question",
            "title": item_id,
            "rating": "green",
            "rating_label": "Answered well",
            "summary": "A finding.",
            "evidence": list(evidence),
        }
    )


def rows_for(pdf: Path, *evidence: Evidence) -> list[Row]:
    """The runner's own rows for one case whose one review holds ``evidence``."""
    gold = Gold(case_id="brackenmoor", title="t", kind="strategy", items={})
    case = EvalCase.model_validate(
        {"case_id": "brackenmoor", "path": pdf.parent, "document": pdf, "pdf": pdf, "gold": gold}
    )
    review = Review(
        tool_version="0",
        created_at="2026-01-01T00:00:00+00:00",
        document=DocumentRef(path=str(pdf), sha256="0" * 64, pages=2),
        model=ModelRef(id="scripted", backend="scripted"),
        rubric_version="1",
        corpus_version="1",
        items=[item(*evidence)],
        indicators=[],
    )
    return build_rows([case], {("brackenmoor", 1): review}, 1)


def test_the_pdf_really_has_ligatures_and_a_hyphenated_line_break(pdf: Path) -> None:
    raw = read_raw_pages(pdf)
    assert raw.paginated and sorted(raw.pages) == [1, 2]
    assert "ﬁrst" in raw.pages[1] and "pa-\ntient" in raw.pages[1]


# ---------------------------------------------------------------- the four defects


@pytest.mark.parametrize("quote", DEFECTS)
def test_each_defect_of_section_1_fails_the_recheck_in_the_runner(pdf: Path, quote: str) -> None:
    (row,) = rows_for(pdf, ev(quote))
    assert row.reported == (0, 1)
    assert not row.recheck[0].ok and row.recheck[0].reason


def test_failure_reasons_say_what_is_wrong(pdf: Path) -> None:
    checker = Rechecker.for_file(pdf)
    assert "fragment under 5 words" in checker.check(ev(ELLIPSIS_SKIPS_NOT))
    assert "skips a negation" in checker.check(ev(LONG_ELLIPSIS_SKIPS_NOT))
    assert "'not'" in checker.check(ev(LONG_ELLIPSIS_SKIPS_NOT))
    assert "starts inside the page's word 'uninvolved'" in checker.check(ev(INSIDE_A_WORD))
    reason = checker.check(ev(MODEL_CASE))
    assert "case differs" in reason and "'The board is uninvolved" in reason
    assert "only 4 words" in checker.check(ev(FOUR_WORDS))


def test_a_short_phrase_is_fine_from_retrieval_or_indicators_but_not_from_the_model(
    pdf: Path,
) -> None:
    checker = Rechecker.for_file(pdf)
    assert checker.check(ev(FOUR_WORDS, source="indicator")) == ""
    assert checker.check(ev(FOUR_WORDS, source="retrieval")) == ""
    assert checker.check(ev(FOUR_WORDS, source="model")) != ""


# ---------------------------------------------------------------- what passes


@pytest.mark.parametrize(("quote", "page"), GOOD)
def test_good_quotes_pass_including_ligatures_and_hyphenated_line_breaks(
    pdf: Path, quote: str, page: int
) -> None:
    (row,) = rows_for(pdf, ev(quote, page))
    assert row.reported == (1, 1), row.recheck[0].reason


def test_mixed_item_counts_only_verified_entries_of_every_source(pdf: Path) -> None:
    (row,) = rows_for(
        pdf,
        ev(GOOD[0][0], 1, "model"),
        ev("We will not replace the EPR before 2027.", 1, "indicator"),
        ev("Residents told us in 40 intervi", 2, "retrieval"),  # cut mid-word
        ev(INSIDE_A_WORD, 1, "model", verified=False),  # not shown as verified: not checked
    )
    assert row.reported == (2, 3)
    assert [c.source for c in row.recheck if not c.ok] == ["retrieval"]
    assert "ends inside the page's word 'interviews'" in row.recheck[2].reason


# ---------------------------------------------------------------- pages and ellipses


def test_a_quote_on_another_page_fails_and_says_where_it_is(pdf: Path) -> None:
    reason = Rechecker.for_file(pdf).check(ev(GOOD[3][0], page=1))
    assert "not on the cited page" in reason and "page 2" in reason
    assert Rechecker.for_file(pdf).check(ev(GOOD[0][0], page=7)).startswith("cites page 7")
    assert Rechecker.for_file(pdf).check(ev(GOOD[0][0], page=None)) != ""


def test_ellipsis_fragments_must_be_in_order_and_skip_no_negation() -> None:
    page = page_text(
        "Teams will choose their own tools and will share them openly with others. "
        "Nobody will be forced to use the new portal."
    )
    ok = "Teams will choose their own tools ... will share them openly with others"
    assert check_quote(ok, "model", page) == ""
    backwards = "will share them openly with others ... Teams will choose their own tools"
    assert "not in order" in check_quote(backwards, "model", page)
    skips = "Teams will choose their own tools ... will be forced to use the new portal"
    assert "'Nobody'" in check_quote(skips, "model", page)
    cannot = page_text("Under this plan the trust cannot fund a new record system this year.")
    quote = "Under this plan the trust ... fund a new record system this year"
    assert "skips a negation" in check_quote(quote, "retrieval", cannot)
    nt = page_text("We will publish every plan online and we don't charge for any of the data.")
    quote = "We will publish every plan online ... charge for any of the data"
    assert "skips a negation" in check_quote(quote, "model", nt)


def test_a_bare_or_doubled_ellipsis_is_not_a_quote() -> None:
    page = page_text("We will publish every plan online and we will charge nothing for the data.")
    assert check_quote("...", "model", page) != ""
    assert "ellipsis" in check_quote(
        "We will publish every plan online ... ... charge nothing for the data", "model", page
    )


def test_whole_words_hold_across_a_hyphenated_line_break() -> None:
    page = page_text("The plan sets out our trans-\nformation of patient services this year.")
    assert check_quote("our transformation of patient services this year", "model", page) == ""
    assert check_quote("formation of patient services this year", "model", page) != ""
    assert check_quote("The plan sets out our trans", "retrieval", page) != ""


# ---------------------------------------------------------------- other formats


def test_html_and_markdown_are_read_as_one_page(tmp_path: Path) -> None:
    html = tmp_path / "plan.html"
    html.write_text(
        "<html><head><style>p{}</style></head><body><h1>Plan</h1>"
        "<p>We will <b>not</b> close the contact centre before 2027.</p></body></html>",
        encoding="utf-8",
    )
    checker = Rechecker.for_file(html)
    assert checker.check(ev("We will not close the contact centre before 2027.", 3)) == ""
    assert checker.check(ev("We will ... close the contact centre before 2027", 1)) != ""
    markdown = tmp_path / "plan.md"
    markdown.write_text("# Plan\n\nWe will **not** close the contact centre.\n", encoding="utf-8")
    assert Rechecker.for_file(markdown).check(ev("We will not close the contact centre.")) == ""


# ---------------------------------------------------------------- reporting and independence


def test_failures_reach_the_scorecard_notes_and_recheck_json(pdf: Path, tmp_path: Path) -> None:
    rows = rows_for(pdf, ev(GOOD[0][0]), ev(INSIDE_A_WORD), ev(MODEL_CASE))
    notes = recheck_notes(rows)
    assert len(notes) == 2 and all(n.startswith("re-check failed: brackenmoor") for n in notes)
    assert "not whole words" in notes[0]
    written = json.loads(write_recheck(rows, tmp_path).read_text(encoding="utf-8"))
    assert (written["checked"], written["passed"]) == (3, 1)
    assert written["by_source"] == {"model": {"checked": 3, "failed": 2}}
    assert [f["quote"] for f in written["failures"]] == [INSIDE_A_WORD, MODEL_CASE]


def test_recheck_shares_no_code_with_verify_or_normalise() -> None:
    source = Path(__file__).parent.parent / "pipeline" / "evals" / "recheck.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            imported.add(f"{'.' * node.level}{node.module or ''}")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not any(bad in name for name in imported for bad in ("verify", "normalise", "pdf_text"))
    assert not any(name.startswith("..") and name != "..records" for name in imported)


def test_record_answers_threads_option_keeps_the_backends_own_loading(tmp_path: Path) -> None:
    """--threads must not load llama.cpp behind the backend's back: a model loaded without its
    chat template runs the unguarded path, so the recording would not be what a review gets."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
    import record_answers

    from pipeline.models.llamacpp import LlamaCppModel

    gguf = tmp_path / "not-loaded.gguf"
    gguf.write_bytes(b"GGUF")  # never read: nothing may load it before the first generation
    model = LlamaCppModel(gguf, n_threads=4)
    record_answers.use_threads(model, 1)
    assert model.n_threads == 1
    assert model._llama is None and model._formatter is None


def test_record_answers_wrapper_passes_generations_through_and_keeps_their_text() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
    import record_answers

    from pipeline.models.base import Message
    from pipeline.models.scripted import ScriptedModel

    inner = ScriptedModel(['{"rating": "green"}', "1.0"], model_id="tiny")
    recorder = record_answers.RecordingModel(inner)
    first = recorder.generate([Message("user", "judge this")], schema={"type": "object"})
    assert first.text == '{"rating": "green"}' and recorder.id == "tiny"
    assert recorder.take() == ['{"rating": "green"}'] and recorder.take() == []
    recorder.generate([Message("user", "and this")])
    assert recorder.take() == ["1.0"]


# ---------------------------------------------------------------- word spaces pypdf loses

CONDENSED = [
    [
        "We have a ten-year plan to make Britain a global AI superpower",
        "and we will fix the basics first for every resident of the city",
    ],
    [
        "Every service will be tested with the people who use it before launch",
        "and we will publish what we learn from each test within a month",
    ],
]


@pytest.fixture(scope="module")
def condensed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return draw_condensed_pdf(tmp_path_factory.mktemp("condensed") / "strategy.pdf", CONDENSED)


def verified_by_main_path(pdf: Path, quote: str) -> Evidence:
    """The quote as the pipeline verifies it: its own reading, its own verifier."""
    from pipeline.documents import read_document
    from pipeline.verify import Located, locate_quote

    document = read_document(pdf)
    for chunk in document.chunks:
        found = locate_quote(document, chunk, quote)
        if isinstance(found, Located):
            return ev(found.text, found.page)
    raise AssertionError(f"the main path does not verify {quote!r}")


def test_the_condensed_pdf_really_loses_its_spaces_in_pypdf(condensed: Path) -> None:
    raw = read_raw_pages(condensed).pages
    assert "plantomake" in raw[1].replace(" ", "") and "plan to make" not in raw[1]
    assert "plan to make Britain" in " ".join(read_pdfium_pages(condensed)[1].split())


@pytest.mark.parametrize(("line", "page"), [(CONDENSED[0][0], 1), (CONDENSED[1][1], 2)])
def test_a_quote_verified_on_a_page_pypdf_runs_together_passes_the_recheck(
    condensed: Path, line: str, page: int
) -> None:
    evidence = verified_by_main_path(condensed, line)
    assert evidence.page == page
    assert Rechecker.for_file(condensed, other_readings=False).check(evidence) != ""  # before
    (row,) = rows_for(condensed, evidence)
    assert row.reported == (1, 1), row.recheck[0].reason
    assert row.recheck[0].reading == "pdfium"


def test_ordinary_pages_still_pass_on_pypdf_alone(pdf: Path) -> None:
    (row,) = rows_for(pdf, ev(GOOD[0][0], 1))
    assert row.recheck[0].reading == "pypdf"


@pytest.mark.parametrize(
    ("quote", "page", "reason"),
    [
        ("WE HAVE A TEN-YEAR PLAN TO MAKE BRITAIN", 1, "case differs"),
        ("plan to make Britain", 1, "only 4 words"),
        ("ave a ten-year plan to make Britain a global", 1, "not whole words"),
        ("We have a ten-year plan to make Britain a global", 2, "it is on page 1"),
        ("We have a ten-year plan to make France a global", 1, "not on the cited page"),
    ],
)
def test_the_other_readings_forgive_lost_spaces_and_nothing_else(
    condensed: Path, quote: str, page: int, reason: str
) -> None:
    assert reason in Rechecker.for_file(condensed).check(ev(quote, page))


def test_a_bug_in_the_pipelines_pdfium_repair_does_not_pass_the_recheck(
    condensed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pipeline/pdf_text.py re-reads both pages with PDFium; make it give each page the other's
    text. The main path then verifies page 2's words on page 1, and the re-check, reading
    PDFium itself, must say they are not there."""
    import pipeline.pdf_text as pdf_text

    real = pdf_text.pdfium_texts

    def swapped(path: Path, indices: list[int], password: str | None, count: int) -> dict:
        texts = real(path, indices, password, count)
        return {0: texts[1], 1: texts[0]} if len(texts) == 2 else texts

    monkeypatch.setattr(pdf_text, "pdfium_texts", swapped)
    evidence = verified_by_main_path(condensed, CONDENSED[1][0])
    assert evidence.page == 1  # the pipeline's bug
    reason = Rechecker.for_file(condensed).check(evidence)
    assert "not on the cited page" in reason or "not whole words" in reason, reason


def test_pdfiums_line_end_hyphen_mark_reads_either_way() -> None:
    page = page_text("we will run the digital\ufffe\nstrategy for every team in the region")
    for quote in (
        "run the digitalstrategy for every team",
        "run the digital-strategy for every team",
    ):
        assert check_quote(quote, "model", page) != ""  # U+FFFE is not text until cleaned
    from pipeline.evals.recheck import _pdfium_clean

    cleaned = page_text(_pdfium_clean("we will run the digital\ufffestrategy for every team"))
    assert check_quote("we will run the digitalstrategy for every team", "model", cleaned) == ""
    assert check_quote("we will run the digital-strategy for every team", "model", cleaned) == ""
    assert check_quote("we will run the digital strategy for every team", "model", cleaned) != ""


# ---------------------------------------------------------------- running headers


def test_a_quote_across_a_dropped_running_header_passes_and_a_skipped_line_does_not(
    tmp_path: Path,
) -> None:
    from reportlab.pdfgen import canvas

    bodies = [
        ("Our services", "We will move every form online by the end of next year."),
        ("Our people", "We will train every ward manager in service design this spring."),
        ("Our money", "We will publish what each service costs to run every quarter."),
    ]
    path = tmp_path / "running.pdf"
    canvas_ = canvas.Canvas(str(path), invariant=1)
    for number, (heading, body) in enumerate(bodies, 1):
        lines = [heading, "Brackenmoor Trust | Digital strategy 2025", body, f"Page {number}"]
        for n, line in enumerate(lines):
            canvas_.drawString(60, 760 - 16 * n, line)
        canvas_.showPage()
    canvas_.save()

    evidence = verified_by_main_path(path, "Our people We will train every ward manager")
    assert evidence.page == 2
    (row,) = rows_for(path, evidence)
    assert row.reported == (1, 1), row.recheck[0].reason
    assert row.recheck[0].reading == "pypdf without running lines"
    checker = Rechecker.for_file(path)
    assert checker.check(ev("Our people We will train every ward manager", 3)) != ""
    skipped = "Brackenmoor Trust | Digital strategy 2025 Page 2"  # skips the body line
    assert "not on the cited page" in checker.check(ev(skipped, 2, source="retrieval"))


def test_a_soft_hyphen_joins_a_word_across_a_line_break_but_not_across_a_space() -> None:
    page = page_text("we give intui\u00ad\ntiv help to børne\u00ad og ungepsykiatrien every day")
    assert check_quote("we give intuitiv help to børne og ungepsykiatrien", "model", page) == ""
    assert check_quote("we give intui tiv help to børne", "model", page) != ""
    assert check_quote("help to børneog ungepsykiatrien every day", "model", page) != ""
