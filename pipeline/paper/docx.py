"""Write a :class:`BoardPaper` as a Word document with real, named styles.

Every paragraph and table uses a named style (Title, Subtitle, Heading 1-3, List Bullet, Quote,
and the table style "Light Grid Accent 1"), never direct formatting beyond the RAG cell colours,
so an organisation can restyle the paper by attaching its own template, or pass one with
``--template`` to start from its styles, headers and page setup.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Mm, RGBColor

from ..documents import _check_zip_sizes as check_zip_sizes
from ..errors import InputError
from ..report.common import CREDIT, CREDIT_URL
from .records import (
    EVIDENCE_NOTE,
    REJECTED_NOTE,
    UNDECIDED_HEADING,
    UNDECIDED_NOTE,
    BoardPaper,
    PaperFinding,
)

TABLE_STYLE = "Light Grid Accent 1"
PARAGRAPH_STYLES: tuple[str, ...] = ("Title", "Subtitle", "Heading 1", "Heading 2", "Heading 3")
PARAGRAPH_STYLES += ("List Bullet", "Quote")
MAX_TEMPLATE_BYTES = 20 * 1024 * 1024
# RAG cell fills, with text colours that keep contrast; the rating is always in words too.
FILLS: dict[str, tuple[str, str]] = {
    "green": ("007F3B", "FFFFFF"),
    "amber": ("FFB81C", "212B32"),
    "red": ("D5281B", "FFFFFF"),
    "insufficient_evidence": ("4C6272", "FFFFFF"),
}
SUMMARY_WIDTHS = (2.3, 1.4, 1.5, 1.1)  # inches, within A4's 6.3 inch text width
REJECTED_WIDTHS = (1.5, 1.1, 2.7, 1.0)
METHOD_WIDTHS = (1.7, 4.6)
DocumentType = Any  # python-docx's Document class is not exported for typing


def render_docx(paper: BoardPaper, template: Path | None = None) -> bytes:
    """The paper as DOCX bytes, built in memory (the caller writes them atomically)."""
    doc = open_template(template)
    ensure_styles(doc)
    _properties(doc, paper)
    _title_page(doc, paper)
    _summary(doc, paper)
    doc.add_heading("Findings", level=1)
    doc.add_paragraph("Accepted and edited findings only. " + EVIDENCE_NOTE, style="Normal")
    _findings(doc, paper, paper.findings)
    if paper.undecided:
        doc.add_heading(UNDECIDED_HEADING, level=1)
        doc.add_paragraph(UNDECIDED_NOTE)
        _findings(doc, paper, paper.undecided)
    _rejected(doc, paper)
    _method(doc, paper)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def open_template(template: Path | None) -> DocumentType:
    """A new document, or the organisation's template with its body emptied (its styles,
    headers, footers and page setup kept). A file that is not a DOCX is one line."""
    if template is None:
        doc = Document()
        section = doc.sections[0]
        section.page_width, section.page_height = Mm(210), Mm(297)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Mm(25))
        return doc
    if not template.is_file():
        raise InputError(f"--template {template}: no such file")
    if template.stat().st_size > MAX_TEMPLATE_BYTES:
        raise InputError(f"--template {template}: larger than 20 MB; not a Word template")
    if not zipfile.is_zipfile(template):
        raise InputError(f"--template {template}: not a Word .docx file (not a zip package)")
    try:
        check_zip_sizes(template)  # the ingest's zip bomb guard, before python-docx inflates
    except InputError as exc:
        raise InputError(f"--template {exc}") from None
    try:
        doc = Document(str(template))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a bad package
        detail = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        raise InputError(f"--template {template}: not a Word .docx document ({detail})") from None
    body = doc.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    return doc


def ensure_styles(doc: DocumentType) -> None:
    """Add any style the paper uses that a template lacks, so every name resolves."""
    names = {style.name for style in doc.styles}
    for name in PARAGRAPH_STYLES:
        if name not in names:
            style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
            style.base_style = doc.styles["Normal"]
            if name.startswith("Heading") or name == "Title":
                style.font.bold = True
            if name == "Quote":
                style.font.italic = True
    if TABLE_STYLE not in names:
        style = doc.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.TABLE)
        _table_borders(style.element)


def _table_borders(style_element: Any) -> None:
    props = OxmlElement("w:tblPr")
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{edge}")
        line.set(qn("w:val"), "single")
        line.set(qn("w:sz"), "4")
        line.set(qn("w:color"), "808080")
        borders.append(line)
    props.append(borders)
    style_element.append(props)


def _properties(doc: DocumentType, paper: BoardPaper) -> None:
    core = doc.core_properties
    core.title = f"{paper.title}: {paper.document_title}"[:250]
    core.subject = paper.document_title[:250]
    core.author = ", ".join(paper.method.reviewers)[:250] or "strategy-review"
    core.comments = paper.status


def _title_page(doc: DocumentType, paper: BoardPaper) -> None:
    doc.add_paragraph(paper.title, style="Title")
    doc.add_paragraph(paper.document_title, style="Subtitle")
    for label, value in _title_facts(paper):
        para = doc.add_paragraph()
        para.add_run(f"{label}: ").bold = True
        para.add_run(value)
    for warning in paper.warnings:
        para = doc.add_paragraph()
        para.add_run(warning).bold = True
    doc.add_paragraph(paper.counts_text)
    para = doc.add_paragraph(paper.purpose)
    para.add_run().add_break(WD_BREAK.PAGE)
    _footer(doc, paper)


def _title_facts(paper: BoardPaper) -> list[tuple[str, str]]:
    facts = [("Organisation", paper.organisation)] if paper.organisation else []
    return facts + [
        ("Date", paper.date),
        ("Status", paper.status),
        ("Reviewed by", ", ".join(paper.method.reviewers) or "no one yet"),
    ]


def _footer(doc: DocumentType, paper: BoardPaper) -> None:
    footer = doc.sections[0].footer
    if any(p.text.strip() for p in footer.paragraphs):
        return  # the template's own footer stays
    para = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    para.text = f"{paper.status}: {paper.document_title}"


def _summary(doc: DocumentType, paper: BoardPaper) -> None:
    doc.add_heading("Summary", level=1)
    doc.add_paragraph(
        "Every rubric item with the rating the reviewer stands behind. " + paper.counts_text
    )
    table = doc.add_table(rows=1, cols=4)
    table.style = doc.styles[TABLE_STYLE]
    for cell, text in zip(table.rows[0].cells, ("Item", "Kind", "Rating", "Decision"), strict=True):
        cell.text = text
    _repeat_header(table.rows[0])
    for row in paper.summary:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = row.title, row.kind_heading
        cells[2].text, cells[3].text = row.rating_text, row.status_text
        if row.rating in FILLS:
            _fill(cells[2], *FILLS[row.rating])
    _widths(table, SUMMARY_WIDTHS)


def _widths(table: Any, inches: tuple[float, ...]) -> None:
    table.autofit = False
    for column, width in zip(table.columns, inches, strict=True):
        column.width = Inches(width)
    for row in table.rows:
        for cell, width in zip(row.cells, inches, strict=True):
            cell.width = Inches(width)


def _repeat_header(row: Any) -> None:
    props = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    props.append(header)


def _fill(cell: Any, fill: str, colour: str) -> None:
    shade = OxmlElement("w:shd")
    shade.set(qn("w:val"), "clear")
    shade.set(qn("w:color"), "auto")
    shade.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shade)
    for para in cell.paragraphs:
        for run in para.runs:
            run.font.color.rgb = _rgb(colour)
            run.bold = True


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour)


def _findings(doc: DocumentType, paper: BoardPaper, findings: list[PaperFinding]) -> None:
    for heading, group in paper.findings_by_kind(findings):
        doc.add_heading(heading, level=2)
        for finding in group:
            _finding(doc, finding)


def _finding(doc: DocumentType, finding: PaperFinding) -> None:
    doc.add_heading(finding.title, level=3)
    para = doc.add_paragraph()
    para.add_run("Rating: ").bold = True
    para.add_run(finding.rating_text)
    if finding.marker:
        draft = f"; the draft rated it {finding.tool_rating}" if finding.tool_rating else ""
        para.add_run(f" ({finding.marker}{draft})").bold = True
    if finding.status == "undecided":
        para.add_run(" (not yet reviewed)").bold = True
    for warning in finding.warnings:
        doc.add_paragraph().add_run(f"Warning: {warning}.").bold = True
    doc.add_paragraph(finding.summary)
    if finding.citations:
        doc.add_paragraph().add_run("Evidence").bold = True
        for cite in finding.citations:
            doc.add_paragraph(f"“{cite.quote}” ({cite.page_text})", style="Quote")
    else:
        doc.add_paragraph("No quote from the document was verified for this item.")
    if finding.recommendations:
        doc.add_paragraph().add_run("Recommendations").bold = True
        for text in finding.recommendations:
            doc.add_paragraph(text, style="List Bullet")


def _rejected(doc: DocumentType, paper: BoardPaper) -> None:
    doc.add_heading("Appendix A: rejected items", level=1)
    if not paper.rejected:
        doc.add_paragraph("No draft finding was rejected.")
        return
    doc.add_paragraph(REJECTED_NOTE)
    table = doc.add_table(rows=1, cols=4)
    table.style = doc.styles[TABLE_STYLE]
    for cell, text in zip(
        table.rows[0].cells, ("Item", "Kind", "Reason", "Rejected by"), strict=True
    ):
        cell.text = text
    _repeat_header(table.rows[0])
    for item in paper.rejected:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = item.title, item.kind_heading
        cells[2].text, cells[3].text = item.reason, item.reviewer
    _widths(table, REJECTED_WIDTHS)


def _method(doc: DocumentType, paper: BoardPaper) -> None:
    doc.add_heading("Appendix B: method", level=1)
    doc.add_paragraph(
        "A draft review was made by the tool below; a person then accepted, edited or rejected "
        "each finding. " + EVIDENCE_NOTE
    )
    table = doc.add_table(rows=1, cols=2)
    table.style = doc.styles[TABLE_STYLE]
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Detail", "Value"
    for label, value in paper.method.rows():
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    _widths(table, METHOD_WIDTHS)
    doc.add_paragraph(f"{CREDIT} {CREDIT_URL}")
