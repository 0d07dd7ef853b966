"""The rules baseline's words: item-specific summaries, recommendations that follow from the
rating, evidence without page furniture, and no summary that its own evidence contradicts.

The test documents are fictional and written for these tests."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest
from chunked_docs import bm25_hits as hits_for

from pipeline import rules
from pipeline.contradiction import REVIEWED, contradicting
from pipeline.doc_kind import is_digital_strategy
from pipeline.documents import read_document
from pipeline.indicators import compute_indicators
from pipeline.passages import is_bare_heading, is_contents_line, sentences
from pipeline.records import PAGE_SEPARATOR, Chunk, Document, Evidence, ExemplarRef, Indicator, Page
from pipeline.retrieval import Retrieved, _matched
from pipeline.rubric import RubricItem, Signal, load_rubric

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "evals" / "cases").glob("*/strategy.pdf"))
RUNNING_HEAD = "Fenwick Digital Plan | Serving the corporate plan"

FENWICK = [
    "Fenwick Borough Council\nDigital Plan 2025–2035\nOwned by the Chief Executive and the "
    "Cabinet.",
    "Contents\n• 1. How this plan serves the corporate plan ...... 3\n"
    "• 2. What residents told us about online services ...... 4\n"
    "• 3. What we will not do this decade ...... 5",
    f"{RUNNING_HEAD}\n1. How this plan serves the corporate plan\n"
    "This digital plan exists to deliver the Council Plan 2025–2029 and its three objectives. "
    "Each project names the corporate plan objective it serves, and the business plan for each "
    "service sets out the digital work it needs. We work with the integrated care board and "
    "local authority partners on a shared care record.",
    f"{RUNNING_HEAD}\n2. What residents told us about online services\n"
    "In spring 2025 we interviewed 36 residents and ran a survey that 800 people answered. "
    "Residents told us that paying for services online takes too long. Staff told us that they "
    "sign in to too many systems every day, and that the Wi-Fi in the depot drops out.",
    f"{RUNNING_HEAD}\n3. What we will not do this decade\n"
    "We will not build a council app this year. We will stop running our own data centre by "
    "2027. We will not replace the housing system before 2028.\n"
    "By March 2026, 90% of payments will be made online (owner: Director of Resources). "
    "By March 2027, 75% of staff will use one log-in (owner: Chief Operating Officer).\n"
    "The plan will be refreshed in 2030, halfway through the decade.",
    f"{RUNNING_HEAD}\nOur libraries will keep their public computers, and volunteers will help "
    "people who have never been online.",
]
FENWICK_LABELS = ["i", "ii", "1", "2", "3", "4"]

LEISURE = [
    "Harbourside Leisure Centre\nOpening hours and booking rules\nIssued by the centre manager, "
    "April 2025. Next review: April 2026.",
    "The pool opens at 6.30am on weekdays and 8am at weekends. Swimming lessons for children "
    "run on Saturday mornings in blocks of ten weeks. Members may book the sports hall up to "
    "seven days ahead, and guests up to two days ahead.",
    "Lockers take a one pound coin, which is returned. Lost property is kept for thirty days. "
    "Groups of more than twelve people must book the party room in person at reception. The "
    "café serves hot food until 7pm and cold food until closing.",
]


def make_doc(texts: list[str], labels: list[str] | None = None, title: str = "") -> Document:
    """One chunk per page, pages joined as Document.text joins them."""
    pages, offset = [], 0
    for i, text in enumerate(texts):
        label = labels[i] if labels else str(i + 1)
        pages.append(Page(page=i + 1, page_label=label, text=text, offset=offset))
        offset += len(text) + len(PAGE_SEPARATOR)
    doc = Document(path="doc.txt", sha256="0" * 64, title=title, format="text", pages=pages)
    doc.chunks = [
        Chunk(
            id=f"c{p.page - 1:03d}-p{p.page}",
            index=p.page - 1,
            page_start=p.page,
            page_end=p.page,
            start=p.offset,
            end=p.offset + len(p.text),
            text=p.text,
        )
        for p in pages
    ]
    return doc


def all_chunks(doc: Document, item: RubricItem) -> list[Retrieved]:
    return [
        Retrieved(chunk=c, score=1.0, matched_terms=_matched(c.text, item.keywords))
        for c in doc.chunks
    ]


def judge_all(doc: Document) -> dict[str, rules.RuleJudgement]:
    indicators = {i.id: i for i in compute_indicators(doc)}
    return {
        item.id: rules.judge(item, doc, indicators, hits_for(doc, item))
        for item in load_rubric().items
    }


@pytest.fixture(scope="module")
def fenwick() -> Document:
    return make_doc(FENWICK, FENWICK_LABELS, "Fenwick Borough Council Digital Plan 2025–2035")


@pytest.fixture(scope="module")
def fenwick_judged(fenwick: Document) -> dict[str, rules.RuleJudgement]:
    return judge_all(fenwick)


# ---------------------------------------------------------------- summaries


def test_items_sharing_an_indicator_get_different_summaries(
    fenwick_judged: dict[str, rules.RuleJudgement],
) -> None:
    by_indicator: dict[str, list[str]] = {}
    for item in load_rubric().items:
        for signal in item.signals:
            by_indicator.setdefault(signal.indicator, []).append(item.id)
    shared = {k: v for k, v in by_indicator.items() if len(set(v)) > 1}
    assert shared, "the rubric has items that share an indicator"
    for ids in shared.values():
        for a, b in combinations(sorted(set(ids)), 2):
            assert fenwick_judged[a].summary != fenwick_judged[b].summary, (a, b)


def test_summary_says_what_the_finding_means_for_the_item(
    fenwick_judged: dict[str, rules.RuleJudgement],
) -> None:
    long_term = fenwick_judged["too_long_term"]
    assert long_term.rating == "red"
    assert "2025–2035 (10 years)" in long_term.summary
    assert "warning sign" in long_term.summary
    assert "2026" in long_term.summary  # the first dated milestone, from the document
    focused = fenwick_judged["focused"]
    assert focused.rating == "green"
    assert re.search(r"names 3 things it will not do.*\(p\. 3\).*focus", focused.summary)
    wish = fenwick_judged["wish_list"].summary
    assert "wish list" in wish and wish != focused.summary


def test_unknown_indicator_falls_back_to_its_own_summary(fenwick: Document) -> None:
    item = (
        load_rubric()
        .item("q02_mission")
        .model_copy(
            update={"signals": [Signal(indicator="made_up", field="found", green=1, red=1)]}
        )
    )
    made_up = Indicator(
        id="made_up", title="Made up", value={"found": 1}, summary="One mission line found."
    )
    judged = rules.judge(item, fenwick, {"made_up": made_up}, hits_for(fenwick, item))
    assert judged.rating == "green"
    assert judged.summary.startswith("One mission line found")
    assert "one line staff can repeat" in judged.summary


# ---------------------------------------------------------------- recommendations


def test_recommendations_follow_from_rating_not_the_look_for_line(
    fenwick_judged: dict[str, rules.RuleJudgement],
) -> None:
    rubric = load_rubric()
    for item_id, judged in fenwick_judged.items():
        (advice,) = judged.recommendations
        assert rubric.item(item_id).look_for[0] not in advice, item_id
        if judged.rating == "green":
            assert "make this explicit" not in advice.lower(), item_id
    long_term = fenwick_judged["too_long_term"].recommendations[0]
    assert "years the strategy spans" not in long_term
    assert re.search(r"between 20\d\d and 2035|milestone", long_term)


def test_recommendation_points_at_an_exemplary_note_not_a_cautionary_one(
    fenwick: Document,
) -> None:
    item = load_rubric().item("wish_list")
    exemplars = [
        ExemplarRef(
            source_id=source, title=title, organisation=f"{source} Borough", page=section,
            url="https://example.org", passage="A note.", kind="note", stance=stance,
        )
        for source, title, section, stance in (
            ("bad", "Everything Everywhere Plan", None, "cautionary"),
            ("good", "Phased Digital Plan", "Phasing", "exemplary"),
        )
    ]  # fmt: skip
    indicators = {i.id: i for i in compute_indicators(fenwick)}
    indicators["deprioritisation"] = indicators["deprioritisation"].model_copy(
        update={"value": {"count": 0}, "evidence": []}
    )
    judged = rules.judge(item, fenwick, indicators, hits_for(fenwick, item), exemplars)
    (advice,) = judged.recommendations
    assert judged.rating == "red"
    assert "Phased Digital Plan" in advice and "Phasing" in advice
    assert "Everything Everywhere" not in advice


def test_a_document_that_is_not_a_strategy_gets_advice_for_that() -> None:
    leisure = make_doc(LEISURE, title="Harbourside Leisure Centre opening hours")
    assert not is_digital_strategy(leisure)
    for item_id, judged in judge_all(leisure).items():
        assert judged.rating == "insufficient_evidence", item_id
        (advice,) = judged.recommendations
        assert advice.startswith("This document does not read as a digital strategy"), item_id
        assert "does not read as a digital strategy" in judged.summary


@pytest.mark.parametrize("case", CASES, ids=[c.parent.name for c in CASES])
def test_eval_documents_are_told_apart_from_non_strategies(case: Path) -> None:
    expected = "not_a_strategy" not in case.parent.name
    assert is_digital_strategy(read_document(case)) is expected


# ---------------------------------------------------------------- evidence


def _furniture(quote: str) -> bool:
    flat = " ".join(quote.split())
    return (
        is_contents_line(flat)
        or RUNNING_HEAD in quote
        or is_bare_heading(flat)
        or flat.startswith(("1. How", "2. What", "3. What"))
    )


def test_contents_lines_running_heads_and_headings_are_not_evidence(fenwick: Document) -> None:
    indicators = {i.id: i for i in compute_indicators(fenwick)}
    for item in load_rubric().items:
        judged = rules.judge(item, fenwick, indicators, all_chunks(fenwick, item))
        shown = [e.quote for e in judged.evidence]
        assert not [q for q in shown if _furniture(q)], item.id


def test_evidence_is_ranked_by_relevance() -> None:
    doc = make_doc(
        [
            "Digital Plan 2025–2028\nOur priorities are agreed with the cabinet every spring.",
            "We will not build a council app, and we will stop printing forms, so that we can "
            "focus on the priorities that matter to residents.",
        ],
        title="Digital Plan 2025–2028",
    )
    item = load_rubric().item("focused")
    indicators = {i.id: i for i in compute_indicators(doc)}
    judged = rules.judge(item, doc, indicators, all_chunks(doc, item))  # weak page first
    assert [e.page for e in judged.evidence][:2] == [2, 1]
    assert judged.evidence[0].quote.startswith("We will not build a council app")


def test_contents_line_and_sentence_splitting() -> None:
    assert is_contents_line("• 2. What residents told us ...... 4")
    assert is_contents_line("Our design principles 12")
    assert not is_contents_line("We employ 9,800 staff across 3 sites.")
    assert not is_contents_line("Our approach to civil contingencies")
    assert is_bare_heading("4. Our design principles")
    assert not is_bare_heading("• Chatbots for every patient enquiry")
    text = "Our principles\nWe will test with users\nearly and often. Dr. Lee agrees.\n• 1. Next"
    assert [text[a:b] for a, b in sentences(text)] == [
        "Our principles",
        "We will test with users\nearly and often.",
        "Dr. Lee agrees.",
        "• 1. Next",
    ]


# ---------------------------------------------------------------- no self-contradiction


def test_no_review_cycle_claim_beside_a_quote_that_plans_a_refresh(fenwick: Document) -> None:
    """The old rules said "no review cycle is stated" beside "will be refreshed in 2030"."""
    item = load_rubric().item("too_long_term")
    indicators = {i.id: i for i in compute_indicators(fenwick)}
    horizon = indicators["time_horizon"]
    indicators["time_horizon"] = horizon.model_copy(
        update={
            "value": {**horizon.value, "review_cycle": False},
            "summary": "The strategy spans 2025–2035 (10 years); no review cycle is stated.",
        }
    )
    judged = rules.judge(item, fenwick, indicators, all_chunks(fenwick, item))
    refresh = [e for e in judged.evidence if REVIEWED.search(" ".join(e.quote.split()))]
    assert refresh, "the refresh sentence is shown as evidence"
    if re.search(r"no (?:regular )?review cycle", judged.summary, re.I):
        for e in refresh:
            assert f"p. {e.page_label}" in judged.summary  # the summary points at it
    assert "refresh" in judged.summary


# Absence claims the wording can make -> (indicator id, value key) that would count X.
ABSENCE_CLAIMS = {
    r"no (?:regular )?review cycle": ("time_horizon", "review_cycle"),
    r"names nothing it will not do|nothing is ruled out|never says what is not": (
        "deprioritisation",
        "count",
    ),
    r"describes no user research": ("user_research", "count"),
    r"cites nothing already delivered": ("delivered", "count"),
    r"does not refer to the organisation's own": ("plan_references", "own_plans"),
    r"names no system partners": ("plan_references", "system_partners"),
    r"no commitment that is both dated|no dated, measurable": ("measurable_commitments", "count"),
    r"sets out no design or delivery principles": ("design_principles", "count"),
    r"states no mission": ("mission", "statements"),
    r"gives no baseline": ("services_baseline", "count"),
    r"sets out no changes to governance": ("org_change", "count"),
    r"names no risks": ("risks", "count"),
}


def _counts(quote: str, indicator: str, key: str) -> bool:
    """Does the indicator count ``quote`` alone as an instance of X?"""
    doc = make_doc([quote], title="Digital Strategy")
    found = next(i for i in compute_indicators(doc) if i.id == indicator)
    return bool(found.value.get(key)) if isinstance(found.value, dict) else False


def _check_absences(judged: rules.RuleJudgement, label: str) -> None:
    for claim, (indicator, key) in ABSENCE_CLAIMS.items():
        if not re.search(claim, judged.summary, re.I):
            continue
        for e in judged.evidence:
            assert not _counts(e.quote, indicator, key), (label, claim, e.quote)
    assert not contradicting(judged.summary, judged.evidence), (label, judged.summary)


@pytest.mark.parametrize("case", CASES, ids=[c.parent.name for c in CASES])
def test_no_summary_asserts_an_absence_its_evidence_contradicts(case: Path) -> None:
    doc = read_document(case)
    for item_id, judged in judge_all(doc).items():
        _check_absences(judged, f"{case.parent.name}/{item_id}")


def test_absence_check_catches_a_contradiction() -> None:
    quote = Evidence(quote="We will stop printing payslips in 2026.", page=2, page_label="2")
    assert contradicting("It names nothing it will not do, stop or pause.", [quote])
    assert not contradicting("It names nothing it will not do (p. 2 aside).", [quote])


# ---------------------------------------------------------------- section labels


def test_section_labels_are_not_called_pages() -> None:
    from pipeline.wording import cite_pages

    assert cite_pages(["§3"]) == "§3"
    assert cite_pages(["§6", "§4"]) == "§6, §4"
    assert cite_pages(["3", "4"]) == "pp. 3, 4"
    assert cite_pages(["ii"]) == "p. ii"


def test_a_markdown_strategy_summary_cites_sections_without_p(tmp_path: Path) -> None:
    source = tmp_path / "plan.md"
    source.write_text(
        "# Tarnby Council Digital Plan 2025 to 2028\n\n## Risks\n\nThe main risk is supplier "
        "delay; we mitigate it with a fall-back contract.\n\n## Money\n\nThe plan costs £2 "
        "million, funded from the capital programme. We will train 40 staff as champions.\n"
    )
    doc = read_document(source)
    chunks = make_doc([p.text for p in doc.pages]).chunks
    judged = judge_all(doc.model_copy(update={"chunks": chunks}))
    text = " ".join(j.summary for j in judged.values())
    assert "§" in text
    assert not re.search(r"\bpp?\. §", text), text


def test_a_vision_of_praise_is_said_to_be_generic() -> None:
    doc = make_doc(
        [
            "Tarnby Council Digital Strategy 2025 to 2028\nOur vision is a world-class, "
            "cutting-edge and truly digital council. We will replace the website by 2026 and "
            "move 60% of payments online by 2027."
        ]
    )
    judged = judge_all(doc)["q02_mission"]
    assert judged.rating == "amber"
    assert "generic superlatives" in judged.summary
    assert "praise is not a mission" in judged.summary
