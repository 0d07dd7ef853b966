"""strategy-review decide, through typer's CliRunner, on a real rules review of the sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.decisions import decisions_path, load_decisions, load_review

runner = CliRunner()


def _decide(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["decide", *args])


def test_accept_edit_reject_undo_and_list(review_dir: Path) -> None:
    first, second, third = [i.id for i in load_review(review_dir).items[:3]]
    d = str(review_dir)
    assert _decide(d, first, "--accept", "--reviewer", "A. Cdo").exit_code == 0
    edited = _decide(
        d,
        second,
        "--edit",
        "--rating",
        "amber",
        "--finding",
        "Partly shown on p. 3.",
        "--recommendation",
        "Name an owner.",
        "--recommendation",
        "Set a date.",
    )
    assert edited.exit_code == 0, edited.output
    assert f"{second}: edited by" in edited.output
    rejected = _decide(d, third, "--reject", "--reason", "The quote is about another plan.")
    assert rejected.exit_code == 0

    log = load_decisions(review_dir)
    assert log.decisions[first].reviewer == "A. Cdo"
    edit = log.decisions[second].edited
    assert (
        edit
        and edit.rating == "amber"
        and edit.recommendations == ["Name an owner.", "Set a date."]
    )
    assert log.decisions[third].reason == "The quote is about another plan."

    listed = _decide(d, "--list")
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert lines[0].split() == ["item", "draft", "status", "final", "by", "note"]
    assert len(lines) == 1 + 22
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows[first][2] == "accepted" and rows[second][2:4] == ["edited", "amber"]
    assert rows[third][2] == "rejected" and "another plan." in lines[3]
    assert sum(1 for r in rows.values() if r[2] == "undecided") == 19

    undone = _decide(d, third, "--undo")
    assert undone.exit_code == 0 and third not in load_decisions(review_dir).decisions
    assert "no decision to remove" in _decide(d, third, "--undo").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ITEM", "--reject"], "a reason is required"),
        (["ITEM", "--reject", "--reason", "   "], "a reason is required"),
        (["ITEM", "--accept", "--reject", "--reason", "x"], "exactly one of"),
        (["ITEM"], "exactly one of"),
        (["ITEM", "--accept", "--rating", "red"], "needs --edit"),
        (["ITEM", "--edit", "--rating", "purple"], "unknown rating 'purple'"),
        (["ITEM", "--edit"], "the edit changes nothing"),
        (["no_such_item", "--accept"], "no item 'no_such_item'"),
        (["--accept"], "needs an ITEM id"),
        (["ITEM", "--list"], "--list takes no ITEM"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    review_dir: Path, args: list[str], message: str
) -> None:
    item = load_review(review_dir).items[0].id
    result = _decide(str(review_dir), *[item if a == "ITEM" else a for a in args])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not decisions_path(review_dir).exists()


def test_a_folder_without_a_review_is_named(tmp_path: Path) -> None:
    result = _decide(str(tmp_path), "--list")
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tmp_path}: not a review folder (no review.json)"


def test_a_damaged_decisions_file_is_left_alone(review_dir: Path) -> None:
    decisions_path(review_dir).write_text("{broken", encoding="utf-8")
    item = load_review(review_dir).items[0].id
    result = _decide(str(review_dir), item, "--accept")
    assert result.exit_code == 2 and "damaged decisions file" in result.output
    assert decisions_path(review_dir).read_text(encoding="utf-8") == "{broken"


def test_serve_refuses_a_host_other_than_loopback_and_a_folder_without_a_review(
    tmp_path: Path,
) -> None:
    wide = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert wide.exit_code == 2 and "only listens on 127.0.0.1" in wide.output
    empty = runner.invoke(app, ["serve", str(tmp_path), "--port", "0"])
    assert empty.exit_code == 2 and "not a review folder" in empty.output
