"""The CLI through typer's CliRunner: exit codes and output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLE_PDF
from typer.testing import CliRunner

from pipeline.cli.app import app

runner = CliRunner()


def test_ingest_json_summary_and_second_run_is_a_no_op(pdfs: dict[str, Path], home: Path) -> None:
    first = runner.invoke(app, ["ingest", str(pdfs["labelled"]), "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert {"sha256", "title", "pages", "pages_without_text", "chunks", "words"} <= data.keys()
    assert data["pages"] == 4 and data["already_ingested"] is False
    second = runner.invoke(app, ["ingest", str(pdfs["labelled"]), "--json"])
    assert json.loads(second.stdout)["already_ingested"] is True
    assert (home / "documents" / f"{data['sha256']}.json").exists()


def test_ingest_human_summary(pdfs: dict[str, Path]) -> None:
    result = runner.invoke(app, ["ingest", str(pdfs["labelled"])])
    assert result.exit_code == 0
    assert "4 pages" in result.stdout and "chunks" in result.stdout


@pytest.mark.parametrize(
    "name", ["missing", "directory", "empty", "image_only", "encrypted", "fake"]
)
def test_bad_input_is_one_line_exit_2_and_stores_nothing(
    name: str, pdfs: dict[str, Path], tmp_path: Path, home: Path
) -> None:
    paths = {
        "missing": tmp_path / "nope.pdf",
        "directory": tmp_path,
        "empty": tmp_path / "empty.pdf",
        "image_only": pdfs["image_only"],
        "encrypted": pdfs["encrypted"],
        "fake": tmp_path / "fake.pdf",
    }
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "fake.pdf").write_text("hello, I am text")
    result = runner.invoke(app, ["ingest", str(paths[name])])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert "Traceback" not in result.output
    assert not list((home / "documents").glob("*.json")) if (home / "documents").exists() else True


def test_debug_shows_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--debug", "ingest", str(tmp_path / "nope.pdf")])
    assert result.exit_code == 2 and "Traceback" in result.stderr


def test_corpus_list_and_search(corpus_home: Path) -> None:
    listed = runner.invoke(app, ["corpus", "list", "--json"])
    sources = json.loads(listed.stdout)
    ids = {s["id"] for s in sources}
    assert len(sources) >= 12 and all(s["url"].startswith("http") for s in sources)
    found = runner.invoke(
        app, ["corpus", "search", "what the strategy will not do", "-k", "3", "--json"]
    )
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)
    assert len(hits) == 3
    assert all(h["source_id"] in ids and h["url"] and h["title"] for h in hits)
    human = runner.invoke(app, ["corpus", "search", "user research with residents"])
    assert human.exit_code == 0 and "http" in human.stdout


def test_corpus_search_empty_query_is_an_error(corpus_home: Path) -> None:
    result = runner.invoke(app, ["corpus", "search", "  "])
    assert result.exit_code == 2 and "empty" in result.stderr


@pytest.mark.slow
def test_corpus_add_makes_user_document_searchable(corpus_home: Path, tmp_path: Path) -> None:
    doc = tmp_path / "harbour.md"
    doc.write_text(
        "# Harbour Borough digital plan\n\nWe will retire the fax machines in every "
        "housing office and move repairs reporting to a simple online form."
    )
    added = runner.invoke(
        app,
        [
            "corpus",
            "add",
            str(doc),
            "--title",
            "Harbour plan",
            "--organisation",
            "Harbour Borough",
            "--year",
            "2024",
            "--url",
            "https://example.org/harbour",
            "--sector",
            "local",
        ],
    )
    assert added.exit_code == 0, added.output
    found = runner.invoke(
        app, ["corpus", "search", "fax machines housing repairs", "-k", "1", "--json"]
    )
    hit = json.loads(found.stdout)[0]
    assert hit["source_id"] == "user-harbour-borough-harbour-plan" and hit["kind"] == "passage"
    assert "fax" in hit["text"]


def test_corpus_add_bad_file_adds_nothing(corpus_home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_text("not a pdf")
    result = runner.invoke(app, ["corpus", "add", str(bad), "--title", "T", "--organisation", "O"])
    assert result.exit_code == 2
    listed = json.loads(runner.invoke(app, ["corpus", "list", "--json"]).stdout)
    assert not any(s["origin"] == "user" for s in listed)


def test_review_rules_writes_three_reports(corpus_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["review", str(SAMPLE_PDF), "--model", "rules", "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    review = json.loads((out / "review.json").read_text())
    assert len(review["items"]) == 22 and review["model"] == {
        "id": "rules",
        "backend": "rules",
        "endpoint": None,
    }
    assert (out / "review.md").read_text().startswith("#")
    assert "<html" in (out / "review.html").read_text()


def test_review_unknown_item_and_format(tmp_path: Path) -> None:
    bad_item = runner.invoke(app, ["review", str(SAMPLE_PDF), "--model", "rules", "--only", "nope"])
    assert bad_item.exit_code == 2 and "unknown rubric item" in bad_item.stderr
    bad_format = runner.invoke(
        app, ["review", str(SAMPLE_PDF), "--model", "rules", "--format", "pdf"]
    )
    assert bad_format.exit_code == 2


def test_review_unreachable_server_is_one_line_and_writes_nothing(
    corpus_home: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "review",
            str(SAMPLE_PDF),
            "--model",
            "m",
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--only",
            "focused",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "cannot reach the model server" in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists()
