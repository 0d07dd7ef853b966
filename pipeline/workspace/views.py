"""Plain dictionaries for the workspace templates, built from a review and its decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..decisions import Decision, FindingState, FindingText, orphaned
from ..decisions import finding_states as states_of
from ..records import RATINGS, ItemResult, Review, rating_label
from ..report import common as c
from .summary import STATUS_WORDS, status_counts

RATING_WORDS = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "insufficient_evidence": "Grey",
}


def rating_view(kind: str, rating: str) -> dict[str, str]:
    word = RATING_WORDS.get(rating, rating)
    return {"cls": rating, "text": f"{word}: {rating_label(kind, rating)}"}


def review_view(review: Review, log: Any, errors: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Everything the review page shows; ``errors`` holds a failed form's message and input."""
    states = states_of(review, log)
    groups = []
    for kind, items in c.grouped_items(review):
        ids = {item.id for item in items}
        findings = [_finding(s, errors.get(s.item.id)) for s in states if s.item.id in ids]
        groups.append({"heading": c.KIND_HEADINGS[kind], "findings": findings})
    counts = status_counts(states)
    return {
        "title": review.document.title or Path(review.document.path).name or "Untitled document",
        "created": c.format_date(review.created_at),
        "model": review.model.id,
        "file": Path(review.document.path).name,
        "counts": [(STATUS_WORDS[k].capitalize(), v) for k, v in counts.items()],
        "changed": sum(1 for s in states if s.changed),
        "orphaned": [d.item_id for d in orphaned(review, log)],
        "groups": groups,
    }


def _finding(state: FindingState, error: dict[str, Any] | None) -> dict[str, Any]:
    item = state.item
    decision = state.decision
    current = _current_text(item, decision)
    values = {
        "rating": current.rating,
        "finding": current.summary,
        "recommendations": "\n".join(current.recommendations),
        "reason": decision.reason if decision and decision.action == "reject" else "",
    }
    if error:
        values.update(error["values"])
    return {
        "id": item.id,
        "anchor": c.anchor(item),
        "title": item.title,
        "failed": item.status == "failed",
        "draft": rating_view(item.kind, item.rating),
        "summary": item.summary,
        "notes": c.item_notes(item) if item.confidence == "model" else [],
        "evidence": [
            {"page": c.page_text(ev), "quote": ev.quote, "verified": c.verified_text(ev)}
            for ev in item.evidence
        ],
        "recommendations": item.recommendations,
        "status": state.status,
        "status_text": STATUS_WORDS[state.status].capitalize(),
        "decision": _decision(item, decision),
        "changed": state.changed,
        "input": values,
        "ratings": [(r, rating_view(item.kind, r)["text"]) for r in RATINGS],
        "error": error,
    }


def _current_text(item: ItemResult, decision: Decision | None) -> FindingText:
    if decision and decision.action == "edit" and decision.edited:
        return decision.edited
    return FindingText(
        rating=item.rating, summary=item.summary, recommendations=list(item.recommendations)
    )


def _decision(item: ItemResult, decision: Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    edited = decision.edited if decision.action == "edit" else None
    return {
        "by": decision.reviewer,
        "at": c.format_date(decision.decided_at),
        "reason": decision.reason,
        "edited": (
            {
                "rating": rating_view(item.kind, edited.rating),
                "summary": edited.summary,
                "recommendations": edited.recommendations,
            }
            if edited
            else None
        ),
    }
