"""One rubric item, judged by a model: build the prompt, generate, validate, verify, gate.

A usable judgement is kept, with its verified quotes in the document's own words, even where it
disagrees with the deterministic checks (the report then shows both). Unusable output is never
shown as a finding: the item leads with the rules baseline's evidence and says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from .answer import MAX_FINDING_CHARS, MAX_QUOTES, AnswerError, ModelAnswer, validate_answer
from .answer_bound import AnswerCaps, answer_token_bound, with_caps
from .figures import unfound_figures
from .injection import is_withheld, withhold_chunk
from .models.base import Generation, JSONParseError, Message, ModelAPI, parse_json_object
from .models.repetition import LOOP_NOTE
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


def _indicator_lines(ctx: ItemContext, all_facts: bool = True) -> str:
    """The facts code computed for this item's signals, and (``all_facts``) the document's time
    horizon and length, which bear on every item."""
    wanted = {s.indicator for s in ctx.item.signals}
    if all_facts:
        wanted |= {"time_horizon", "length_readability"}
    lines = [f"- {i.title}: {i.summary}" for i in ctx.indicators.values() if i.id in wanted]
    return "\n".join(lines) or "- none relevant"


EXEMPLARS_HEADING = (
    "For comparison only, how other organisations handled this item "
    "(not evidence about this document):"
)


def _exemplar_section(exemplars: list[ExemplarRef], wanted: bool) -> str:
    """The prompt's comparison section: the exemplar notes, "none found", or nothing at all for
    a backend that asks for no notes (a small model can only echo them)."""
    if not wanted:
        return ""
    lines = [f"- {e.organisation}, {e.title}: {e.passage[:250]}" for e in exemplars]
    return "\n".join([EXEMPLARS_HEADING, *(lines or ["- none found"])]) + "\n\n"


def _passages(hits: list[Retrieved], document: Document, chars: int = MAX_PASSAGE_CHARS) -> str:
    """The passages as the model sees them: sentences addressed to reviewers withheld, and the
    prompt's delimiters neutralised inside document text."""
    shown = [f"[{cid}] {text}" for cid, text in shown_texts(hits, document, chars).items()]
    return "\n\n".join(shown) or "(none)"


def shown_texts(
    hits: list[Retrieved], document: Document, chars: int = MAX_PASSAGE_CHARS
) -> dict[str, str]:
    """Each passage's text as the model is shown it, by chunk ID."""
    return {h.chunk.id: withhold_chunk(document, h.chunk)[:chars] for h in hits}


@dataclass(frozen=True)
class PromptFit:
    """How much of the context a backend's prompt shows (see ``passage_budget``)."""

    passage_chars: int = MAX_PASSAGE_CHARS
    exemplar_notes: bool = True  # False: the comparison section is left out altogether
    all_facts: bool = True  # False: only the facts about the item's own signals


def fit_to(ctx: ItemContext, model: ModelAPI) -> tuple[ItemContext, PromptFit]:
    """The context as a backend with a passage budget (``passage_budget``: a small model whose
    prompt is mostly passages) sees it: its best passages, each cut shorter, and as many
    exemplar notes as it asks for (none: no comparison section)."""
    budget = getattr(model, "passage_budget", None)
    if budget is None:
        return ctx, PromptFit()
    shown = replace(
        ctx, hits=ctx.hits[: budget.passages], exemplars=ctx.exemplars[: budget.exemplars]
    )
    chars = min(budget.chars, MAX_PASSAGE_CHARS)
    return shown, PromptFit(chars, budget.exemplars > 0, budget.all_facts)


def answer_schema(chunk_ids: list[str], model: ModelAPI) -> tuple[dict[str, Any], int]:
    """The answer schema the backend is held to (with its tighter caps, if it asks for them),
    and ``max_tokens``: the longest answer that schema allows."""
    schema = ModelAnswer.json_schema_for(chunk_ids)
    caps: AnswerCaps | None = getattr(model, "answer_caps", None)
    if caps is not None:
        schema = with_caps(schema, caps)
    return schema, answer_token_bound(schema)


def build_messages(
    ctx: ItemContext, fit: PromptFit = PromptFit()
) -> tuple[list[Message], PromptWords]:
    """The chat messages, and the prompt's own wording (for the gate's echo checks). The
    system message (rules and how to answer) is the same for every item, so a backend that
    caches the prompt prefix evaluates it once; the item's own part comes last."""
    item = ctx.item
    labels = ctx.rubric.rating_labels[item.kind]
    guide = "\n".join(f"- {r}: {labels[r]}" for r in RATINGS)
    values = {
        "item_title": item.title,
        "item_kind": KIND_NAMES[item.kind],
        "item_description": item.description,
        "look_for": "\n".join(f"- {x}" for x in item.look_for),
        "rating_guide": guide,
        "indicators": _indicator_lines(ctx, fit.all_facts),
        "exemplars": _exemplar_section(ctx.exemplars, fit.exemplar_notes),
        "evidence": _passages(ctx.hits, ctx.document, fit.passage_chars),
        "chunk_ids": ", ".join(h.chunk.id for h in ctx.hits) or "(none)",
    }
    system = load_prompt("system.md").text
    user = load_prompt("item.md").render(**values)
    own_words = "\n".join(
        [
            system,
            load_prompt("item.md").text,
            EXEMPLARS_HEADING,
            values["item_description"],
            values["look_for"],
            guide,
        ]
    )
    words = PromptWords(prompt=own_words, exemplars=values["exemplars"])
    return [Message("system", system), Message("user", user)], words


def judge_with_model(ctx: ItemContext, model: ModelAPI) -> ItemResult:
    shown, fit = fit_to(ctx, model)  # the rules baseline still sees every passage
    messages, words = build_messages(shown, fit)
    chunk_ids = [h.chunk.id for h in shown.hits]
    baseline = rules_judge(ctx.item, ctx.document, ctx.indicators, ctx.hits, ctx.exemplars)
    started = time.perf_counter()
    schema, max_tokens = answer_schema(chunk_ids, model)
    generation = model.generate(messages, schema=schema, max_tokens=max_tokens)
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
        reasons = ["invalid output (not JSON)", *_looped(generation)]
        return _low_confidence(ctx, baseline, stats, reasons, generation.text, None)
    except AnswerError as exc:
        stats.invalid_answers = 1
        reasons = [str(exc), *_looped(generation)]
        return _low_confidence(ctx, baseline, stats, reasons, generation.text, None)
    if generation.structured_mode == "repair" or _needs_repair(generation.text):
        stats.structured_mode = "repair"
    citations = [Citation(e.chunk_id, e.quote) for e in answer.evidence]
    visible = shown_texts(shown.hits, ctx.document, fit.passage_chars)
    checked = verify_citations(ctx.document, citations[:MAX_QUOTES], set(chunk_ids), visible)
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
            hit_token_limit=generation.cut_off
            or generation.completion_tokens >= max_tokens
            or len(answer.finding) >= MAX_FINDING_CHARS - 1,
            item_words=item_wording(ctx.item),
            item_title=ctx.item.title,
            shown_pages=shown_page_names(shown.hits, ctx.document),
            quoted_verdicts=checked.verdicts,
        )
    )
    unusable = verdict.unusable + _looped(generation)
    if unusable:
        return _low_confidence(ctx, baseline, stats, unusable, answer.finding, answer.rating)
    figures = unfound_figures(answer.finding, [ctx.document.text, words.prompt])
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
        searched=searched_passages(shown),
        unfound_figures=figures,
    )


def _looped(generation: Generation) -> list[str]:
    """The backend cut the answer short because it was looping: never a usable judgement."""
    return [LOOP_NOTE] if LOOP_NOTE in generation.notes else []


def shown_page_names(hits: list[Retrieved], document: Document) -> list[str]:
    """The numbers and printed labels of every page the shown passages span."""
    numbers = {n for h in hits for n in range(h.chunk.page_start, h.chunk.page_end + 1)}
    return sorted({str(n) for n in numbers} | {document.page(n).page_label for n in numbers})


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
