"""A test PDF whose words pypdf runs together: each word drawn at an explicit x position in type
condensed to 75 %, with no space glyphs. pypdf measures the words at full width, so it sees no gap
between them ("planto make"); PDFium and a reader see the visible gaps.

Used by tests/test_documents.py, tests/test_recheck.py and bench/bench_recheck.py.
"""

from __future__ import annotations

from pathlib import Path


def draw_condensed_pdf(
    path: Path, pages: list[list[str]], *, title: str | None = None, plain_line: str | None = None
) -> Path:
    """Write `pages` (lines per page) condensed; `plain_line` adds one ordinary page after them."""
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), invariant=1)
    if title is not None:
        pdf.setTitle(title)
    for lines in pages:
        for n, line in enumerate(lines):
            text = pdf.beginText(60, 760 - 16 * n)
            text.setFont("Helvetica", 11)
            text.setHorizScale(75)
            for word in line.split():
                text.textOut(word)
                text.moveCursor(stringWidth(word, "Helvetica", 11) * 0.75 + 2.5, 0)
            pdf.drawText(text)
        pdf.showPage()
    if plain_line is not None:
        pdf.setFont("Helvetica", 11)
        pdf.drawString(60, 760, plain_line)
        pdf.showPage()
    pdf.save()
    return path
