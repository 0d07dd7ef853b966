"""The league table: many reviews side by side, and what is common across them.

A :class:`League` holds one row per reviewed document (a rating for each of the 22 rubric items,
with a link to that document's ``review.html``), the documents that could not be reviewed, and a
few claims about the whole set ("14 of 20 strategies say nothing about what they will not do"),
each computed from the reviews' indicators and ratings and linked to its evidence. The claims'
wording lives in :data:`CLAIM_RULES` and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from . import __version__
from .records import RATINGS, ItemResult, ModelRef, Review, RubricRef, rating_label
from .report.common import anchor
from .rubric import Rubric, active

LEAGUE_SCHEMA = "1"
Cell = Literal["green", "amber", "red", "insufficient_evidence", "failed", "not_reviewed"]
COUNTED: tuple[str, ...] = (*RATINGS, "failed")
KIND_CODES = {"good_sign": "G", "warning_sign": "W", "board_question": "Q"}
REVIEW_FILE = "review.html"
TOP_RED_ITEMS = 3  # how many "rated red on <item>" claims to make


class LeagueItem(BaseModel):
    id: str
    kind: str
    title: str
    code: str  # short column heading: G1..G6, W1..W6, Q1..Q10


class LeagueRow(BaseModel):
    slug: str  # the document's folder under the batch output
    file: str  # the path as found
    title: str
    sha256: str
    pages: int
    review: str  # link to review.html, relative to the league files
    links: dict[str, str]  # item id -> link to that item's section of review.html
    ratings: dict[str, Cell]  # item id -> rating
    labels: dict[str, str]  # item id -> what the rating means for that item, e.g. "Not shown"
    counts: dict[str, int]  # green, amber, red, insufficient_evidence, failed
    items_cached: int = 0


class FailedDocument(BaseModel):
    slug: str
    file: str
    error: str  # one line


class ClaimEvidence(BaseModel):
    slug: str
    title: str
    href: str  # review.html#item-... of that document
    note: str  # what its review says on the point


class Claim(BaseModel):
    id: str
    text: str  # "4 of 6 strategies say nothing about what they will not do"
    count: int
    total: int
    item_id: str  # the rubric item whose section in each review holds the evidence
    evidence: list[ClaimEvidence] = Field(default_factory=list)


class League(BaseModel):
    schema_version: str = LEAGUE_SCHEMA
    tool_version: str = __version__
    created_at: str
    rubric_version: str
    rubric: RubricRef | None = None  # name, version and content hash
    model: ModelRef | None = None
    items: list[LeagueItem]
    rows: list[LeagueRow]
    failed: list[FailedDocument] = Field(default_factory=list)
    claims: list[Claim] = Field(default_factory=list)


@dataclass(frozen=True)
class Reviewed:
    """A document the batch reviewed: its folder, its path as found, and the review."""

    slug: str
    file: str
    review: Review


# ---------------------------------------------------------------- claims: the wording, once


@dataclass(frozen=True)
class ClaimRule:
    id: str
    text: str  # with {n} and {m}
    item_id: str
    indicator: str
    test: Callable[[dict[str, Any]], bool]  # on the indicator's value


CLAIM_RULES: tuple[ClaimRule, ...] = (
    ClaimRule(
        "no_deprioritisation",
        "{n} of {m} strategies say nothing about what they will not do",
        "q05_not_prioritising",
        "deprioritisation",
        lambda v: not v.get("count"),
    ),
    ClaimRule(
        "no_executive_owner",
        "{n} of {m} strategies do not say that an executive owns the strategy",
        "it_driven",
        "ownership",
        lambda v: v.get("owner_kind") not in ("executive", "mixed"),
    ),
    ClaimRule(
        "no_measurable_commitment",
        "{n} of {m} strategies make no commitment that is both dated and measurable",
        "vague",
        "measurable_commitments",
        lambda v: not v.get("count"),
    ),
    ClaimRule(
        "no_user_research",
        "{n} of {m} strategies show no research with their users",
        "user_centred",
        "user_research",
        lambda v: not v.get("count"),
    ),
    ClaimRule(
        "no_review_cycle",
        "{n} of {m} strategies do not say when the strategy itself will be reviewed",
        "too_long_term",
        "time_horizon",
        lambda v: not v.get("review_cycle"),
    ),
    ClaimRule(
        "no_mitigated_risk",
        "{n} of {m} strategies name no risk with a mitigation or an owner",
        "q10_risks",
        "risks",
        lambda v: not v.get("mitigated"),
    ),
)
RED_CLAIM = "{n} of {m} strategies are rated red on “{title}” ({label})"


# ---------------------------------------------------------------- building


def build_league(
    reviewed: Sequence[Reviewed], failed: Sequence[FailedDocument], rubric: Rubric | None = None
) -> League:
    rubric = active(rubric)
    return League(
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        rubric_version=rubric.version,
        rubric=rubric.ref,
        model=reviewed[0].review.model if reviewed else None,
        items=league_items(rubric),
        rows=[_row(r, rubric) for r in reviewed],
        failed=list(failed),
        claims=claims(reviewed, rubric),
    )


def league_items(rubric: Rubric | None = None) -> list[LeagueItem]:
    seen: dict[str, int] = {}
    items = []
    for item in active(rubric).items:
        seen[item.kind] = seen.get(item.kind, 0) + 1
        code = f"{KIND_CODES[item.kind]}{seen[item.kind]}"
        items.append(LeagueItem(id=item.id, kind=item.kind, title=item.title, code=code))
    return items


def review_href(slug: str, item: ItemResult | None = None) -> str:
    """The link to a document's review.html (or one item's section in it), relative to the
    league files."""
    href = f"{slug}/{REVIEW_FILE}"
    return f"{href}#{anchor(item)}" if item else href


def _cell(result: ItemResult | None) -> Cell:
    if result is None:
        return "not_reviewed"
    return "failed" if result.status == "failed" else result.rating


def _row(done: Reviewed, rubric: Rubric) -> LeagueRow:
    review = done.review
    ratings: dict[str, Cell] = {}
    labels: dict[str, str] = {}
    links: dict[str, str] = {}
    for item in rubric.items:
        result = review.item(item.id)
        ratings[item.id] = _cell(result)
        labels[item.id] = _label(item.kind, ratings[item.id])
        links[item.id] = review_href(done.slug, result)
    values = list(ratings.values())
    return LeagueRow(
        slug=done.slug,
        file=done.file,
        title=review.document.title or done.file,
        sha256=review.document.sha256,
        pages=review.document.pages,
        review=review_href(done.slug),
        links=links,
        ratings=ratings,
        labels=labels,
        counts={key: values.count(key) for key in COUNTED},  # type: ignore[arg-type]
        items_cached=review.stats.get("items_cached", 0),
    )


def _label(kind: str, cell: str) -> str:
    if cell == "failed":
        return "Failed: not assessed"
    if cell == "not_reviewed":
        return "Not reviewed"
    return rating_label(kind, cell)


def claims(reviewed: Sequence[Reviewed], rubric: Rubric | None = None) -> list[Claim]:
    """Indicator claims and the most common red ratings, most widespread first."""
    found = [_indicator_claim(rule, reviewed) for rule in CLAIM_RULES]
    found += _red_claims(reviewed, active(rubric))
    made = [c for c in found if c is not None and c.total]
    return sorted(made, key=lambda c: -c.count / c.total)


def _indicator_claim(rule: ClaimRule, reviewed: Sequence[Reviewed]) -> Claim | None:
    evidence: list[ClaimEvidence] = []
    total = 0
    for done in reviewed:
        indicator = next((i for i in done.review.indicators if i.id == rule.indicator), None)
        if indicator is None or not isinstance(indicator.value, dict):
            continue  # a review without this indicator cannot say
        total += 1
        if rule.test(indicator.value):
            evidence.append(_evidence(done, done.review.item(rule.item_id), indicator.summary))
    text = rule.text.format(n=len(evidence), m=total)
    return Claim(
        id=rule.id,
        text=text,
        count=len(evidence),
        total=total,
        item_id=rule.item_id,
        evidence=evidence,
    )


def _red_claims(reviewed: Sequence[Reviewed], rubric: Rubric) -> list[Claim]:
    reds: list[Claim] = []
    for item in rubric.items:
        rated = [(d, d.review.item(item.id)) for d in reviewed]
        rated_ok = [(d, r) for d, r in rated if r is not None and r.status == "ok"]
        red = [_evidence(d, r, r.summary) for d, r in rated_ok if r.rating == "red"]
        if red:
            text = RED_CLAIM.format(
                n=len(red),
                m=len(rated_ok),
                title=item.title,
                label=rating_label(item.kind, "red"),
            )
            reds.append(
                Claim(
                    id=f"red_{item.id}",
                    text=text,
                    count=len(red),
                    total=len(rated_ok),
                    item_id=item.id,
                    evidence=red,
                )
            )
    reds.sort(key=lambda c: -c.count)  # stable: rubric order among equals
    return reds[:TOP_RED_ITEMS]


def _evidence(done: Reviewed, item: ItemResult | None, note: str) -> ClaimEvidence:
    """One organisation's evidence: the item's section of its review (the whole review when
    the item was not reviewed) and what the review says on the point."""
    return ClaimEvidence(
        slug=done.slug,
        title=done.review.document.title or done.file,
        href=review_href(done.slug, item),
        note=note,
    )
