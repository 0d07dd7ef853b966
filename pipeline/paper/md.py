"""Write a :class:`BoardPaper` as Markdown (same sections and order as the DOCX)."""

from __future__ import annotations

import re

from ..report.common import CREDIT, CREDIT_URL
from .records import (
    EVIDENCE_NOTE,
    REJECTED_NOTE,
    UNDECIDED_HEADING,
    UNDECIDED_NOTE,
    BoardPaper,
    PaperFinding,
)

SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")


def esc(text: str) -> str:
    """Document and reviewer text, shown as text (no links, HTML or table breaks)."""
    return SPECIAL.sub(r"\\\1", " ".join(text.split()))


def render_markdown(paper: BoardPaper) -> str:
    lines = [f"# {esc(paper.title)}", "", f"**{esc(paper.document_title)}**", ""]
    if paper.organisation:
        lines.append(f"- **Organisation:** {esc(paper.organisation)}")
    lines += [
        f"- **Date:** {paper.date}",
        f"- **Status:** {paper.status}",
        f"- **Reviewed by:** {esc(', '.join(paper.method.reviewers) or 'no one yet')}",
        "",
    ]
    lines += [f"**{esc(w)}**\n" for w in paper.warnings]
    lines += [paper.counts_text, "", esc(paper.purpose), ""]
    lines += _summary(paper)
    lines += ["## Findings", "", "Accepted and edited findings only. " + EVIDENCE_NOTE, ""]
    lines += _findings(paper, paper.findings)
    if paper.undecided:
        lines += [f"## {UNDECIDED_HEADING}", "", f"**{UNDECIDED_NOTE}**", ""]
        lines += _findings(paper, paper.undecided)
    lines += _rejected(paper)
    lines += _method(paper)
    return "\n".join(lines).rstrip() + "\n"


def _summary(paper: BoardPaper) -> list[str]:
    lines = ["## Summary", "", "| Item | Kind | Rating | Decision |", "|---|---|---|---|"]
    for row in paper.summary:
        lines.append(
            f"| {esc(row.title)} | {row.kind_heading} | {row.rating_text} | {row.status_text} |"
        )
    return [*lines, ""]


def _findings(paper: BoardPaper, findings: list[PaperFinding]) -> list[str]:
    lines: list[str] = []
    for heading, group in paper.findings_by_kind(findings):
        lines += [f"### {heading}", ""]
        for finding in group:
            lines += _finding(finding)
    return lines


def _finding(finding: PaperFinding) -> list[str]:
    rating = f"**Rating:** {finding.rating_text}"
    if finding.marker:
        draft = f"; the draft rated it {finding.tool_rating}" if finding.tool_rating else ""
        rating += f" ({esc(finding.marker)}{draft})"
    if finding.status == "undecided":
        rating += " **(not yet reviewed)**"
    lines = [f"#### {esc(finding.title)}", "", rating, ""]
    lines += [f"**Warning: {esc(w)}.**\n" for w in finding.warnings]
    lines += [esc(finding.summary), ""]
    if finding.citations:
        lines += ["Evidence:", ""]
        for cite in finding.citations:
            lines += [f"> “{esc(cite.quote)}” ({cite.page_text})", ""]
    else:
        lines += ["No quote from the document was verified for this item.", ""]
    if finding.recommendations:
        lines += ["Recommendations:", ""]
        lines += [f"- {esc(text)}" for text in finding.recommendations]
        lines.append("")
    return lines


def _rejected(paper: BoardPaper) -> list[str]:
    lines = ["## Appendix A: rejected items", ""]
    if not paper.rejected:
        return [*lines, "No draft finding was rejected.", ""]
    lines += [REJECTED_NOTE, "", "| Item | Kind | Reason | Rejected by |", "|---|---|---|---|"]
    for item in paper.rejected:
        lines.append(
            f"| {esc(item.title)} | {item.kind_heading} | {esc(item.reason)} | "
            f"{esc(item.reviewer)} |"
        )
    return [*lines, ""]


def _method(paper: BoardPaper) -> list[str]:
    lines = [
        "## Appendix B: method",
        "",
        "A draft review was made by the tool below; a person then accepted, edited or rejected "
        "each finding. " + EVIDENCE_NOTE,
        "",
    ]
    lines += [f"- **{label}:** {esc(value)}" for label, value in paper.method.rows()]
    return [*lines, "", f"{CREDIT} <{CREDIT_URL}>"]
