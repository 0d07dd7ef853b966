"""The records that flow through the pipeline. Field names here are a public contract:
``review.json`` is a dump of :class:`Review`, so rename nothing without a schema bump."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ItemKind = Literal["good_sign", "warning_sign", "board_question"]
Rating = Literal["green", "amber", "red", "insufficient_evidence"]
RATINGS: tuple[Rating, ...] = ("green", "amber", "red", "insufficient_evidence")
EvidenceSource = Literal["model", "retrieval", "indicator"]

# What a rating means for each kind of rubric item (documented in prompts/rubric.json too).
RATING_LABELS: dict[str, dict[str, str]] = {
    "good_sign": {
        "green": "Clearly shown",
        "amber": "Partly shown",
        "red": "Not shown",
        "insufficient_evidence": "Insufficient evidence",
    },
    "warning_sign": {
        "green": "Avoided",
        "amber": "Some signs",
        "red": "Present",
        "insufficient_evidence": "Insufficient evidence",
    },
    "board_question": {
        "green": "Answered well",
        "amber": "Partly answered",
        "red": "Not answered",
        "insufficient_evidence": "Insufficient evidence",
    },
}


def rating_label(kind: str, rating: str) -> str:
    return RATING_LABELS.get(kind, RATING_LABELS["good_sign"]).get(rating, rating)


# ---------------------------------------------------------------- documents


# Ingest joins a table row's cells with this: a text across it is not one text of the document.
CELL_SEPARATOR = " | "


HiddenReason = Literal[
    "white", "tiny font", "invisible", "off page", "hidden element", "comment", "alt text"
]


class HiddenText(BaseModel):
    """Text a PDF draws so that a reader cannot see it, or text in an HTML or Markdown file a
    reader never sees (see ``pipeline/unseen.py``): a classic carrier of injections."""

    text: str
    reason: HiddenReason


class Page(BaseModel):
    page: int  # 1-based index in the file
    page_label: str  # printed label, from the PDF's page labels where it has them
    text: str  # normalised text
    offset: int = 0  # start of this page in Document.text
    hidden: list[HiddenText] = Field(default_factory=list)  # text drawn invisibly on this page


class Chunk(BaseModel):
    id: str  # stable: "c{index:03d}-p{start}[-{end}]"
    index: int
    page_start: int
    page_end: int
    start: int  # character offsets into Document.text
    end: int
    text: str


class Document(BaseModel):
    path: str
    sha256: str
    title: str
    format: Literal["pdf", "html", "markdown", "text", "docx"]
    pages: list[Page]
    chunks: list[Chunk] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    pages_without_text: list[int] = Field(default_factory=list)
    reader_version: int = 0  # documents.READER_VERSION that produced it; older ones are re-read

    @property
    def text(self) -> str:
        return PAGE_SEPARATOR.join(p.text for p in self.pages)

    @property
    def words(self) -> int:
        return sum(len(p.text.split()) for p in self.pages)

    def page(self, number: int) -> Page:
        return self.pages[number - 1]

    def chunk(self, chunk_id: str) -> Chunk | None:
        return next((c for c in self.chunks if c.id == chunk_id), None)

    def summary(self) -> dict[str, Any]:
        return {
            "sha256": self.sha256,
            "title": self.title,
            "path": self.path,
            "format": self.format,
            "pages": len(self.pages),
            "pages_without_text": self.pages_without_text,
            "chunks": len(self.chunks),
            "words": self.words,
            "warnings": self.warnings,
        }


PAGE_SEPARATOR = "\n\n"


# ---------------------------------------------------------------- evidence


class Evidence(BaseModel):
    quote: str
    page: int | None  # 1-based PDF index
    page_label: str | None = None
    chunk_id: str | None = None
    verified: bool = False
    source: EvidenceSource = "model"


class FlaggedText(BaseModel):
    """A sentence of the document addressed to reviewers (prompt injection), withheld from the
    model and from evidence, and listed in the report's opening warning."""

    page: int
    page_label: str
    text: str
    reason: str
    start: int | None = None  # offsets into Document.text, where known
    end: int | None = None


class ExemplarRef(BaseModel):
    source_id: str
    title: str
    organisation: str
    url: str
    passage: str
    page: str | None = None  # page or section in the exemplar, where known
    kind: Literal["note", "passage"] = "note"
    secondary: bool = False  # note based on a secondary description, not the text itself
    stance: str = "exemplary"  # a note's stance: exemplary | cautionary ("" for a passage)


class Indicator(BaseModel):
    id: str
    title: str
    value: Any
    summary: str
    evidence: list[Evidence] = Field(default_factory=list)


# ---------------------------------------------------------------- review


class ItemStats(BaseModel):
    quotes_proposed: int = 0
    quotes_verified: int = 0
    quotes_dropped: int = 0
    invented_ids_stripped: int = 0
    parse_failures: int = 0  # output that is not JSON, even after repair
    invalid_answers: int = 0  # JSON that is not a complete answer (mostly cut off at the limit)
    structured_mode: str | None = None  # grammar | json_schema | json_object | repair | rules
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: bool = False
    drop_reasons: dict[str, int] = Field(default_factory=dict)  # why quotes were dropped


class SearchedPassage(BaseModel):
    """A passage retrieval offered for an item: what an absence rating was judged against."""

    chunk_id: str
    page_start: int
    page_end: int
    pages: str  # printed page labels, "4" or "4-5"


Basis = Literal["evidence", "absence", "indicator", "keywords", "none"]


class ItemResult(BaseModel):
    id: str
    kind: ItemKind
    title: str
    rating: Rating
    rating_label: str
    summary: str
    confidence: Literal["model", "low", "rules"] = "model"
    quality_flags: list[str] = Field(default_factory=list)
    model_rating: str | None = None  # what the model said before the quality gate
    model_summary: str | None = None
    evidence: list[Evidence] = Field(default_factory=list)
    exemplars: list[ExemplarRef] = Field(default_factory=list)
    recommendations: list[str] = Field(default_factory=list)
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None
    stats: ItemStats = Field(default_factory=ItemStats)
    basis: Basis | None = None  # what the rating rests on
    checks_rating: Rating | None = None  # the deterministic indicators' rating, where any
    # a kept rating two steps from checks_rating, or an absence the checks contradict
    disagreement: bool = False
    searched: list[SearchedPassage] = Field(default_factory=list)
    unfound_figures: list[str] = Field(default_factory=list)  # in the finding, not the document


class DocumentRef(BaseModel):
    path: str
    sha256: str
    pages: int
    title: str = ""
    format: str | None = None  # Document.format; None in reviews written before it was kept


class ModelRef(BaseModel):
    id: str
    backend: str
    endpoint: str | None = None  # the server's base URL, so two servers never share a cache


class RubricRef(BaseModel):
    """Which rubric a review used: its name, version and a hash of its content."""

    name: str
    version: str
    sha256: str  # 16 hex digits of the validated content (pipeline.rubric.Rubric.sha256)


class Review(BaseModel):
    schema_version: str = "1"
    tool_version: str
    created_at: str
    document: DocumentRef
    model: ModelRef
    rubric_version: str
    corpus_version: str
    prompts: dict[str, str] = Field(default_factory=dict)  # prompt file name -> sha256 (short)
    rubric: RubricRef | None = None  # None in reviews written before custom rubrics
    retrieval: dict[str, Any] = Field(default_factory=dict)
    items: list[ItemResult]
    indicators: list[Indicator]
    timings: dict[str, float] = Field(default_factory=dict)
    stats: dict[str, int] = Field(default_factory=dict)
    flagged_text: list[FlaggedText] = Field(default_factory=list)  # withheld as injections

    def item(self, item_id: str) -> ItemResult | None:
        return next((i for i in self.items if i.id == item_id), None)
