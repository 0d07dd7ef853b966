"""Table rows read by their column headings: commitments and risks given as tables, with no
"we will" in a row (HTML, DOCX and Markdown rows alike)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.documents import read_document
from pipeline.indicators import compute_indicators

COMMITMENTS = [
    ("Commitment", "Target", "Owner", "Date"),
    ("Book a bulky waste collection online", "80% of bookings", "Director of Place", "June 2026"),
    ("Apply for a parking permit online", "9 in 10 applications", "Head of Parking", "March 2027"),
    ("One account for every resident", "40,000 accounts", "", "December 2027"),
]
RISKS = [
    ("Risk", "Mitigation"),
    ("Residents without broadband are shut out", "Keep phone routes and fund library support"),
    ("Old systems fail before they are replaced", ""),
]
PROSE = "Westbrook Council digital plan. We will put residents first in everything we design."


def html(path: Path) -> Path:
    def table(rows: list[tuple[str, ...]]) -> str:
        head = "".join(f"<th>{c}</th>" for c in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows[1:])
        return f"<table><tr>{head}</tr>{body}</table>"

    path.write_text(
        f"<html><body><h1>Digital plan</h1><p>{PROSE}</p><h2>Commitments</h2>"
        f"{table(COMMITMENTS)}<h2>Risks</h2>{table(RISKS)}</body></html>"
    )
    return path


def markdown(path: Path) -> Path:
    def table(rows: list[tuple[str, ...]]) -> str:
        lines = ["| " + " | ".join(c or " " for c in r) + " |" for r in rows]
        lines.insert(1, "|" + "|".join("---" for _ in rows[0]) + "|")
        return "\n".join(lines)

    path.write_text(
        f"# Digital plan\n\n{PROSE}\n\n## Commitments\n\n{table(COMMITMENTS)}\n\n"
        f"## Risks\n\n{table(RISKS)}\n"
    )
    return path


def docx(path: Path) -> Path:
    import docx as python_docx

    document = python_docx.Document()
    document.add_heading("Digital plan", 1)
    document.add_paragraph(PROSE)
    for heading, rows in (("Commitments", COMMITMENTS), ("Risks", RISKS)):
        document.add_heading(heading, 2)
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
    document.save(str(path))
    return path


@pytest.mark.parametrize("make", [html, markdown, docx])
def test_a_commitments_table_is_read_as_commitments(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    document = read_document(make(tmp_path / f"plan.{make.__name__.replace('markdown', 'md')}"))
    found = {i.id: i for i in compute_indicators(document)}
    commitments = found["measurable_commitments"]
    assert commitments.value["count"] == 3  # dated and measurable, by their rows
    assert commitments.value["with_owner"] == 2  # the owner column, where it is filled
    assert any(e.quote.startswith("Book a bulky waste collection") for e in commitments.evidence)
    assert found["risks"].value["mitigated"] == 1  # the mitigation column, where it is filled
    quotes = {e.quote for e in found["risks"].evidence}
    assert quotes == {RISKS[1][0], RISKS[2][0]}  # each risk's own cell, no pipes
