"""Length and readability."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.records import Document, Indicator

from .sentences import Sentence, _plural

_VOWEL_GROUPS = re.compile(r"[aeiouy]+")

# ---------------------------------------------------------------- length and readability


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e; at least one."""
    letters = re.sub(r"[^a-z]", "", word.lower())
    n = len(_VOWEL_GROUPS.findall(letters))
    if n > 1 and letters.endswith("e") and not letters.endswith(("le", "ee", "ye")):
        n -= 1
    return max(1, n)


def _ease(words: int, sentences: int, syllable_count: int) -> float | None:
    if not words or not sentences:
        return None
    return round(206.835 - 1.015 * words / sentences - 84.6 * syllable_count / words, 1)


EASE_BANDS: tuple[tuple[float, str], ...] = (
    (90, "very easy"), (70, "easy"), (60, "plain English"), (50, "fairly difficult"),
    (30, "difficult"), (float("-inf"), "very difficult"),
)  # fmt: skip


def _ease_band(score: float) -> str:
    return next(name for floor, name in EASE_BANDS if score >= floor)


def ease_of(sents: Sequence[Sentence]) -> float | None:
    """Flesch reading ease over the sentences the indicators read, so text withheld as an
    injection cannot move it (``length_readability`` reports the whole pages)."""
    tokens = [t for s in sents for t in s.flat.split()]
    return _ease(len(tokens), len(sents), sum(syllables(t) for t in tokens))


def length_readability(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    tokens = [t for p in doc.pages for t in p.text.split()]  # as Document.words
    words, n = len(tokens), len(sents)
    ease = _ease(words, n, sum(syllables(t) for t in tokens))
    avg = round(words / n, 1) if n else 0.0
    summary = f"{_plural(len(doc.pages), 'page')}, {_plural(words, 'word')}"
    if ease is None:
        summary += "; no readable text found."
    else:
        summary += (
            f"; sentences average {avg} words; Flesch reading ease {ease} ({_ease_band(ease)})."
        )
    return Indicator(
        id="length_readability",
        title="Length and readability",
        value={
            "pages": len(doc.pages),
            "words": words,
            "sentences": n,
            "avg_sentence_words": avg,
            "flesch_reading_ease": ease,
        },
        summary=summary,
    )
