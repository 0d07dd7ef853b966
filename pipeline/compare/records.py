"""The comparison records, and the small helpers that describe them. No rendering here."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from ..exemplar_choice import MissingNote
from ..normalise import normalise_for_match
from ..records import (
    DocumentRef,
    Evidence,
    ExemplarRef,
    ItemKind,
    ModelRef,
    Rating,
    RubricRef,
)

Status = Literal["resolved", "new", "worse", "better", "unchanged"]
STATUSES: tuple[Status, ...] = ("resolved", "better", "unchanged", "worse", "new")


class ItemSide(BaseModel):
    """One document's result for one item: what the comparison shows of a review."""

    rating: Rating
    rating_label: str
    finding: str
    confidence: str
    status: Literal["ok", "failed"] = "ok"
    evidence: list[Evidence] = Field(default_factory=list)  # verified quotes only


class ExemplarSource(BaseModel):
    source_id: str
    title: str
    organisation: str
    url: str
    sector: str
    year: int | None = None
    chosen_by: Literal["user", "auto"]
    reason: str
    similarity: float | None = None
    items_with_notes: int = 0


class ExemplarNote(BaseModel):
    text: str
    section: str
    stance: str  # exemplary | cautionary
    secondary: bool = False


class ExemplarCell(BaseModel):
    source_id: str
    notes: list[ExemplarNote] = Field(default_factory=list)
    passages: list[ExemplarRef] = Field(default_factory=list)
    contrast: str  # what the exemplar does that the user's strategy does not, citing both
    missing: MissingNote | None = None  # why there is no note (set only when notes is empty)


class ExemplarItem(BaseModel):
    id: str
    kind: ItemKind
    title: str
    user: ItemSide
    exemplars: list[ExemplarCell]


class ExemplarComparison(BaseModel):
    schema_version: str = "1"
    mode: Literal["exemplars"] = "exemplars"
    tool_version: str
    created_at: str
    document: DocumentRef
    model: ModelRef
    rubric_version: str
    rubric: RubricRef | None = None
    corpus_version: str
    sector: str  # guessed from the document's text
    sector_basis: str
    exemplars: list[ExemplarSource]
    items: list[ExemplarItem]


class PageRef(BaseModel):
    page: int  # 1-based PDF index
    page_label: str


class EvidenceChange(BaseModel):
    change: Literal["appeared", "disappeared", "kept"]
    quote: str
    old_page: PageRef | None = None  # where the text is in the old version (None: not in it)
    new_page: PageRef | None = None


class VersionItem(BaseModel):
    id: str
    kind: ItemKind
    title: str
    old: ItemSide
    new: ItemSide
    status: Status
    evidence: list[EvidenceChange] = Field(default_factory=list)


class VersionComparison(BaseModel):
    schema_version: str = "1"
    mode: Literal["versions"] = "versions"
    tool_version: str
    created_at: str
    old: DocumentRef
    new: DocumentRef
    model: ModelRef
    rubric_version: str
    rubric: RubricRef | None = None
    corpus_version: str
    counts: dict[str, int]
    items: list[VersionItem]


Comparison = ExemplarComparison | VersionComparison

# ---------------------------------------------------------------- describing helpers


def page_cite(ev: Evidence) -> str | None:
    label = ev.page_label or (str(ev.page) if ev.page is not None else None)
    return f"p. {label}" if label else None


def user_cite(side: ItemSide) -> str:
    """``p. <label>`` of the best (first) verified evidence, or ``no evidence found``."""
    return next((c for e in side.evidence if (c := page_cite(e))), "no evidence found")


def quote_key(quote: str) -> str:
    """Quotes compared by normalised text: case, spacing, curly quotes, bullets, end marks."""
    text = normalise_for_match(quote).replace("…", " ").replace("...", " ")
    return re.sub(r"^[\W_]+|[\W_]+$", "", " ".join(text.split()))


_SECONDARY_PREFIX = re.compile(r"^Based on [^:]{0,80}:\s*", re.I)
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?=\s+[\"“‘(A-Z0-9]|$)", re.S)


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def first_sentence(note: str) -> str:
    """The note's first sentence, without the 'Based on the guide's description only:' lead."""
    text = _SECONDARY_PREFIX.sub("", " ".join(note.split()))
    text = text[:1].upper() + text[1:]
    match = _FIRST_SENTENCE.match(text)
    return (match.group(1) if match else text).strip()
