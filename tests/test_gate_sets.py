"""The gate sets: stored good answers the quality gate must keep, junk it must reject, replayed
through the real review path; the two metrics they feed, and how `evals run` reports them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.documents import read_document
from pipeline.evals import run_evals
from pipeline.evals.cases import EvalError, load_cases
from pipeline.evals.gate_sets import (
    GATE_SETS_FILE,
    Answer,
    Outcome,
    answers_dir,
    load_good,
    load_junk,
    offered_ids,
    offered_passages,
    pick_chunk_id,
    replay_case,
    stale_junk_notes,
    stale_junk_sets,
    with_chunk_ids,
)
from pipeline.evals.metrics import (
    METRICS,
    MetricSummary,
    check_thresholds,
    gate_false_rejection_rate,
    junk_pass_rate,
    parse_threshold,
)
from pipeline.models.base import Message
from pipeline.normalise import normalise_for_match
from pipeline.prompts import prompt_hashes
from pipeline.resources import eval_cases_dir
from pipeline.rubric import load_rubric
from pipeline.store import Store

GOOD = answers_dir() / "good"
# Cases whose good answers hold the defects of issue 8 section 2: reds resting on absence, a
# correct red for Mainstream against a plain-English reading score, "The strategy does not"
# three times, findings that quote the document.
REPLAYED = ["riverton_council_mixed", "kestrel_trust_mixed"]
# Good answers written for the held-out cases after the gate was frozen, to measure it there;
# nothing was tuned on them.
HELD_OUT_GOOD = {
    "acrl_agency_ddat",
    "ashgrove_fire_web_page",
    "calderwick_county_data_plan",
    "glenmorven_health_board",
}


def good_sets() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(GOOD.glob("*.json"))}


def all_answers() -> list[tuple[str, str, dict]]:
    return [(c, i, e) for c, data in good_sets().items() for i, e in data["answers"].items()]


def tagged(tag: str) -> list[tuple[str, str, dict]]:
    return [a for a in all_answers() if tag in a[2]["tags"]]


# ---------------------------------------------------------------- the stored good set


def test_good_set_is_large_and_covers_every_item_and_kind() -> None:
    answers = all_answers()
    rubric = load_rubric()
    assert len(answers) >= 66
    assert {i for _, i, _ in answers} == {item.id for item in rubric.items}
    assert {rubric.item(i).kind for _, i, _ in answers} == {
        "good_sign",
        "warning_sign",
        "board_question",
    }
    assert len(tagged("absence")) >= 10
    assert len(tagged("disagrees_with_indicator")) >= 10
    assert len(tagged("quotes_document")) >= 15
    assert tagged("strategy_does_not") and tagged("restates_rubric")
    assert tagged("ai_first") and tagged("assessors")


def test_good_answers_use_tuning_cases_and_agree_with_gold() -> None:
    cases = {c.case_id: c for c in load_cases(eval_cases_dir(), list(good_sets()))}
    for case_id, data in good_sets().items():
        gold = cases[case_id].gold
        assert data["case_id"] == case_id
        expected = "held_out" if case_id in HELD_OUT_GOOD else "tuning"
        assert getattr(gold, "split", "tuning") == expected, case_id
        assert load_good(answers_dir(), case_id) is not None  # validates against the model
        for item_id, entry in data["answers"].items():
            answer = entry["answer"]
            assert gold.items[item_id].accepts(answer["rating"]), (case_id, item_id)
            assert 1 <= len(re.findall(r"[.!?]\"?(\s|$)", answer["finding"])) <= 3, item_id
            assert len(answer["recommendation"].split()) >= 6, (case_id, item_id)
            if "absence" in entry["tags"]:  # amber: partly missing, as on a mostly green case
                assert answer["rating"] in ("red", "amber", "insufficient_evidence")


def test_good_quotes_are_copied_exactly_from_the_case_document() -> None:
    cases = {c.case_id: c for c in load_cases(eval_cases_dir(), list(good_sets()))}
    for case_id, data in good_sets().items():
        text = normalise_for_match(read_document(cases[case_id].pdf).text)
        for item_id, entry in data["answers"].items():
            for quote in entry["answer"]["evidence"]:
                words = normalise_for_match(quote["quote"])
                assert len(words.split()) >= 6, (case_id, item_id)
                assert re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text), (case_id, item_id)
            for phrase in re.findall(r'"([^"]{8,})"', entry["answer"]["finding"]):
                assert normalise_for_match(phrase.rstrip(".")) in text, (case_id, item_id)


# ---------------------------------------------------------------- copying chunk IDs

PROMPT = (
    "Rating meanings: ...\n<<<DOCUMENT PASSAGES\n"
    "[c001-p1] The council runs nine libraries and four leisure centres.\n\n"
    "[c004-p2-3] We will not replace the housing system before 2027, and the\nboard will "
    "review this plan every year.\nDOCUMENT PASSAGES>>>\n\n"
    'Answer in JSON: "chunk_id" (one of: c001-p1, c004-p2-3) and a quote.'
)


def test_offered_passages_and_ids_are_read_from_the_prompt_and_schema() -> None:
    passages = offered_passages(PROMPT)
    assert list(passages) == ["c001-p1", "c004-p2-3"]
    assert "board will review this plan" in normalise_for_match(passages["c004-p2-3"])
    assert "Answer in JSON" not in passages["c004-p2-3"]
    schema = {
        "$defs": {"Quote": {"properties": {"chunk_id": {"enum": ["c001-p1", "c004-p2-3"]}}}},
        "properties": {"rating": {"enum": ["green", "amber", "red"]}},
    }
    assert offered_ids(schema) == ["c001-p1", "c004-p2-3"]
    assert offered_ids({"properties": {"rating": {"enum": ["green"]}}}) == []


def test_quote_gets_the_id_of_the_passage_holding_it_else_the_first_offered() -> None:
    passages = offered_passages(PROMPT)
    allowed = ["c001-p1", "c004-p2-3"]
    quote = "the board will review this plan every year"
    assert pick_chunk_id(quote, passages, allowed) == "c004-p2-3"
    assert pick_chunk_id("a sentence found on no offered passage", passages, allowed) == "c001-p1"
    answer = Answer.model_validate(
        {"evidence": [{"quote": quote}], "finding": "f", "rating": "green", "recommendation": "r"}
    )
    sent = json.loads(with_chunk_ids(answer, [Message("user", PROMPT)], None))
    assert sent["evidence"] == [{"chunk_id": "c004-p2-3", "quote": quote}]


# ---------------------------------------------------------------- the metrics and gates


def test_gate_metrics_compute_and_are_na_without_answers() -> None:
    assert gate_false_rejection_rate([True, False, True, True, None]) == 0.25
    assert junk_pass_rate([False, False, True, None]) == pytest.approx(1 / 3, abs=1e-6)
    assert gate_false_rejection_rate([None, None]) is None
    assert junk_pass_rate([]) is None


def test_gate_metrics_are_lower_is_better_and_gate_with_fail_over() -> None:
    for name in ("gate_false_rejection_rate", "junk_pass_rate"):
        assert METRICS[name].lower_is_better
        with pytest.raises(ValueError, match="better when lower"):
            parse_threshold(f"{name}=0.1", "--fail-under")
    over = dict(
        [
            parse_threshold("gate_false_rejection_rate=0.05", "--fail-over"),
            parse_threshold("junk_pass_rate=0", "--fail-over"),
        ]
    )
    passing = {
        "gate_false_rejection_rate": MetricSummary(mean=0.04, std=None, runs=[0.04]),
        "junk_pass_rate": MetricSummary(mean=0.0, std=None, runs=[0.0]),
    }
    assert check_thresholds(passing, {}, over) == []
    failing = {
        "gate_false_rejection_rate": MetricSummary(mean=0.2, std=None, runs=[0.2]),
        "junk_pass_rate": MetricSummary(mean=None, std=None, runs=[None]),
    }
    assert check_thresholds(failing, {}, over) == [
        "gate_false_rejection_rate 0.200 > 0.05",
        "junk_pass_rate n/a (nothing to measure)",
    ]


# ---------------------------------------------------------------- replaying through the gate


@pytest.mark.parametrize("case_id", REPLAYED)
def test_good_answers_are_kept_by_the_gate(corpus_home: Path, case_id: str) -> None:
    (case,) = load_cases(eval_cases_dir(), [case_id])
    outcomes = replay_case(case, Store())
    good = [o for o in outcomes if o.set == "good"]
    assert len(good) == len(good_sets()[case_id]["answers"])
    rejected = [(o.item_id, o.quality_flags) for o in good if not o.kept]
    assert rejected == []
    for o in good:
        assert o.final_rating == o.answer_rating
        assert o.quotes_verified == o.quotes_proposed, o.item_id


def _junk_answers(case_id: str) -> dict[str, str]:
    description = load_rubric().item("integrated").description
    loop = "The strategy is good. " * 12
    return {
        "q10_risks": json.dumps(
            {"evidence": [], "finding": loop, "rating": "green", "recommendation": loop}
        ),
        "q02_mission": "",
        "integrated": json.dumps(
            {
                "evidence": [],
                "finding": description,
                "rating": "green",
                "recommendation": "Links to the corporate, clinical or business plan.",
            }
        ),
        "focused": "I'm sorry, I cannot help with rating this strategy document.",
    }


def _answers_root(tmp_path: Path, case_id: str, good_items: list[str]) -> Path:
    root = tmp_path / "answers"
    (root / "good").mkdir(parents=True)
    (root / "junk").mkdir()
    answers = good_sets()[case_id]["answers"]
    good = {"case_id": case_id, "answers": {i: answers[i] for i in good_items}}
    junk = {"case_id": case_id, "model": "handwritten", "answers": _junk_answers(case_id)}
    (root / "good" / f"{case_id}.json").write_text(json.dumps(good), encoding="utf-8")
    (root / "junk" / f"{case_id}.json").write_text(json.dumps(junk), encoding="utf-8")
    return root


def test_loop_empty_echo_and_refusal_are_rejected(corpus_home: Path, tmp_path: Path) -> None:
    case_id = "riverton_council_mixed"
    root = _answers_root(tmp_path, case_id, [])
    (case,) = load_cases(eval_cases_dir(), [case_id])
    outcomes = replay_case(case, Store(), None, root)
    assert {o.item_id for o in outcomes} == set(_junk_answers(case_id))
    for o in outcomes:
        assert o.set == "junk"
        assert not o.kept, o.item_id
        assert o.confidence == "low" and o.quality_flags, o.item_id


def test_evals_run_reports_both_metrics_and_writes_outcomes(
    corpus_home: Path, tmp_path: Path
) -> None:
    case_id = "riverton_council_mixed"
    only = ["mainstream", "q10_risks", "q02_mission", "integrated"]
    root = _answers_root(tmp_path, case_id, ["mainstream", "q10_risks"])
    out = tmp_path / "out"
    card = run_evals(None, eval_cases_dir(), out, only, [case_id], answers=root)
    assert card.overall["gate_false_rejection_rate"].mean == 0.0
    assert card.overall["junk_pass_rate"].mean == 0.0
    assert card.counts["good_answers"] == 2 and card.counts["junk_answers"] == 3
    record = json.loads((out / GATE_SETS_FILE).read_text(encoding="utf-8"))
    assert record["counts"] == {
        "good_answers": 2,
        "good_rejected": 0,
        "junk_answers": 3,  # "focused" is not among the items run
        "junk_kept": 0,
    }
    assert {(o["set"], o["item_id"]) for o in record["outcomes"]} == {
        ("good", "mainstream"),
        ("good", "q10_risks"),
        ("junk", "q10_risks"),
        ("junk", "q02_mission"),
        ("junk", "integrated"),
    }
    assert all(o["quality_flags"] for o in record["outcomes"] if o["set"] == "junk")
    # the handwritten junk set carries no prompt hashes: a warning, not a failure
    assert record["stale_junk"] == {case_id: sorted(prompt_hashes())}
    (warning,) = [n for n in card.notes if n.startswith("Warning:")]
    assert case_id in warning and "record_answers.py riverton_council_mixed" in warning
    scorecard = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    assert scorecard["overall"]["junk_pass_rate"]["mean"] == 0.0
    assert "Gate false rejections (good set)" in (out / "scorecard.md").read_text("utf-8")
    assert (
        check_thresholds(
            card.overall, {}, {"gate_false_rejection_rate": 0.05, "junk_pass_rate": 0.0}
        )
        == []
    )


def test_evals_run_without_stored_answers_reports_na(corpus_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    empty = tmp_path / "no-answers"
    card = run_evals(
        None, eval_cases_dir(), out, ["q10_risks"], ["riverton_council_mixed"], answers=empty
    )
    assert card.overall["gate_false_rejection_rate"].mean is None
    assert card.overall["junk_pass_rate"].mean is None
    assert any("gate_false_rejection_rate is n/a" in n for n in card.notes)
    failures = check_thresholds(card.overall, {}, {"gate_false_rejection_rate": 0.05})
    assert failures == ["gate_false_rejection_rate n/a (nothing to measure)"]
    record = json.loads((out / GATE_SETS_FILE).read_text(encoding="utf-8"))
    assert record["outcomes"] == [] and record["gate_false_rejection_rate"] is None


def test_a_broken_answer_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(EvalError, match="not a valid answer set"):
        load_junk(tmp_path, "x")
    (tmp_path / "junk" / "y.json").write_text(
        json.dumps({"case_id": "z", "answers": {}}), encoding="utf-8"
    )
    with pytest.raises(EvalError, match="expected 'y'"):
        load_junk(tmp_path, "y")
    assert load_junk(tmp_path, "absent") is None


# ---------------------------------------------------------------- stale junk recordings


def _junk_root(tmp_path: Path, hashes: dict[str, dict[str, str] | None]) -> Path:
    (tmp_path / "junk").mkdir()
    for case_id, recorded in hashes.items():
        data: dict = {"case_id": case_id, "model": "m", "answers": {"q10_risks": "x"}}
        if recorded is not None:
            data["prompt_hashes"] = recorded
        (tmp_path / "junk" / f"{case_id}.json").write_text(json.dumps(data), encoding="utf-8")
    return tmp_path


def _junk_outcome(case_id: str) -> Outcome:
    return Outcome(
        set="junk",
        case_id=case_id,
        item_id="q10_risks",
        kept=False,
        confidence="low",
        status="ok",
        final_rating="amber",
    )


def test_junk_sets_recorded_with_other_prompts_are_named(tmp_path: Path) -> None:
    today = prompt_hashes()
    old_item = {**today, "item.md": "0" * 16}
    root = _junk_root(tmp_path, {"now": today, "old": old_item, "unknown": None})
    assert stale_junk_sets(["now", "old", "unknown", "absent"], root) == {
        "old": ["item.md"],
        "unknown": sorted(today),
    }
    assert stale_junk_sets(["old"], root, today=old_item) == {}


def test_a_stale_junk_set_gives_one_warning_line_naming_cases_and_files(tmp_path: Path) -> None:
    today = prompt_hashes()
    old = {name: "f" * 16 for name in today}
    root = _junk_root(tmp_path, {"now": today, "old_a": old, "old_b": {**today, "system.md": "1"}})
    assert stale_junk_notes([_junk_outcome("now")], root) == []
    outcomes = [_junk_outcome(c) for c in ("now", "old_a", "old_b", "old_b")]
    (line,) = stale_junk_notes(outcomes, root)
    assert line.startswith("Warning: the junk answers of old_a, old_b were recorded")
    assert f"({', '.join(sorted(today))} differ)" in line
    assert line.endswith("python scripts/record_answers.py old_a old_b")
    assert "\n" not in line
    # only replayed junk sets count: a good answer of a stale case is not a junk replay
    good = _junk_outcome("old_a").model_copy(update={"set": "good"})
    assert stale_junk_notes([good], root) == []


def test_a_fresh_recording_carries_todays_prompt_hashes_and_is_not_stale(
    corpus_home: Path, tmp_path: Path
) -> None:
    """scripts/record_answers.py on today's code, with a scripted model standing in for
    SmolLM2: every item recorded, the prompts' hashes written, and no warning on replay."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent.parent / "scripts"))
    import record_answers

    from pipeline.models.scripted import ScriptedModel

    model = ScriptedModel(lambda messages, schema: '{"rating": "green"}', model_id="tiny")
    path = record_answers.record_case("kestrel_trust_mixed", model, tmp_path / "junk")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["model"] == "tiny" and data["prompt_hashes"] == prompt_hashes()
    assert set(data["answers"]) == {i.id for i in load_rubric().items}
    assert list((tmp_path / "junk").iterdir()) == [path]  # no partial file left
    assert load_junk(tmp_path, "kestrel_trust_mixed") is not None
    assert stale_junk_sets(["kestrel_trust_mixed"], tmp_path) == {}
