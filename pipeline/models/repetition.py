"""Stop a generation that has started to loop.

A small model's typical failure is a loop ("1.1.1.1…", the same date or sentence again and
again) that runs until the token limit. The guard watches the generated tokens and stops as soon
as the last ``n`` tokens have appeared ``k`` times. The default (8 tokens, 4 times) cannot fire
on the answer's own JSON structure: keys recur at most three times (three quotes at most).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

LOOP_NOTE = "stopped: the model repeated itself"  # the note on a generation the guard cut short
DEFAULT_NGRAM = 8
DEFAULT_REPEATS = 4


def repeats_last_ngram(
    tokens: Sequence[int], n: int = DEFAULT_NGRAM, k: int = DEFAULT_REPEATS
) -> bool:
    """True when the last ``n`` tokens occur at least ``k`` times in ``tokens`` (overlapping
    occurrences count, so a one-token loop of length n + k - 1 already repeats)."""
    if n < 1 or k < 2 or len(tokens) < n + k - 1:
        return False
    tail = list(tokens[-n:])
    seen = 0
    for start in range(len(tokens) - n + 1):
        if tokens[start] == tail[0] and list(tokens[start : start + n]) == tail:
            seen += 1
            if seen >= k:
                return True
    return False


class RepetitionGuard:
    """A llama-cpp-python stopping criterion: ``guard(input_ids, logits) -> bool``.

    ``input_ids`` holds the prompt and the tokens generated so far; only the generated part,
    after ``prompt_tokens``, is looked at. The check depends on ``input_ids`` alone, so
    llama-cpp-python's second call after the loop gives the same answer. ``fired`` records that
    the guard stopped the generation."""

    def __init__(
        self, prompt_tokens: int, n: int = DEFAULT_NGRAM, k: int = DEFAULT_REPEATS
    ) -> None:
        self.prompt_tokens = prompt_tokens
        self.n = n
        self.k = k
        self.fired = False

    def __call__(self, input_ids: Any, logits: Any = None) -> bool:
        generated = [int(t) for t in input_ids[self.prompt_tokens :]]
        if repeats_last_ngram(generated, self.n, self.k):
            self.fired = True
            return True
        return False
