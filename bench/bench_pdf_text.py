"""How many PDF pages are flagged as having lost their word spaces, and what it costs.

    python bench/bench_pdf_text.py [DIR ...]   (default: ../shared/pdf)

For each PDF: pages, pages flagged by ``pdf_text.implausible``, pages whose text PDFium
replaced, pypdf extraction time, detection time, and PDFium's time for every page (what
re-reading costs per page), then totals and pages/s.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    from pypdf import PdfReader

    from pipeline.pdf_text import implausible, pdfium_texts, respace

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    folders = [Path(a) for a in argv] or [ROOT.parent / "shared" / "pdf"]
    pdfs = sorted(p for folder in folders for p in folder.glob("*.pdf"))
    if not pdfs:
        print("no PDFs found", file=sys.stderr)
        return 2
    totals = [0, 0, 0, 0.0, 0.0, 0.0]
    print(f"{'file':48} pages flagged replaced  pypdf_s detect_s pdfium_all_s")
    for pdf in pdfs:
        start = time.perf_counter()
        texts: list[str | None] = [p.extract_text() for p in PdfReader(pdf).pages]
        pypdf_s = time.perf_counter() - start
        start = time.perf_counter()
        flagged = sum(implausible(t or "") for t in texts)
        detect_s = time.perf_counter() - start
        replaced = len(respace(pdf, texts).replaced)
        start = time.perf_counter()
        pdfium_texts(pdf, list(range(len(texts))), None, len(texts))
        pdfium_s = time.perf_counter() - start
        row = [len(texts), flagged, replaced, pypdf_s, detect_s, pdfium_s]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        print(
            f"{pdf.name[:48]:48} {row[0]:5} {flagged:7} {replaced:8} "
            f"{pypdf_s:8.2f} {detect_s:8.3f} {pdfium_s:12.2f}"
        )
    pages = int(totals[0])
    print(
        f"TOTAL {len(pdfs)} files, {pages} pages: flagged {int(totals[1])}, replaced "
        f"{int(totals[2])}; pypdf {pages / totals[3]:.0f} pages/s, detection "
        f"{pages / max(totals[4], 1e-9):.0f} pages/s, PDFium {pages / totals[5]:.0f} pages/s"
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
