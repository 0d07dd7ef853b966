"""The board paper as a record: what a person decided on a review, ready for any writer.

A :class:`BoardPaper` holds only what may go to the board: accepted and edited findings with
their verified evidence, the summary table, the rejected items' titles and reasons (never their
text), and the method. The writers (DOCX, Markdown, HTML) only lay it out.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

PaperStatus = Literal["accepted", "edited", "rejected", "undecided"]
STATUS_WORDS: dict[str, str] = {
    "accepted": "Accepted",
    "edited": "Edited",
    "rejected": "Rejected (see Appendix A)",
    "undecided": "Not yet reviewed",
}
PAPER_STATUS = "Draft for board"
UNDECIDED_HEADING = "Not yet reviewed"
UNDECIDED_NOTE = (
    "These findings are the tool's draft: no one has accepted, edited or rejected them yet. "
    "They are shown so that nothing is left out silently; do not rely on them."
)
REJECTED_NOTE = (
    "The reviewer rejected these draft findings. Only the item and the reason are given; "
    "the rejected text is not part of this paper."
)
EVIDENCE_NOTE = "Only quotes found word for word on the cited page are shown."


class Citation(BaseModel):
    quote: str  # whitespace-normalised, as found on the page
    page_label: str  # the PRINTED page label ("ii", "4"); the PDF page when there is none
    pdf_page: int | None = None

    @property
    def page_text(self) -> str:
        return f"p. {self.page_label}"


class PaperFinding(BaseModel):
    item_id: str
    kind: str
    kind_heading: str
    title: str
    status: PaperStatus
    rating: str
    rating_word: str  # GREEN, AMBER, RED, GREY
    rating_label: str  # "Clearly shown", "Present", ...
    summary: str
    recommendations: list[str] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    reviewer: str | None = None
    tool_rating: str | None = None  # the draft's rating, where an edit changed it
    warnings: list[str] = Field(default_factory=list)  # the decision may no longer hold

    @property
    def rating_text(self) -> str:
        return f"{self.rating_word} — {self.rating_label}"

    @property
    def marker(self) -> str:
        """ "edited by <reviewer>" for an edited finding; empty otherwise."""
        if self.status == "edited":
            return f"edited by {self.reviewer or 'unknown'}"
        return ""


class SummaryRow(BaseModel):
    item_id: str
    kind_heading: str
    title: str
    status: PaperStatus
    rating: str | None  # None for a rejected item: no one stands behind a rating
    rating_text: str  # "AMBER — Partly shown", or "Rejected (see appendix)"

    @property
    def status_text(self) -> str:
        return STATUS_WORDS[self.status]


class RejectedItem(BaseModel):
    item_id: str
    kind_heading: str
    title: str
    reason: str
    reviewer: str


class Method(BaseModel):
    tool_version: str
    model_id: str
    model_backend: str
    rubric_version: str
    corpus_version: str
    prompts: dict[str, str] = Field(default_factory=dict)
    rubric: str = ""  # name, version and content hash (pipeline.rubric.rubric_line)
    review_date: str  # when the draft review was made (review.json created_at)
    reviewers: list[str] = Field(default_factory=list)  # who decided, by name
    decided_between: str = ""  # first and last decision date
    exported_at: str = ""
    document_path: str = ""
    document_sha256: str = ""

    def rows(self) -> list[tuple[str, str]]:
        """The method as label-value pairs, in the order every writer shows them."""
        prompts = ", ".join(f"{name} {digest}" for name, digest in sorted(self.prompts.items()))
        return [
            ("Tool", f"strategy-review {self.tool_version}"),
            ("Model", f"{self.model_id} (backend: {self.model_backend})"),
            ("Rubric version", self.rubric_version),
            *([("Rubric", self.rubric)] if self.rubric else []),
            ("Exemplar corpus version", self.corpus_version),
            ("Prompt hashes", prompts or "none (rules only)"),
            ("Draft review made", self.review_date),
            ("Decided by", ", ".join(self.reviewers) or "no one yet"),
            ("Decisions made", self.decided_between or "none"),
            ("Paper exported", self.exported_at),
            ("Document reviewed", f"{self.document_path} (sha256 {self.document_sha256[:16]})"),
        ]


class BoardPaper(BaseModel):
    title: str
    document_title: str
    organisation: str | None = None
    date: str  # the paper's date, e.g. "27 November 2026"
    status: str = PAPER_STATUS
    summary: list[SummaryRow]
    findings: list[PaperFinding]  # accepted and edited, in rubric order
    undecided: list[PaperFinding] = Field(default_factory=list)  # only with include_undecided
    rejected: list[RejectedItem] = Field(default_factory=list)
    method: Method
    warnings: list[str] = Field(default_factory=list)  # decisions flagged as changed, orphans
    counts: dict[str, int] = Field(default_factory=dict)

    def findings_by_kind(
        self, findings: list[PaperFinding]
    ) -> list[tuple[str, list[PaperFinding]]]:
        groups: dict[str, list[PaperFinding]] = {}
        for finding in findings:
            groups.setdefault(finding.kind_heading, []).append(finding)
        return list(groups.items())

    @property
    def purpose(self) -> str:
        reviewers = ", ".join(self.method.reviewers) or "a reviewer"
        return (
            f"This paper sets out a review of {self.document_title} against a rubric for digital "
            f"strategies. A draft was made by a tool; {reviewers} then accepted, edited or "
            "rejected each finding. The board is asked to note the findings and to discuss the "
            "recommendations."
        )

    @property
    def counts_text(self) -> str:
        c = self.counts
        text = (
            f"{c.get('accepted', 0)} accepted, {c.get('edited', 0)} edited, "
            f"{c.get('rejected', 0)} rejected"
        )
        if c.get("undecided"):
            text += f", {c['undecided']} not yet reviewed"
        return text + f" of {c.get('items', 0)} items."
