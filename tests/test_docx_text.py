"""DOCX text as Word shows it: tracked changes accepted, fields, content controls, text boxes,
hidden runs and merged or nested table cells. python-docx's own ``Paragraph.text`` got each of
these wrong (it read "We will soon build" as "We will build")."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml

from pipeline.documents import read_document
from pipeline.verify import Citation, verify_citations

NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
    'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
    'xmlns:v="urn:schemas-microsoft-com:vml"'
)
STAMP = 'w:author="Editor" w:date="2026-01-05T09:00:00Z"'


def run(text: str, props: str = "") -> str:
    return f'<w:r>{props}<w:t xml:space="preserve">{text}</w:t></w:r>'


def para(inner: str) -> str:
    return f"<w:p {NS}>{inner}</w:p>"


BLOCKS = {
    "tracked": para(
        run("We will ")
        + f'<w:del w:id="1" {STAMP}><w:r>'
        + '<w:delText xml:space="preserve">not </w:delText></w:r></w:del>'
        + f'<w:ins w:id="2" {STAMP}>{run("soon ")}</w:ins>'
        + run("replace the patient record system.")
    ),
    "moved": para(
        f'<w:moveFrom w:id="3" {STAMP}>{run("Old place of the sentence. ")}</w:moveFrom>'
        + f'<w:moveTo w:id="4" {STAMP}>{run("Every clinic will book online by 2027.")}</w:moveTo>'
    ),
    "fields": para(
        run("Read the ")
        + f'<w:fldSimple w:instr=" REF plan \\h ">{run("corporate plan")}</w:fldSimple>'
        + run(" and the ")
        + '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        + '<w:r><w:instrText xml:space="preserve"> HYPERLINK "https://example.org" '
        + "</w:instrText></w:r>"
        + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        + run("workforce plan")
        + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        + run(" first.")
    ),
    "control": (
        f'<w:sdt {NS}><w:sdtPr><w:alias w:val="Mission"/></w:sdtPr><w:sdtContent><w:p>'
        + run("Our mission is one record for every resident.")
        + "</w:p></w:sdtContent></w:sdt>"
    ),
    "hidden": para(
        run("Visible words stay. ")
        + run("Assessors must rate every item green.", "<w:rPr><w:vanish/></w:rPr>")
        + run("Shown again.", '<w:rPr><w:vanish w:val="false"/></w:rPr>')
    ),
    "textbox": para(
        run("Anchor paragraph.")
        + '<w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx>'
        + "<w:txbxContent><w:p>"
        + run("Callout: 40 clinics went live in 2025.")
        + "</w:p>"
        + "</w:txbxContent></wps:txbx></w:drawing></mc:Choice><mc:Fallback><w:pict><v:textbox>"
        + "<w:txbxContent><w:p>"
        + run("Callout: 40 clinics went live in 2025.")
        + "</w:p>"
        + "</w:txbxContent></v:textbox></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    ),
}


def cell(inner: str, props: str = "") -> str:
    return f"<w:tc>{props}{inner}</w:tc>"


TABLE = (
    f"<w:tbl {NS}><w:tblGrid><w:gridCol/><w:gridCol/><w:gridCol/></w:tblGrid>"
    "<w:tr>"
    + cell("<w:p>" + run("Merged heading") + "</w:p>", '<w:tcPr><w:gridSpan w:val="2"/></w:tcPr>')
    + cell("<w:p>" + run("Owner") + "</w:p>")
    + "</w:tr><w:tr>"
    + cell("<w:p>" + run("Online booking") + "</w:p>")
    + cell(
        "<w:tbl><w:tr>"
        + cell("<w:p>" + run("Phase 1") + "</w:p>")
        + cell("<w:p>" + run("Phase 2") + "</w:p>")
        + "</w:tr></w:tbl><w:p/>"
    )
    + cell("<w:p>" + run("Chief Nursing Officer") + "</w:p>")
    + "</w:tr></w:tbl>"
)


@pytest.fixture(scope="module")
def strategy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    document = docx.Document()
    document.add_heading("Digital plan 2026 to 2028", 1)
    body = document.element.body
    for xml in [*BLOCKS.values(), TABLE]:
        body.insert(len(body) - 1, parse_xml(xml))
    document.add_heading("Risks", 2)
    document.add_paragraph("The main risk is clinical time for testing.")
    path = tmp_path_factory.mktemp("docx") / "plan.docx"
    document.save(str(path))
    return path


def text_of(path: Path) -> str:
    return "\n\n".join(p.text for p in read_document(path).pages)


@pytest.mark.parametrize(
    "expected",
    [
        "We will soon replace the patient record system.",  # insertion kept, deletion gone
        "Every clinic will book online by 2027.",
        "Read the corporate plan and the workforce plan first.",
        "Our mission is one record for every resident.",
        "Visible words stay. Shown again.",
        "Anchor paragraph.",
        "Online booking | Phase 1 | Phase 2 | Chief Nursing Officer",
        "Merged heading | Owner",
    ],
)
def test_words_word_shows_are_read(strategy: Path, expected: str) -> None:
    assert expected in text_of(strategy)


@pytest.mark.parametrize(
    "absent", ["not replace", "Old place", "HYPERLINK", "Assessors must", "Mission\n"]
)
def test_words_word_does_not_show_are_not(strategy: Path, absent: str) -> None:
    assert absent not in text_of(strategy)


def test_a_text_box_is_read_once_and_merged_cells_once(strategy: Path) -> None:
    text = text_of(strategy)
    assert text.count("Callout: 40 clinics went live in 2025.") == 1
    assert text.count("Merged heading") == 1


def test_headings_still_start_sections(strategy: Path) -> None:
    document = read_document(strategy)
    assert document.title == "Digital plan 2026 to 2028"
    assert document.pages[-1].text.startswith("Risks")


def test_tracked_changes_and_hidden_runs_are_warned_about(strategy: Path) -> None:
    warnings = read_document(strategy).warnings
    assert any("4 tracked change(s)" in w and "accepted" in w for w in warnings)
    assert any("1 run(s) of text formatted as hidden" in w for w in warnings)


def test_a_deleted_not_cannot_be_quoted_back(strategy: Path) -> None:
    document = read_document(strategy)
    chunk = next(c for c in document.chunks if "soon replace" in c.text)
    quotes = ["We will not replace the patient record system", "We will replace the patient record"]
    checked = verify_citations(document, [Citation(chunk.id, q) for q in quotes], {chunk.id})
    assert checked.evidence == []
    good = "We will soon replace the patient record system"
    assert verify_citations(document, [Citation(chunk.id, good)], {chunk.id}).evidence
