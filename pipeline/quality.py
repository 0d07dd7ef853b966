"""The quality gate: model text that is junk never reaches the report as a finding."""

from __future__ import annotations

import re

from .normalise import normalise_for_match

_SCORE = {"red": 0, "amber": 1, "green": 2}
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(instructions?|rules|prompt|guidance)\b"
    r"|\b(rate|mark|score)\b.{0,30}\b(every|all|each)\b.{0,30}\b(item|items|criteria|green|strong)\b"
    r"|\b(system prompt|you are now|as an ai)\b",
    re.I | re.S,
)


def looks_like_injection(text: str) -> bool:
    """Text that addresses the reviewing model instead of describing the strategy."""
    return bool(_INJECTION.search(text))


def _ngrams(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = normalise_for_match(text).split()
    return {tuple(words[i : i + n]) for i in range(max(0, len(words) - n + 1))}


def is_fragment(text: str) -> bool:
    words = re.findall(r"[A-Za-z][A-Za-z'-]+", text)
    return len(words) < 8 or not re.search(r"[a-z]{3,}", text)


def is_repetitive(text: str) -> bool:
    """Degenerate generation: the same 4 words over and over."""
    words = normalise_for_match(text).split()
    grams = [tuple(words[i : i + 4]) for i in range(max(0, len(words) - 3))]
    return bool(grams) and max(grams.count(g) for g in set(grams)) >= 3


def copies_document(finding: str, document_text: str, threshold: float = 0.6) -> bool:
    """A finding should judge the document, not paste it: most 5-grams found in the text."""
    grams = _ngrams(finding)
    if not grams:
        return False
    text = normalise_for_match(document_text)
    return sum(" ".join(g) in text for g in grams) / len(grams) >= threshold


def repeats_prompt(finding: str, prompt_text: str, threshold: float = 0.5) -> bool:
    """True when most of the finding's 5-grams are copied from the prompt's own wording
    (instructions, rubric description or exemplar notes), not from the document."""
    grams = _ngrams(finding)
    if not grams:
        return False
    return len(grams & _ngrams(prompt_text)) / len(grams) >= threshold


def contradicts(model_rating: str, indicator_rating: str | None) -> bool:
    """A model rating two steps from the indicators' rating (green against red) contradicts them."""
    if indicator_rating is None or model_rating not in _SCORE or indicator_rating not in _SCORE:
        return False
    return abs(_SCORE[model_rating] - _SCORE[indicator_rating]) == 2


def gate(
    finding: str,
    rating: str,
    verified_quotes: int,
    instruction_text: str,
    indicator_rating: str | None,
    recommendation: str = "",
    document_text: str = "",
) -> list[str]:
    """Reasons the model's judgement is not usable; empty when it passes."""
    flags = []
    if looks_like_injection(finding) or looks_like_injection(recommendation):
        flags.append("repeats an instruction found in the document")
    if is_fragment(finding):
        flags.append("empty or fragment")
    elif is_repetitive(finding) or is_repetitive(recommendation):
        flags.append("repetitive text")
    elif repeats_prompt(finding, instruction_text):
        flags.append("repeats the prompt")
    elif copies_document(finding, document_text):
        flags.append("copies the document instead of judging it")
    if verified_quotes == 0 and rating != "insufficient_evidence":
        flags.append("no verified evidence")
    if contradicts(rating, indicator_rating):
        flags.append(f"contradicts indicators ({indicator_rating})")
    return flags
