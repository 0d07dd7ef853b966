"""Figures in a model's finding that the document does not give are listed for a person to check."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from personas import passages, sentences, serve

from pipeline.figures import figures, unfound_figures
from pipeline.models.openai_compat import OpenAICompatModel
from pipeline.review import ReviewOptions, run_review

sys.path.insert(0, str(ROOT / "scripts"))
import render_pdfs  # noqa: E402

DOC = (
    "The programme costs £4.2 million over three years, from 2025/26 to 2027/28. "
    "We interviewed 86 patients, and 30 per cent of clinic letters are still posted. "
    "Section 14 sets out the risks; the A14 depot moves in Q3."
)


@pytest.mark.parametrize(
    ("finding", "unfound"),
    [
        # the same values written another way are found
        ("It costs £4.2m and £4,200,000 in all, with 30% of letters posted.", []),
        ("It runs 2025-26 to 2027-28 and covers 2026 and 2027.", []),
        ("It heard from 86 patients.", []),
        # invented sums, shares and years are not
        ("It commits £42 million and a 3.5% saving by 2031.", ["£42 million", "3.5%", "2031"]),
        ("It costs £4.2 billion.", ["£4.2 billion"]),
        ("It heard from 68 patients.", ["68"]),
        # a reviewer's own small counts, and places, are not figures to check
        ("It names 3 of its 12 priorities; see page 27 and section 19.", []),
        # each figure once, in the finding's order
        ("It cites £9m, then £9m again, and 77%.", ["£9m", "77%"]),
    ],
)
def test_unfound_figures(finding: str, unfound: list[str]) -> None:
    assert unfound_figures(finding, [DOC]) == unfound


def test_names_and_codes_are_not_figures() -> None:
    assert [value for _, value in figures("NHS111 and the A14 in Q3 of FY24")] == []


def test_the_facts_computed_by_code_count_as_a_source() -> None:
    facts = "Reading ease 61.3; 2 of 7 commitments dated."
    assert unfound_figures("Its reading ease of 61.3 is low.", [DOC]) == ["61.3"]
    assert unfound_figures("Its reading ease of 61.3 is low.", [DOC, facts]) == []


# ---------------------------------------------------------------- through a served model

PAGES = [
    "Larchfield Borough Council\nDigital Plan 2025 to 2028\n\n"
    "The plan costs £3.1 million over three years and is funded from the capital programme. "
    "We interviewed 120 residents about council tax and waste services during 2024. "
    "We will move council tax and bulky waste bookings online by March 2026.",
]


def confabulator(messages: list[dict[str, str]]) -> str:
    """A fluent model that quotes the page exactly, then states a sum and a year the page does
    not give: a finding that would mislead a board if shown unchecked."""
    offered = passages(messages)
    chunk_id, text = offered[0]
    quote = next(s for s in sentences(text) if s.startswith("We interviewed"))
    answer = {
        "evidence": [{"chunk_id": chunk_id, "quote": quote}],
        "finding": "The plan is costed at £3.1 million and commits £12 million of savings by "
        "2030, built on what 120 residents said.",
        "rating": "amber",
        "recommendation": "Show how the savings figure was worked out and who signs it off.",
    }
    return json.dumps(answer)


def test_a_finding_with_invented_figures_is_kept_and_its_figures_flagged(
    corpus_home: Path, tmp_path: Path
) -> None:
    strategy = render_pdfs.render_text_pdf(PAGES, tmp_path / "larchfield.pdf")
    with serve(confabulator) as (url, _):
        model = OpenAICompatModel("persona", url, retries=0)
        review, _ = run_review(strategy, tmp_path / "out", model, ReviewOptions(only=["realistic"]))
    (item,) = review.items
    assert item.confidence == "model"  # the judgement is kept, not thrown away
    assert item.unfound_figures == ["£12 million", "2030"]  # £3.1 million and 120 are the page's
    markdown = (tmp_path / "out" / "review.md").read_text()
    page = (tmp_path / "out" / "review.html").read_text()
    for text in (markdown, page):
        assert "Check the figures: the finding gives £12 million, 2030, not found" in text
    saved = json.loads((tmp_path / "out" / "review.json").read_text())
    assert saved["items"][0]["unfound_figures"] == ["£12 million", "2030"]
