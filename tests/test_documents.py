"""Reading documents: pages, labels, normalisation, chunks, and every kind of bad input."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import render_pdfs

from pipeline.chunking import chunk_pages
from pipeline.documents import read_document
from pipeline.errors import InputError
from pipeline.normalise import normalise_page_text, strip_running_lines


def test_pdf_pages_labels_and_chunk_ranges(pdfs: dict[str, Path]) -> None:
    doc = read_document(pdfs["labelled"])
    assert len(doc.pages) == 4
    assert [p.page for p in doc.pages] == [1, 2, 3, 4]
    assert [p.page_label for p in doc.pages] == ["i", "ii", "1", "2"]
    assert len(doc.sha256) == 64
    for chunk in doc.chunks:
        assert chunk.id.startswith(f"c{chunk.index:03d}-p{chunk.page_start}")
        assert doc.text[chunk.start : chunk.end] == chunk.text
        first = doc.page(chunk.page_start)
        assert first.offset <= chunk.start < first.offset + len(first.text) + 2
    assert doc.chunks[0].page_start == 1 and doc.chunks[-1].page_end == 4
    small = chunk_pages(doc.pages, size=120, overlap=0)
    aims = next(c for c in small if "interviewed 35 residents" in c.text)
    assert (aims.page_start, aims.page_end) == (3, 3) and aims.id.endswith("-p3")
    assert any(c.page_start < c.page_end for c in chunk_pages(doc.pages, size=400, overlap=0))


def test_running_header_and_footer_are_dropped(pdfs: dict[str, Path]) -> None:
    doc = read_document(pdfs["labelled"])
    for page in doc.pages:
        assert "Kestrelford Council - Digital Plan" not in page.text
        assert not page.text.rstrip().endswith(f"Page {page.page_label}")
    assert "We will not build a new customer portal" in doc.page(4).text.replace("\n", " ")


def test_normalisation_ligatures_and_hyphenation() -> None:
    text = normalise_page_text("The ﬁrst ofﬁcial trans-\nformation   plan\u00a0is here")
    assert text == "The first official transformation plan is here"
    assert "Wi-Fi" in normalise_page_text("Wi-Fi in every ward")


def test_strip_running_lines_keeps_body_text() -> None:
    pages = [
        f"Trust Digital Strategy\nBody text {c}\nPage {i} of 5" for i, c in enumerate("ABCDE", 1)
    ]
    assert strip_running_lines(pages) == [f"Body text {c}" for c in "ABCDE"]
    labelled = [f"Intro\nItem {i}\n{label}" for i, label in enumerate("abcde")]
    assert strip_running_lines(labelled, labels=list("abcde")) == [f"Item {i}" for i in range(5)]


def test_markdown_html_text_and_docx(tmp_path: Path) -> None:
    md = tmp_path / "s.md"
    md.write_text(
        "---\ntitle: Fenwick Digital\n---\n# Aims\n\nWe will not buy robots.\n\n"
        "## Plan\n\nBy 2026 we will."
    )
    doc = read_document(md)
    assert doc.format == "markdown" and doc.title == "Fenwick Digital"
    assert [p.page_label for p in doc.pages] == ["§1", "§2"]
    html = tmp_path / "s.html"
    html.write_text(
        "<html><head><title>Web strategy</title><script>alert(1)</script></head>"
        "<body><h1>Aims</h1><p>Our residents come first.</p>"
        "<h2>Plan</h2><p>Fix basics.</p></body></html>"
    )
    doc = read_document(html)
    assert doc.title == "Web strategy" and "alert" not in doc.text and len(doc.pages) == 2
    docx_path = tmp_path / "s.docx"
    import docx

    document = docx.Document()
    document.add_heading("Digital aims", level=1)
    document.add_paragraph("We surveyed 300 staff about log-in problems.")
    document.save(str(docx_path))
    doc = read_document(docx_path)
    assert doc.format == "docx" and "surveyed 300 staff" in doc.text
    txt = tmp_path / "notes.txt"
    txt.write_text("Plain strategy text with enough words.")
    assert read_document(txt).format == "text"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.pdf", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: _write(d / "empty.pdf", b""), "is empty"),
        (lambda d: _write(d / "fake.pdf", b"<html>not a pdf</html>"), "not a PDF"),
        (lambda d: _write(d / "blob.bin", bytes(range(256)) * 4), "binary file"),
        (lambda d: _zip(d / "archive.docx"), "not a DOCX"),
    ],
)
def test_bad_inputs_raise_one_line_errors(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(InputError) as info:
        read_document(make(tmp_path))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_encrypted_pdf_needs_password(pdfs: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="--password"):
        read_document(pdfs["encrypted"])
    with pytest.raises(InputError, match="password given is wrong"):
        read_document(pdfs["encrypted"], password="nope")
    assert len(read_document(pdfs["encrypted"], password="s3cret").pages) == 4


def test_image_only_pdf_says_ocr_is_needed(pdfs: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="OCR"):
        read_document(pdfs["image_only"])


def test_truncated_pdf_is_a_clear_error(pdfs: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="corrupt or truncated PDF") as info:
        read_document(pdfs["truncated"])
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_thousand_page_pdf_in_bounded_memory(tmp_path: Path) -> None:
    big = render_pdfs.make_large_pdf(tmp_path / "big.pdf", pages=1000)
    code = (
        "import re, sys; from pathlib import Path;"
        "from pipeline.documents import read_document;"
        "d = read_document(Path(sys.argv[1]));"
        "status = Path('/proc/self/status').read_text();"
        "peak = int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1));"
        "print(len(d.pages), d.chunks[-1].page_end, peak)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(big)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout.split()
    pages, last_page, peak_kb = (int(x) for x in out)
    assert (pages, last_page) == (1000, 1000)
    assert peak_kb < 400 * 1024, f"peak RSS {peak_kb / 1024:.0f} MB"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    return path


def test_over_large_files_are_refused(
    pdfs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipeline.documents as documents

    monkeypatch.setattr(documents, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InputError, match="larger than"):
        read_document(pdfs["labelled"])
    monkeypatch.setattr(documents, "MAX_FILE_BYTES", 512 * 1024 * 1024)
    monkeypatch.setattr(documents, "MAX_PAGES", 3)
    with pytest.raises(InputError, match="more than the 3-page limit"):
        read_document(pdfs["labelled"])
