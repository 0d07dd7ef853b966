"""A reasoning model's endpoint (OpenAI o-series, GPT-5) over a real loopback HTTP server: it
refuses ``max_tokens`` and any temperature but its default, with OpenAI's own 400 answers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from personas import chat_completion, send_json

from pipeline.errors import ModelError
from pipeline.models.base import Message
from pipeline.models.openai_compat import REASONING_ALLOWANCE, OpenAICompatModel

SCHEMA = {"type": "object", "properties": {"rating": {"type": "string"}}, "required": ["rating"]}
MESSAGES = [Message("user", "Rate it.")]


def refusal(param: str, message: str) -> dict[str, Any]:
    code = "unsupported_parameter" if param == "max_tokens" else "unsupported_value"
    error = {"message": message, "type": "invalid_request_error", "param": param, "code": code}
    return {"error": error}


def openai_reasoning(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if "max_tokens" in body:
        return 400, refusal(
            "max_tokens",
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
        )
    if body.get("temperature", 1) != 1:
        return 400, refusal(
            "temperature",
            "Unsupported value: 'temperature' does not support 0 with this model. "
            "Only the default (1) value is supported.",
        )
    return 200, chat_completion(body["model"], '{"rating": "amber"}')


def message_only(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Another server's wording: no ``param``, only a message."""
    if "temperature" in body:
        return 400, {"error": {"message": "temperature is not supported for this model"}}
    return 200, chat_completion(body["model"], '{"rating": "red"}')


def always_refuses(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 400, refusal("temperature", "Unsupported value: 'temperature' is not supported.")


@contextmanager
def serve(answer: Any) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append(body)
            status, payload = answer(body)
            send_json(self, status, payload)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_reasoning_endpoint_is_answered_in_the_form_it_accepts() -> None:
    with serve(openai_reasoning) as (url, seen):
        model = OpenAICompatModel("o-model", url, retries=0)
        first = model.generate(MESSAGES, schema=SCHEMA, max_tokens=300)
        sent_before_second = len(seen)
        second = model.generate(MESSAGES, schema=SCHEMA, max_tokens=300)
    assert json.loads(first.text) == json.loads(second.text) == {"rating": "amber"}
    assert first.structured_mode == "json_schema"  # a parameter refusal is not a format refusal
    assert sent_before_second == 3  # max_tokens refused, then temperature, then answered
    last = seen[-1]
    assert len(seen) == 4  # the endpoint keeps the form it learned: one request
    assert "max_tokens" not in last and "temperature" not in last
    assert last["max_completion_tokens"] == 300 + REASONING_ALLOWANCE
    assert last["response_format"]["type"] == "json_schema"


def test_a_refusal_named_only_in_the_message_is_understood() -> None:
    with serve(message_only) as (url, seen):
        generation = OpenAICompatModel("m", url, retries=0).generate(MESSAGES, schema=SCHEMA)
    assert json.loads(generation.text) == {"rating": "red"}
    assert seen[-1]["max_tokens"] == 400 and "temperature" not in seen[-1]


def test_a_server_that_refuses_whatever_is_sent_is_one_clear_error() -> None:
    refused = pytest.raises(ModelError, match="accepted no form")
    with serve(always_refuses) as (url, seen), refused:
        OpenAICompatModel("m", url, retries=0).generate(MESSAGES, schema=SCHEMA)
    assert len(seen) == 5  # temperature dropped once, then each structured form tried once
