"""A person's decision on each finding of a review: accept, edit or reject, kept in decisions.json.

A CDO does not send a machine draft to the board. For each finding they accept it, edit its
rating, finding or recommendations, or reject it with a reason. Each decision keeps the text it
was made on (the model's or the rules' draft), the new text, who decided and when.

decisions.json lives beside review.json and is written atomically under a lock, so the workspace
and the ``decide`` command can both write to it. Re-running the review never touches it: each
decision is matched to its item by id, and :func:`finding_states` flags one whose evidence or
draft has changed since it was made, or whose item is no longer in the review.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from .errors import InputError
from .fsutil import atomic_write_text
from .locks import hold
from .normalise import normalise_for_match
from .records import RATINGS, ItemResult, Rating, Review

FILENAME = "decisions.json"
REVIEW_FILENAME = "review.json"
REVIEWER_ENV = "STRATEGY_REVIEW_REVIEWER"
Action = Literal["accept", "edit", "reject"]
ACTIONS: tuple[Action, ...] = ("accept", "edit", "reject")
MAX_TEXT = 4000  # characters in a finding, a recommendation or a reason


class FindingText(BaseModel):
    """The words of one finding: what a decision starts from and what an edit makes of it."""

    rating: Rating
    summary: str
    recommendations: list[str] = Field(default_factory=list)


class Decision(BaseModel):
    item_id: str
    action: Action
    original: FindingText  # the draft the decision was made on
    edited: FindingText | None = None  # the new text, for an edit
    reason: str = ""  # required for a reject; optional for an edit
    reviewer: str
    decided_at: str  # ISO 8601, UTC
    evidence_hash: str  # what the draft rested on when the decision was made
    draft_hash: str

    @property
    def final(self) -> FindingText | None:
        """The text that goes into the board paper; None for a rejected finding."""
        if self.action == "reject":
            return None
        return self.edited if self.action == "edit" and self.edited else self.original


class DecisionLog(BaseModel):
    schema_version: str = "1"
    decisions: dict[str, Decision] = Field(default_factory=dict)  # the latest, by item id
    history: list[Decision] = Field(default_factory=list)  # every decision, oldest first


class FindingState(BaseModel):
    """One item of a review with its decision, as the workspace and the paper show it."""

    item: ItemResult
    decision: Decision | None = None
    changed: list[str] = Field(default_factory=list)  # why the decision may no longer hold

    @property
    def status(self) -> Literal["undecided", "accept", "edit", "reject"]:
        return self.decision.action if self.decision else "undecided"


def decisions_path(review_dir: Path) -> Path:
    return review_dir / FILENAME


def load_review(review_dir: Path) -> Review:
    """Read review.json from a review folder, or stop with one line saying what is wrong."""
    path = review_dir / REVIEW_FILENAME
    if not path.is_file():
        raise InputError(f"{review_dir}: not a review folder (no {REVIEW_FILENAME})")
    try:
        return Review.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError, UnicodeDecodeError) as exc:
        reason = _first_line(exc)
        raise InputError(f"{path}: not a review this version can read ({reason})") from None


def load_decisions(review_dir: Path) -> DecisionLog:
    """The decisions made on a review; an empty log when there are none yet."""
    path = decisions_path(review_dir)
    if not path.is_file():
        return DecisionLog()
    try:
        return DecisionLog.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path}: damaged decisions file ({_first_line(exc)}); it was left as it is"
        ) from None


def current_reviewer(explicit: str | None = None) -> str:
    """Who is deciding: ``--reviewer``, then $STRATEGY_REVIEW_REVIEWER, then the OS user."""
    for candidate in (explicit, os.environ.get(REVIEWER_ENV)):
        if candidate and candidate.strip():
            return _clean(candidate, "reviewer", limit=120)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def draft_of(item: ItemResult) -> FindingText:
    return FindingText(
        rating=item.rating, summary=item.summary, recommendations=list(item.recommendations)
    )


def evidence_hash(item: ItemResult) -> str:
    """A fingerprint of the verified evidence an item's finding rests on."""
    keys = sorted(
        f"{ev.page_label or ev.page}|{normalise_for_match(ev.quote)}"
        for ev in item.evidence
        if ev.verified
    )
    return _digest(keys)


def draft_hash(item: ItemResult) -> str:
    return _digest(draft_of(item).model_dump(mode="json"))


def record_decision(
    review_dir: Path,
    item_id: str,
    action: str,
    *,
    rating: str | None = None,
    summary: str | None = None,
    recommendations: Sequence[str] | None = None,
    reason: str = "",
    reviewer: str | None = None,
) -> Decision:
    """Validate and save one decision on ``item_id``; it replaces any earlier one for that item."""
    review = load_review(review_dir)
    item = _find_item(review, item_id)
    if action not in ACTIONS:
        raise InputError(f"unknown decision {action!r}; use one of: {', '.join(ACTIONS)}")
    original = draft_of(item)
    edited = _edited(original, rating, summary, recommendations) if action == "edit" else None
    if action != "edit" and (rating or summary or recommendations):
        raise InputError("a new rating, finding or recommendation needs --edit")
    reason = _clean(reason, "reason", required=action == "reject")
    decision = Decision(
        item_id=item.id,
        action=action,
        original=original,
        edited=edited,
        reason=reason,
        reviewer=current_reviewer(reviewer),
        decided_at=datetime.now(UTC).isoformat(timespec="seconds"),
        evidence_hash=evidence_hash(item),
        draft_hash=draft_hash(item),
    )
    _save(review_dir, decision)
    return decision


def clear_decision(review_dir: Path, item_id: str) -> bool:
    """Undo the decision on an item (the history keeps it); False when there was none."""
    with hold(_lock_name(review_dir), "writing decisions"):
        log = load_decisions(review_dir)
        if log.decisions.pop(item_id, None) is None:
            return False
        atomic_write_text(decisions_path(review_dir), log.model_dump_json(indent=2) + "\n")
    return True


def finding_states(review: Review, log: DecisionLog) -> list[FindingState]:
    """Every item of the review with its decision, flagged where the review changed under it."""
    states = []
    for item in review.items:
        decision = log.decisions.get(item.id)
        states.append(FindingState(item=item, decision=decision, changed=_changes(item, decision)))
    return states


def orphaned(review: Review, log: DecisionLog) -> list[Decision]:
    """Decisions on items that are no longer in the review (e.g. after a rubric change)."""
    ids = {item.id for item in review.items}
    return [d for item_id, d in log.decisions.items() if item_id not in ids]


def _changes(item: ItemResult, decision: Decision | None) -> list[str]:
    if decision is None:
        return []
    changed = []
    if decision.evidence_hash != evidence_hash(item):
        changed.append("the evidence under this finding has changed since the decision")
    if decision.draft_hash != draft_hash(item):
        changed.append("the draft finding has changed since the decision")
    return changed


def _edited(
    original: FindingText,
    rating: str | None,
    summary: str | None,
    recommendations: Sequence[str] | None,
) -> FindingText:
    if rating is not None and rating not in RATINGS:
        raise InputError(f"unknown rating {rating!r}; use one of: {', '.join(RATINGS)}")
    if summary is not None:
        summary = _clean(summary, "finding", required=True)
    new = FindingText(
        rating=rating or original.rating,
        summary=original.summary if summary is None else summary,
        recommendations=(
            [_clean(r, "recommendation", required=True) for r in recommendations if r.strip()]
            if recommendations is not None
            else list(original.recommendations)
        ),
    )
    if new == original:
        raise InputError("the edit changes nothing; give a new rating, finding or recommendation")
    return new


def _save(review_dir: Path, decision: Decision) -> None:
    with hold(_lock_name(review_dir), "writing decisions"):
        log = load_decisions(review_dir)
        log.decisions[decision.item_id] = decision
        log.history.append(decision)
        atomic_write_text(decisions_path(review_dir), log.model_dump_json(indent=2) + "\n")


def _find_item(review: Review, item_id: str) -> ItemResult:
    for item in review.items:
        if item.id == item_id:
            return item
    known = ", ".join(item.id for item in review.items[:6])
    raise InputError(f"no item {item_id!r} in this review (items: {known}, ...)")


def _clean(text: str | None, what: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    value = " ".join((text or "").split()) if what == "reviewer" else (text or "").strip()
    if required and not value:
        raise InputError(f"a {what} is required and cannot be empty")
    if len(value) > limit:
        raise InputError(f"the {what} is {len(value)} characters; the limit is {limit}")
    return value


def _lock_name(review_dir: Path) -> str:
    resolved = str(review_dir.resolve())
    return "decisions-" + hashlib.sha256(resolved.encode()).hexdigest()[:16]


def _digest(value: object) -> str:
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
