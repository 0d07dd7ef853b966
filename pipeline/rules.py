"""The rules baseline: a rating and finding from indicators and retrieved evidence alone.

It is what every model is measured against, and what the report falls back on when a model's
judgement fails the quality gate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .contradiction import REVIEWED
from .doc_kind import is_digital_strategy
from .injection import is_withheld
from .passages import clean, keyword_score, rank, sentences
from .records import Document, Evidence, ExemplarRef, Indicator, Page, Rating
from .retrieval import Retrieved
from .rubric import RubricItem, Signal
from .wording import Facts, cite_pages, recommendation, summary

_SCORE = {"red": 0, "amber": 1, "green": 2}
NO_CHECK = (
    "No deterministic check for this item; use a model to judge it (the rules rate only "
    "items with an indicator signal)."
)
NO_CHECK_NEXT = (
    "Review this item with a model (--model), or read the passages searched and judge it yourself."
)
MAX_QUOTE = 300  # characters; a longer sentence is cut at a word boundary


@dataclass
class RuleJudgement:
    rating: Rating
    basis: str  # indicator | keywords | none
    summary: str
    evidence: list[Evidence]
    recommendations: list[str]


def signal_rating(signal: Signal, indicators: dict[str, Indicator]) -> Rating | None:
    indicator = indicators.get(signal.indicator)
    value = (
        indicator.value.get(signal.field)
        if indicator and isinstance(indicator.value, dict)
        else None
    )
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    if not signal.higher_is_better:
        number, green, red = -number, -signal.green, -signal.red
        return "green" if number >= green else "red" if number <= red else "amber"
    return "green" if number >= signal.green else "red" if number < signal.red else "amber"


@dataclass(frozen=True)
class Floor:
    """The least rating an item gets when every condition (indicator, field, at least) holds."""

    conditions: tuple[tuple[str, str, float], ...]
    rating: Rating


# Floors for items of the default rubric (keyed by item id and its first signal's indicator,
# so a custom rubric's item of the same name is left alone), for a point of the item's
# look_for that its signal does not measure. "realistic" looks for "goals sized to capacity and
# funding" as well as work already delivered: a plan that sets out its governance, funding and
# skills behind dated, measurable commitments is not red for lacking a track record alone. A
# floor only raises a rating. (Kept here, not in prompts/rubric.json, whose hash the recorded
# gate sets carry.)
FLOORS: dict[tuple[str, str], Floor] = {
    ("realistic", "delivered"): Floor(
        (("org_change", "areas", 3), ("measurable_commitments", "count", 1)), "amber"
    ),
}


def _number(indicators: dict[str, Indicator], indicator: str, key: str) -> float:
    found = indicators.get(indicator)
    value = found.value.get(key) if found and isinstance(found.value, dict) else None
    return 0.0 if value is None or isinstance(value, bool) else float(value)


def floor_of(item: RubricItem, indicators: dict[str, Indicator]) -> Rating | None:
    """The item's floor rating, when its conditions hold."""
    floor = FLOORS.get((item.id, item.signals[0].indicator)) if item.signals else None
    if floor is None or any(_number(indicators, i, k) < at for i, k, at in floor.conditions):
        return None
    return floor.rating


def indicator_rating(item: RubricItem, indicators: dict[str, Indicator]) -> Rating | None:
    ratings = [r for s in item.signals if (r := signal_rating(s, indicators)) is not None]
    if not ratings:
        return None
    mean = sum(_SCORE[r] for r in ratings) / len(ratings)
    rating: Rating = "green" if mean >= 1.5 else "red" if mean < 0.5 else "amber"
    floor = floor_of(item, indicators)
    return floor if floor is not None and _SCORE[floor] > _SCORE[rating] else rating


def _clip(sentence: str, limit: int = MAX_QUOTE) -> str:
    """The sentence, cut at the last word boundary within ``limit`` characters."""
    if len(sentence) <= limit:
        return sentence
    return sentence[: limit + 1].rsplit(None, 1)[0].rstrip(" ,;:")


def _page_of(document: Document, offset: int) -> Page:
    return next(p for p in reversed(document.pages) if p.offset <= offset)


def chunk_sentences(document: Document, hit: Retrieved, keywords: list[str]) -> list[Evidence]:
    """The sentences of a retrieved chunk that hold at least one keyword, most first, verbatim
    from their page (a sentence that crosses a page break is left out)."""
    found: list[tuple[int, int, Evidence]] = []
    for start, end in sentences(hit.chunk.text):
        sentence = hit.chunk.text[start:end]
        score = keyword_score(sentence, keywords)
        if len(sentence.split()) < 5 or score == 0:
            continue
        offset = hit.chunk.start + start
        page = _page_of(document, offset)
        if offset + len(sentence) > page.offset + len(page.text):
            continue
        evidence = Evidence(
            quote=_clip(sentence),
            page=page.page,
            page_label=page.page_label,
            chunk_id=hit.chunk.id,
            verified=True,
            source="retrieval",
        )
        found.append((-score, start, evidence))
    return [e for _, _, e in sorted(found, key=lambda row: row[:2])]


def best_sentence(document: Document, hit: Retrieved, keywords: list[str]) -> Evidence | None:
    """The sentence of a retrieved chunk with most keyword matches, verbatim from its page."""
    found = chunk_sentences(document, hit, keywords)
    return found[0] if found else None


def retrieval_evidence(
    document: Document, item: RubricItem, hits: list[Retrieved]
) -> list[Evidence]:
    """Up to two keyword sentences per retrieved chunk, in retrieval order."""
    found = [e for h in hits for e in chunk_sentences(document, h, item.keywords)[:2]]
    return [e for e in found if not is_withheld(document, e.quote)]


def _refresh(document: Document) -> Evidence | None:
    """The first sentence that plans a review or refresh of the strategy itself."""
    for page in document.pages:
        for start, end in sentences(page.text):
            quote = page.text[start:end]
            if REVIEWED.search(" ".join(quote.split())) and not is_withheld(document, quote):
                return Evidence(
                    quote=_clip(quote),
                    page=page.page,
                    page_label=page.page_label,
                    verified=True,
                    source="retrieval",
                )
    return None


_MILESTONE = re.compile(
    r"\bby\s+(?:the\s+end\s+of\s+)?(?:[A-Z][a-z]+\s+|Q[1-4]\s+)?(20\d{2})(?:/\d{2})?(?!\d)", re.I
)


def milestones(document: Document) -> list[tuple[int, str]]:
    """Each "by <month> <year>" in the document, as (year, page label)."""
    return [
        (int(m.group(1)), page.page_label or str(page.page))
        for page in document.pages
        for m in _MILESTONE.finditer(page.text)
    ]


def unchecked(item: RubricItem, document: Document, hits: list[Retrieved]) -> RuleJudgement:
    """An item no indicator bears on (only a custom rubric has them): never a made-up rating.
    Its keyword sentences are shown, unrated, for a reviewer."""
    retrieved = clean(document, retrieval_evidence(document, item, hits))
    evidence = rank(document, item.keywords, retrieved, [])
    pages = list(dict.fromkeys(e.page_label or str(e.page) for e in evidence if e.page))
    summary = NO_CHECK
    if pages:
        summary += f" Passages that may bear on it are on {cite_pages(pages)}."
    return RuleJudgement("insufficient_evidence", "none", summary, evidence, [NO_CHECK_NEXT])


def _rating(
    item: RubricItem,
    indicators: dict[str, Indicator],
    retrieved: list[Evidence],
    hits: list[Retrieved],
) -> tuple[Rating, str]:
    rating = indicator_rating(item, indicators)
    if rating is not None:
        return rating, "indicator"
    matched = {t for h in hits for t in h.matched_terms}
    if len(matched) >= 3 and retrieved:
        return "amber", "keywords"
    return "insufficient_evidence", "none"


def judge(
    item: RubricItem,
    document: Document,
    indicators: dict[str, Indicator],
    hits: list[Retrieved],
    exemplars: Sequence[ExemplarRef] = (),
) -> RuleJudgement:
    if not item.checked:
        return unchecked(item, document, hits)
    related = [indicators[s.indicator] for s in item.signals if s.indicator in indicators]
    related = list({i.id: i for i in related}.values())
    retrieved = clean(document, retrieval_evidence(document, item, hits))
    supported = [e for i in related for e in i.evidence]
    if "time_horizon" in {i.id for i in related} and "measurable_commitments" in indicators:
        supported += indicators["measurable_commitments"].evidence[:2]  # the milestones cited
    evidence = rank(document, item.keywords, retrieved, supported)
    strategy = is_digital_strategy(document)
    rating, basis = _rating(item, indicators, retrieved, hits)
    if not strategy:
        rating, basis = "insufficient_evidence", "none"
    facts = Facts(
        item=item,
        rating=rating,
        basis=basis,
        indicators=indicators,
        evidence=evidence,
        cited={i.id: clean(document, i.evidence, item.keywords) for i in indicators.values()},
        strategy=strategy,
        refresh=_refresh(document) if "time_horizon" in {i.id for i in related} else None,
        milestones=milestones(document),
    )
    return RuleJudgement(
        rating, basis, summary(facts), evidence, [recommendation(facts, exemplars)]
    )
