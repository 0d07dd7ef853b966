"""Faults against a real loopback server that misbehaves on purpose (tests/faulty_server.py):
timeouts, 429 with Retry-After, 500s, connections dropped mid-body, bodies that are not JSON,
JSON that fails the schema, and a server that dies mid-review and comes back. Finished items
are never redone (requests are counted), the report says which items failed and why, and a
re-run completes only those. Also: requests really overlap, and the cache key tells endpoints
apart."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE_PDF
from faulty_server import FaultyServer
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.errors import ModelError, ModelUnreachable
from pipeline.models.base import Message
from pipeline.models.openai_compat import OpenAICompatModel
from pipeline.review import ReviewIncomplete, ReviewOptions, review_document, run_review
from pipeline.rubric import load_rubric

HI = [Message("user", "hi")]
ALL = [i.title for i in load_rubric().items]


def title(item_id: str) -> str:
    return load_rubric().item(item_id).title


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATEGY_REVIEW_RETRIES", "1")
    monkeypatch.setenv("STRATEGY_REVIEW_BACKOFF", "0")


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    with FaultyServer() as running:
        yield running


def scripted(*faults: str) -> FaultyServer:
    """A server whose n-th request gets the n-th fault, then ``ok``."""
    return FaultyServer(lambda n, _: faults[n - 1] if n <= len(faults) else "ok")


# ---------------------------------------------------------------- one request, each fault


def test_a_timeout_is_retried_then_answered() -> None:
    with scripted("sleep:2") as srv:
        model = OpenAICompatModel("m", srv.url, timeout=0.4, retries=1, backoff=0)
        assert json.loads(model.generate(HI).text)["rating"] == "amber"
    assert srv.requests == 2


def test_a_server_that_never_answers_in_time_fails_the_request_not_the_run() -> None:
    with FaultyServer(lambda n, _: "sleep:1.5") as srv:
        model = OpenAICompatModel("m", srv.url, timeout=0.3, retries=1, backoff=0)
        with pytest.raises(ModelError, match=r"did not answer within 0.3 s") as caught:
            model.generate(HI)
    assert not isinstance(caught.value, ModelUnreachable) and srv.requests == 2


@pytest.mark.parametrize(
    ("fault", "expected_wait"), [("429:1", 1.0), ("429ms:250", 0.25), ("429:0.5", 0.5)]
)
def test_429_waits_as_long_as_retry_after_says(fault: str, expected_wait: float) -> None:
    waits: list[float] = []
    with scripted(fault) as srv:
        model = OpenAICompatModel("m", srv.url, retries=2, backoff=30, sleep=waits.append)
        model.generate(HI)
    assert waits == [expected_wait] and srv.requests == 2  # not the 30 s backoff


def test_429_retry_after_is_really_slept() -> None:
    with scripted("429ms:400") as srv:
        model = OpenAICompatModel("m", srv.url, retries=1, backoff=0)
        started = time.perf_counter()
        model.generate(HI)
        assert time.perf_counter() - started >= 0.4
    assert srv.requests == 2


def test_a_retry_after_beyond_two_minutes_is_not_waited_for() -> None:
    waits: list[float] = []
    with scripted("429:3600") as srv:
        model = OpenAICompatModel("m", srv.url, retries=3, sleep=waits.append)
        with pytest.raises(ModelError, match="asks to wait 3600 s"):
            model.generate(HI)
    assert waits == [] and srv.requests == 1


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("500", "model server error 500: internal server error"),
        ("drop", "dropped the connection mid-answer"),
        ("badjson", "not a chat completion"),
        ("nochoices", "not a chat completion"),
    ],
)
def test_each_fault_is_retried_and_then_named(fault: str, message: str) -> None:
    with scripted(fault, fault) as srv:
        answered = OpenAICompatModel("m", srv.url, retries=2, backoff=0).generate(HI)
        assert json.loads(answered.text)["rating"] == "amber"
        assert srv.requests == 3
        srv.plan = lambda n, _: fault
        srv.reset_counts()
        with pytest.raises(ModelError, match=message) as caught:
            OpenAICompatModel("m", srv.url, retries=1, backoff=0).generate(HI)
    assert not isinstance(caught.value, ModelUnreachable) and srv.requests == 2


def test_nothing_listening_is_unreachable(server: FaultyServer) -> None:
    url = server.url
    server.stop()
    model = OpenAICompatModel("m", url, retries=1, backoff=0)
    with pytest.raises(ModelUnreachable, match="cannot reach the model server at http://127"):
        model.generate(HI)
    with pytest.raises(ModelUnreachable):
        model.reported_identity()


def test_errors_never_carry_the_api_key(server: FaultyServer) -> None:
    key = "sk-test-0123456789abcdef"
    server.plan = lambda n, _: "500"
    model = OpenAICompatModel("m", f"http://user:{key}@127.0.0.1:{server.port}/v1", api_key=key)
    model.policy = type(model.policy)(timeout=5, retries=0, backoff=0)
    with pytest.raises(ModelError) as caught:
        model.generate(HI)
    assert key not in str(caught.value) and "user" not in str(caught.value)


def test_bad_retry_settings_are_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATEGY_REVIEW_TIMEOUT", "soon")
    with pytest.raises(ModelError, match="STRATEGY_REVIEW_TIMEOUT='soon'"):
        OpenAICompatModel("m", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("STRATEGY_REVIEW_TIMEOUT", "2.5")
    monkeypatch.setenv("STRATEGY_REVIEW_RETRIES", "1.5")
    with pytest.raises(ModelError, match="whole number"):
        OpenAICompatModel("m", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("STRATEGY_REVIEW_RETRIES", "7")
    policy = OpenAICompatModel("m", "http://127.0.0.1:9/v1").policy
    assert (policy.timeout, policy.retries) == (2.5, 7)


def test_the_reported_identity_drops_per_request_stamps(server: FaultyServer) -> None:
    server.identity = {"owned_by": "lab", "root": "/models/qwen-7b-q4"}
    identity = OpenAICompatModel("m", server.url).reported_identity()
    assert identity is not None and json.loads(identity) == {
        "id": "m",
        "owned_by": "lab",
        "root": "/models/qwen-7b-q4",
    }
    assert OpenAICompatModel("other", server.url).reported_identity() is None


# ---------------------------------------------------------------- whole reviews


FAILING = {"focused": "500", "vague": "drop", "user_centred": "badjson", "integrated": "sleep:3"}


def test_faulty_items_fail_with_reasons_and_a_rerun_completes_only_them(
    corpus_home: Path, tmp_path: Path, quick_retries: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRATEGY_REVIEW_TIMEOUT", "1")
    faults = {title(k): v for k, v in FAILING.items()}
    faults[title("too_long_term")] = "offschema"  # JSON, but not an answer
    transient = {title("it_driven"): "429ms:50", title("realistic"): "500"}
    seen: set[str] = set()

    def plan(n: int, item: str) -> str:
        if item in transient and item not in seen:
            seen.add(item)
            return transient[item]  # fails once, then answers
        return faults.get(item, "ok")

    out = tmp_path / "out"
    with FaultyServer(plan) as srv:
        model = OpenAICompatModel("m", srv.url)
        review, _ = run_review(SAMPLE_PDF, out, model, ReviewOptions(concurrency=4))
        first = dict(srv.by_item)
    data = json.loads((out / "review.json").read_text())
    failed = {i["id"]: i["error"] for i in data["items"] if i["status"] == "failed"}
    assert set(failed) == set(FAILING)
    assert "error 500" in failed["focused"] and "dropped the connection" in failed["vague"]
    assert "not a chat completion" in failed["user_centred"]
    assert "did not answer within 1 s" in failed["integrated"]
    off = next(i for i in data["items"] if i["id"] == "too_long_term")
    assert off["status"] == "ok" and off["stats"]["invalid_answers"] == 1
    assert data["stats"]["items_failed"] == 4
    assert all(first[title(k)] == 2 for k in FAILING)  # one retry each
    assert all(first[t] == 2 for t in transient)
    assert all(first[t] == 1 for t in ALL if t not in transient and t not in faults)
    for item_id in FAILING:
        assert item_id in (out / "review.md").read_text()

    srv.plan = lambda n, _: "ok"
    srv.reset_counts()
    with srv:
        rerun = review_document(SAMPLE_PDF, OpenAICompatModel("m", srv.url))
    assert sorted(srv.by_item) == sorted(title(k) for k in FAILING)
    assert all(count == 1 for count in srv.by_item.values())
    assert rerun.stats["items_failed"] == 0 and rerun.stats["items_cached"] == 22 - len(FAILING)


def test_a_server_that_dies_mid_review_and_comes_back(
    corpus_home: Path, tmp_path: Path, quick_retries: None
) -> None:
    out = tmp_path / "out"
    srv = FaultyServer(lambda n, _: "die" if n == 9 else "ok").start()
    try:
        with pytest.raises(ReviewIncomplete) as caught:
            run_review(SAMPLE_PDF, out, OpenAICompatModel("m", srv.url), ReviewOptions())
        first = dict(srv.by_item)
        data = json.loads((out / "review.json").read_text())  # the report is still written
        done = {i["id"] for i in data["items"] if i["status"] == "ok"}
        failed = {i["id"]: i["error"] for i in data["items"] if i["status"] == "failed"}
        assert len(done) >= 8 and failed and len(done) + len(failed) == 22
        reasons = ("cannot reach the model server", "dropped the connection mid-answer")
        assert all(any(r in e for r in reasons) for e in failed.values()), failed
        assert any(e.startswith("not attempted: cannot reach") for e in failed.values())
        assert "a re-run completes only those" in str(caught.value)

        srv.plan = lambda n, _: "ok"
        srv.reset_counts()
        srv.start()  # back, on the same port
        rerun = review_document(SAMPLE_PDF, OpenAICompatModel("m", srv.url))
    finally:
        srv.stop()
    redone = set(srv.by_item)
    assert redone == {title(i) for i in failed}  # only the failed items
    assert not redone & {title(i) for i in done}  # finished items never redone
    assert rerun.stats["items_cached"] == len(done) and rerun.stats["items_failed"] == 0
    assert sum(first.values()) >= 9


def test_the_cli_says_one_line_and_exits_2_when_the_server_goes(
    corpus_home: Path, tmp_path: Path, quick_retries: None
) -> None:
    with FaultyServer(lambda n, _: "die" if n == 5 else "ok") as srv:
        args = ["review", str(SAMPLE_PDF), "--out", str(tmp_path / "o"), "--quiet"]
        result = CliRunner().invoke(app, [*args, "--model", "m", "--base-url", srv.url])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach the model server")
    assert "reports written to" in lines[0] and (tmp_path / "o" / "review.html").exists()


@pytest.mark.slow  # 22 one-second requests by design
def test_requests_overlap_up_to_the_concurrency(corpus_home: Path) -> None:
    with FaultyServer(lambda n, _: "sleep:1") as srv:
        started = time.perf_counter()
        review = review_document(
            SAMPLE_PDF, OpenAICompatModel("m", srv.url), ReviewOptions(concurrency=4)
        )
        wall = time.perf_counter() - started
    assert srv.peak == 4 and srv.requests == 22
    assert wall < 22 * 0.75  # 22 one-second requests, four at a time
    assert review.stats["items_failed"] == 0


def test_a_backend_that_runs_one_at_a_time_gets_one_at_a_time(corpus_home: Path) -> None:
    with FaultyServer(lambda n, _: "sleep:0.2") as srv:
        model = OpenAICompatModel("m", srv.url)
        model.max_parallel = 1  # what llama.cpp in this process declares
        review_document(SAMPLE_PDF, model, ReviewOptions(concurrency=8, only=ALL_IDS[:4]))
    assert srv.peak == 1 and srv.requests == 4


ALL_IDS = [i.id for i in load_rubric().items]


# ---------------------------------------------------------------- the cache key


def test_two_endpoints_serving_the_same_model_name_do_not_share_results(
    corpus_home: Path, tmp_path: Path
) -> None:
    only = ReviewOptions(only=ALL_IDS[:2])
    with FaultyServer() as one, FaultyServer() as two:
        first = review_document(SAMPLE_PDF, OpenAICompatModel("m", one.url), only)
        second = review_document(SAMPLE_PDF, OpenAICompatModel("m", two.url), only)
        third = review_document(SAMPLE_PDF, OpenAICompatModel("m", one.url), only)
    assert (one.requests, two.requests) == (2, 2)
    assert first.stats["items_cached"] == second.stats["items_cached"] == 0
    assert third.stats["items_cached"] == 2


def test_the_same_endpoint_serving_another_model_build_does_not_share_results(
    corpus_home: Path,
) -> None:
    only = ReviewOptions(only=ALL_IDS[:2])
    srv = FaultyServer(identity={"root": "/models/build-1"}).start()
    try:
        review_document(SAMPLE_PDF, OpenAICompatModel("m", srv.url), only)
        srv.stop()
        srv.identity = {"root": "/models/build-2"}  # restarted with other weights, same name
        srv.start()
        swapped = review_document(SAMPLE_PDF, OpenAICompatModel("m", srv.url), only)
    finally:
        srv.stop()
    assert srv.requests == 4 and swapped.stats["items_cached"] == 0


def test_cache_info_clear_and_no_cache(corpus_home: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    with FaultyServer() as srv:
        base = ["review", str(SAMPLE_PDF), "--out", str(tmp_path / "o"), "--quiet"]
        base += ["--model", "m", "--base-url", srv.url, "--only", "focused", "--only", "vague"]
        assert runner.invoke(app, base).exit_code == 0
        info = json.loads(runner.invoke(app, ["cache", "info", "--json"]).output)
        assert info["entries"] == 2 and info["bytes"] > 0
        assert runner.invoke(app, base).exit_code == 0 and srv.requests == 2  # from the cache
        assert runner.invoke(app, [*base, "--no-cache"]).exit_code == 0 and srv.requests == 4
        cleared = runner.invoke(app, ["cache", "clear"])
        assert cleared.exit_code == 0 and "removed 2 cached item results" in cleared.output
        assert json.loads(runner.invoke(app, ["cache", "info", "--json"]).output)["entries"] == 0
        assert runner.invoke(app, base).exit_code == 0 and srv.requests == 6
    assert "sk-" not in "".join(p.read_text() for p in (corpus_home / "cache").rglob("*.json"))


def test_a_batch_keeps_its_model_calls_within_the_concurrency(
    corpus_home: Path, tmp_path: Path
) -> None:
    from batch_docs import write_documents

    from pipeline.batch import BatchOptions, run_batch

    paths = write_documents(tmp_path)
    only = ReviewOptions(only=ALL_IDS[:4])
    options = BatchOptions(jobs=2, concurrency=3, review=only)
    with FaultyServer(lambda n, _: "sleep:0.3") as srv:
        model = OpenAICompatModel("m", srv.url)
        result = run_batch([paths["strong"], paths["plain"]], tmp_path / "out", model, options)
    assert srv.requests == 8 and srv.peak == 3  # two documents, three calls at once in all
    assert len(result.league.rows) == 2 and result.league.failed == []
