"""Write a :class:`BoardPaper` as one HTML page (Jinja2, autoescaped, extending the shared
``base.html.j2``: strict CSP, no script, skip link, base styles)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..report.common import CREDIT, CREDIT_URL
from .records import (
    EVIDENCE_NOTE,
    REJECTED_NOTE,
    UNDECIDED_HEADING,
    UNDECIDED_NOTE,
    BoardPaper,
)

HERE = Path(__file__).parent
REPORT_TEMPLATES = HERE.parent / "report" / "templates"
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)


@cache
def environment() -> Environment:
    loader = ChoiceLoader(
        [FileSystemLoader(str(HERE / "templates")), FileSystemLoader(str(REPORT_TEMPLATES))]
    )
    return Environment(
        loader=loader, autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True
    )


def render_html(paper: BoardPaper) -> str:
    template = environment().get_template("paper.html.j2")
    return template.render(
        paper=paper,
        csp=Markup(CSP),  # our own policy text
        script=None,
        tool_version=paper.method.tool_version,
        findings=paper.findings_by_kind(paper.findings),
        undecided=paper.findings_by_kind(paper.undecided),
        undecided_heading=UNDECIDED_HEADING,
        undecided_note=UNDECIDED_NOTE,
        rejected_note=REJECTED_NOTE,
        evidence_note=EVIDENCE_NOTE,
        credit=CREDIT,
        credit_url=CREDIT_URL,
    )
