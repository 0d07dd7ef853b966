"""decisions.json: accept, edit and reject findings of a real rules review, atomically, and keep
each decision across a re-run of the review, flagged when what it rested on has changed."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import pytest

from pipeline.decisions import (
    decisions_path,
    finding_states,
    load_decisions,
    load_review,
    orphaned,
    record_decision,
)
from pipeline.errors import InputError
from pipeline.records import Evidence


def _ids(review_dir: Path) -> list[str]:
    return [item.id for item in load_review(review_dir).items]


def test_accept_edit_reject_are_saved_with_original_text_and_who(review_dir: Path) -> None:
    first, second, third = _ids(review_dir)[:3]
    item = load_review(review_dir).items[1]
    record_decision(review_dir, first, "accept", reviewer="A. Cdo")
    record_decision(
        review_dir,
        second,
        "edit",
        rating="red",
        summary="No named owner for delivery.",
        recommendations=["Name an owner.", "  "],
        reviewer="A. Cdo",
    )
    record_decision(review_dir, third, "reject", reason="Wrong page read.", reviewer="B. Board")

    raw = json.loads(decisions_path(review_dir).read_text())
    assert set(raw["decisions"]) == {first, second, third}
    edit = load_decisions(review_dir).decisions[second]
    assert edit.original.summary == item.summary and edit.original.rating == item.rating
    assert edit.edited is not None and edit.edited.rating == "red"
    assert edit.edited.recommendations == ["Name an owner."]
    assert edit.final == edit.edited and edit.reviewer == "A. Cdo"
    rejected = load_decisions(review_dir).decisions[third]
    assert rejected.final is None and rejected.reason == "Wrong page read."
    assert rejected.decided_at.endswith("+00:00")


def test_a_later_decision_replaces_the_earlier_and_history_keeps_both(review_dir: Path) -> None:
    item_id = _ids(review_dir)[0]
    record_decision(review_dir, item_id, "reject", reason="first look")
    record_decision(review_dir, item_id, "accept")
    log = load_decisions(review_dir)
    assert log.decisions[item_id].action == "accept"
    assert [d.action for d in log.history] == ["reject", "accept"]


@pytest.mark.parametrize(
    ("action", "kwargs", "message"),
    [
        ("reject", {}, "reason is required"),
        ("edit", {}, "changes nothing"),
        ("edit", {"rating": "purple"}, "unknown rating"),
        ("edit", {"summary": "   "}, "finding is required"),
        ("accept", {"rating": "red"}, "needs --edit"),
        ("approve", {}, "unknown decision"),
        ("reject", {"reason": "x" * 5000}, "the limit is"),
    ],
)
def test_bad_decisions_are_refused_and_nothing_is_written(
    review_dir: Path, action: str, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        record_decision(review_dir, _ids(review_dir)[0], action, **kwargs)  # type: ignore[arg-type]
    assert not decisions_path(review_dir).exists()


def test_unknown_item_and_missing_review_are_one_line_errors(
    review_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="no item 'nope'"):
        record_decision(review_dir, "nope", "accept")
    with pytest.raises(InputError, match="not a review folder"):
        record_decision(tmp_path / "empty", "x", "accept")


def test_damaged_decisions_file_is_named_and_left_alone(review_dir: Path) -> None:
    decisions_path(review_dir).write_text("{not json")
    with pytest.raises(InputError, match="damaged decisions file"):
        load_decisions(review_dir)
    assert decisions_path(review_dir).read_text() == "{not json"


def test_rerun_keeps_decisions_and_flags_changed_evidence(review_dir: Path) -> None:
    ids = _ids(review_dir)
    record_decision(review_dir, ids[0], "accept")
    record_decision(review_dir, ids[1], "accept")
    review = load_review(review_dir)
    # A re-run whose evidence for the first item differs, and whose rubric lost the last item.
    review.items[0].evidence.append(
        Evidence(quote="A new sentence found by the re-run.", page=2, verified=True)
    )
    kept = review.items[1]
    review.items = [i for i in review.items if i.id != ids[1]] + [kept]
    (review_dir / "review.json").write_text(review.model_dump_json(indent=2))

    log = load_decisions(review_dir)
    states = {s.item.id: s for s in finding_states(load_review(review_dir), log)}
    assert states[ids[0]].status == "accept"
    assert states[ids[0]].changed == [
        "the evidence under this finding has changed since the decision"
    ]
    assert states[ids[1]].changed == []
    assert states[ids[2]].status == "undecided"

    review.items = review.items[1:]
    assert [d.item_id for d in orphaned(review, load_decisions(review_dir))] == [ids[0]]


def _decide(args: tuple[str, str, int]) -> None:
    review_dir, item_id, n = args
    record_decision(Path(review_dir), item_id, "reject", reason=f"reason {n}")


def test_concurrent_writers_lose_no_decision(review_dir: Path) -> None:
    ids = _ids(review_dir)[:8]
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        pool.map(_decide, [(str(review_dir), item_id, n) for n, item_id in enumerate(ids)])
    log = load_decisions(review_dir)
    assert set(log.decisions) == set(ids) and len(log.history) == 8
