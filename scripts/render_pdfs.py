"""Render strategy sources (a small Markdown dialect) to PDF, and make awkward PDFs for tests.

Rendering uses reportlab's standard Helvetica fonts with ``invariant=1`` so that a re-render is
byte-stable; a pypdf pass then writes real ``/PageLabels`` and the document title.

Source format
-------------
Optional front matter between ``---`` lines at the very top::

    ---
    title: Example Trust Digital Strategy 2025-2028
    header: Example Trust | Digital Strategy        (running header on every page)
    footer: Page {label}                             ({label} becomes the page label)
    front_matter_pages: 2                            (pages i, ii, then 1, 2, ...)
    layout: two_column                               (optional)
    ---

Body: ``# ``, ``## `` and ``### `` headings, paragraphs separated by blank lines, ``- `` bullets,
``**bold**``, pipe tables (``| a | b |`` rows; the first row is the header and a ``|---|`` row is
skipped), and a line holding only ``<!-- pagebreak -->`` to start a new page. Other lines that
are wholly an HTML comment are not rendered. Long content flows onto more pages.

API (tests import this module after putting ``scripts/`` on ``sys.path``)
-------------------------------------------------------------------------
- :func:`render_strategy` - one source file to one PDF.
- :func:`render_text_pdf` - ad-hoc PDF from a list of page texts, with optional labels.
- :func:`make_image_only_pdf`, :func:`make_encrypted_pdf`, :func:`make_large_pdf`,
  :func:`truncate_pdf` - PDFs that exercise the ingest error paths.

CLI
---
``python scripts/render_pdfs.py`` re-renders ``examples/*.md`` (not README.md) and every
``evals/cases/*/strategy.md`` into a PDF beside it. ``--check`` renders into a temporary folder
and exits 1 if any committed PDF is missing or its extracted text or page labels differ.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

REPO = Path(__file__).resolve().parent.parent
PAGEBREAK = "<!-- pagebreak -->"
PAGE_W, PAGE_H = A4
MARGIN_X = 22 * mm
MARGIN_TOP = 24 * mm
MARGIN_BOTTOM = 22 * mm
COLUMN_GAP = 8 * mm

# A page-label spec is a list of tuples (first_page_index, style[, start[, prefix]]): each range
# runs to the page before the next tuple's first index. Styles are pypdf's "/D", "/r", "/R",
# "/a", "/A" or the aliases below; None means prefix only.
LabelSpec = Sequence[tuple]
_STYLE_ALIASES = {
    "arabic": "/D",
    "decimal": "/D",
    "roman": "/r",
    "lower_roman": "/r",
    "ROMAN": "/R",
    "upper_roman": "/R",
    "letters": "/a",
    "lower_letters": "/a",
    "LETTERS": "/A",
    "upper_letters": "/A",
}


# ---------------------------------------------------------------- source parsing


@dataclass
class Source:
    meta: dict[str, str] = field(default_factory=dict)
    body: str = ""


def parse_source(text: str) -> Source:
    """Split optional ``---`` front matter (simple ``key: value`` lines) from the body."""
    lines = text.replace("\r\n", "\n").split("\n")
    meta: dict[str, str] = {}
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                for raw in lines[1:i]:
                    if not raw.strip() or raw.lstrip().startswith("#") or ":" not in raw:
                        continue
                    key, value = raw.split(":", 1)
                    value = value.strip()
                    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                        value = value[1:-1]
                    meta[key.strip()] = value
                lines = lines[i + 1 :]
                break
    return Source(meta=meta, body="\n".join(lines))


def _inline(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle(
        "body", fontName="Helvetica", fontSize=10.5, leading=14.5, spaceAfter=7, alignment=TA_LEFT
    )
    return {
        "body": body,
        "h1": ParagraphStyle(
            "h1",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=19,
            leading=24,
            spaceBefore=4,
            spaceAfter=12,
            textColor=colors.HexColor("#003087"),
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=13.5,
            leading=18,
            spaceBefore=10,
            spaceAfter=6,
            textColor=colors.HexColor("#003087"),
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=body,
            fontName="Helvetica-Bold",
            fontSize=11,
            leading=15,
            spaceBefore=6,
            spaceAfter=4,
        ),
        "bullet": ParagraphStyle(
            "bullet",
            parent=body,
            leftIndent=14,
            bulletIndent=3,
            spaceAfter=3,
            bulletFontName="Symbol",  # Helvetica's bullet glyph extracts as \x7f with pypdf
        ),
    }


def _table_cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def table_flowable(rows: list[str], st: dict[str, ParagraphStyle]) -> Table:
    """A pipe table: header row in bold, columns as wide as their longest cell allows."""
    cells = [_table_cells(r) for r in rows if not re.fullmatch(r"\|?[\s:|-]+\|?", r.strip())]
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    longest = [max(len(r[i]) for r in cells) + 8 for i in range(width)]
    usable = PAGE_W - 2 * MARGIN_X
    col_widths = [usable * n / sum(longest) for n in longest]
    cell_style = ParagraphStyle("cell", parent=st["body"], fontSize=9.5, leading=12.5, spaceAfter=0)
    data = [
        [Paragraph(_inline(f"**{c}**" if i == 0 and c else c), cell_style) for c in row]
        for i, row in enumerate(cells)
    ]
    table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#AEB7BD")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8EDEE")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def body_flowables(body: str) -> list:
    """Turn the Markdown-ish body into reportlab flowables."""
    st = _styles()
    out: list = []
    para: list[str] = []
    bullets: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if table:
            out.append(table_flowable(table, st))
            out.append(Spacer(1, 8))
            table.clear()
        if para:
            out.append(Paragraph(_inline(" ".join(para)), st["body"]))
            para.clear()
        if bullets:
            for b in bullets:
                out.append(Paragraph(_inline(b), st["bullet"], bulletText="\u2022"))
            out.append(Spacer(1, 5))
            bullets.clear()

    for raw in body.split("\n"):
        line = raw.rstrip()
        stripped = line.strip()
        if stripped == PAGEBREAK:
            flush()
            out.append(PageBreak())
        elif not stripped or (stripped.startswith("<!--") and stripped.endswith("-->")):
            flush()  # blank line, or a comment line that is not rendered
        elif stripped.startswith("|"):
            if para or bullets:
                flush()
            table.append(stripped)
        elif re.match(r"^#{1,3} ", stripped):
            flush()
            level = len(stripped.split(" ", 1)[0])
            out.append(Paragraph(_inline(stripped[level + 1 :].strip()), st[f"h{level}"]))
        elif stripped.startswith("- "):
            if para:
                flush()
            bullets.append(stripped[2:].strip())
        elif bullets and raw[:1] in (" ", "\t"):
            bullets[-1] += " " + stripped  # continuation of a bullet
        else:
            if bullets:
                flush()
            para.append(stripped)
    flush()
    # A trailing PageBreak would add a blank page.
    while out and isinstance(out[-1], (PageBreak, Spacer)):
        out.pop()
    return out


# ---------------------------------------------------------------- page labels


def _roman(n: int) -> str:
    vals = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ]
    out = ""
    for v, s in vals:
        while n >= v:
            out += s
            n -= v
    return out


def _letters(n: int) -> str:
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _norm_spec(spec: LabelSpec | None) -> list[tuple[int, str | None, int, str]]:
    if not spec:
        return []
    norm = []
    for entry in spec:
        first, style, *rest = entry
        start = int(rest[0]) if len(rest) > 0 and rest[0] is not None else 1
        prefix = str(rest[1]) if len(rest) > 1 and rest[1] is not None else ""
        if style is not None:
            style = _STYLE_ALIASES.get(style, style)
        norm.append((int(first), style, start, prefix))
    norm.sort(key=lambda e: e[0])
    if norm[0][0] != 0:
        norm.insert(0, (0, "/D", 1, ""))
    return norm


def label_for(index: int, spec: LabelSpec | None) -> str:
    """The label of 0-based page ``index`` under ``spec`` (decimal from 1 when spec is empty)."""
    norm = _norm_spec(spec)
    if not norm:
        return str(index + 1)
    current = norm[0]
    for entry in norm:
        if entry[0] <= index:
            current = entry
    first, style, start, prefix = current
    n = start + index - first
    if style == "/D":
        num = str(n)
    elif style == "/r":
        num = _roman(n)
    elif style == "/R":
        num = _roman(n).upper()
    elif style == "/a":
        num = _letters(n)
    elif style == "/A":
        num = _letters(n).upper()
    else:
        num = ""
    return prefix + num


def front_matter_spec(front_matter_pages: int) -> list[tuple] | None:
    if front_matter_pages <= 0:
        return None
    return [(0, "/r", 1), (front_matter_pages, "/D", 1)]


def _apply_labels(writer: PdfWriter, spec: LabelSpec | None) -> None:
    norm = _norm_spec(spec)
    n_pages = len(writer.pages)
    norm = [e for e in norm if e[0] < n_pages]
    for i, (first, style, start, prefix) in enumerate(norm):
        last = norm[i + 1][0] - 1 if i + 1 < len(norm) else n_pages - 1
        writer.set_page_label(first, last, style=style, prefix=prefix or None, start=start)


# ---------------------------------------------------------------- rendering


def _doc(
    buf: io.BytesIO,
    title: str,
    header: str | None,
    footer: str | None,
    spec: LabelSpec | None,
    two_column: bool,
) -> BaseDocTemplate:
    doc = BaseDocTemplate(
        buf,
        pagesize=A4,
        invariant=1,
        title=title,
        author="strategy-review fixtures",
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
    )
    width = PAGE_W - 2 * MARGIN_X
    height = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM
    if two_column:
        col = (width - COLUMN_GAP) / 2
        frames = [
            Frame(
                MARGIN_X,
                MARGIN_BOTTOM,
                col,
                height,
                id="left",
                leftPadding=0,
                rightPadding=0,
                topPadding=0,
                bottomPadding=0,
            ),
            Frame(
                MARGIN_X + col + COLUMN_GAP,
                MARGIN_BOTTOM,
                col,
                height,
                id="right",
                leftPadding=0,
                rightPadding=0,
                topPadding=0,
                bottomPadding=0,
            ),
        ]
    else:
        frames = [
            Frame(
                MARGIN_X,
                MARGIN_BOTTOM,
                width,
                height,
                id="main",
                leftPadding=0,
                rightPadding=0,
                topPadding=0,
                bottomPadding=0,
            )
        ]

    def decorate(canv: rl_canvas.Canvas, _doc: BaseDocTemplate) -> None:
        index = canv.getPageNumber() - 1
        canv.saveState()
        canv.setFont("Helvetica", 8.5)
        canv.setFillColor(colors.HexColor("#425563"))
        if header:
            canv.drawString(MARGIN_X, PAGE_H - 13 * mm, header)
            canv.setStrokeColor(colors.HexColor("#AEB7BD"))
            canv.line(MARGIN_X, PAGE_H - 15 * mm, PAGE_W - MARGIN_X, PAGE_H - 15 * mm)
        if footer:
            canv.drawCentredString(
                PAGE_W / 2, 11 * mm, footer.replace("{label}", label_for(index, spec))
            )
        canv.restoreState()

    doc.addPageTemplates([PageTemplate(id="page", frames=frames, onPage=decorate)])
    return doc


def _finish(pdf_bytes: bytes, out_pdf: Path, title: str, spec: LabelSpec | None) -> Path:
    """pypdf pass: page labels and metadata, written deterministically."""
    reader = PdfReader(io.BytesIO(pdf_bytes))
    writer = PdfWriter(clone_from=reader)
    _apply_labels(writer, spec)
    writer.add_metadata({"/Title": title, "/Author": "strategy-review fixtures"})
    out_pdf = Path(out_pdf)
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    writer.write(buf)
    out_pdf.write_bytes(buf.getvalue())
    return out_pdf


def _render(
    flowables: list,
    out_pdf: Path,
    title: str,
    header: str | None,
    footer: str | None,
    spec: LabelSpec | None,
    two_column: bool,
) -> Path:
    buf = io.BytesIO()
    _doc(buf, title, header, footer, spec, two_column).build(flowables)
    return _finish(buf.getvalue(), out_pdf, title, spec)


def render_strategy(source_md: Path, out_pdf: Path) -> Path:
    """Render one strategy source file to ``out_pdf`` and return the path."""
    source_md = Path(source_md)
    src = parse_source(source_md.read_text(encoding="utf-8"))
    meta = src.meta
    n_front = int(meta.get("front_matter_pages", "0") or 0)
    spec = front_matter_spec(n_front)
    return _render(
        body_flowables(src.body),
        Path(out_pdf),
        meta.get("title", source_md.stem),
        meta.get("header") or None,
        meta.get("footer") or None,
        spec,
        meta.get("layout", "").strip() == "two_column",
    )


def render_text_pdf(
    pages: list[str],
    out_pdf: Path,
    page_labels: LabelSpec | None = None,
    header: str | None = None,
    footer: str | None = None,
    two_column: bool = False,
    title: str = "Test document",
) -> Path:
    """Render each string in ``pages`` starting on a new page (same mini-Markdown as sources).

    ``page_labels`` is a list of ``(first_page_index, style[, start[, prefix]])`` tuples, e.g.
    ``[(0, "roman"), (2, "arabic")]`` for i, ii, 1, 2, ...; None writes no /PageLabels.
    A page whose text does not fit flows onto further pages.
    """
    flowables: list = []
    for i, text in enumerate(pages):
        if i:
            flowables.append(PageBreak())
        flowables.extend(body_flowables(text) or [Spacer(1, 1)])
    return _render(flowables, Path(out_pdf), title, header, footer, page_labels, two_column)


def make_image_only_pdf(out_pdf: Path, pages: int = 2) -> Path:
    """A PDF of drawn shapes and an embedded raster image on every page: no text at all."""
    from PIL import Image  # a reportlab dependency
    from reportlab.lib.utils import ImageReader

    img = Image.new("RGB", (120, 80), (220, 230, 240))
    for x in range(120):
        for y in range(0, 80, 8):
            img.putpixel((x, y), (0, 48, 135))
    out_pdf = Path(out_pdf)
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    c = rl_canvas.Canvas(str(out_pdf), pagesize=A4, invariant=1)
    for p in range(pages):
        c.setFillColor(colors.HexColor("#005EB8"))
        c.rect(MARGIN_X, PAGE_H - 80 * mm, 120 * mm, 40 * mm, fill=1, stroke=0)
        c.setStrokeColor(colors.HexColor("#425563"))
        for i in range(12):
            y = PAGE_H - (95 + i * 8) * mm
            c.line(MARGIN_X, y, MARGIN_X + (60 + (i * 7 + p * 11) % 90) * mm, y)
        c.circle(PAGE_W / 2, 70 * mm, 25 * mm, fill=0)
        c.drawImage(ImageReader(img), MARGIN_X, 30 * mm, 60 * mm, 40 * mm)
        c.showPage()
    c.save()
    return out_pdf


def make_encrypted_pdf(src_pdf: Path, out_pdf: Path, password: str) -> Path:
    """Copy ``src_pdf`` encrypted with a user password (RC4-128: no extra crypto package)."""
    writer = PdfWriter(clone_from=PdfReader(str(src_pdf)))
    writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    out_pdf = Path(out_pdf)
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    with out_pdf.open("wb") as fh:
        writer.write(fh)
    return out_pdf


_LARGE_SUBJECTS = [
    "Our patient portal",
    "The shared care record",
    "Electronic prescribing",
    "The staff intranet",
    "Our Wi-Fi network",
    "Remote monitoring",
    "The outpatient booking service",
    "Single sign-on",
    "Our data platform",
    "Digital letters",
    "The bed management system",
    "Cyber security training",
]
_LARGE_VERBS = [
    "will be extended to",
    "has been rolled out across",
    "will be reviewed with",
    "now supports",
    "will be simplified for",
    "was tested with",
]
_LARGE_OBJECTS = [
    "every ward",
    "community teams",
    "patients and carers",
    "system partners",
    "outpatient clinics",
    "the integrated care board",
    "all staff",
    "our three hospital sites",
]
_LARGE_TAILS = [
    "by March 2027.",
    "this year.",
    "with named clinical owners.",
    "after user research with 40 patients.",
    "subject to funding.",
    "as a first priority.",
    "and progress will be reported to the board quarterly.",
]


def make_large_pdf(out_pdf: Path, pages: int = 1000) -> Path:
    """A long, deterministic strategy-like PDF drawn straight on a canvas (fast)."""
    rng = random.Random(20251126)
    out_pdf = Path(out_pdf)
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    c = rl_canvas.Canvas(str(out_pdf), pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle("Large generated strategy")
    for p in range(pages):
        c.setFont("Helvetica", 8)
        c.drawString(MARGIN_X, PAGE_H - 13 * mm, "Generated Trust | Digital Strategy appendix")
        c.drawCentredString(PAGE_W / 2, 11 * mm, f"Page {p + 1}")
        c.setFont("Helvetica-Bold", 13)
        c.drawString(MARGIN_X, PAGE_H - 28 * mm, f"Section {p + 1}: delivery area {p % 17 + 1}")
        text = c.beginText(MARGIN_X, PAGE_H - 38 * mm)
        text.setFont("Helvetica", 10)
        text.setLeading(13.5)
        for _para in range(4):
            words: list[str] = []
            for _s in range(rng.randint(3, 5)):
                words.extend(
                    " ".join(
                        [
                            rng.choice(_LARGE_SUBJECTS),
                            rng.choice(_LARGE_VERBS),
                            rng.choice(_LARGE_OBJECTS),
                            rng.choice(_LARGE_TAILS),
                        ]
                    ).split()
                )
            line = ""
            for w in words:
                if len(line) + len(w) + 1 > 95:
                    text.textLine(line)
                    line = w
                else:
                    line = f"{line} {w}".strip()
            if line:
                text.textLine(line)
            text.textLine("")
        c.drawText(text)
        c.showPage()
    c.save()
    return out_pdf


def truncate_pdf(src: Path, out: Path, keep_fraction: float = 0.6) -> Path:
    """Write the first ``keep_fraction`` of ``src``'s bytes: a corrupt, truncated PDF."""
    data = Path(src).read_bytes()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data[: max(1, int(len(data) * keep_fraction))])
    return out


# ---------------------------------------------------------------- CLI


def normalise(text: str) -> str:
    return " ".join(text.split())


def extract_pages(pdf: Path) -> list[str]:
    """Each page's text as pypdf extracts it, whitespace-normalised."""
    return [normalise(p.extract_text() or "") for p in PdfReader(str(pdf)).pages]


def page_labels(pdf: Path) -> list[str]:
    return list(PdfReader(str(pdf)).page_labels)


def sources(repo: Path = REPO) -> list[Path]:
    """Every source the CLI renders: examples/*.md (not README.md) and evals/cases/*/strategy.md."""
    found = [p for p in sorted((repo / "examples").glob("*.md")) if p.name.lower() != "readme.md"]
    found += sorted((repo / "evals" / "cases").glob("*/strategy.md"))
    return found


def pdf_for(source: Path) -> Path:
    return source.with_suffix(".pdf")


def check(paths: Iterable[Path]) -> list[str]:
    """Problems found comparing committed PDFs with fresh renders (empty list when all match)."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, src in enumerate(paths):
            committed = pdf_for(src)
            if not committed.exists():
                problems.append(f"{committed}: missing")
                continue
            fresh = render_strategy(src, Path(tmp) / f"{i}.pdf")
            if extract_pages(committed) != extract_pages(fresh):
                problems.append(f"{committed}: extracted text differs from a fresh render")
            elif page_labels(committed) != page_labels(fresh):
                problems.append(f"{committed}: page labels differ from a fresh render")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="source .md files (default: examples/ and evals/cases/*/)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if a committed PDF's text differs from a fresh render",
    )
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.paths] or sources()
    if args.check:
        problems = check(paths)
        for p in problems:
            print(p, file=sys.stderr)
        print(f"checked {len(paths)} PDF(s): {'OK' if not problems else 'STALE'}")
        return 1 if problems else 0
    for src in paths:
        out = render_strategy(src, pdf_for(src))
        n = len(PdfReader(str(out)).pages)
        try:
            shown = out.relative_to(REPO)
        except ValueError:
            shown = out
        print(f"{shown}: {n} page(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
