"""The eval cases and their split: every case loads with 22 gold items and a split, every gold
phrase is on its stated page of the document as the pipeline ingests it, ``--split`` selects
exactly one split, web-page (HTML) cases load, and scorecards report ``by_split``."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.documents import read_document
from pipeline.evals import Scorecard, load_cases, run_evals
from pipeline.evals.cases import SPLITS, EvalError, Gold, load_case, parse_split
from pipeline.normalise import normalise_for_match
from pipeline.rubric import load_rubric

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "evals" / "cases"
ITEM_IDS = [item.id for item in load_rubric().items]
CASE_IDS = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())
HELD_OUT = {
    "acrl_agency_ddat",
    "acrl_agency_ddat_injected",  # its planted-instruction twin
    "ashgrove_fire_web_page",
    "calderwick_county_data_plan",
    "glenmorven_health_board",
    "glenmorven_health_board_injected",  # its planted-instruction twin
}


def gold_json(case_id: str) -> dict:
    return json.loads((CASES_DIR / case_id / "gold.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the committed cases


def test_every_case_loads_with_22_gold_items_and_a_split() -> None:
    cases = load_cases(CASES_DIR)
    assert [c.case_id for c in cases] == CASE_IDS
    for case in cases:
        assert list(case.gold.items) == ITEM_IDS, case.case_id
        assert case.gold.split in SPLITS
        # Written out, not left to the default, so that no case is held out by accident.
        assert gold_json(case.case_id)["split"] == case.gold.split, case.case_id


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_gold_phrases_are_on_their_pages_of_the_ingested_document(case_id: str) -> None:
    case = load_case(CASES_DIR / case_id)
    document = read_document(case.document)
    pages = {p.page: normalise_for_match(p.text) for p in document.pages}
    for item_id, item in case.gold.items.items():
        assert item.rating in item.acceptable or not item.acceptable, f"{case_id}/{item_id}"
        for evidence in item.evidence:
            assert evidence.page in pages, f"{case_id}/{item_id}: no page {evidence.page}"
            for phrase in evidence.phrases:
                assert normalise_for_match(phrase) in pages[evidence.page], (
                    f"{case_id}/{item_id}: {phrase!r} not on page {evidence.page}"
                )


def test_split_selection_returns_exactly_that_split() -> None:
    held_out = {c.case_id for c in load_cases(CASES_DIR, split="held_out")}
    tuning = {c.case_id for c in load_cases(CASES_DIR, split="tuning")}
    assert held_out == HELD_OUT
    assert tuning == set(CASE_IDS) - HELD_OUT
    assert {c for c in CASE_IDS if gold_json(c)["split"] == "held_out"} == HELD_OUT
    assert len(load_cases(CASES_DIR, split=None)) == len(CASE_IDS)


def test_held_out_cases_cover_every_rating_and_new_styles() -> None:
    golds = {c: load_case(CASES_DIR / c).gold for c in sorted(HELD_OUT)}
    ratings = Counter(item.rating for g in golds.values() for item in g.items.values())
    assert set(ratings) == {"green", "amber", "red", "insufficient_evidence"}, ratings
    ambers = {c: sum(i.rating == "amber" for i in g.items.values()) for c, g in golds.items()}
    assert max(ambers.values()) >= 8, ambers  # one mostly-amber mixed case
    warnings_present = {
        c: [i for i in ("vague", "wish_list") if g.items[i].rating == "red"]
        for c, g in golds.items()
    }
    assert ["vague", "wish_list"] in warnings_present.values()
    assert load_case(CASES_DIR / "ashgrove_fire_web_page").document.suffix == ".html"


def test_the_web_page_case_is_a_short_html_strategy() -> None:
    case = load_case(CASES_DIR / "ashgrove_fire_web_page")
    document = read_document(case.document)
    assert document.format == "html"
    words = sum(len(p.text.split()) for p in document.pages)
    assert 550 <= words <= 900, words
    assert "Staying safe" not in " ".join(p.text for p in document.pages)  # the nav is dropped


# ---------------------------------------------------------------- loading rules


GOLD = {
    "case_id": "",
    "title": "Fenwick Council digital plan",
    "description": "test",
    "kind": "strategy",
    "twin_of": None,
    "items": {
        "q02_mission": {
            "rating": "green",
            "acceptable": ["green"],
            "evidence": [{"page": 1, "phrases": ["Everything online that should be"]}],
            "rationale": "A short mission.",
        }
    },
}
HTML = (
    "<!DOCTYPE html><html><head><title>Fenwick digital plan</title></head><body>"
    "<nav><ul><li>Home</li><li>Bins</li></ul></nav>"
    "<h1>Fenwick Council digital plan 2026 to 2028</h1>"
    "<p>Our mission: Everything online that should be, and a person when you need one.</p>"
    "<h2>What people told us</h2><p>We asked 120 residents about their bins and council tax "
    "accounts, and they told us the online forms were too long.</p></body></html>"
)
MARKDOWN = (
    "# Fenwick Council digital plan 2026 to 2028\n\nOur mission: Everything online that should "
    "be, and a person when you need one.\n\n## What people told us\n\nWe asked 120 residents "
    "about their bins and council tax accounts, and they told us the online forms were too long.\n"
)


def write_case(
    root: Path, case_id: str, split: str | None, files: dict[str, str], twin_of: str | None = None
) -> Path:
    folder = root / case_id
    folder.mkdir(parents=True)
    gold = {**GOLD, "case_id": case_id, "twin_of": twin_of}
    if split is not None:
        gold["split"] = split
    (folder / "gold.json").write_text(json.dumps(gold), encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_an_html_case_loads_and_pages_like_ingest(tmp_path: Path) -> None:
    case = load_case(write_case(tmp_path, "fenwick", "held_out", {"strategy.html": HTML}))
    assert case.document.name == "strategy.html" and case.pdf == case.document
    assert case.split == "held_out"
    document = read_document(case.document)
    assert [p.page for p in document.pages] == [1, 2]  # one pseudo-page per <h1>/<h2> section
    assert "everything online that should be" in normalise_for_match(document.pages[0].text)


def test_document_preference_pdf_then_html_then_markdown(tmp_path: Path) -> None:
    md_only = load_case(write_case(tmp_path, "md_only", None, {"strategy.md": MARKDOWN}))
    assert md_only.document.name == "strategy.md"
    both = write_case(tmp_path, "both", None, {"strategy.md": MARKDOWN, "strategy.html": HTML})
    assert load_case(both).document.name == "strategy.html"
    (both / "strategy.pdf").write_bytes((CASES_DIR / "injected" / "strategy.pdf").read_bytes())
    assert load_case(both).document.name == "strategy.pdf"
    empty = write_case(tmp_path, "empty", None, {})
    with pytest.raises(EvalError, match=r"^case empty: missing strategy\.pdf .*strategy\.html"):
        load_case(empty)


def test_split_defaults_to_tuning_and_rejects_unknown_values(tmp_path: Path) -> None:
    assert Gold.model_validate({**GOLD, "case_id": "x"}).split == "tuning"
    write_case(tmp_path, "odd", "validation", {"strategy.html": HTML})
    with pytest.raises(EvalError, match=r"^case odd: gold\.json split"):
        load_cases(tmp_path)
    assert parse_split("all") is None and parse_split(None) is None
    assert parse_split("held_out") == "held_out"
    with pytest.raises(EvalError, match="unknown split 'heldout'"):
        parse_split("heldout")


def test_split_selection_and_its_errors(tmp_path: Path) -> None:
    write_case(tmp_path, "a_tuning", "tuning", {"strategy.html": HTML})
    write_case(tmp_path, "b_held", "held_out", {"strategy.md": MARKDOWN})
    assert [c.case_id for c in load_cases(tmp_path, split="held_out")] == ["b_held"]
    assert [c.case_id for c in load_cases(tmp_path, split="tuning")] == ["a_tuning"]
    assert [c.case_id for c in load_cases(tmp_path, ["a_tuning"], "tuning")] == ["a_tuning"]
    with pytest.raises(EvalError, match="no held_out cases"):
        load_cases(tmp_path, ["a_tuning"], "held_out")
    write_case(tmp_path, "c_injected", "held_out", {"strategy.html": HTML}, twin_of="a_tuning")
    with pytest.raises(EvalError, match="c_injected: it is held_out but its twin a_tuning is"):
        load_cases(tmp_path, split="held_out")


# ---------------------------------------------------------------- runs and scorecards


@pytest.fixture
def two_splits(tmp_path: Path) -> Path:
    root = tmp_path / "cases"
    write_case(root, "a_tuning", "tuning", {"strategy.html": HTML})
    write_case(root, "b_held", "held_out", {"strategy.md": MARKDOWN})
    return root


def test_scorecard_reports_by_split(corpus_home: Path, two_splits: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    card = run_evals(None, two_splits, out, ["q02_mission"])
    assert card.split == "all"
    assert list(card.by_split) == ["tuning", "held_out"]
    for split, case_id in (("tuning", "a_tuning"), ("held_out", "b_held")):
        assert card.by_split[split] == card.by_case[case_id]
    assert [c.split for c in card.cases] == ["tuning", "held_out"]
    data = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    assert Scorecard.model_validate(data) == card
    assert set(data["by_split"]) == {"tuning", "held_out"}
    md = (out / "scorecard.md").read_text(encoding="utf-8")
    assert "## By split" in md and "| Metric | tuning | held_out |" in md
    assert "**Split**: all" in md
    page = (out / "scorecard.html").read_text(encoding="utf-8")
    assert "By split" in page and "held_out" in page


def test_cli_split_runs_only_that_split(
    corpus_home: Path, two_splits: Path, tmp_path: Path
) -> None:
    out = tmp_path / "held"
    args = ["evals", "run", "--model", "rules", "--cases", str(two_splits), "--quiet"]
    result = CliRunner().invoke(
        app, [*args, "--split", "held_out", "--only", "q02_mission", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    card = Scorecard.model_validate_json((out / "scorecard.json").read_text(encoding="utf-8"))
    assert [c.case_id for c in card.cases] == ["b_held"]
    assert card.split == "held_out" and list(card.by_split) == ["held_out"]
    bad = CliRunner().invoke(app, [*args, "--split", "heldout", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2
    assert "unknown split 'heldout'" in bad.output
    assert not (tmp_path / "x").exists()
