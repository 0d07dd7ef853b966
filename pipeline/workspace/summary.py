"""What the workspace and ``decide --list`` show about reviews and their decisions (no web code)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field

from ..decisions import FindingState, finding_states, load_decisions, load_review, orphaned
from ..errors import StrategyReviewError
from ..review_index import IndexedReview, known_reviews

STATUSES = ("accept", "edit", "reject", "undecided")
STATUS_WORDS = {
    "accept": "accepted",
    "edit": "edited",
    "reject": "rejected",
    "undecided": "undecided",
}


class ReviewSummary(BaseModel):
    """One line of the list of reviews."""

    id: str
    path: str
    title: str = ""
    created_at: str = ""
    model: str = ""
    counts: dict[str, int] = Field(default_factory=dict)  # by status, every status present
    changed: int = 0  # decisions whose evidence or draft has changed since
    error: str | None = None  # why the folder could not be read


def status_counts(states: Iterable[FindingState]) -> dict[str, int]:
    counts: Counter[str] = Counter(state.status for state in states)
    return {status: counts[status] for status in STATUSES}


def summarise(entry: IndexedReview) -> ReviewSummary:
    folder = Path(entry.path)
    try:
        review = load_review(folder)
        states = finding_states(review, load_decisions(folder))
    except StrategyReviewError as exc:
        return ReviewSummary(id=entry.id, path=entry.path, title=folder.name, error=str(exc))
    return ReviewSummary(
        id=entry.id,
        path=entry.path,
        title=review.document.title or Path(review.document.path).name or folder.name,
        created_at=review.created_at,
        model=review.model.id,
        counts=status_counts(states),
        changed=sum(1 for state in states if state.changed),
    )


def list_reviews(extra: Iterable[Path] = ()) -> list[ReviewSummary]:
    """Every review the home knows (and ``extra`` folders), newest first."""
    summaries = [summarise(entry) for entry in known_reviews(extra)]
    return sorted(summaries, key=lambda s: s.created_at, reverse=True)


def decision_table(review_dir: Path) -> list[list[str]]:
    """``decide --list``: a header row, then one row per item with its decision."""
    review = load_review(review_dir)
    log = load_decisions(review_dir)
    rows = [["item", "draft", "status", "final", "by", "note"]]
    for state in finding_states(review, log):
        decision = state.decision
        final = decision.final if decision else None
        note = "; ".join(state.changed) or (decision.reason if decision else "")
        rows.append(
            [
                state.item.id,
                state.item.rating,
                STATUS_WORDS[state.status],
                final.rating if final else ("-" if decision else ""),
                decision.reviewer if decision else "",
                note,
            ]
        )
    for gone in orphaned(review, log):
        rows.append([gone.item_id, "-", STATUS_WORDS[gone.action], "-", gone.reviewer, "orphaned"])
    return rows


def format_table(rows: list[list[str]]) -> str:
    """Plain aligned columns; the last column is left unpadded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
