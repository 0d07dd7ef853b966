"""Build a :class:`BoardPaper` from a review folder: review.json plus decisions.json."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from ..decisions import FindingState, finding_states, load_decisions, load_review, orphaned
from ..errors import InputError
from ..records import Evidence, ItemResult, Review, rating_label
from ..report.common import KIND_HEADINGS, RATING_WORDS
from ..rubric import rubric_line
from .records import (
    BoardPaper,
    Citation,
    Method,
    PaperFinding,
    PaperStatus,
    RejectedItem,
    SummaryRow,
)

PAPER_TITLE = "Digital strategy review: paper for the board"
# Words that mark the part of a title before " - " as the name of an organisation.
ORG_WORDS = re.compile(
    r"\b(council|trust|nhs|department|ministry|government|agency|authority|board|office|"
    r"service|university|college|borough|county|city|commission|police|fire)\b",
    re.IGNORECASE,
)
BULLET = re.compile(r"^[•·▪◦‣\-–*]\s+")
TITLE_SPLIT = re.compile(r"\s*:\s+|\s+[-–—|]\s+")


class UndecidedFindings(InputError):
    """Some findings have no decision and the paper was not asked to include them."""


def build_paper(
    review_dir: Path,
    *,
    include_undecided: bool = False,
    organisation: str | None = None,
    now: datetime | None = None,
) -> BoardPaper:
    """The board paper for a review folder; refuses (one line) while findings are undecided,
    unless ``include_undecided`` puts them under a clearly marked "Not yet reviewed" section."""
    review = load_review(review_dir)
    log = load_decisions(review_dir)
    states = finding_states(review, log)
    undecided = [s for s in states if s.decision is None]
    if undecided and not include_undecided:
        raise UndecidedFindings(
            f"{len(undecided)} of {len(states)} findings in {review_dir} are not yet decided "
            f"(first: {undecided[0].item.id}); decide each one in `strategy-review serve` or with "
            "`strategy-review decide`, or pass --include-undecided to list them under "
            "'Not yet reviewed'"
        )
    now = now or datetime.now(UTC)
    findings = [_finding(s) for s in states if s.status in ("accept", "edit")]
    rejected = [_rejected(s) for s in states if s.status == "reject"]
    kept_undecided = [_finding(s) for s in undecided]
    counts = {
        "items": len(states),
        "accepted": sum(1 for s in states if s.status == "accept"),
        "edited": sum(1 for s in states if s.status == "edit"),
        "rejected": len(rejected),
        "undecided": len(undecided),
    }
    return BoardPaper(
        title=PAPER_TITLE,
        document_title=review.document.title or Path(review.document.path).name,
        organisation=organisation or guess_organisation(review.document.title),
        date=f"{now.day} {now:%B %Y}",
        summary=[_summary_row(s) for s in states],
        findings=findings,
        undecided=kept_undecided,
        rejected=rejected,
        method=_method(review, states, now),
        warnings=_warnings(review, states, log_orphans=len(orphaned(review, log))),
        counts=counts,
    )


def guess_organisation(title: str) -> str | None:
    """The organisation named before a title's dash, when it looks like one
    ("Northbridge Teaching Hospitals NHS Foundation Trust - Digital Strategy")."""
    parts = TITLE_SPLIT.split(title or "", maxsplit=1)
    if len(parts) == 2 and ORG_WORDS.search(parts[0]) and "strategy" not in parts[0].lower():
        return parts[0].strip()
    return None


def citations(item: ItemResult) -> list[Citation]:
    """The item's verified quotes with their printed page labels, each once."""
    seen: set[tuple[str, str]] = set()
    out = []
    for ev in item.evidence:
        if not ev.verified or not ev.quote.strip():
            continue
        cite = Citation(quote=display_quote(ev.quote), page_label=_label(ev), pdf_page=ev.page)
        key = (cite.quote, cite.page_label)
        if key not in seen:
            seen.add(key)
            out.append(cite)
    return out


def display_quote(quote: str) -> str:
    """A verified quote as the paper prints it: one line, without a leading list bullet."""
    return BULLET.sub("", " ".join(quote.split()))


def _label(ev: Evidence) -> str:
    if ev.page_label:
        return ev.page_label
    return f"PDF page {ev.page}" if ev.page is not None else "page not known"


def _status(state: FindingState) -> PaperStatus:
    return {"accept": "accepted", "edit": "edited", "reject": "rejected"}.get(
        state.status, "undecided"
    )  # type: ignore[return-value]


def _finding(state: FindingState) -> PaperFinding:
    item, decision = state.item, state.decision
    final = decision.final if decision else None
    rating = final.rating if final else item.rating
    edited = decision is not None and decision.action == "edit"
    return PaperFinding(
        item_id=item.id,
        kind=item.kind,
        kind_heading=KIND_HEADINGS.get(item.kind, item.kind),
        title=item.title,
        status=_status(state),
        rating=rating,
        rating_word=RATING_WORDS.get(rating, rating.upper()),
        rating_label=rating_label(item.kind, rating),
        summary=final.summary if final else item.summary,
        recommendations=list(final.recommendations if final else item.recommendations),
        citations=citations(item),
        reviewer=decision.reviewer if decision else None,
        tool_rating=(
            decision.original.rating
            if edited and decision and decision.original.rating != rating
            else None
        ),
        warnings=list(state.changed),
    )


def _summary_row(state: FindingState) -> SummaryRow:
    item, status = state.item, _status(state)
    if status == "rejected":
        return SummaryRow(
            item_id=item.id,
            kind_heading=KIND_HEADINGS.get(item.kind, item.kind),
            title=item.title,
            status=status,
            rating=None,
            rating_text="No rating (rejected)",
        )
    finding = _finding(state)
    text = finding.rating_text + (" (draft, not yet reviewed)" if status == "undecided" else "")
    return SummaryRow(
        item_id=item.id,
        kind_heading=finding.kind_heading,
        title=item.title,
        status=status,
        rating=finding.rating,
        rating_text=text,
    )


def _rejected(state: FindingState) -> RejectedItem:
    assert state.decision is not None
    return RejectedItem(
        item_id=state.item.id,
        kind_heading=KIND_HEADINGS.get(state.item.kind, state.item.kind),
        title=state.item.title,
        reason=state.decision.reason,
        reviewer=state.decision.reviewer,
    )


def _method(review: Review, states: list[FindingState], now: datetime) -> Method:
    decisions = [s.decision for s in states if s.decision is not None]
    reviewers = sorted({d.reviewer for d in decisions})
    dates = sorted(d.decided_at[:10] for d in decisions)
    between = ""
    if dates:
        between = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
        between += f" ({len(decisions)} decisions)"
    return Method(
        tool_version=review.tool_version,
        model_id=review.model.id,
        model_backend=review.model.backend,
        rubric_version=review.rubric_version,
        corpus_version=review.corpus_version,
        prompts=dict(review.prompts),
        rubric=rubric_line(review),
        review_date=review.created_at,
        reviewers=reviewers,
        decided_between=between,
        exported_at=now.isoformat(timespec="seconds"),
        document_path=Path(review.document.path).name,
        document_sha256=review.document.sha256,
    )


def _warnings(review: Review, states: list[FindingState], log_orphans: int) -> list[str]:
    changed = [s.item.id for s in states if s.changed]
    out = []
    if changed:
        out.append(
            f"Warning: {len(changed)} decision(s) were made on a draft that has changed since "
            f"({', '.join(changed)}); check them again before this paper goes to the board."
        )
    if log_orphans:
        out.append(
            f"Warning: {log_orphans} decision(s) are on items no longer in this review and are "
            "left out of the paper."
        )
    return out
