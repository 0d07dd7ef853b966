"""The model's answer for one rubric item, as one pydantic model.

The same model generates the JSON schema the backend is held to (with the offered chunk IDs as
an enum) and validates what comes back. Validation is deliberately not strict about chunk IDs:
an ID outside the offered set is kept here so that verification can strip and count it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from .normalise import strip_controls
from .records import Rating

MAX_QUOTES = 3
MAX_QUOTE_CHARS = 300
MAX_FINDING_CHARS = 600
MAX_RECOMMENDATION_CHARS = 300


def _limit(**limits: int) -> Any:
    """Limits the schema asks the model to keep, without failing a longer answer: a verbose
    but sound judgement is still a judgement, and extra quotes are counted, not fatal."""
    return limits


class QuotedEvidence(BaseModel):
    model_config = ConfigDict(extra="ignore")

    chunk_id: str = Field(description="The ID of the passage the quote is copied from.")
    quote: str = Field(
        description="Words copied exactly from that passage: one sentence or less.",
        json_schema_extra=_limit(maxLength=MAX_QUOTE_CHARS),
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_quote(cls, value: Any) -> Any:
        """A bare string is a quote with no passage ID: kept, so verification can count it."""
        return {"chunk_id": "", "quote": value} if isinstance(value, str) else _lower_keys(value)

    @field_validator("quote", mode="before")
    @classmethod
    def _clean_quote(cls, value: Any) -> Any:
        return strip_controls(value) if isinstance(value, str) else value


class ModelAnswer(BaseModel):
    """What the model must return for one rubric item."""

    model_config = ConfigDict(extra="ignore")

    evidence: list[QuotedEvidence] = Field(
        default_factory=list, json_schema_extra=_limit(maxItems=MAX_QUOTES)
    )
    finding: str = Field(
        description="One to three sentences of your own about this document and this item.",
        json_schema_extra=_limit(maxLength=MAX_FINDING_CHARS),
    )
    rating: Rating
    recommendation: str = Field(
        default="",
        description="One concrete next step.",
        json_schema_extra=_limit(maxLength=MAX_RECOMMENDATION_CHARS),
    )

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, value: Any) -> Any:
        """ "Finding" or "RATING" from a sloppy model are the same fields."""
        return _lower_keys(value)

    @field_validator("rating", mode="before")
    @classmethod
    def _plain_rating(cls, value: Any) -> Any:
        """Accept "Green", " red " or "insufficient evidence" for the same four ratings."""
        if isinstance(value, str):
            plain = _RATING_LABEL.sub("", value.strip().lower()).strip(" .")
            plain = plain.replace(" ", "_").replace("-", "_")
            return _RATING_WORDS.get(plain, plain)
        return value

    @field_validator("evidence", mode="before")
    @classmethod
    def _one_quote(cls, value: Any) -> Any:
        """A lone quote (a string or one object) is a list of one, so verification counts it."""
        return [value] if isinstance(value, str | dict) else value

    @field_validator("finding", "recommendation", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        """Control characters, terminal escapes and bidi overrides never reach a report (a
        DOCX cannot even hold them)."""
        return strip_controls(value).strip() if isinstance(value, str) else value

    @classmethod
    def json_schema_for(cls, chunk_ids: list[str]) -> dict[str, Any]:
        """The schema sent to the backend: the offered chunk IDs are an enum, and every
        reference is inlined (grammar converters handle flat schemas best)."""
        chunk_type: Any = Literal[tuple(chunk_ids)] if chunk_ids else str
        evidence_model = create_model(
            "QuotedEvidence",
            __base__=QuotedEvidence,
            chunk_id=(chunk_type, Field(description="The ID of the passage quoted.")),
        )
        answer_model = create_model(
            "ModelAnswer",
            __base__=cls,
            evidence=(
                list[evidence_model],  # type: ignore[valid-type]
                Field(json_schema_extra=_limit(maxItems=MAX_QUOTES)),
            ),
        )
        schema = answer_model.model_json_schema()
        inlined: dict[str, Any] = _inline(schema, schema.pop("$defs", {}))
        inlined["required"] = list(inlined["properties"])  # the model writes every field
        inlined["properties"]["recommendation"].pop("default", None)
        return inlined


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        if "const" in node:  # one offered chunk: an enum of one, which every converter knows
            node = {k: v for k, v in node.items() if k != "const"} | {"enum": [node["const"]]}
        return {k: _inline(v, defs) for k, v in node.items() if k != "title"}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node


# "RAG: green", "Rating - Amber": a label before the one rating word.
_RATING_LABEL = re.compile(r"^(?:rag|rating|rag rating|rating is|status)\s*[:=-]?\s+(?=\w)")
_RATING_WORDS = {"insufficient": "insufficient_evidence", "n/a": "insufficient_evidence"}


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k.strip().lower() if isinstance(k, str) else k: v for k, v in value.items()}
    return value


class AnswerError(ValueError):
    """The model's JSON is not an answer: a field is missing or has the wrong type."""


def validate_answer(data: dict[str, Any]) -> ModelAnswer:
    try:
        return ModelAnswer.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        raise AnswerError(f"invalid answer ({where}: {first['msg'].lower()})") from None
