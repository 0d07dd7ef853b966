"""An OpenAI-compatible chat server on 127.0.0.1 that misbehaves on purpose.

Each chat request is answered by a *fault* chosen by ``plan(request_number, item_title)``:

- ``ok``: a careful answer that quotes the first passage it was shown;
- ``sleep:S``: wait S seconds, then answer (a slow or hung server);
- ``429:S`` / ``429ms:MS``: HTTP 429 with ``Retry-After: S`` / ``retry-after-ms: MS``;
- ``500``: an internal server error;
- ``drop``: headers promising a body, half of it, then the connection closed;
- ``badjson``: HTTP 200 whose body is not JSON;
- ``nochoices``: HTTP 200 JSON that is not a chat completion (no ``choices``);
- ``offschema``: a chat completion whose content is JSON that fails the answer schema;
- ``die``: the server stops listening and drops this and every later connection.

It counts chat requests per item title, and the peak number in flight at once. GET /v1/models
lists the model with an ``identity`` of the test's choosing. ``start()`` after ``die`` (or
``stop()``) serves again on the same port.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from personas import chat_completion

Plan = Callable[[int, str], str]
PASSAGE = re.compile(r"\[(c\d+-p[\d-]+)\] (.*?)(?=\n\n\[c\d|\nDOCUMENT PASSAGES>>>)", re.S)
ITEM = re.compile(r"^Item: (.+?) \(", re.M)


def careful_answer(prompt: str) -> str:
    """Quote the first sentence of six words or more from the first passage, verbatim."""
    found = PASSAGE.findall(prompt)
    evidence = []
    if found:
        chunk_id, text = found[0]
        sentences = re.split(r"(?<=[.!?])\s+", text.replace("\n", " "))
        quote = next((s for s in sentences if len(s.split()) >= 6), text[:80])
        evidence = [{"chunk_id": chunk_id, "quote": quote}]
    return json.dumps(
        {
            "evidence": evidence,
            "finding": "The document addresses this item in a specific passage, with some gaps.",
            "rating": "amber",
            "recommendation": "State the intended outcome and its owner more plainly.",
        }
    )


class _QuietServer(ThreadingHTTPServer):
    """A handler cut off on purpose (a dropped or dying connection) is not an error to print:
    a traceback from a server thread would land in whatever test captures stderr next."""

    def handle_error(self, request: object, client_address: object) -> None:
        pass


class FaultyServer:
    def __init__(
        self, plan: Plan | None = None, model: str = "m", identity: dict[str, Any] | None = None
    ) -> None:
        self.plan: Plan = plan or (lambda n, title: "ok")
        self.model = model
        self.identity = identity or {}
        self.requests = 0
        self.by_item: Counter[str] = Counter()
        self.in_flight = 0
        self.peak = 0
        self.dead = False
        self.lock = threading.Lock()
        self.port = 0
        self.httpd: ThreadingHTTPServer | None = None
        self.connections: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> FaultyServer:
        handler = type("Handler", (_Handler,), {"server_state": self})
        self.httpd = _QuietServer(("127.0.0.1", self.port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.dead = False
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection, as a crashed process would."""
        self.dead = True
        with self.lock:
            open_now = list(self.connections)
        for connection in open_now:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def die(self) -> None:
        """Stop listening from inside a request (shutdown waits for the serving loop)."""
        self.dead = True
        threading.Thread(target=self.stop, daemon=True).start()

    def reset_counts(self) -> None:
        with self.lock:
            self.requests = 0
            self.by_item.clear()
            self.peak = 0

    def __enter__(self) -> FaultyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    server_state: FaultyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.server_state.lock:
            self.server_state.connections.add(self.connection)

    def finish(self) -> None:
        with self.server_state.lock:
            self.server_state.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:  # noqa: N802
        state = self.server_state
        if not self.path.rstrip("/").endswith("/models"):
            return self._json(404, {"error": {"message": "no such path"}})
        entry = {"id": state.model, "object": "model", "created": int(time.time())}
        self._json(200, {"object": "list", "data": [entry | state.identity]})

    def do_POST(self) -> None:  # noqa: N802
        state = self.server_state
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        match = ITEM.search(prompt)
        title = match.group(1) if match else ""
        with state.lock:
            if state.dead:
                return self._drop()
            state.requests += 1
            number = state.requests
            state.by_item[title] += 1
            state.in_flight += 1
            state.peak = max(state.peak, state.in_flight)
        try:
            self._answer(state.plan(number, title), body, prompt)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _answer(self, fault: str, body: dict[str, Any], prompt: str) -> None:
        state = self.server_state
        kind, _, arg = fault.partition(":")
        if kind == "sleep":
            time.sleep(float(arg))
            kind = "ok"
        if state.dead or kind == "die":
            if kind == "die":
                state.die()
            return self._drop()
        if kind == "ok":
            return self._json(200, chat_completion(state.model, careful_answer(prompt)))
        if kind == "offschema":
            content = json.dumps({"verdict": "fine", "score": 7})
            return self._json(200, chat_completion(state.model, content))
        if kind == "429":
            return self._json(429, {"error": {"message": "slow down"}}, {"Retry-After": arg})
        if kind == "429ms":
            return self._json(429, {"error": {"message": "slow down"}}, {"retry-after-ms": arg})
        if kind == "500":
            return self._json(500, {"error": {"message": "internal server error"}})
        if kind == "badjson":
            return self._raw(200, b'{"id": "x", "choices": [{"message": ', "application/json")
        if kind == "nochoices":
            return self._json(200, {"id": "x", "object": "chat.completion"})
        if kind == "drop":
            data = json.dumps(chat_completion(state.model, careful_answer(prompt))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            return self._drop()
        raise ValueError(f"unknown fault {fault!r}")

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(payload).encode(), "application/json", headers)

    def _raw(
        self, status: int, data: bytes, kind: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Close the connection at once, with no (more) bytes: a crashed server."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
