"""Deterministic indicators: exact values on hand-written (fictional) strategy text."""

from __future__ import annotations

import pytest

from pipeline.indicators import compute_indicators, split_sentences, syllables
from pipeline.indicators.specificity import mainstream_score
from pipeline.records import PAGE_SEPARATOR, Chunk, Document, Indicator, Page
from pipeline.rubric import load_rubric
from pipeline.rules import indicator_rating

IDS_AND_KEYS = {
    "time_horizon": {"start", "end", "years", "review_cycle"},
    "measurable_commitments": {"count", "dated", "quantified", "with_owner"},
    "deprioritisation": {"count"},
    "delivered": {"count"},
    "user_research": {"count", "people", "methods"},
    "emerging_tech": {"emerging", "basics", "ratio", "about_digital"},
    "ownership": {"leadership", "it", "leadership_share", "owner", "owner_kind"},
    "plan_references": {"own_plans", "system_partners"},
    "length_readability": {
        "pages",
        "words",
        "sentences",
        "avg_sentence_words",
        "flesch_reading_ease",
    },
    "mainstream": {"score", "everyday_statements", "flesch_reading_ease", "buzzwords"},
    "design_principles": {"count", "listed", "standards"},
    "local_specifics": {"named", "numbers", "buzzwords", "buzzwords_per_1000", "specific_share"},
    "mission": {"statements", "shortest_words", "generic", "score"},
    "services_baseline": {"count"},
    "org_change": {"count", "areas", "governance", "funding", "skills"},
    "risks": {"count", "mitigated"},
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
    assert ind.summary == (
        "The strategy spans 2025–2035 (10 years); a review of the strategy is stated."
    )
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
        ("It runs to 2029 and the Cabinet Member for Resources reviews it every October.", True),
        ("The team reviews it with suppliers.", False),
        ("We will update this year's laptop estate.", False),
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
    assert value([text], "emerging_tech") == {
        "emerging": 0,
        "basics": 0,
        "ratio": None,
        "about_digital": False,
    }


def test_emerging_against_basics() -> None:
    text = (
        "We will trial AI-enabled triage. Artificial intelligence (AI) could help. "
        "Machine learning and blockchain wait. "
        "We will fix the Wi-Fi, replace 500 laptops and upgrade our network. "
        "The Primary Care Network is a partner."
    )
    # AI, artificial intelligence (AI) once, machine learning, blockchain = 4;
    # Wi-Fi, laptops, network = 3 ("Primary Care Network" is a partnership, not a network)
    assert value([text], "emerging_tech") == {
        "emerging": 4,
        "basics": 3,
        "ratio": 0.57,
        "about_digital": True,
    }


def test_leadership_share() -> None:
    text = (
        "The Chief Executive is the senior responsible owner (SRO). The board will review "
        "progress. The IT department and the technology team will support. It services "
        "nothing else."
    )
    # read from the one sentence that says who owns it; the SRO title alone is neither side
    assert value([text], "ownership") == {
        "leadership": 1,
        "it": 0,
        "leadership_share": 1.0,
        "owner": "Chief Executive",
        "owner_kind": "executive",
    }


def test_leadership_vocabulary_of_councils_and_departments() -> None:
    text = (
        "The Permanent Secretary owns this plan and the Executive Committee reviews it. "
        "The Cabinet and elected members agreed it. The ICT team supports it."
    )
    assert value([text], "ownership") == {
        "leadership": 2,
        "it": 0,
        "leadership_share": 1.0,
        "owner": "Permanent Secretary",
        "owner_kind": "executive",
    }


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
    assert values["emerging_tech"] == {
        "emerging": 0,
        "basics": 0,
        "ratio": None,
        "about_digital": False,
    }
    assert values["ownership"] == {
        "leadership": 0,
        "it": 0,
        "leadership_share": None,
        "owner": None,
        "owner_kind": "unknown",
    }
    assert values["plan_references"] == {"own_plans": 0, "system_partners": 0}
    assert values["length_readability"]["pages"] == 2
    assert values["length_readability"]["sentences"] == 3


def test_nothing_relevant_summaries_say_so() -> None:
    for ind in compute_indicators(make_doc(NOTHING)):
        if ind.id in ("length_readability", "mainstream"):
            continue
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


# ---------------------------------------------------------------- issue 8: defects that generalise


def rating(texts: list[str], item_id: str, title: str = "Digital Strategy") -> str | None:
    """The rules baseline's indicator rating for one rubric item on these pages."""
    indicators = {i.id: i for i in compute_indicators(make_doc(texts, title))}
    return indicator_rating(load_rubric().item(item_id), indicators)


def test_values_and_assurances_are_not_deprioritisation() -> None:
    text = (
        "We will not leave anyone behind. We will not compromise on patient safety. "
        "We will not tolerate abuse of our staff. We won't ask you for the same details twice. "
        "We will stop people falling through the gaps."
    )
    assert value([text], "deprioritisation") == {"count": 0}


@pytest.mark.parametrize(
    "sentence",
    [
        "We will not build our own EPR.",
        "We are pausing the app.",
        "We have stopped the intranet rebuild.",
        "A new data warehouse is out of scope for this strategy.",
        "We will not invest in blockchain until the basics work.",
        "The trust will no longer fund two finance systems.",
        "The chatbot pilot has been put on hold.",
        "We will consider AI later, once these foundations are in place.",
    ],
)
def test_choices_about_work_are_deprioritisation(sentence: str) -> None:
    assert value([sentence], "deprioritisation") == {"count": 1}


@pytest.mark.parametrize(
    ("title", "texts", "expected"),
    [
        # history in prose is never a horizon
        ("Digital Strategy", ["In 2019-2020 we replaced our PAS."], (None, None, None)),
        # ... and a stated plan period on a later page is
        (
            "Digital Strategy",
            ["In 2019-2020 we replaced our PAS.", "Intro.", "This strategy covers 2021 to 2031."],
            (2021, 2031, 10),
        ),
        # a ten-year strategy published in 2021 counts from 2021, not from a 2014 history line
        (
            "National Digital Strategy",
            [
                "Published June 2021",
                "In 2014 we launched our first online service.",
                "This ten-year strategy sets out how we will work.",
            ],
            (2021, 2031, 10),
        ),
        # the text's stated period wins over stale title metadata
        ("Digital Strategy 2025-2027", ["Our strategic vision 2024-2027"], (2024, 2027, 3)),
        # "10-year vision" and "by 2030": counts back from the explicit year
        (
            "2021 Action Plan",
            ["This plan supports our 10-year vision.", "By 2030 all data will be catalogued."],
            (2020, 2030, 10),
        ),
        # another strategy's period, cited in prose, is not this one's
        (
            "Roadmap 2025",
            ["Intro.", "Intro.", "It builds on the Education strategy 2021–2035."],
            (None, None, None),
        ),
    ],
)
def test_horizon_from_title_and_stated_period_not_history(
    title: str, texts: list[str], expected: tuple[int | None, int | None, int | None]
) -> None:
    v = value(texts, "time_horizon", title)
    assert (v["start"], v["end"], v["years"]) == expected


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["Digital is important. We will keep staff regularly updated on it."], False),
        (["We will publish regular updates on progress to residents."], False),
        (["We will refresh this strategy in 2030."], True),
        (["The roadmap is reviewed every quarter by the board."], True),
        (["This strategy sets our direction. It will be updated annually."], True),
        (["The strategy was reviewed by the board in 2023."], False),
    ],
)
def test_review_cycle_only_when_the_strategy_is_reviewed(texts: list[str], expected: bool) -> None:
    assert value(texts, "time_horizon")["review_cycle"] is expected


@pytest.mark.parametrize(
    ("text", "kind", "share"),
    [
        (
            "This strategy is owned by our Chief Digital and Information Officer (CDIO). "
            "The board will receive updates.",
            "technology",
            0.0,
        ),
        ("This strategy was written by the Head of Digital Services.", "technology", 0.0),
        ("Our Chief Data Officer leads this strategy.", "technology", 0.0),
        (
            "This strategy is owned jointly by the Chief Executive and the Chief Digital Officer.",
            "mixed",
            0.5,
        ),
        ("The council leader and the chief executive own this strategy.", "executive", 1.0),
    ],
)
def test_ownership_tells_executives_from_technology_roles(
    text: str, kind: str, share: float
) -> None:
    v = value([text], "ownership")
    assert (v["owner_kind"], v["leadership_share"]) == (kind, share)


def test_cdio_owned_strategy_rates_it_driven_present() -> None:
    text = "This strategy is owned by our Chief Digital and Information Officer (CDIO)."
    assert rating([text, "The board will receive updates."], "it_driven") == "red"


CAR_PARKING = [
    "Staff and visitor car parking policy. Car park A has 640 spaces for patients and visitors. "
    "Permits are allocated by the car parking office using a points scheme. Charges are set "
    "each year. Vehicles that block emergency access may be removed. The policy is reviewed "
    "every year by the estates committee."
]


def test_emerging_tech_gives_no_rating_when_the_document_is_not_about_digital() -> None:
    v = value(CAR_PARKING, "emerging_tech")
    assert v["ratio"] is None and v["about_digital"] is False
    assert rating(CAR_PARKING, "unproven_tech") is None


def test_emerging_tech_with_no_mentions_gives_no_rating() -> None:
    text = "Our digital services and data teams will make online forms simpler for residents."
    assert value([text], "emerging_tech")["ratio"] is None


READABLE_IT_ONLY = [
    "The IT team wrote this plan. We will buy new laptops. We will fix the Wi-Fi. "
    "We will move email to the cloud. We will train the help desk. The work starts in May."
]
EVERYDAY = [
    "Digital is not a project for the IT team: it is how we run the council. Every service "
    "director is accountable for the digital changes in their service. Each service plan has "
    "a digital section, and the work is funded from our core budgets. Staff can read this plan "
    "in ten minutes."
]


def test_mainstream_is_not_reading_ease_alone() -> None:
    readable = value(READABLE_IT_ONLY, "length_readability")["flesch_reading_ease"]
    assert isinstance(readable, float) and readable > 60
    assert value(READABLE_IT_ONLY, "mainstream")["score"] == 0.0
    assert rating(READABLE_IT_ONLY, "mainstream") == "red"
    everyday = value(EVERYDAY, "mainstream")
    assert everyday["everyday_statements"] == 3
    assert rating(EVERYDAY, "mainstream") == "green"


def test_mainstream_score_combines_everyday_business_plain_words_and_jargon() -> None:
    assert mainstream_score(0, 80.0, 0.0) == 0.0
    assert mainstream_score(2, 60.0, 0.0) == 1.0
    assert mainstream_score(1, 60.0, 0.0) == 0.5
    assert mainstream_score(2, 20.0, 10.0) == 0.5  # plain words only scale the evidence
    assert mainstream_score(2, 40.0, 5.0) < mainstream_score(2, 60.0, 0.0)


def test_general_grammar_not_eval_wording() -> None:
    # delivered: any subject and tense of delivery, not "since YEAR we have" or "last year we"
    assert value(["The council has already launched online parking permits."], "delivered") == {
        "count": 1
    }
    assert value(["Last year we saw record demand."], "delivered") == {"count": 0}
    # an owner in any layout, not only "(owner: ...)"
    commitments = value(
        ["By March 2026, 80% of forms will be online (lead - Digital Services Manager)."],
        "measurable_commitments",
    )
    assert commitments["with_owner"] == 1
    # own plans named by what they govern
    plans = value(["This supports our workforce plan and the quality strategy."], "plan_references")
    assert plans["own_plans"] == 2


# ---------------------------------------------------------------- issue 8: new signals

PRINCIPLES = """Our design principles
These help teams decide without waiting to be told.
- Start with user needs.
- Reuse before we buy, and buy before we build.
- Work in the open.
Every service meets the Service Standard."""


def test_design_principles_for_teams() -> None:
    assert value([PRINCIPLES], "design_principles") == {"count": 4, "listed": 3, "standards": 1}
    assert rating([PRINCIPLES], "useful_to_teams") == "green"
    assert value(["We will deliver a modern platform."], "design_principles")["count"] == 0


@pytest.mark.parametrize(
    ("texts", "statements", "score"),
    [
        (["Our mission: simple, joined-up services residents choose to use."], 1, 2),
        (["Mission\nOne record, one log-in, one hospital."], 1, 2),
        (["Better care, closer to home.", "That is the mission of this plan."], 1, 2),
        (
            [
                "Our vision is to be a world-leading, future-ready and digitally enabled "
                "organisation that uses innovative solutions across the whole care continuum to "
                "empower stakeholders, unlock value and deliver outcomes for every community."
            ],
            1,
            1,
        ),
        (["1. Purpose\nThis policy explains how parking is managed."], 0, 0),
        (["Our vision: [To be added by the Digital team.]"], 0, 0),
    ],
)
def test_mission_line(texts: list[str], statements: int, score: int) -> None:
    v = value(texts, "mission")
    assert (v["statements"], v["score"]) == (statements, score)


def test_services_baseline_is_today_not_targets() -> None:
    text = (
        "We run 212 applications across 3 data centres. Today 46% of housing applications are "
        "completed online. The website was available 99.7% of the time last year. Video "
        "consultations were used in more than 38,000 appointments. By 2027, 90% of "
        "transactions will be online."
    )
    ind = indicator(make_doc([text]), "services_baseline")
    assert ind.value == {"count": 4}
    assert all("By 2027" not in e.quote for e in ind.evidence)


def test_org_change_covers_governance_funding_and_skills() -> None:
    text = (
        "We will set up a new Digital Design Authority chaired by the Chief Operating Officer. "
        "We are moving money from projects to teams. "
        "We will train 40 managers in agile ways of working. "
        "Our offices are open from 9am."
    )
    # moving money from projects to teams changes funding and the operating model
    assert value([text], "org_change") == {
        "count": 3,
        "areas": 3,
        "governance": 2,
        "funding": 1,
        "skills": 1,
    }
    assert value(["We will test every change with people who have low digital skills."],
                 "org_change")["areas"] == 0  # fmt: skip


def test_risks_with_mitigations() -> None:
    text = (
        "The main risks are set out below.\n- A cyber attack could stop services for weeks. "
        "We test our backups every quarter.\n- Suppliers may not deliver on time; contracts "
        "will be short.\nOlder residents are at risk of being left behind by society."
    )
    assert value([text], "risks") == {"count": 2, "mitigated": 2}
    assert rating([text], "q10_risks") == "green"
    assert value(["We will do great things."], "risks") == {"count": 0, "mitigated": 0}


def test_local_specifics_against_generic_phrasing() -> None:
    local = (
        "Eastmere is home to 186,000 people in Holt Cross and Marrow Bay. Our contact centre "
        "took 310,000 calls last year, and Microsoft 365 reached all 2,100 staff."
    )
    generic = (
        "In a fast-moving world we will leverage synergies and best-in-class, cutting-edge "
        "solutions on our transformational journey to a digital-first culture, holistically."
    )
    v_local, v_generic = value([local], "local_specifics"), value([generic], "local_specifics")
    assert v_local["buzzwords"] == 0 and v_local["specific_share"] == 1.0
    assert v_generic["buzzwords"] >= 6 and (v_generic["specific_share"] or 0) < 0.3
    assert rating([local], "cookie_cutter") == "green"
    assert rating([generic], "cookie_cutter") == "red"


def test_every_rubric_item_has_a_signal_the_indicators_provide() -> None:
    values = {i.id: i.value for i in compute_indicators(make_doc(["We will do things."]))}
    for item in load_rubric().items:
        assert item.signals, item.id
        for signal in item.signals:
            assert signal.field in values[signal.indicator], (item.id, signal)


def test_new_signal_evidence_is_verbatim_and_cited() -> None:
    doc = make_doc([PRINCIPLES, "The main risks are below.\n- Suppliers may fail; we will hold "
                    "short contracts."], labels=["ii", "7"])  # fmt: skip
    for ind in compute_indicators(doc):
        for e in ind.evidence:
            assert e.page is not None and e.quote in doc.page(e.page).text, (ind.id, e.quote)
            assert e.page_label in ("ii", "7") and e.chunk_id and e.source == "indicator"


# ------------------------------------------------------- generalised on held-out documents


@pytest.mark.parametrize(
    ("text", "count"),
    [
        (
            "Today a resident who reports fly-tipping waits on average 12 days for a clear-up.",
            1,
        ),
        ("Our housing repairs line took about 9 minutes to answer a call last winter.", 1),
        (
            "Last year 3,400 planning objections came in, and we received 2,900 of them by post.",
            1,
        ),
        ("Our payroll system is 22 years old.", 1),
        ("Around 41,000 tenants now use the repairs portal.", 1),
        ("The average time to process a claim was 23 days in 2025.", 1),
        ("About 40% of referrals still arrive by fax.", 1),
        ("Residents will wait no more than 5 days by 2027.", 0),  # a target, not today
        ("We will spend 3 years building the new platform.", 0),
        ("Nurses spend about 50 minutes a shift re-typing notes.", 1),
        ("We spent 30 hours observing work on wards.", 0),  # research, not performance
    ],
)
def test_services_baseline_counts_durations_volumes_and_age(text: str, count: int) -> None:
    assert value([text], "services_baseline")["count"] == count


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("The programme costs £3.1 million over four years, funded from the change reserve.",
         "funding"),
        ("The programme has £2 million from the departmental budget for 2026.", "funding"),
        ("The council leader chairs the digital board every month.", "governance"),
        ("The Chief Executive chairs a new Digital Board that meets every two months.",
         "governance"),
    ],
)  # fmt: skip
def test_org_change_counts_costed_funded_plans_and_chairs(text: str, area: str) -> None:
    assert value([text], "org_change")[area] == 1


def test_org_change_is_not_money_that_was_not_found() -> None:
    text = "The work is paid for from existing budgets; no new money has been set aside for it."
    assert value([text], "org_change")["funding"] == 0


def test_commitment_owners_after_the_commitment_or_in_its_section() -> None:
    labelled = (
        "## Commitments\n\n- Repairs reported online: 70% by June 2027. Owner: Head of Housing.\n"
        "- Calls answered in 2 minutes: 90% by March 2027. Owner: Contact Centre Manager.\n"
    )
    assert value([labelled], "measurable_commitments")["with_owner"] == 2
    handed_out = (
        "## What we will do\n\n1. We will cut waiting lists by 20% by March 2027.\n"
        "2. We will answer 95% of letters within 5 days by June 2026.\n\n"
        "The director of operations owns the waiting list work, and the chief nurse leads "
        "the letters work.\n\n## Next\n\nWe will move 80% of forms online by 2028."
    )
    ind = value([handed_out], "measurable_commitments")
    assert ind["count"] == 3 and ind["with_owner"] == 2  # not the next section's


def test_a_list_item_with_a_second_sentence_does_not_end_the_list() -> None:
    text = (
        "## Risks\n\n- Recruitment: the market is tight. Mitigation: a graduate scheme.\n"
        "- Supplier failure on the payroll contract. Mitigation: a break clause in 2026.\n"
    )
    assert value([text], "risks") == {"count": 2, "mitigated": 2}


@pytest.mark.parametrize(
    ("text", "share"),
    [
        ("The plan will be delivered by our technology partner and reported to the ICT "
         "programme board.", 0.0),
        ("This plan is owned by the Director of Adult Services and the Head of Revenues.", 1.0),
        ("This plan is owned by the Head of Digital and the Director of IT.", 0.0),
    ],
)  # fmt: skip
def test_ownership_reads_technology_partners_and_service_leaders(text: str, share: float) -> None:
    assert value([text], "ownership")["leadership_share"] == share


@pytest.mark.parametrize(
    ("vision", "score"),
    [
        ("Our vision: a world-class, innovative and truly digital borough council.", 1),
        ("Our vision: cutting-edge, agile and data-driven.", 1),
        ("Our vision: every tenant can book a repair in one go, at any hour.", 2),
        ("Our mission: world-class care for every child in Tarnby.", 2),  # says whom for
    ],
)
def test_a_vision_of_generic_superlatives_is_not_a_one_line_mission(
    vision: str, score: int
) -> None:
    found = value([vision], "mission")
    assert found["score"] == score
    assert found["generic"] == (score == 1)


def test_emerging_technology_ruled_out_is_not_emphasis_on_it() -> None:
    text = (
        "We will not start new artificial intelligence projects until the network is fixed. "
        "We will replace every laptop and the Wi-Fi in all sites."
    )
    assert value([text], "emerging_tech")["emerging"] == 0


def test_what_people_told_us_is_user_research() -> None:
    text = (
        "Tenants told us they cannot see when a repair is booked. Staff told us the forms repeat."
    )
    assert value([text], "user_research")["count"] == 2


def test_work_that_must_wait_is_deferred() -> None:
    text = "Chatbot pilots will wait until the new website is live."
    assert value([text], "deprioritisation")["count"] == 1
    assert value([text], "emerging_tech")["emerging"] == 0


def test_products_years_and_generic_benefits_are_not_local_specifics() -> None:
    generic = (
        "We will roll out Windows 11 and Microsoft Copilot in 2026, following ITIL and PRINCE2. "
        "This will improve efficiency, enhance the user experience and make us a digitally "
        "mature organisation."
    )
    found = value([generic], "local_specifics")
    assert found["named"] == 0
    assert found["buzzwords"] == 3
    local = "We will move the Carrow Street depot and Ledbury library onto the county network."
    assert value([local], "local_specifics")["named"] == 2


def test_operational_executives_owning_digital_work_is_everyday_business() -> None:
    text = (
        "The medical director leads the results work. The board reviews this plan alongside "
        "the annual business plan. The Head of Digital owns the network work."
    )
    assert value([text], "mainstream")["everyday_statements"] == 2


@pytest.mark.parametrize(
    ("text", "quantified"),
    [
        ("Over the next ten years we will join up care.", False),
        ("We will build the platform for three years from 2026.", False),
        ("We will cut waits to 10 weeks by 2027.", True),
        ("We will train 300 staff over the next two years.", True),
    ],
)
def test_a_span_of_time_is_not_a_measure(text: str, quantified: bool) -> None:
    from pipeline.indicators import is_quantified

    assert is_quantified(text) is quantified
