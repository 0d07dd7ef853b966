"""Model backends: JSON repair, the resolver, and the OpenAI-compatible structured-output ladder
against a real HTTP server on 127.0.0.1 that behaves like llama-cpp-python's server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from personas import chat_completion, send_json

from pipeline.errors import ModelError
from pipeline.models import is_rules, resolve_model
from pipeline.models.base import JSONParseError, Message, parse_json_object
from pipeline.models.openai_compat import OpenAICompatModel

SCHEMA = {"type": "object", "properties": {"rating": {"type": "string"}}, "required": ["rating"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"rating": "red"}', {"rating": "red"}),
        ('```json\n{"rating": "red",}\n```', {"rating": "red"}),
        (
            'Sure! {"rating": "amber", "evidence": [1, 2,]} Hope that helps.',
            {"rating": "amber", "evidence": [1, 2]},
        ),
        (
            '{"rating": "green", "finding": "cut off mid',
            {"rating": "green", "finding": "cut off mid"},
        ),
        ('{"evidence": [{"quote": "a"', {"evidence": [{"quote": "a"}]}),
        ('{"finding": "line one\nline two"}', {"finding": "line one\nline two"}),
    ],
)
def test_parse_and_repair(text: str, expected: dict[str, Any]) -> None:
    assert parse_json_object(text) == expected


@pytest.mark.parametrize("text", ["1.0", "", "no json here", "[1, 2]"])
def test_unrepairable_output_raises(text: str) -> None:
    with pytest.raises(JSONParseError):
        parse_json_object(text)


def test_resolver_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    assert is_rules(resolve_model("rules"))
    ollama = resolve_model("ollama:llama3.2")
    assert isinstance(ollama, OpenAICompatModel) and ollama.base_url.endswith(":11434/v1")
    monkeypatch.setenv("OLLAMA_HOST", "http://gpu-box:11434")
    assert resolve_model("ollama:qwen").base_url == "http://gpu-box:11434/v1"  # type: ignore[union-attr]
    served = resolve_model("my-model", "http://127.0.0.1:8000/v1")
    assert isinstance(served, OpenAICompatModel) and served.id == "my-model"
    with pytest.raises(ModelError, match="unknown model"):
        resolve_model("gpt-something")
    with pytest.raises(ModelError, match="not found"):
        resolve_model("/nowhere/model.gguf")


class FakeServer(BaseHTTPRequestHandler):
    """Rejects json_schema like llama-cpp-python's server; can fail with 429 first."""

    script: list[int] = []
    seen: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeServer.seen.append(body)
        if FakeServer.script:
            self._send(FakeServer.script.pop(0), {"error": {"message": "busy"}})
            return
        fmt = body.get("response_format") or {}
        if fmt.get("type") == "json_schema":
            self._send(500, {"error": {"message": "Input should be 'text' or 'json_object'"}})
            return
        content = json.dumps({"rating": "amber"}) if fmt else 'Answer: {"rating": "red",}'
        send_json(self, 200, chat_completion(body["model"], content, prompt_tokens=11))

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        send_json(self, status, payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    FakeServer.script, FakeServer.seen = [], []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeServer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def test_falls_back_from_json_schema_to_json_object_with_schema(server: str) -> None:
    model = OpenAICompatModel("m", server, sleep=lambda s: None)
    result = model.generate([Message("user", "hi")], schema=SCHEMA)
    assert result.structured_mode == "json_object_schema"
    assert json.loads(result.text) == {"rating": "amber"}
    assert [s["response_format"]["type"] for s in FakeServer.seen] == ["json_schema", "json_object"]
    assert FakeServer.seen[1]["response_format"]["schema"] == SCHEMA
    model.generate([Message("user", "again")], schema=SCHEMA)
    assert FakeServer.seen[2]["response_format"]["type"] == "json_object"  # remembered


def test_retries_429_and_5xx_with_backoff(server: str) -> None:
    waits: list[float] = []
    FakeServer.script = [429, 503]
    model = OpenAICompatModel("m", server, sleep=waits.append, backoff=0.5)
    result = model.generate([Message("user", "hi")])
    assert waits == [0.5, 1.0] and result.text.startswith("Answer")


def test_gives_up_after_retries(server: str) -> None:
    FakeServer.script = [503] * 10
    model = OpenAICompatModel("m", server, sleep=lambda s: None, retries=2)
    with pytest.raises(ModelError, match="503"):
        model.generate([Message("user", "hi")])


def test_unreachable_server_is_a_model_error() -> None:
    model = OpenAICompatModel("m", "http://127.0.0.1:9/v1", retries=0)
    with pytest.raises(ModelError, match="cannot reach"):
        model.generate([Message("user", "hi")])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a reasoning model's thinking, with a draft answer inside it, then the answer
        (
            '<think>The plan names owners. Draft: {"rating": "green"}. No: nothing is funded.'
            '</think>\n{"rating": "amber"}',
            {"rating": "amber"},
        ),
        ('<THINKING>{"a": 1</THINKING>```json\n{"rating": "red"}\n```', {"rating": "red"}),
        # the same answer twice is one answer
        ('{"rating": "red"}\n\n{"rating": "red"}', {"rating": "red"}),
        # braces in the prose and in the strings are not objects
        (
            'Rating {see below}: {"rating": "red", "finding": "a {brace} in text"}',
            {"rating": "red", "finding": "a {brace} in text"},
        ),
        # an object that is not an answer beside the answer
        (
            '{"note": "example"} {"rating": "green", "finding": "x"}',
            {"rating": "green", "finding": "x"},
        ),
        # nested evidence objects stay inside their answer
        (
            '{"evidence": [{"quote": "q", "chunk_id": "c1"}], "rating": "red"',
            {"evidence": [{"quote": "q", "chunk_id": "c1"}], "rating": "red"},
        ),
    ],
)
def test_parse_picks_the_one_answer(text: str, expected: dict[str, Any]) -> None:
    assert parse_json_object(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('{"rating": "green"} Actually, on reflection: {"rating": "red"}', "several different"),
        ('<think>Let me weigh the evidence. {"rating": "green"', "still reasoning"),
    ],
)
def test_an_ambiguous_or_unfinished_answer_is_refused(text: str, reason: str) -> None:
    with pytest.raises(JSONParseError, match=reason):
        parse_json_object(text)
