"""One rubric item, judged by a model: build the prompt, generate, validate, verify, gate.

A usable judgement is kept, with its verified quotes in the document's own words, even where it
disagrees with the deterministic checks (the report then shows both). Unusable output is never
shown as a finding: the item leads with the rules baseline's evidence and says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .answer import MAX_FINDING_CHARS, MAX_QUOTES, AnswerError, ModelAnswer, validate_answer
from .injection import is_withheld, withhold_chunk
from .models.base import JSONParseError, Message, ModelAPI, parse_json_object
from .prompts import load_prompt
from .quality import GateInput, assess
from .records import (
    RATINGS,
    Basis,
    Document,
    ExemplarRef,
    Indicator,
    ItemResult,
    ItemStats,
    Rating,
    SearchedPassage,
    rating_label,
)
from .retrieval import Retrieved
from .rubric import Rubric, RubricItem
from .rules import RuleJudgement, indicator_rating
from .rules import judge as rules_judge
from .verify import Citation, verify_citations

MAX_ANSWER_TOKENS = 300
MAX_PASSAGE_CHARS = 700
KIND_NAMES = {
    "good_sign": "sign of a good strategy",
    "warning_sign": "warning sign",
    "board_question": "question for boards",
}


@dataclass
class ItemContext:
    item: RubricItem
    document: Document
    indicators: dict[str, Indicator]
    hits: list[Retrieved]
    exemplars: list[ExemplarRef]
    rubric: Rubric
    withheld: list[str] = field(default_factory=list)  # sentences the injection check withheld


@dataclass
class PromptWords:
    """The prompt's own wording, apart from the document, for the gate's echo checks."""

    prompt: str
    exemplars: str


def _indicator_lines(ctx: ItemContext) -> str:
    wanted = {s.indicator for s in ctx.item.signals} | {"time_horizon", "length_readability"}
    lines = [f"- {i.title}: {i.summary}" for i in ctx.indicators.values() if i.id in wanted]
    return "\n".join(lines) or "- none relevant"


def _exemplar_lines(exemplars: list[ExemplarRef]) -> str:
    if not exemplars:
        return "- none found"
    return "\n".join(f"- {e.organisation}, {e.title}: {e.passage[:250]}" for e in exemplars)


def _passages(hits: list[Retrieved], document: Document) -> str:
    """The passages as the model sees them: sentences addressed to reviewers withheld, and the
    prompt's delimiters neutralised inside document text."""
    shown = [
        f"[{h.chunk.id}] {withhold_chunk(document, h.chunk)[:MAX_PASSAGE_CHARS]}" for h in hits
    ]
    return "\n\n".join(shown) or "(none)"


def build_messages(ctx: ItemContext) -> tuple[list[Message], PromptWords]:
    """The chat messages, and the prompt's own wording (for the gate's echo checks)."""
    item = ctx.item
    labels = ctx.rubric.rating_labels[item.kind]
    guide = "\n".join(f"- {r}: {labels[r]}" for r in RATINGS)
    values = {
        "item_title": item.title,
        "item_kind": KIND_NAMES[item.kind],
        "item_description": item.description,
        "look_for": "\n".join(f"- {x}" for x in item.look_for),
        "rating_guide": guide,
        "indicators": _indicator_lines(ctx),
        "exemplars": _exemplar_lines(ctx.exemplars),
        "evidence": _passages(ctx.hits, ctx.document),
        "chunk_ids": ", ".join(h.chunk.id for h in ctx.hits) or "(none)",
    }
    system = load_prompt("system.md").text
    user = load_prompt("item.md").render(**values)
    own_words = "\n".join(
        [system, load_prompt("item.md").text, values["item_description"], values["look_for"], guide]
    )
    words = PromptWords(prompt=own_words, exemplars=values["exemplars"])
    return [Message("system", system), Message("user", user)], words


def judge_with_model(ctx: ItemContext, model: ModelAPI) -> ItemResult:
    messages, words = build_messages(ctx)
    chunk_ids = [h.chunk.id for h in ctx.hits]
    baseline = rules_judge(ctx.item, ctx.document, ctx.indicators, ctx.hits, ctx.exemplars)
    started = time.perf_counter()
    generation = model.generate(
        messages, schema=ModelAnswer.json_schema_for(chunk_ids), max_tokens=MAX_ANSWER_TOKENS
    )
    stats = ItemStats(
        structured_mode=generation.structured_mode,
        latency_s=round(time.perf_counter() - started, 3),
        prompt_tokens=generation.prompt_tokens,
        completion_tokens=generation.completion_tokens,
    )
    try:
        answer = validate_answer(parse_json_object(generation.text))
    except JSONParseError:
        stats.parse_failures = 1
        reason = "invalid output (not JSON)"
        return _low_confidence(ctx, baseline, stats, [reason], generation.text, None)
    except AnswerError as exc:
        stats.invalid_answers = 1
        return _low_confidence(ctx, baseline, stats, [str(exc)], generation.text, None)
    if generation.structured_mode == "repair" or _needs_repair(generation.text):
        stats.structured_mode = "repair"
    citations = [Citation(e.chunk_id, e.quote) for e in answer.evidence]
    checked = verify_citations(ctx.document, citations[:MAX_QUOTES], set(chunk_ids))
    if len(citations) > MAX_QUOTES:
        checked.reasons[f"over the limit of {MAX_QUOTES} quotes"] += len(citations) - MAX_QUOTES
    stats.quotes_proposed = len(citations)
    stats.quotes_dropped = len(citations) - len(checked.evidence)
    stats.quotes_verified = len(checked.evidence)
    stats.invented_ids_stripped = len(checked.invented_ids)
    stats.drop_reasons = dict(checked.reasons)
    checks = indicator_rating(ctx.item, ctx.indicators)
    verdict = assess(
        GateInput(
            kind=ctx.item.kind,
            rating=answer.rating,
            finding=answer.finding,
            recommendation=answer.recommendation,
            verified_quotes=len(checked.evidence),
            prompt_words=words.prompt,
            exemplar_words=words.exemplars,
            document_text=ctx.document.text,
            withheld=ctx.withheld,
            checks_rating=checks,
            hit_token_limit=generation.completion_tokens >= MAX_ANSWER_TOKENS
            or len(answer.finding) >= MAX_FINDING_CHARS - 1,
            item_words=item_wording(ctx.item),
        )
    )
    if not verdict.usable:
        return _low_confidence(
            ctx, baseline, stats, verdict.unusable, answer.finding, answer.rating
        )
    return ItemResult(
        id=ctx.item.id,
        kind=ctx.item.kind,
        title=ctx.item.title,
        rating=answer.rating,
        rating_label=rating_label(ctx.item.kind, answer.rating),
        summary=answer.finding,
        confidence="model",
        model_rating=answer.rating,
        model_summary=answer.finding,
        evidence=[e for e in checked.evidence if not is_withheld(ctx.document, e.quote)]
        + [e for e in baseline.evidence if e.source == "indicator"],
        exemplars=ctx.exemplars,
        recommendations=[answer.recommendation]
        if len(answer.recommendation.split()) >= 4
        else baseline.recommendations,
        stats=stats,
        basis=verdict.basis,
        checks_rating=checks,
        disagreement=verdict.disagreement,
        searched=searched_passages(ctx),
    )


def item_wording(item: RubricItem) -> str:
    return " ".join([item.title, item.description, *item.look_for, *item.keywords, *item.queries])


def searched_passages(ctx: ItemContext) -> list[SearchedPassage]:
    """The passages retrieval offered: what the item was judged on, shown for absence ratings."""
    found = []
    for hit in ctx.hits:
        first = ctx.document.page(hit.chunk.page_start).page_label
        last = ctx.document.page(hit.chunk.page_end).page_label
        found.append(
            SearchedPassage(
                chunk_id=hit.chunk.id,
                page_start=hit.chunk.page_start,
                page_end=hit.chunk.page_end,
                pages=first if first == last else f"{first}-{last}",
            )
        )
    return found


def _needs_repair(text: str) -> bool:
    import json

    try:
        json.loads(text, strict=False)
    except json.JSONDecodeError:
        return True
    return False


def _low_confidence(
    ctx: ItemContext,
    baseline: RuleJudgement,
    stats: ItemStats,
    flags: list[str],
    model_text: str,
    model_rating: str | None,
) -> ItemResult:
    return ItemResult(
        id=ctx.item.id,
        kind=ctx.item.kind,
        title=ctx.item.title,
        rating=baseline.rating,
        rating_label=rating_label(ctx.item.kind, baseline.rating),
        summary=baseline.summary,
        confidence="low",
        quality_flags=flags,
        model_rating=model_rating,
        model_summary=model_text[:600] or None,
        evidence=baseline.evidence,
        exemplars=ctx.exemplars,
        recommendations=baseline.recommendations,
        stats=stats,
        basis=_rules_basis(baseline),
        checks_rating=indicator_rating(ctx.item, ctx.indicators),
        searched=searched_passages(ctx),
    )


def judge_with_rules(ctx: ItemContext) -> ItemResult:
    started = time.perf_counter()
    baseline = rules_judge(ctx.item, ctx.document, ctx.indicators, ctx.hits, ctx.exemplars)
    rating: Rating = baseline.rating
    return ItemResult(
        id=ctx.item.id,
        kind=ctx.item.kind,
        title=ctx.item.title,
        rating=rating,
        rating_label=rating_label(ctx.item.kind, rating),
        summary=baseline.summary,
        confidence="rules",
        evidence=baseline.evidence,
        exemplars=ctx.exemplars,
        recommendations=baseline.recommendations,
        stats=ItemStats(structured_mode="rules", latency_s=round(time.perf_counter() - started, 3)),
        basis=_rules_basis(baseline),
        checks_rating=indicator_rating(ctx.item, ctx.indicators),
        searched=searched_passages(ctx),
    )


def _rules_basis(baseline: RuleJudgement) -> Basis:
    return baseline.basis if baseline.basis in ("indicator", "keywords") else "none"  # type: ignore[return-value]
