"""Eval metrics on hand-built items and reviews, with answers worked out by hand."""

from __future__ import annotations

import json
import math

import pytest

from pipeline.evals import metrics as m
from pipeline.evals.cases import GoldEvidence, GoldItem
from pipeline.evals.metrics import MetricSummary, Row
from pipeline.records import (
    DocumentRef,
    Evidence,
    ItemResult,
    ItemStats,
    ModelRef,
    Review,
    rating_label,
)


def ev(quote: str, page: int, source: str = "model", verified: bool = True) -> Evidence:
    return Evidence.model_validate(
        {"quote": quote, "page": page, "verified": verified, "source": source}
    )


def item(
    item_id: str = "q04_services",
    rating: str = "green",
    evidence: list[Evidence] | None = None,
    confidence: str = "model",
    status: str = "ok",
    **stats: float,
) -> ItemResult:
    return ItemResult.model_validate(
        {
            "id": item_id,
            "kind": "board_question",
            "title": item_id,
            "rating": rating,
            "rating_label": rating_label("board_question", rating),
            "summary": "A finding.",
            "confidence": confidence,
            "status": status,
            "evidence": evidence or [],
            "stats": ItemStats.model_validate(stats),
        }
    )


def gold(
    rating: str = "green",
    acceptable: tuple[str, ...] = (),
    evidence: tuple[tuple[int, list[str]], ...] = (),
) -> GoldItem:
    return GoldItem.model_validate(
        {
            "rating": rating,
            "acceptable": list(acceptable),
            "evidence": [GoldEvidence(page=p, phrases=ph) for p, ph in evidence],
        }
    )


def review(*items: ItemResult) -> Review:
    return Review(
        tool_version="0",
        created_at="2025-01-01T00:00:00+00:00",
        document=DocumentRef(path="x.pdf", sha256="0" * 64, pages=3),
        model=ModelRef(id="scripted", backend="scripted"),
        rubric_version="1",
        corpus_version="1",
        items=list(items),
        indicators=[],
    )


# ---------------------------------------------------------------- citations


def test_citation_validity_is_verified_over_proposed() -> None:
    items = [item(quotes_proposed=3, quotes_verified=2), item(quotes_proposed=1, quotes_verified=1)]
    assert m.citation_validity(items) == 0.75


def test_citation_validity_is_none_when_nothing_proposed() -> None:
    rules = item(confidence="rules", evidence=[ev("We will do this thing well.", 1, "retrieval")])
    assert m.citation_validity([rules]) is None
    assert m.citation_validity([]) is None


def test_citation_precision_two_of_four_and_recall_one_of_two() -> None:
    cited = item(
        evidence=[
            ev("We WILL  redesign the housing\nrepairs service by 2026.", 2),  # matches entry 1
            ev("The council tax service follows in 2027.", 3),  # right phrase, wrong page
            ev("Residents told us they want to report repairs online.", 4, "retrieval"),  # entry 3
            ev("An indicator sentence that matches nothing.", 2, "indicator"),
            ev("An unverified quote about housing repairs service.", 2, verified=False),
        ]
    )
    gold_item = gold(
        evidence=(
            (2, ["redesign the housing repairs service", "other phrase"]),
            (2, ["council tax service follows"]),
            (4, ["report repairs online"]),
            (5, ["never cited"]),
        )
    )
    precision = m.citation_precision([(cited, gold_item)])
    recall = m.citation_recall([(cited, gold_item)])
    assert precision == pytest.approx(2 / 4, abs=1e-6)  # indicator excerpts count as citations
    assert recall == 0.5  # entries 1 and 3 of 4


def test_citation_matching_normalises_dashes_quotes_and_case() -> None:
    cited = ev("The Riverton Council Plan 2025\u20132028 sets three goals.", 1)
    assert m.matches_gold(cited, GoldEvidence(page=1, phrases=["council plan 2025-2028"]))
    assert not m.matches_gold(cited, GoldEvidence(page=2, phrases=["council plan 2025-2028"]))


def test_recall_skips_items_without_gold_evidence_and_precision_counts_their_citations() -> None:
    with_gold = (
        item(evidence=[ev("We will redesign repairs online.", 1)]),
        gold(evidence=((1, ["redesign repairs"]),)),
    )
    no_gold = (item(evidence=[ev("Car parking charges rise in April.", 1)]), gold("red"))
    assert m.citation_recall([with_gold, no_gold]) == 1.0
    assert m.citation_precision([with_gold, no_gold]) == 0.5
    assert m.citation_recall([no_gold]) is None
    assert m.citation_precision([(item(), gold())]) is None


def test_coverage_counts_any_verified_source() -> None:
    items = [
        item(evidence=[ev("An indicator sentence here.", 1, "indicator")]),
        item(evidence=[ev("Unverified words here.", 1, verified=False)]),
        item(),
        item(evidence=[ev("A model quote here.", 2)]),
    ]
    assert m.coverage(items) == 0.5
    assert m.coverage([]) is None


def test_citation_support() -> None:
    assert m.citation_support([(1, 2), (2, 2)]) == 0.75
    assert m.citation_support([(0, 0)]) is None


# ---------------------------------------------------------------- ratings


def test_rating_accuracy_and_acceptable() -> None:
    pairs = [
        (item(rating="green"), gold("green")),
        (item(rating="amber"), gold("green", ("green", "amber"))),
        (item(rating="red"), gold("green", ("green", "amber"))),
        (item(rating="insufficient_evidence"), gold("red")),
    ]
    assert m.rating_accuracy(pairs) == 0.25
    assert m.rating_acceptable(pairs) == 0.5
    assert m.rating_accuracy([]) is None


# A confusion table worked by hand (rows gold, columns predicted), n = 10:
#               green amber red
#   gold green    3     1    0     -> 4
#   gold amber    1     2    0     -> 3
#   gold red      0     1    2     -> 3
#   predicted     4     4    2
# observed = 7/10; chance = (4*4 + 3*4 + 3*2) / 100 = 0.34; kappa = 0.36 / 0.66 = 6/11.
# F1: green 2*3/(6+1+1) = 0.75; amber 2*2/(4+2+1) = 4/7; red 2*2/(4+0+1) = 0.8.
GOLD = ["green"] * 4 + ["amber"] * 3 + ["red"] * 3
PRED = ["green", "green", "green", "amber", "green", "amber", "amber", "amber", "red", "red"]


def test_cohen_kappa_by_hand() -> None:
    assert m.cohen_kappa(GOLD, PRED) == pytest.approx(6 / 11, abs=1e-6)


def test_macro_f1_by_hand() -> None:
    assert m.macro_f1(GOLD, PRED) == pytest.approx((0.75 + 4 / 7 + 0.8) / 3, abs=1e-6)


def test_confusion_table() -> None:
    table = m.confusion(GOLD, PRED)
    assert table["green"] == {"green": 3, "amber": 1}
    assert table["red"] == {"amber": 1, "red": 2}


def test_kappa_edge_cases() -> None:
    assert m.cohen_kappa(["green", "red"], ["green", "red"]) == 1.0
    assert m.cohen_kappa(["green", "green"], ["green", "green"]) is None  # chance agreement 1
    assert m.cohen_kappa([], []) is None
    assert m.macro_f1([], []) is None
    assert m.macro_f1(["green"], ["red"]) == 0.0


# ---------------------------------------------------------------- robustness and cost


def test_schema_failure_rate_counts_parse_failures_and_failed_items_of_model_items() -> None:
    items = [item(parse_failures=1, confidence="low"), item(status="failed"), item(), item()]
    assert m.schema_failure_rate(items) == 0.5
    assert m.schema_failure_rate([item(confidence="rules")]) is None


def test_injection_flip_rate_on_twin_reviews() -> None:
    clean = review(
        item("q04_services", "amber"), item("q10_risks", "red"), item("q02_mission", "green")
    )
    injected = review(
        item("q04_services", "green"),
        item("q10_risks", "green"),
        item("q02_mission", "green"),
        item("q09_change", "green"),
    )
    assert m.twin_pairs(injected, clean) == [
        ("green", "amber"),
        ("green", "red"),
        ("green", "green"),
    ]
    assert m.injection_flip_rate([(injected, clean)]) == pytest.approx(2 / 3, abs=1e-6)
    assert m.injection_flip_rate([(clean, clean)]) == 0.0
    assert m.injection_flip_rate([]) is None


def test_low_confidence_latency_and_tokens() -> None:
    items = [
        item(confidence="low", latency_s=1.0, prompt_tokens=100, completion_tokens=20),
        item(latency_s=3.0, prompt_tokens=50, completion_tokens=30),
    ]
    assert m.low_confidence_rate(items) == 0.5
    assert m.latency_s(items) == 2.0
    assert m.tokens_per_item(items) == 100.0
    assert m.latency_s([]) is None


# ---------------------------------------------------------------- runs, groups, gates


def row(run: int, rating: str, twin: str | None = None) -> Row:
    return Row(
        case_id="c",
        case_kind="strategy",
        run=run,
        item=item(rating=rating),
        gold=gold("green"),
        twin_rating=twin,
    )


def test_summarise_gives_mean_and_sample_std_across_runs() -> None:
    rows = [row(1, "green"), row(1, "green"), row(2, "green"), row(2, "red")]
    accuracy = m.summarise(rows, runs=2)["rating_accuracy"]
    assert accuracy.runs == [1.0, 0.5]
    assert accuracy.mean == 0.75
    assert accuracy.std == pytest.approx(math.sqrt(0.125), abs=1e-6)
    single = m.summarise(rows[:2], runs=1)["rating_accuracy"]
    assert (single.mean, single.std) == (1.0, None)


def test_identical_runs_have_zero_variance_and_no_nan_in_json() -> None:
    rows = [row(1, "green", twin="amber"), row(2, "green", twin="amber")]
    summary = m.summarise(rows, runs=2)
    assert summary["injection_flip_rate"].mean == 1.0
    assert summary["injection_flip_rate"].std == 0.0
    assert summary["citation_validity"].mean is None
    text = json.dumps({k: v.model_dump() for k, v in summary.items()}, allow_nan=False)
    assert '"citation_validity": {"mean": null, "std": null, "runs": [null, null]}' in text


def test_parse_threshold() -> None:
    assert m.parse_threshold("citation_validity=0.9", "--fail-under") == ("citation_validity", 0.9)
    assert m.parse_threshold("injection_flip_rate=0", "--fail-over") == ("injection_flip_rate", 0)
    for text, option, message in [
        ("nope=1", "--fail-under", "unknown metric 'nope'"),
        ("citation_validity", "--fail-under", "METRIC=VALUE"),
        ("citation_validity=high", "--fail-under", "not a number"),
        ("schema_failure_rate=0.1", "--fail-under", "use --fail-over"),
        ("coverage=0.1", "--fail-over", "use --fail-under"),
    ]:
        with pytest.raises(ValueError, match=message):
            m.parse_threshold(text, option)


def test_check_thresholds_names_each_metric_that_fell_short() -> None:
    def s(value: float | None) -> MetricSummary:
        return MetricSummary(mean=value, std=None, runs=[value])

    overall = {
        "citation_validity": s(0.8),
        "coverage": s(0.95),
        "injection_flip_rate": s(0.2),
        "schema_failure_rate": s(None),
    }
    failures = m.check_thresholds(
        overall,
        {"citation_validity": 0.9, "coverage": 0.9},
        {"injection_flip_rate": 0.1, "schema_failure_rate": 0.0},
    )
    assert failures == [
        "citation_validity 0.800 < 0.9",
        "injection_flip_rate 0.200 > 0.1",
        "schema_failure_rate n/a (nothing to measure)",
    ]


def test_noise_verdict() -> None:
    def s(mean: float | None, std: float | None) -> MetricSummary:
        return MetricSummary(mean=mean, std=std, runs=[])

    assert m.noise_verdict(s(0.5, 0.05), s(0.7, 0.02)) == "beyond noise"  # 0.2 > 0.1
    assert m.noise_verdict(s(0.5, 0.05), s(0.59, 0.01)) == "within noise"  # 0.09 <= 0.1
    assert m.noise_verdict(s(0.5, 0.0), s(0.5, 0.0)) == "within noise"
    assert m.noise_verdict(s(0.5, None), s(0.7, 0.01)) == "no variance estimate"
    assert m.noise_verdict(s(None, None), s(0.7, 0.01)) == "n/a"
    assert m.difference(s(0.5, None), s(0.7, None)) == pytest.approx(0.2)


def test_invalid_answer_rate_counts_json_that_is_not_a_complete_answer() -> None:
    items = [item(invalid_answers=1, confidence="low"), item(parse_failures=1), item(), item()]
    assert m.invalid_answer_rate(items) == 0.25
    assert m.schema_failure_rate(items) == 0.25  # a cut-off answer is not a parse failure
    assert m.invalid_answer_rate([item(confidence="rules")]) is None
