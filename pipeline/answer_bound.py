"""How long a valid answer can be, read from the answer's JSON schema.

The schema caps every field (``maxLength`` on strings, ``maxItems`` on arrays, enums), so the
longest valid answer has a known length in characters. ``max_tokens`` is that length in tokens:
enough for any valid answer, and no more for a generation that has lost its way.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from typing import Any

# English prose and quotes run at about 4 to 4.5 characters a token in SmolLM2's and most BPE
# vocabularies; 3.5 leaves room for numbers, IDs and JSON punctuation.
CHARS_PER_TOKEN = 3.5
UNBOUNDED_STRING = 600  # a string with no maxLength and no enum
UNBOUNDED_ITEMS = 3  # an array with no maxItems
SCALAR_CHARS = 12  # a number, boolean or null
FLOOR_TOKENS = 64


def answer_chars(schema: dict[str, Any]) -> int:
    """The most characters a JSON value valid against ``schema`` can take, written compactly
    with one space after each comma and colon."""
    if "enum" in schema:
        return max(len(json.dumps(v, ensure_ascii=False)) for v in schema["enum"])
    if "anyOf" in schema or "oneOf" in schema:
        return max(answer_chars(s) for s in schema.get("anyOf") or schema["oneOf"])
    kind = schema.get("type")
    if kind == "object":
        fields = schema.get("properties", {})
        inner = sum(len(json.dumps(k)) + 2 + answer_chars(v) for k, v in fields.items())
        return 2 + inner + 2 * max(0, len(fields) - 1)
    if kind == "array":
        items = int(schema.get("maxItems", UNBOUNDED_ITEMS))
        each = answer_chars(schema.get("items", {}))
        return 2 + items * each + 2 * max(0, items - 1)
    if kind == "string":
        return 2 + int(schema.get("maxLength", UNBOUNDED_STRING))
    return SCALAR_CHARS


def answer_token_bound(schema: dict[str, Any], chars_per_token: float = CHARS_PER_TOKEN) -> int:
    """``max_tokens`` for an answer held to ``schema``."""
    return max(FLOOR_TOKENS, math.ceil(answer_chars(schema) / chars_per_token))


@dataclass(frozen=True)
class AnswerCaps:
    """Tighter caps a backend asks for: how many quotes, and how long each field may be."""

    quotes: int
    quote_chars: int
    finding_chars: int
    recommendation_chars: int


def with_caps(schema: dict[str, Any], caps: AnswerCaps) -> dict[str, Any]:
    """A copy of the answer schema with the caps set (never loosened)."""
    capped = copy.deepcopy(schema)
    fields = capped["properties"]
    _cap(fields["evidence"], "maxItems", caps.quotes)
    _cap(fields["evidence"]["items"]["properties"]["quote"], "maxLength", caps.quote_chars)
    _cap(fields["finding"], "maxLength", caps.finding_chars)
    _cap(fields["recommendation"], "maxLength", caps.recommendation_chars)
    return capped


def _cap(node: dict[str, Any], key: str, value: int) -> None:
    node[key] = min(int(node.get(key, value)), value)
