"""Any OpenAI-compatible chat endpoint: OpenAI, vLLM, Ollama, LM Studio, llama.cpp server.

Structured output is tried in this order, and the first form the server accepts is kept:
1. ``response_format={"type": "json_schema", ...}`` (OpenAI, vLLM, Ollama);
2. ``{"type": "json_object", "schema": ...}`` (llama-cpp-python's server);
3. ``{"type": "json_object"}``;
4. no response_format: the prompt asks for JSON and the caller parses and repairs.
429 and 5xx answers are retried with exponential backoff.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import Any

from .. import redact
from ..errors import ModelError
from .base import Generation, Message

MODES = ("json_schema", "json_object_schema", "json_object", "repair")
_UNSUPPORTED = re.compile(
    r"response_format|json_schema|json_object|Input should be|not supported", re.I
)


class UnsupportedFormat(Exception):
    pass


class OpenAICompatModel:
    backend = "openai-compatible"

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from openai import OpenAI

        self.id = model
        self.base_url = base_url
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.mode_index = 0
        key = api_key or os.environ.get("OPENAI_API_KEY") or "not-needed"
        redact.remember(key)  # the key and any credentials in the URL are scrubbed from output
        redact.remember_url(base_url)
        self.client = OpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=0)

    def generate(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation:
        started = time.perf_counter()
        payload: Any = [{"role": m.role, "content": m.content} for m in messages]
        modes = MODES[self.mode_index :] if schema is not None else ("text",)
        for offset, mode in enumerate(modes):
            try:
                response = self._with_retries(
                    lambda mode=mode: self.client.chat.completions.create(  # type: ignore[misc]
                        model=self.id,
                        messages=payload,
                        max_tokens=max_tokens,
                        temperature=temperature,
                        **_format_kwargs(mode, schema),
                    )
                )
            except UnsupportedFormat:
                continue
            if schema is not None:
                self.mode_index += offset
            usage = response.usage
            return Generation(
                text=response.choices[0].message.content or "",
                model_id=self.id,
                backend=self.backend,
                structured_mode=mode,
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
                latency_s=time.perf_counter() - started,
            )
        raise ModelError(f"{self.base_url} accepted no form of structured output")

    def _with_retries(self, call: Callable[[], Any]) -> Any:
        import openai

        for attempt in range(self.retries + 1):
            try:
                return call()
            except openai.APIConnectionError as exc:
                raise ModelError(f"cannot reach the model server at {self.base_url}") from exc
            except openai.APIStatusError as exc:
                if _is_unsupported_format(exc):
                    raise UnsupportedFormat(str(exc)) from exc
                if exc.status_code == 404:
                    raise ModelError(f"model {self.id!r} not found at {self.base_url}") from exc
                if exc.status_code in (401, 403):
                    raise ModelError(
                        f"{self.base_url} refused the API key (set OPENAI_API_KEY)"
                    ) from exc
                if exc.status_code != 429 and exc.status_code < 500 or attempt == self.retries:
                    raise ModelError(
                        f"model server error {exc.status_code}: {_message(exc)}"
                    ) from exc
                self.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")


def _format_kwargs(mode: str, schema: dict[str, Any] | None) -> dict[str, Any]:
    if mode == "json_schema":
        spec = {"name": "finding", "schema": schema, "strict": False}
        return {"response_format": {"type": "json_schema", "json_schema": spec}}
    if mode == "json_object_schema":
        return {"response_format": {"type": "json_object", "schema": schema}}
    if mode == "json_object":
        return {"response_format": {"type": "json_object"}}
    return {}


def _message(exc: Any) -> str:
    return str(getattr(exc, "message", exc)).splitlines()[0][:200]


def _is_unsupported_format(exc: Any) -> bool:
    return exc.status_code in (400, 422, 500) and bool(
        _UNSUPPORTED.search(_message(exc) + str(exc.body))
    )
