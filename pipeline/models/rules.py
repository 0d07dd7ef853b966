"""The rules backend: the deterministic review, as a backend object rather than ``None``.

A review with :class:`RulesModel` rates every item from the document's indicators and verified
evidence alone (``pipeline.judge.judge_with_rules``); no text is generated, so ``generate`` is
never called. :func:`is_rules` is the one test for "is this the rules backend?".
"""

from __future__ import annotations

from typing import Any

from ..errors import ModelError
from .base import Generation, Message

RULES = "rules"


class RulesModel:
    """The deterministic review. ``notice`` says why it was chosen when nobody asked for it."""

    id = RULES
    backend = RULES

    def __init__(self, notice: str | None = None) -> None:
        self.notice = notice

    def generate(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation:
        raise ModelError("the rules backend writes no text; judge items with judge_with_rules")

    def __repr__(self) -> str:
        return "RulesModel()"


def is_rules(model: object) -> bool:
    """True for the rules backend (``None`` too, as older callers passed it)."""
    return model is None or isinstance(model, RulesModel)
