"""The rules baseline: a rating and finding from indicators and retrieved evidence alone.

It is what every model is measured against, and what the report falls back on when a model's
judgement fails the quality gate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .quality import looks_like_injection
from .records import Document, Evidence, Indicator, Rating
from .retrieval import Retrieved
from .rubric import RubricItem, Signal

_SCORE = {"red": 0, "amber": 1, "green": 2}
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")


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


def indicator_rating(item: RubricItem, indicators: dict[str, Indicator]) -> Rating | None:
    ratings = [r for s in item.signals if (r := signal_rating(s, indicators)) is not None]
    if not ratings:
        return None
    mean = sum(_SCORE[r] for r in ratings) / len(ratings)
    return "green" if mean >= 1.5 else "red" if mean < 0.5 else "amber"


def best_sentence(document: Document, hit: Retrieved, keywords: list[str]) -> Evidence | None:
    """The sentence of a retrieved chunk with most keyword matches, verbatim from its page."""
    best: tuple[int, int, str] | None = None
    for match in _SENTENCE.finditer(hit.chunk.text):
        sentence = match.group(0).strip()
        if len(sentence.split()) < 5:
            continue
        lowered = sentence.lower()
        score = sum(1 for k in keywords if k.lower() in lowered)
        if best is None or score > best[0]:
            best = (
                score,
                hit.chunk.start + match.start() + match.group(0).find(sentence),
                sentence,
            )
    if best is None or best[0] == 0:
        return None
    page = next(p for p in reversed(document.pages) if p.offset <= best[1])
    return Evidence(
        quote=best[2][:300],
        page=page.page,
        page_label=page.page_label,
        chunk_id=hit.chunk.id,
        verified=True,
        source="retrieval",
    )


def retrieval_evidence(
    document: Document, item: RubricItem, hits: list[Retrieved]
) -> list[Evidence]:
    found = [best_sentence(document, h, item.keywords) for h in hits]
    return [e for e in found if e is not None and not looks_like_injection(e.quote)][:3]


def judge(
    item: RubricItem, document: Document, indicators: dict[str, Indicator], hits: list[Retrieved]
) -> RuleJudgement:
    related = [indicators[s.indicator] for s in item.signals if s.indicator in indicators]
    evidence = retrieval_evidence(document, item, hits)
    rating = indicator_rating(item, indicators)
    basis = "indicator"
    if rating is None:
        matched = {t for h in hits for t in h.matched_terms}
        rating, basis = (
            ("amber", "keywords")
            if len(matched) >= 3 and evidence
            else ("insufficient_evidence", "none")
        )
    summary = " ".join(i.summary for i in related)
    if basis == "keywords":
        labels = list(dict.fromkeys(e.page_label or str(e.page) for e in evidence))
        summary = (
            f"Passages on page(s) {', '.join(labels)} touch on this item, but no "
            "deterministic indicator measures it; a reviewer should judge it."
        )
    elif basis == "none":
        summary = "The document's most relevant passages say little about this item."
    for indicator in related:
        evidence.extend(indicator.evidence[:2])
    return RuleJudgement(rating, basis, summary.strip(), evidence, _recommendations(item, rating))


def _recommendations(item: RubricItem, rating: Rating) -> list[str]:
    if rating == "green":
        return [f"Keep this strength visible in the next revision: {item.look_for[0]}."]
    return [f"Make this explicit in the strategy: {item.look_for[0]}."]
