"""One rubric item, judged by a model: build the prompt, generate, parse, verify, gate.

When the model's judgement fails the quality gate, the item leads with the rules baseline's
deterministic evidence and says so; the model's text is kept only as "rejected output".
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .models.base import JSONParseError, Message, ModelAPI, parse_json_object
from .prompts import load_prompt
from .quality import gate, looks_like_injection
from .records import (
    RATINGS,
    Document,
    ExemplarRef,
    Indicator,
    ItemResult,
    ItemStats,
    Rating,
    rating_label,
)
from .retrieval import Retrieved
from .rubric import Rubric, RubricItem
from .rules import RuleJudgement, indicator_rating
from .rules import judge as rules_judge
from .verify import Citation, verify_citations

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


def response_schema(chunk_ids: list[str]) -> dict[str, Any]:
    """The JSON schema the model must fill. Citation IDs are an enum of the retrieved chunks."""
    chunk = {"type": "string", "enum": chunk_ids} if chunk_ids else {"type": "string"}
    return {
        "type": "object",
        "properties": {
            "evidence": {
                "type": "array",
                "maxItems": 3,
                "items": {
                    "type": "object",
                    "properties": {
                        "chunk_id": chunk,
                        "quote": {"type": "string", "maxLength": 200},
                    },
                    "required": ["chunk_id", "quote"],
                },
            },
            "finding": {"type": "string", "maxLength": 400},
            "rating": {"type": "string", "enum": list(RATINGS)},
            "recommendation": {"type": "string", "maxLength": 200},
        },
        "required": ["evidence", "finding", "rating", "recommendation"],
    }


def _indicator_lines(ctx: ItemContext) -> str:
    wanted = {s.indicator for s in ctx.item.signals} | {"time_horizon", "length_readability"}
    lines = [f"- {i.title}: {i.summary}" for i in ctx.indicators.values() if i.id in wanted]
    return "\n".join(lines) or "- none relevant"


def _exemplar_lines(exemplars: list[ExemplarRef]) -> str:
    if not exemplars:
        return "- none found"
    return "\n".join(f"- {e.organisation}, {e.title}: {e.passage[:250]}" for e in exemplars)


def _passages(hits: list[Retrieved]) -> str:
    return (
        "\n\n".join(f"[{h.chunk.id}] {h.chunk.text[:MAX_PASSAGE_CHARS]}" for h in hits) or "(none)"
    )


def build_messages(ctx: ItemContext) -> tuple[list[Message], str]:
    """The chat messages, and the prompt's own wording (for the gate's copy check)."""
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
        "evidence": _passages(ctx.hits),
        "chunk_ids": ", ".join(h.chunk.id for h in ctx.hits) or "(none)",
    }
    system = load_prompt("system.md").text
    user = load_prompt("item.md").render(**values)
    own_words = "\n".join(
        [
            system,
            load_prompt("item.md").text,
            values["item_description"],
            values["look_for"],
            guide,
            values["exemplars"],
        ]
    )
    return [Message("system", system), Message("user", user)], own_words


def judge_with_model(ctx: ItemContext, model: ModelAPI) -> ItemResult:
    messages, own_words = build_messages(ctx)
    chunk_ids = [h.chunk.id for h in ctx.hits]
    baseline = rules_judge(ctx.item, ctx.document, ctx.indicators, ctx.hits)
    started = time.perf_counter()
    generation = model.generate(messages, schema=response_schema(chunk_ids), max_tokens=300)
    stats = ItemStats(
        structured_mode=generation.structured_mode,
        latency_s=round(time.perf_counter() - started, 3),
        prompt_tokens=generation.prompt_tokens,
        completion_tokens=generation.completion_tokens,
    )
    try:
        data = parse_json_object(generation.text)
    except JSONParseError:
        stats.parse_failures = 1
        return _low_confidence(
            ctx, baseline, stats, ["invalid output (not JSON)"], generation.text, None
        )
    if generation.structured_mode == "repair" or _needs_repair(generation.text):
        stats.structured_mode = "repair"
    citations = [
        Citation(str(e.get("chunk_id", "")), str(e.get("quote", "")))
        for e in data.get("evidence") or []
        if isinstance(e, dict)
    ]
    checked = verify_citations(ctx.document, citations, set(chunk_ids))
    stats.quotes_proposed, stats.quotes_dropped = checked.proposed, checked.dropped
    stats.quotes_verified = len(checked.evidence)
    stats.invented_ids_stripped = len(checked.invented_ids)
    rating = str(data.get("rating", ""))
    finding = str(data.get("finding", "")).strip()
    flags = [] if rating in RATINGS else ["invalid rating"]
    recommendation = str(data.get("recommendation", "")).strip()
    flags += gate(
        finding,
        rating,
        len(checked.evidence),
        own_words,
        indicator_rating(ctx.item, ctx.indicators),
        recommendation,
        ctx.document.text,
    )
    if flags:
        return _low_confidence(ctx, baseline, stats, flags, finding, rating)
    return ItemResult(
        id=ctx.item.id,
        kind=ctx.item.kind,
        title=ctx.item.title,
        rating=rating,  # type: ignore[arg-type]
        rating_label=rating_label(ctx.item.kind, rating),
        summary=finding,
        confidence="model",
        model_rating=rating,
        model_summary=finding,
        evidence=[e for e in checked.evidence if not looks_like_injection(e.quote)]
        + [e for e in baseline.evidence if e.source == "indicator"],
        exemplars=ctx.exemplars,
        recommendations=[recommendation]
        if len(recommendation.split()) >= 4
        else baseline.recommendations,
        stats=stats,
    )


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
    )


def judge_with_rules(ctx: ItemContext) -> ItemResult:
    started = time.perf_counter()
    baseline = rules_judge(ctx.item, ctx.document, ctx.indicators, ctx.hits)
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
    )
