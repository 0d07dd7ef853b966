"""How many quotes the main path verifies does the eval's independent re-check reject, per PDF?

    python bench/bench_recheck.py [PDF_OR_DIR ...]
    (default: ../shared/pdf, evals/cases/*/strategy.pdf, examples/*.pdf and one PDF drawn here in
    condensed type, whose words pypdf runs together)

For every chunk of each PDF as the pipeline reads it, each sentence, cut into runs of 6 to 12
words, is quoted; the quotes that ``pipeline.verify`` verifies are shown to the re-check
(``pipeline.evals.recheck``) as verified model quotes. A disagreement is a quote the main path
verified that the re-check says is not on its page. Prints per PDF: pages, quotes verified,
disagreements, and how many the re-check has with pypdf's reading alone (its other readings,
PDFium's and pypdf's without running lines, off), with the first reasons.
It prints a short quote for the first disagreements of each file: never paste its output into
the repository.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n\s*\n")


CONDENSED_LINES = [
    "We have a ten-year plan to make Britain a global AI superpower",
    "and we will fix the basics first for every resident of the city",
    "by publishing our service standard in March 2026 for every team",
    "Every service will be tested with the people who use it before launch",
]


def condensed_pdf(path: Path) -> Path:
    """A page in condensed type with no space glyphs (pypdf runs its words together)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from condensed_pdf import draw_condensed_pdf

    return draw_condensed_pdf(path, [CONDENSED_LINES])


def sample_quotes(text: str, size: int = 12) -> Iterator[str]:
    """Each sentence cut into runs of ``size`` words (the last run kept if it has 6 or more)."""
    for sentence in _SENTENCE.split(text):
        words = sentence.split()
        for start in range(0, len(words), size):
            if len(words[start : start + size]) >= 6:
                yield " ".join(words[start : start + size])


def measure(pdf: Path) -> tuple[int, int, int, int, list[str]]:
    """(pages, verified, disagreements, disagreements without the fallback, first reasons)."""
    from pipeline.documents import read_document
    from pipeline.evals import recheck
    from pipeline.records import Evidence
    from pipeline.verify import Located, locate_quote

    document = read_document(pdf)
    checker = recheck.Rechecker.for_file(pdf)
    pypdf_only = recheck.Rechecker.for_file(pdf, other_readings=False)
    verified = disagree = before = 0
    reasons: list[str] = []
    for chunk in document.chunks:
        for quote in sample_quotes(chunk.text):
            found = locate_quote(document, chunk, quote)
            if not isinstance(found, Located):
                continue
            verified += 1
            evidence = Evidence(quote=found.text, page=found.page, verified=True, source="model")
            reason = checker.check(evidence)
            before += bool(pypdf_only.check(evidence))
            if reason:
                disagree += 1
                if len(reasons) < 2:
                    reasons.append(f"p{found.page} {found.text[:40]!r}: {reason[:90]}")
    return len(document.pages), verified, disagree, before, reasons


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, help="PDF files or folders of PDFs")
    args = parser.parse_args(argv)
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    temp = tempfile.TemporaryDirectory()
    targets = list(args.paths) or [
        ROOT.parent / "shared" / "pdf",
        *sorted((ROOT / "evals" / "cases").glob("*/strategy.pdf")),
        *sorted((ROOT / "examples").glob("*.pdf")),
        condensed_pdf(Path(temp.name) / "condensed-no-space-glyphs.pdf"),
    ]
    pdfs = [p for t in targets for p in (sorted(t.glob("*.pdf")) if t.is_dir() else [t])]
    pdfs = [p for p in pdfs if p.is_file()]  # ../shared/pdf is absent outside this machine
    if not pdfs:
        print("no PDFs found", file=sys.stderr)
        return 2
    totals = [0, 0, 0, 0]
    started = time.perf_counter()
    print(f"{'file':52} pages verified disagree pypdf_only")
    for pdf in pdfs:
        name = pdf.name if pdf.name != "strategy.pdf" else f"{pdf.parent.name}/strategy.pdf"
        pages, verified, disagree, before, reasons = measure(pdf)
        row = [pages, verified, disagree, before]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        print(f"{name[:52]:52} {pages:5} {verified:8} {disagree:8} {before:10}")
        for reason in reasons:
            print(f"    {reason}")
    print(
        f"TOTAL {len(pdfs)} files, {totals[0]} pages: {totals[1]} verified quotes, re-check "
        f"disagrees with {totals[2]} (pypdf reading only: {totals[3]}); "
        f"{time.perf_counter() - started:.1f} s"
    )
    temp.cleanup()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main(sys.argv[1:]))
