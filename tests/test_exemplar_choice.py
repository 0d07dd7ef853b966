"""Choosing exemplars by the strategy's weakest items, and saying why a chosen one has no note.

The ranking is pure (pipeline/exemplar_choice.py); the last tests run it through compare on the
real corpus index (conftest's built corpus home) with the rules backend.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.compare import compare_with_exemplars
from pipeline.exemplar_choice import (
    Candidate,
    choose,
    missing_note,
    weak_items,
    weight,
)
from pipeline.review import ReviewOptions

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from render_pdfs import render_text_pdf  # noqa: E402

US_ITEMS = "us-digital-government-strategy-2012-action-items"
CROYDON = "uk-croydon-digital-strategy-2019-2024"


def _c(sid: str, sector: str, similarity: float, *noted: str) -> Candidate:
    return Candidate(source_id=sid, sector=sector, similarity=similarity, noted=frozenset(noted))


RATINGS = {
    "focused": "green",
    "vague": "red",
    "q05_not_prioritising": "amber",
    "q10_risks": "insufficient_evidence",
    "wish_list": "red",
}


def test_weak_items_red_then_amber_then_insufficient_in_rubric_order() -> None:
    assert weak_items(RATINGS) == ["vague", "wish_list", "q05_not_prioritising", "q10_risks"]
    assert weak_items({"focused": "green"}) == []
    assert weight(["vague", "focused", "q10_risks"], RATINGS) == 3 + 0 + 1


def test_notes_on_weak_items_beat_similarity() -> None:
    candidates = [
        _c("close-but-green", "central", 0.9, "focused"),
        _c("notes-on-reds", "central", 0.2, "vague", "wish_list"),
        _c("notes-on-amber", "central", 0.5, "q05_not_prioritising"),
    ]
    chosen = choose(candidates, RATINGS, sector="health", limit=2)
    assert [c.source_id for c in chosen] == ["notes-on-reds", "notes-on-amber"]
    assert chosen[0].weak_noted == ["vague", "wish_list"]
    assert "notes on 2 of your 4 weak item(s) (vague, wish_list)" in chosen[0].reason
    assert chosen[0].reason.startswith("other sector (central); ")


def test_each_pick_adds_weak_items_not_yet_covered() -> None:
    candidates = [
        _c("reds", "central", 0.1, "vague", "wish_list"),
        _c("same-reds-again", "central", 0.9, "vague", "wish_list"),
        _c("amber-and-ie", "central", 0.3, "q05_not_prioritising", "q10_risks"),
    ]
    chosen = [c.source_id for c in choose(candidates, RATINGS, sector="central", limit=3)]
    # the closest same-sector source first; then the one adding uncovered weak items
    assert chosen == ["same-reds-again", "amber-and-ie", "reds"]


def test_closest_same_sector_source_comes_first_when_it_notes_a_weak_item() -> None:
    candidates = [
        _c("rich", "central", 0.8, "vague", "wish_list", "q10_risks"),
        _c("peer-far", "health", 0.1),
        _c("peer-near", "health", 0.4, "q10_risks"),
    ]
    chosen = choose(candidates, RATINGS, sector="health", limit=2)
    assert [c.source_id for c in chosen] == ["peer-near", "rich"]
    assert chosen[0].reason.startswith("same sector (health); closest by similarity 0.40")
    assert "notes on 1 of your 4 weak item(s) (q10_risks)" in chosen[0].reason


def test_a_peer_with_no_note_on_a_weak_item_gives_way() -> None:
    candidates = [
        _c("rich", "central", 0.2, "vague", "wish_list"),
        _c("peer", "health", 0.9, "focused"),
        _c("amber", "central", 0.1, "q05_not_prioritising"),
    ]
    chosen = choose(candidates, RATINGS, sector="health", limit=2)
    assert [c.source_id for c in chosen] == ["rich", "amber"]
    everything_green = dict.fromkeys(RATINGS, "green")
    assert choose(candidates, everything_green, "health", 1)[0].source_id == "peer"


def test_no_ratings_falls_back_to_the_sources_with_most_notes() -> None:
    candidates = [_c("thin", "local", 0.9, "vague"), _c("rich", "local", 0.1, "vague", "focused")]
    chosen = choose(candidates, {}, sector="health", limit=1)
    assert [c.source_id for c in chosen] == ["rich"]
    assert "no item of your strategy is rated weak" in chosen[0].reason


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["central", "local", "health"]),
            st.floats(-1, 1),
            st.sets(st.sampled_from(list(RATINGS))),
        ),
        max_size=8,
    ),
    st.integers(0, 4),
)
def test_choice_is_unique_bounded_and_never_skips_a_better_cover(
    rows: list[tuple[str, float, set[str]]], limit: int
) -> None:
    candidates = [_c(f"s{i}", sector, sim, *noted) for i, (sector, sim, noted) in enumerate(rows)]
    chosen = choose(candidates, RATINGS, sector="local", limit=limit)
    ids = [c.source_id for c in chosen]
    assert len(ids) == len(set(ids)) == min(limit, len(candidates))
    by_id = {c.source_id: c for c in candidates}
    peers = sorted(
        (c for c in candidates if c.sector == "local"), key=lambda c: (-c.similarity, c.source_id)
    )
    start = int(bool(peers) and bool(peers[0].noted & set(weak_items(RATINGS))))
    covered = set().union(*(by_id[i].noted for i in ids[:start])) if start else set()
    for sid in ids[start:]:  # greedy: no candidate left out would have added more weak weight
        gain = weight(by_id[sid].noted - covered, RATINGS)
        others = [c for c in candidates if c.source_id not in ids]
        assert all(weight(c.noted - covered, RATINGS) <= gain for c in others)
        covered |= by_id[sid].noted


def test_missing_note_reasons() -> None:
    gaps = {("src", "q02_mission"): "No mission is stated in the text."}
    absent = missing_note("src", "q02_mission", gaps)
    assert absent.kind == "not_covered"
    assert absent.text == "Not covered in the source: No mission is stated in the text."
    assert missing_note("src", "focused", gaps).kind == "not_yet_noted"
    assert missing_note("mine", "focused", gaps, origin="user").kind == "user_document"


# ---------------------------------------------------------------- through compare


PAGES = [
    "# Marshfield District Council Digital Plan 2025-2028\n\nMarshfield District Council "
    "serves 90,000 residents. Our residents told us that paying council tax online is hard.",
    "## Our plan\n\nWe will do many things with digital technology across the council.",
]


@pytest.fixture(autouse=True)
def _home(corpus_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STRATEGY_REVIEW_HOME", str(corpus_home))
    return corpus_home


@pytest.fixture(scope="module")
def plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("plan")
    return render_text_pdf(PAGES, folder / "plan.pdf", title="Marshfield Digital Plan")


ONLY = ["cookie_cutter", "q02_mission", "q10_risks", "focused", "vague"]


def test_a_chosen_exemplar_without_a_note_says_why(plan: Path) -> None:
    comparison = compare_with_exemplars(plan, None, [US_ITEMS, CROYDON], ReviewOptions(only=ONLY))
    reasons = {}
    for item in comparison.items:
        for cell in item.exemplars:
            if cell.notes:
                assert cell.missing is None
            else:
                assert cell.missing is not None and cell.missing.text
                reasons[(cell.source_id, item.id)] = cell.missing.kind
    assert reasons[(US_ITEMS, "cookie_cutter")] == "not_covered"
    assert reasons[(US_ITEMS, "q10_risks")] == "not_covered"
    assert reasons[(US_ITEMS, "focused")] == "not_yet_noted"
    assert (CROYDON, "cookie_cutter") not in reasons  # Croydon has a note on it


def test_automatic_choice_names_the_weak_items_its_notes_cover(plan: Path) -> None:
    comparison = compare_with_exemplars(plan, None, None, ReviewOptions(only=ONLY))
    assert comparison.sector == "local"
    weak = [i.id for i in comparison.items if i.user.rating != "green"]
    assert weak, "the thin plan should be weak somewhere"
    assert len(comparison.exemplars) == 3
    for source in comparison.exemplars[1:]:  # after the closest same-sector source
        assert f"of your {len(weak)} weak item(s)" in source.reason
        noted = sum(
            bool(cell.notes)
            for item in comparison.items
            if item.id in weak
            for cell in item.exemplars
            if cell.source_id == source.source_id
        )
        assert noted >= 1, source.reason
