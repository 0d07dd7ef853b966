"""Hostile documents: each gives a clear one-line error or a bounded, correct result.

Each heavy case is read in a fresh interpreter (``hostile_files.probe``) so that its wall time
and peak resident memory (``VmHWM``) are its own. The limits are named per case below;
they are several times what the case needs on a 2-core machine, so they catch a hang or a
blow-up, not noise.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hostile_files import (
    METACHAR_NAME,
    big_table_markdown,
    docx_bomb,
    docx_lying_sizes,
    many_page_pdf,
    nested_html,
    one_line_pdf,
    probe,
    scripted_pdf,
    symlink_loop,
)
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.documents import read_document
from pipeline.errors import InputError

# Named limits: (seconds, peak MB) for each case.
DOCX_BOMB_LIMITS = (15, 300)
PAGES_10K_LIMITS = (60, 1024)
LINE_5MB_LIMITS = (120, 1024)
SCRIPTED_PDF_LIMITS = (15, 300)
NESTED_HTML_LIMITS = (30, 500)
TABLE_1MB_LIMITS = (30, 500)


def _within(result: dict, limits: tuple[int, int]) -> None:
    seconds, peak_mb = limits
    assert "crashed" not in result, result
    assert result["seconds"] <= seconds, result
    assert result["peak_mb"] <= peak_mb, result


def _one_line_error(result: dict, *words: str) -> str:
    assert result["ok"] is False, result
    message = result["error"]
    assert "\n" not in message and len(message) < 300, message
    for word in words:
        assert word in message, message
    return message


def test_docx_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    bomb = docx_bomb(tmp_path / "bomb.docx", inflated_mb=256)
    assert bomb.stat().st_size < 2 << 20
    result = probe(bomb, timeout=DOCX_BOMB_LIMITS[0] * 2)
    _within(result, DOCX_BOMB_LIMITS)
    _one_line_error(result, "zip bomb", "bomb.docx")


def test_docx_whose_headers_lie_about_its_size_is_refused(tmp_path: Path) -> None:
    liar = docx_lying_sizes(tmp_path / "liar.docx", inflated_mb=64)
    result = probe(liar, timeout=DOCX_BOMB_LIMITS[0] * 2)
    _within(result, DOCX_BOMB_LIMITS)
    _one_line_error(result, "corrupt DOCX", "liar.docx")


@pytest.mark.slow
def test_pdf_with_ten_thousand_pages_is_refused_in_bounds(tmp_path: Path) -> None:
    pdf = many_page_pdf(tmp_path / "pages.pdf", pages=10_000)
    result = probe(pdf, timeout=PAGES_10K_LIMITS[0] * 2)
    _within(result, PAGES_10K_LIMITS)
    _one_line_error(result, "10000 pages", "5000-page limit")


@pytest.mark.slow
def test_pdf_whose_text_is_one_5mb_line(tmp_path: Path) -> None:
    pdf = one_line_pdf(tmp_path / "line.pdf", megabytes=5)
    result = probe(pdf, timeout=LINE_5MB_LIMITS[0] * 2)
    _within(result, LINE_5MB_LIMITS)
    assert result["ok"] and result["pages"] == 1, result
    assert result["chars"] >= 5 << 20 and result["chunks"] > 1000, result


def test_pdf_with_javascript_and_attachments_is_read_not_run(tmp_path: Path) -> None:
    pdf = scripted_pdf(tmp_path / "scripted.pdf")
    before = set(tmp_path.rglob("*"))
    result = probe(pdf, timeout=SCRIPTED_PDF_LIMITS[0] * 2)
    _within(result, SCRIPTED_PDF_LIMITS)
    assert result["ok"], result
    warnings = " ".join(result["warnings"])
    assert "JavaScript" in warnings and "not run" in warnings, warnings
    assert "embeds 1 file" in warnings, warnings
    assert set(tmp_path.rglob("*")) == before  # nothing extracted, nothing written
    doc = read_document(pdf)
    assert "publish our service standard by March 2026" in doc.text
    assert "pwned" not in doc.text and "exportDataObject" not in doc.text


@pytest.mark.parametrize("tag", ["div", "li", "blockquote"])
def test_html_with_100k_nested_tags(tmp_path: Path, tag: str) -> None:
    if tag == "div":
        html = nested_html(tmp_path / "deep.html", depth=100_000)
    else:  # each element's descendants used to be searched: quadratic, it never finished
        html = tmp_path / f"deep-{tag}.html"
        html.write_text(
            "<html><body>" + f"<{tag}>x " * 100_000 + "<p>end</p>" + f"</{tag}>" * 100_000
        )
    result = probe(html, timeout=NESTED_HTML_LIMITS[0] * 2)
    _within(result, NESTED_HTML_LIMITS)
    assert result["ok"], result
    if tag == "div":
        assert result["title"] == "Deep plan"
        text = read_document(html).text
        assert "We will fix the basics first." in text and "Residents come first." in text
    else:
        assert result["chars"] >= 200_000, result  # every "x" is kept


def test_markdown_with_a_1mb_table(tmp_path: Path) -> None:
    md = big_table_markdown(tmp_path / "budget.md", megabytes=1)
    result = probe(md, timeout=TABLE_1MB_LIMITS[0] * 2)
    _within(result, TABLE_1MB_LIMITS)
    assert result["ok"] and result["title"] == "Budget", result
    assert result["pages"] > 100 and result["longest_page"] < 20_000, result  # split at rows
    doc = read_document(md)
    rows = [line for page in doc.pages for line in page.text.split("\n") if line.startswith("|")]
    assert len(rows) == md.read_text().count("\n| ") + 1  # every row kept, none cut
    assert all(row.endswith("|") for row in rows)


def test_file_name_with_shell_and_html_metacharacters(tmp_path: Path) -> None:
    doc_path = tmp_path / f"{METACHAR_NAME}.md"
    doc_path.write_text("# Harbour Plan\n\nWe will fix the basics first for every resident.\n")
    done = subprocess.run(
        [sys.executable, "-c", "from pipeline.cli.app import main; main()"]
        + ["ingest", str(doc_path), "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert '"title": "Harbour Plan"' in done.stdout
    assert not list(tmp_path.rglob("PWNED"))  # nothing was run by a shell


@pytest.mark.slow
def test_metacharacter_file_name_is_escaped_in_reports(corpus_home: Path, tmp_path: Path) -> None:
    doc_path = tmp_path / f"{METACHAR_NAME}.md"
    doc_path.write_text("# Harbour Plan\n\nWe will fix the basics first for every resident.\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        ["review", str(doc_path), "--model", "rules", "--out", str(out), "--quiet"]
        + ["--only", "vague"],
    )
    assert result.exit_code == 0, result.output
    html = (out / "review.html").read_text()
    assert "<img src=x onerror=alert(1)>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert not list(tmp_path.rglob("PWNED"))


def test_symlink_loop_is_one_clear_line(tmp_path: Path) -> None:
    loop = symlink_loop(tmp_path)
    with pytest.raises(InputError, match="symbolic link loop") as info:
        read_document(loop)
    assert "\n" not in str(info.value)
    result = CliRunner().invoke(app, ["ingest", str(loop)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "symbolic link loop" in lines[0], result.output
    dangling = tmp_path / "gone.pdf"
    dangling.symlink_to(tmp_path / "nowhere.pdf")
    with pytest.raises(InputError, match="broken symbolic link"):
        read_document(dangling)
