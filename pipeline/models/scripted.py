"""A scripted model for tests: replies come from a list or a function, calls are recorded."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from .base import Generation, Message

Reply = str | dict[str, Any] | Exception
Responder = Callable[[list[Message], dict[str, Any] | None], Reply]


class ScriptedModel:
    backend = "scripted"

    def __init__(self, replies: Sequence[Reply] | Responder, model_id: str = "scripted") -> None:
        self.id = model_id
        self.replies = replies
        self.calls: list[tuple[list[Message], dict[str, Any] | None]] = []

    def generate(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation:
        self.calls.append((messages, schema))
        if callable(self.replies):
            reply = self.replies(messages, schema)
        else:
            reply = self.replies[min(len(self.calls), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        text = reply if isinstance(reply, str) else json.dumps(reply)
        return Generation(
            text=text,
            model_id=self.id,
            backend=self.backend,
            structured_mode="json_schema" if schema else "text",
            prompt_tokens=sum(len(m.content.split()) for m in messages),
            completion_tokens=len(text.split()),
        )
