"""Deterministic indicators: exact values on hand-written (fictional) strategy text."""

from __future__ import annotations

import pytest

from pipeline.indicators import compute_indicators, split_sentences, syllables
from pipeline.records import PAGE_SEPARATOR, Chunk, Document, Indicator, Page

IDS_AND_KEYS = {
    "time_horizon": {"start", "end", "years", "review_cycle"},
    "measurable_commitments": {"count", "dated", "quantified", "with_owner"},
    "deprioritisation": {"count"},
    "delivered": {"count"},
    "user_research": {"count", "people", "methods"},
    "emerging_tech": {"emerging", "basics", "ratio"},
    "ownership": {"leadership", "it", "leadership_share"},
    "plan_references": {"own_plans", "system_partners"},
    "length_readability": {
        "pages",
        "words",
        "sentences",
        "avg_sentence_words",
        "flesch_reading_ease",
    },
}


def make_doc(
    texts: list[str],
    title: str = "Digital Strategy",
    labels: list[str] | None = None,
    chunks: list[tuple[int, int]] | None = None,
) -> Document:
    """Pages joined as Document.text joins them; one chunk per page unless spans are given."""
    pages, offset = [], 0
    for i, text in enumerate(texts):
        label = labels[i] if labels else str(i + 1)
        pages.append(Page(page=i + 1, page_label=label, text=text, offset=offset))
        offset += len(text) + len(PAGE_SEPARATOR)
    doc = Document(path="strategy.txt", sha256="0" * 64, title=title, format="text", pages=pages)
    spans = chunks or [(p.offset, p.offset + len(p.text)) for p in pages]
    doc.chunks = [
        Chunk(
            id=f"c{i:03d}",
            index=i,
            page_start=1,
            page_end=len(pages),
            start=start,
            end=end,
            text=doc.text[start:end],
        )
        for i, (start, end) in enumerate(spans)
    ]
    return doc


def indicator(doc: Document, ind_id: str) -> Indicator:
    return next(i for i in compute_indicators(doc) if i.id == ind_id)


def value(texts: list[str], ind_id: str, title: str = "Digital Strategy") -> dict[str, object]:
    return dict(indicator(make_doc(texts, title), ind_id).value)


# ---------------------------------------------------------------- contract


def test_ids_order_and_value_keys_are_the_contract() -> None:
    found = compute_indicators(make_doc(["We will do things."]))
    assert [i.id for i in found] == list(IDS_AND_KEYS)
    for ind in found:
        assert set(ind.value) == IDS_AND_KEYS[ind.id], ind.id
        assert ind.title and ind.summary


# ---------------------------------------------------------------- time horizon


@pytest.mark.parametrize(
    ("title", "texts", "expected"),
    [
        (
            "Digital Strategy",
            ["Our digital strategy 2025–2035 sets our direction."],
            (2025, 2035, 10),
        ),
        ("Digital Strategy", ["This plan covers 2025-28.\nIt is short."], (2025, 2028, 3)),
        ("Digital Strategy", ["It runs from 2025 to 2030."], (2025, 2030, 5)),
        ("Digital Strategy", ["It covers 2024/25 to 2026/27."], (2024, 2027, 3)),
        ("Digital Strategy", ["It runs between 2026 and 2029."], (2026, 2029, 3)),
        ("Digital Strategy", ["It covers April 2025 to March 2028."], (2025, 2028, 3)),
        ("Digital Strategy 2025", ["Over the next ten years we will modernise."], (2025, 2035, 10)),
        ("Digital Strategy 2025", ["By 2035 every patient will book online."], (2025, 2035, 10)),
        ("Digital Strategy", ["This is our 5-year digital strategy."], (None, None, 5)),
        ("Digital Strategy", ["By 2030 we will be paperless."], (None, 2030, None)),
        # the title's range wins over a range later in the body
        (
            "Digital Strategy 2025-2028",
            ["Intro.", "Intro.", "Estates runs 2020-2040."],
            (2025, 2028, 3),
        ),
        # a range on the first pages wins over a relative phrase
        ("Strategy", ["Covering 2026 to 2029.", "Over the next ten years, more."], (2026, 2029, 3)),
        # an ISO date is not a range
        ("Digital Strategy", ["Approved on 2025-03-01 by the board."], (None, None, None)),
    ],
)
def test_time_horizon_formats(
    title: str, texts: list[str], expected: tuple[int | None, int | None, int | None]
) -> None:
    v = value(texts, "time_horizon", title)
    assert (v["start"], v["end"], v["years"]) == expected


def test_time_horizon_summary_and_evidence() -> None:
    doc = make_doc(["Our Digital Strategy 2025–2035\n\nWe will review this strategy annually."])
    ind = indicator(doc, "time_horizon")
    assert ind.value["review_cycle"] is True
    assert ind.summary == "The strategy spans 2025–2035 (10 years); a regular review is stated."
    assert [e.quote for e in ind.evidence] == [
        "Our Digital Strategy 2025–2035",
        "We will review this strategy annually.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We will review this strategy annually.", True),
        ("The roadmap will be refreshed every six months.", True),
        ("This is a living document.", True),
        ("We reviewed 20 suppliers last year.", False),
        ("Our device refresh plan replaces laptops every four years.", False),
    ],
)
def test_review_cycle(text: str, expected: bool) -> None:
    assert value([text], "time_horizon")["review_cycle"] is expected


def test_no_review_cycle_is_said() -> None:
    ind = indicator(make_doc(["Digital Strategy 2025-2028."]), "time_horizon")
    assert ind.summary == "The strategy spans 2025-2028 (3 years); no review cycle is stated."


# ---------------------------------------------------------------- commitments

COMMITMENTS = """1. By March 2026 we will move 80% of outpatient letters to the app, led by
the Chief Nursing Information Officer.
2. We will cut average login time to 10 seconds by Q3 2026/27.
3. We will launch the new patient portal in 2026.
4. We will reduce paper use by half.
5. We will be more digital.
6. Our Head of Digital Services will ensure 95% of staff finish cyber training by December 2025.
7. We will start Phase 2 of the EPR programme in 2027.
The hospital has 900 beds."""


def test_measurable_commitments_counts() -> None:
    # dated: 1, 2, 3, 6, 7; quantified: 1, 2, 4, 6 ("half"; not "Phase 2", not years)
    # both: 1, 2, 6; with an owner: 1 (Chief ... Officer), 6 (Head of ...)
    assert value([COMMITMENTS], "measurable_commitments") == {
        "count": 3,
        "dated": 5,
        "quantified": 4,
        "with_owner": 2,
    }


def test_measurable_commitments_evidence_puts_owned_first() -> None:
    ind = indicator(make_doc([COMMITMENTS]), "measurable_commitments")
    assert ind.summary == "3 of 7 commitments are dated and measurable; 2 of those name an owner."
    assert ind.evidence[0].quote.startswith("1. By March 2026")
    assert ind.evidence[1].quote.startswith("6. Our Head of Digital Services")
    assert ind.evidence[2].quote.startswith("2. We will cut")


def test_commitment_without_owner_or_date() -> None:
    v = value(
        ["We will cut waiting times by 20%. The digital team will help."], "measurable_commitments"
    )
    assert v == {"count": 0, "dated": 0, "quantified": 1, "with_owner": 0}


# ---------------------------------------------------------------- de-prioritisation, delivered

DEPRIORITISE = """We will not build our own EPR. We won’t pursue blockchain this year.
Virtual reality is not a priority. We are stopping the intranet rebuild.
We have decided not to renew the fax contract. The app project is paused.
Robotics is out of scope. We will stop printing rotas.
We will not only improve care but also save money. Cars will stop at the barrier."""


def test_deprioritisation_count() -> None:
    ind = indicator(make_doc([DEPRIORITISE]), "deprioritisation")
    assert ind.value == {"count": 8}
    assert len(ind.evidence) == 5
    assert all("not only" not in e.quote for e in ind.evidence)


def test_delivered_count() -> None:
    text = (
        "Since 2019 we have replaced 3,000 laptops. The new EPR went live in May 2024. "
        "Last year we launched the patient app. We have already rolled out Wi-Fi to every ward. "
        "We will have delivered the portal by 2027. We will launch a new intranet."
    )
    assert value([text], "delivered") == {"count": 4}


# ---------------------------------------------------------------- user research

RESEARCH = """We interviewed 42 patients and surveyed 1,200 local residents.
Those 42 patients also joined usability testing sessions.
We ran 12 workshops with staff.
In the 2024 survey, 300 staff responded.
In 2025 patients told us in interviews that letters arrive late.
We employ 6,000 staff across 3 sites."""


def test_user_research_people_and_methods() -> None:
    # 42 + 1,200 + 300: the repeated "42 patients" counts once, "12 workshops" is not people,
    # "2024 survey" and "In 2025 patients" are years, "6,000 staff" is not research.
    assert value([RESEARCH], "user_research") == {
        "count": 5,
        "people": 1542,
        "methods": ["interviews", "surveys", "usability testing", "workshops"],
    }


def test_survey_responses_and_observation_count() -> None:
    text = (
        "We received 1,350 responses to a staff survey. We spent 30 hours observing work "
        "on wards. Every new service will be tested with people who have low digital confidence."
    )
    assert value([text], "user_research") == {
        "count": 3,
        "people": 1350,
        "methods": ["surveys", "usability testing", "observation"],
    }


def test_user_research_summary() -> None:
    ind = indicator(make_doc([RESEARCH]), "user_research")
    assert ind.summary == (
        "5 sentences describe user research (interviews, surveys, usability testing, "
        "workshops), involving 1,542 people."
    )


# ---------------------------------------------------------------- emerging tech, ownership


def test_ai_is_a_case_sensitive_whole_word() -> None:
    text = (
        "The PAID invoice, he said, was for AIDS and maintenance. Our chair is Aisha. "
        "Our guest was the artist Ai Weiwei."
    )
    assert value([text], "emerging_tech") == {"emerging": 0, "basics": 0, "ratio": 0.0}


def test_emerging_against_basics() -> None:
    text = (
        "We will trial AI-enabled triage. Artificial intelligence (AI) could help. "
        "Machine learning and blockchain wait. "
        "We will fix the Wi-Fi, replace 500 laptops and upgrade our network. "
        "The Primary Care Network is a partner."
    )
    # AI, artificial intelligence (AI) once, machine learning, blockchain = 4;
    # Wi-Fi, laptops, network = 3 ("Primary Care Network" is a partnership, not a network)
    assert value([text], "emerging_tech") == {"emerging": 4, "basics": 3, "ratio": 0.57}


def test_leadership_share() -> None:
    text = (
        "The Chief Executive is the senior responsible owner (SRO). The board will review "
        "progress. The IT department and the technology team will support. It services "
        "nothing else."
    )
    assert value([text], "ownership") == {"leadership": 3, "it": 2, "leadership_share": 0.6}


def test_leadership_vocabulary_of_councils_and_departments() -> None:
    text = (
        "The Permanent Secretary owns this plan and the Executive Committee reviews it. "
        "The Cabinet and elected members agreed it. The ICT team supports it."
    )
    assert value([text], "ownership") == {"leadership": 4, "it": 1, "leadership_share": 0.8}


def test_plan_references() -> None:
    text = (
        "This supports our clinical strategy and the corporate plan. "
        "We work with the integrated care board (ICB), the local authority and GP practices."
    )
    assert value([text], "plan_references") == {"own_plans": 2, "system_partners": 3}


# ---------------------------------------------------------------- length and readability


def test_syllable_heuristic() -> None:
    assert [syllables(w) for w in ("cat", "strategy", "digital", "table", "make", "2025")] == [
        1,
        3,
        3,
        2,
        1,
        1,
    ]


def test_length_readability_values() -> None:
    ind = indicator(make_doc(["The cat sat on the mat. It was a\ngood day."]), "length_readability")
    # 11 one-syllable words in 2 sentences: 206.835 - 1.015 * 5.5 - 84.6 * 1 = 116.65
    assert ind.value == {
        "pages": 1,
        "words": 11,
        "sentences": 2,
        "avg_sentence_words": 5.5,
        "flesch_reading_ease": 116.7,
    }


# ---------------------------------------------------------------- sentences and evidence


def test_sentences_do_not_cross_pages_and_keep_newlines() -> None:
    page1 = "Intro text. We will not, whatever the pressure this year, buy"
    page2 = "a new EPR. We will not\nbuy a new PAS."
    doc = make_doc([page1, page2])
    assert [(s.page.page, s.flat) for s in split_sentences(doc)] == [
        (1, "Intro text."),
        (1, "We will not, whatever the pressure this year, buy"),
        (2, "a new EPR."),
        (2, "We will not buy a new PAS."),
    ]
    quotes = [(e.page, e.quote) for e in indicator(doc, "deprioritisation").evidence]
    assert quotes == [
        (1, "We will not, whatever the pressure this year, buy"),
        (2, "We will not\nbuy a new PAS."),
    ]


def test_numbered_lines_and_abbreviations_split_correctly() -> None:
    text = "Contents\n• 1. Our plan\n• 2. What we stop\n\nWe met Dr. Patel, e.g. at home. Done."
    assert [s.flat for s in split_sentences(make_doc([text]))] == [
        "Contents",
        "• 1. Our plan",
        "• 2. What we stop",
        "We met Dr. Patel, e.g. at home.",
        "Done.",
    ]


def test_list_items_under_a_lead_in_are_counted() -> None:
    texts = [
        "What we have delivered since 2022\n\n- A virtual ward for 2,300 people.\n"
        "- Online booking for 11 specialties.\n\nSince 2021 we have delivered:\n"
        "• 3,100 new laptops.\n• A new telephone system.\n• E-rostering for all nurses\n\n"
        "What we will not do\n\n- Build our own EPR.\n- Replace the finance system.\n\n"
        "We will not buy new phones.\n- This unrelated bullet is not counted."
    ]
    # two items under a heading, three under a lead-in ending with a colon
    assert value(texts, "delivered") == {"count": 5}
    # two items under a heading; a full-stop sentence does not claim the list after it
    ind = indicator(make_doc(texts), "deprioritisation")
    assert ind.value == {"count": 3}
    assert [e.quote for e in ind.evidence] == [
        "- Build our own EPR.",
        "- Replace the finance system.",
        "We will not buy new phones.",
    ]


def test_numbered_heading_merged_with_lead_in_as_pdfs_give_it() -> None:
    text = (
        "Page 3\n3. What we have already delivered\nSince 2021 we have delivered a great deal:\n"
        " • Our EPR at all three sites.\n• 2,400 new laptops.\nToday we run 212 systems."
    )
    assert value([text], "delivered") == {"count": 2}


def test_headings_and_contents_entries_are_not_counted() -> None:
    texts = [
        "Contents\n• 2. Our user research\n• 3. What we have already delivered\n"
        "• 4. What we will not do\n• 5. Our targets for 2027",
        "3. What we have already delivered\n\nWe have launched the patient app.\n\n"
        "What we will not do\n\n• We will not build our own EPR\n\n"
        "5. Our targets for 2027\n\nWe will halve waits by 2027.",
    ]
    # the contents entries and the headings are skipped; an unpunctuated bullet still counts
    assert value(texts, "delivered") == {"count": 1}
    assert value(texts, "deprioritisation") == {"count": 1}
    assert value(texts, "user_research") == {"count": 0, "people": 0, "methods": []}
    commitments = value(texts, "measurable_commitments")
    assert (commitments["count"], commitments["dated"]) == (1, 1)


def test_evidence_is_verbatim_with_page_label_and_chunk() -> None:
    page1 = "Foreword by the chair.\n\nWe will not build\nour own apps."
    page2 = "Our approach.\n\nWe have decided not to\nrenew the fax contract. Work is paused."
    start2 = len(page1) + len(PAGE_SEPARATOR)
    split = start2 + page2.index("Work")
    chunks = [(0, len(page1)), (start2, split), (split, start2 + len(page2))]
    doc = make_doc([page1, page2], labels=["iv", "12"], chunks=chunks)
    evidence = indicator(doc, "deprioritisation").evidence
    assert [(e.page, e.page_label, e.chunk_id) for e in evidence] == [
        (1, "iv", "c000"),
        (2, "12", "c001"),
        (2, "12", "c002"),
    ]
    for e in evidence:
        assert e.page is not None and e.quote in doc.page(e.page).text
        assert e.verified is True and e.source == "indicator"
        chunk = doc.chunk(e.chunk_id or "")
        assert chunk is not None and e.quote in chunk.text
    assert evidence[1].quote == "We have decided not to\nrenew the fax contract."


def test_long_sentence_is_trimmed_but_verbatim() -> None:
    sentence = (
        "Across the organisation, "
        + "with care and attention to detail, " * 10
        + "we will not replace the\nfinance system"
        + ", because it works well for staff" * 8
        + "."
    )
    text = "Header\n\n" + sentence
    doc = make_doc([text], chunks=[(0, 50), (50, len(text))])
    (ev,) = indicator(doc, "deprioritisation").evidence
    assert len(sentence) > 400 and len(ev.quote) <= 300
    assert ev.quote in text and "we will not replace the\nfinance system" in ev.quote
    assert ev.quote == ev.quote.strip()
    assert ev.chunk_id == "c001"


def test_no_chunks_gives_no_chunk_id() -> None:
    doc = make_doc(["We will not build apps."])
    doc.chunks = []
    assert indicator(doc, "deprioritisation").evidence[0].chunk_id is None


# ---------------------------------------------------------------- nothing relevant

NOTHING = ["The weather was pleasant.\nBirds sang in the park.", "Tea was served at noon."]


def test_nothing_relevant_gives_zeros_and_none() -> None:
    values = {i.id: i.value for i in compute_indicators(make_doc(NOTHING))}
    assert values["time_horizon"] == {
        "start": None,
        "end": None,
        "years": None,
        "review_cycle": False,
    }
    assert values["measurable_commitments"] == {
        "count": 0,
        "dated": 0,
        "quantified": 0,
        "with_owner": 0,
    }
    assert values["deprioritisation"] == {"count": 0}
    assert values["delivered"] == {"count": 0}
    assert values["user_research"] == {"count": 0, "people": 0, "methods": []}
    assert values["emerging_tech"] == {"emerging": 0, "basics": 0, "ratio": 0.0}
    assert values["ownership"] == {"leadership": 0, "it": 0, "leadership_share": None}
    assert values["plan_references"] == {"own_plans": 0, "system_partners": 0}
    assert values["length_readability"]["pages"] == 2
    assert values["length_readability"]["sentences"] == 3


def test_nothing_relevant_summaries_say_so() -> None:
    for ind in compute_indicators(make_doc(NOTHING))[:-1]:
        assert ind.evidence == [], ind.id
        assert ind.summary.startswith("No "), (ind.id, ind.summary)
    assert indicator(make_doc(NOTHING), "deprioritisation").summary == (
        "No explicit de-prioritisation found."
    )


def test_empty_document() -> None:
    ind = indicator(make_doc([""]), "length_readability")
    assert ind.value == {
        "pages": 1,
        "words": 0,
        "sentences": 0,
        "avg_sentence_words": 0.0,
        "flesch_reading_ease": None,
    }
    assert "no readable text" in ind.summary
