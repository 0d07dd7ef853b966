"""The real embedded SmolLM2 model and a real llama_cpp.server on 127.0.0.1 (kept small)."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_PDF
from jsonschema import Draft202012Validator

from pipeline.documents import read_document
from pipeline.evals.runner import run_evals
from pipeline.models.base import Generation, Message
from pipeline.models.llamacpp import LlamaCppModel, default_model_path
from pipeline.models.openai_compat import OpenAICompatModel
from pipeline.normalise import normalise_for_match
from pipeline.records import ItemResult, Review
from pipeline.resources import eval_cases_dir
from pipeline.review import ReviewOptions, run_review

pytestmark = pytest.mark.slow


class Recording:
    """A backend that keeps every schema it was sent and every raw answer it gave."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: list[tuple[dict[str, Any] | None, Generation]] = []

    def __getattr__(self, name: str) -> Any:  # id, backend, base_url: the wrapped model's
        return getattr(self.inner, name)

    def generate(self, messages: list[Message], schema: dict | None = None, **kw: Any):
        generation = self.inner.generate(messages, schema=schema, **kw)
        self.calls.append((schema, generation))
        return generation


def assert_schema_valid(calls: list[tuple[dict[str, Any] | None, Generation]]) -> None:
    """Each raw answer is JSON that the schema it was held to accepts, with cited IDs offered.

    strict=False: llama.cpp's JSON grammar lets a raw control character (a newline) into a
    string, which strict JSON forbids; the pipeline's parser accepts it the same way."""
    for schema, generation in calls:
        assert schema is not None
        Draft202012Validator.check_schema(schema)
        answer = json.loads(generation.text, strict=False)
        Draft202012Validator(schema).validate(answer)
        offered = set(schema["properties"]["evidence"]["items"]["properties"]["chunk_id"]["enum"])
        assert {e["chunk_id"] for e in answer["evidence"]} <= offered


def verified_quotes_on_their_pages(review: Review) -> int:
    """Assert every quote shown as verified is on its cited page; return how many there are."""
    document = read_document(Path(review.document.path))
    count = 0
    for item in review.items:
        for evidence in item.evidence:
            if evidence.verified:
                assert evidence.page is not None
                page_text = normalise_for_match(document.page(evidence.page).text)
                assert normalise_for_match(evidence.quote) in page_text, evidence.quote
                count += 1
    return count


def model_quotes_shown(review: Review) -> int:
    return sum(e.verified and e.source == "model" for i in review.items for e in i.evidence)


def assert_model_or_low_confidence(item: ItemResult) -> None:
    """A kept judgement shows the model's words; a rejected one says why and shows the rules'."""
    if item.confidence == "model":
        assert item.summary == item.model_summary and not item.quality_flags
    else:
        assert item.confidence == "low", item.confidence
        assert item.quality_flags and item.summary != item.model_summary


def test_embedded_model_review(corpus_home: Path, tmp_path: Path) -> None:
    only = ["too_long_term", "user_centred"]
    model = Recording(LlamaCppModel())
    review, paths = run_review(SAMPLE_PDF, tmp_path / "out", model, ReviewOptions(only=only))
    assert review.model.backend == "llama.cpp" and review.model.id == "SmolLM2-135M-Instruct-Q4_1"
    assert [item.id for item in review.items] == only and len(model.calls) == 2
    assert_schema_valid(model.calls)  # grammar-constrained output always fits the schema
    for item in review.items:
        assert item.status == "ok" and item.stats.structured_mode == "grammar"
        assert item.stats.prompt_tokens > 200 and item.stats.completion_tokens > 0
        assert item.stats.parse_failures == 0 and item.stats.invalid_answers == 0
        stats = item.stats
        assert stats.quotes_verified + stats.quotes_dropped == stats.quotes_proposed
        assert_model_or_low_confidence(item)
    horizon = review.item("too_long_term")
    assert horizon is not None and horizon.rating in {"red", "amber"}  # never green on 10 years
    assert verified_quotes_on_their_pages(review) > 0  # indicator evidence is page-cited too
    assert model_quotes_shown(review) <= review.stats["quotes_verified"]
    saved = json.loads(paths["json"].read_text())
    assert saved["model"] == {"id": review.model.id, "backend": "llama.cpp", "endpoint": None}
    again, _ = run_review(SAMPLE_PDF, tmp_path / "out2", model, ReviewOptions(only=only))
    assert again.stats["items_cached"] == 2 and len(model.calls) == 2  # no second generation
    assert [i.rating for i in again.items] == [i.rating for i in review.items]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if importlib.util.find_spec("llama_cpp.server") is None:
        pytest.skip("llama-cpp-python[server] is not installed")
    port = _free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(default_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--model_alias",
            "smollm2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("llama_cpp.server did not start") from None
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.mark.server
def test_review_through_real_llama_server(llama_server: str, corpus_home: Path, tmp_path: Path):
    model = Recording(OpenAICompatModel("smollm2", llama_server))
    review, _ = run_review(SAMPLE_PDF, tmp_path / "out", model, ReviewOptions(only=["focused"]))
    (item,) = review.items
    assert item.status == "ok" and item.id == "focused"
    # llama-cpp-python's server rejects json_schema and accepts json_object with a schema
    assert item.stats.structured_mode == "json_object_schema"
    assert item.stats.prompt_tokens > 200 and item.stats.parse_failures == 0
    assert_schema_valid(model.calls)
    assert_model_or_low_confidence(item)
    assert review.model.backend == "openai-compatible" and review.model.id == "smollm2"
    assert review.model.endpoint == llama_server
    verified_quotes_on_their_pages(review)
    assert model_quotes_shown(review) <= review.stats["quotes_verified"]


@pytest.mark.server
def test_evals_through_real_llama_server(llama_server: str, corpus_home: Path, tmp_path: Path):
    model = Recording(OpenAICompatModel("smollm2", llama_server))
    card = run_evals(
        model,
        eval_cases_dir(),
        tmp_path / "evals",
        only=["too_long_term"],
        case_ids=["eastmere_council_strong"],
    )
    data = json.loads((tmp_path / "evals" / "scorecard.json").read_text())
    overall = data["overall"]
    assert overall["schema_failure_rate"]["mean"] == 0.0
    assert overall["reported_citation_validity"]["mean"] in (None, 1.0)
    assert "<html" in (tmp_path / "evals" / "scorecard.html").read_text()
    assert card.model_dump(mode="json")["overall"] == overall
    assert [c["case_id"] for c in data["cases"]] == ["eastmere_council_strong"]
    assert data["only"] == ["too_long_term"] and data["model"]["id"] == "smollm2"
    assert len(model.calls) == 1  # one case, one item: the gate sets replay at no model cost
    assert_schema_valid(model.calls)


OLD_PAGES = [
    "# Fenmoor Trust Digital Strategy 2024-2034\n\nOur ten-year plan covers every system. "
    "We will adopt artificial intelligence, blockchain and the metaverse across the trust.",
]
NEW_PAGES = [
    "# Fenmoor Trust Digital Strategy 2025-2028\n\nThis three-year plan is reviewed every year "
    "by the Board. We will not start new AI pilots until Wi-Fi and log-in problems are fixed.",
]


def test_embedded_model_compare_versions(corpus_home: Path, tmp_path: Path) -> None:
    from conftest import render_pdfs

    from pipeline.compare import compare_versions, write_comparison

    old = render_pdfs.render_text_pdf(OLD_PAGES, tmp_path / "old.pdf")
    new = render_pdfs.render_text_pdf(NEW_PAGES, tmp_path / "new.pdf")
    model = LlamaCppModel()
    comparison = compare_versions(old, new, model, ReviewOptions(only=["too_long_term"]))
    (item,) = comparison.items
    assert comparison.model.backend == "llama.cpp"
    # a 10-year plan can never be rated as avoiding the pitfall, nor a 3-year one as having it
    assert item.old.rating in {"red", "amber"} and item.new.rating in {"green", "amber"}
    assert item.status in {"resolved", "better", "unchanged"}
    paths = write_comparison(comparison, tmp_path / "out")
    assert "Too long-term" in paths["html"].read_text()
