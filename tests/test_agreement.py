"""Agreement between people and the tool: Cohen's kappa checked by hand, and the report built
from real decisions on a real rules review of the sample (the CDO session's 15/4/3)."""

from __future__ import annotations

import json
from pathlib import Path

import cdo_session
import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.decisions import load_review, record_decision
from pipeline.evals.agreement import agreement, cohen_kappa, format_report

runner = CliRunner()


def test_kappa_matches_a_hand_computed_two_by_two_table() -> None:
    # 50 items: both yes 20, A yes B no 5, A no B yes 10, both no 15.
    # p_o = 35/50 = 0.7; A says yes 25/50, B 30/50; p_e = .5*.6 + .5*.4 = 0.5; kappa = 0.4.
    pairs = [("yes", "yes")] * 20 + [("yes", "no")] * 5 + [("no", "yes")] * 10
    pairs += [("no", "no")] * 15
    k = cohen_kappa(pairs)
    assert k.observed == pytest.approx(0.7) and k.expected == pytest.approx(0.5)
    assert k.value == pytest.approx(0.4)


def test_kappa_matches_a_hand_computed_three_category_table() -> None:
    # Tool: green 5, amber 2, red 1. Person: green 2, amber 4, red 2. Agree on 5 of 8.
    pairs = [("green", "amber")] * 2 + [("green", "green")] * 2 + [("green", "red")]
    pairs += [("amber", "amber")] * 2 + [("red", "red")]
    k = cohen_kappa(pairs)
    # p_o = 5/8; p_e = (5*2 + 2*4 + 1*2) / 64 = 20/64; kappa = (40/64 - 20/64) / (44/64) = 5/11.
    assert k.value == pytest.approx(5 / 11)
    assert k.text.startswith("0.45 (n=8")


def test_kappa_perfect_agreement_is_one_and_systematic_disagreement_is_negative() -> None:
    assert cohen_kappa([("green", "green"), ("red", "red"), ("amber", "amber")]).value == 1.0
    flipped = cohen_kappa([("green", "red"), ("red", "green")] * 3)
    assert flipped.value == pytest.approx(-1.0)


def test_kappa_is_na_with_the_reason_for_one_category_or_no_items() -> None:
    single = cohen_kappa([("green", "green")] * 4)
    assert single.value is None and single.observed == 1.0
    assert single.text.startswith("n/a (") and "single category" in single.text
    empty = cohen_kappa([])
    assert empty.value is None and "no accepted or edited items" in empty.text
    # One category from the tool but two from the person is defined (kappa 0 here).
    assert cohen_kappa([("green", "green"), ("green", "red")]).value == pytest.approx(0.0)


def test_the_session_report_from_real_decisions(review_dir: Path) -> None:
    cdo_session.decide(review_dir)
    report = agreement([review_dir])
    c = report.counts
    assert (c.items, c.decided, c.undecided) == (22, 22, 0)
    assert (c.accepted, c.edited, c.rejected) == (15, 4, 3)
    assert report.shares["accepted_unchanged"] == pytest.approx(15 / 22)
    assert report.shares["edited"] == pytest.approx(4 / 22)
    assert report.shares["rejected"] == pytest.approx(3 / 22)
    # Pairs made by hand from the review's ratings and the session's edits.
    review = load_review(review_dir)
    pairs: dict[str, list[tuple[str, str]]] = {}
    for item in review.items:
        if item.id in cdo_session.REJECT:
            continue
        new = cdo_session.EDITS.get(item.id, (None, "", []))[0] or item.rating
        pairs.setdefault(item.kind, []).append((item.rating, new))
    assert c.rating_changed == sum(a != b for ps in pairs.values() for a, b in ps) == 3
    for kind, kind_pairs in pairs.items():
        assert report.kappa[kind].n == len(kind_pairs)
        assert report.kappa[kind].text == cohen_kappa(kind_pairs).text
    everything = [p for ps in pairs.values() for p in ps]
    assert report.kappa["overall"].n == 19
    assert report.kappa["overall"].value == pytest.approx(cohen_kappa(everything).value)
    text = format_report(report)
    assert "accepted unchanged  15/22 (68%)" in text and "rejected            3/22 (14%)" in text
    assert "accepted + edited items only" in text


def test_undecided_items_are_counted_apart(review_dir: Path) -> None:
    ids = [item.id for item in load_review(review_dir).items]
    record_decision(review_dir, ids[0], "accept")
    record_decision(review_dir, ids[1], "reject", reason="Misread the page.")
    report = agreement([review_dir])
    assert (report.counts.decided, report.counts.undecided) == (2, 20)
    assert report.shares["rejected"] == 0.5
    assert report.kappa["overall"].n == 1 and report.kappa["overall"].value is None


def test_no_decisions_gives_na_not_a_crash(review_dir: Path) -> None:
    report = agreement([review_dir])
    assert report.counts.decided == 0 and report.shares["edited"] is None
    assert "0/0 (n/a)" in format_report(report)


def test_cli_pools_reviews_and_writes_json(review_dir: Path, tmp_path: Path) -> None:
    import shutil

    cdo_session.decide(review_dir)
    second = Path(shutil.copytree(review_dir, tmp_path / "second"))
    out = tmp_path / "agreement.json"
    result = runner.invoke(
        app, ["evals", "agreement", str(review_dir), str(second), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "Items: 44; decided 44" in result.output and "overall" in result.output
    data = json.loads(out.read_text())
    assert data["counts"]["edited"] == 8 and data["kappa"]["overall"]["n"] == 38
    assert data["kappa"]["good_sign"]["text"].startswith("1.00")


def test_cli_bad_folder_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["evals", "agreement", str(tmp_path)])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
