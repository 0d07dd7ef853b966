"""Small helpers shared by the Markdown and HTML reports: they compose the wording of
:mod:`pipeline.report.labels` with a report's data.

Everything here returns plain (unescaped) text; each renderer escapes for its own format.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pipeline.records import (
    DocumentRef,
    Evidence,
    FlaggedText,
    ItemResult,
    ItemStats,
    Review,
    RubricRef,
    rating_label,
)
from pipeline.report.labels import (
    CONFIDENCE_TEXT,
    FAILED_TEXT,
    KIND_HEADINGS,
    RATING_WORDS,
    SOURCE_TEXT,
    STAT_FIELDS,
    STATUS_TEXT,
    UNTITLED,
)
from pipeline.rubric import is_builtin, ref_line

T = TypeVar("T")

SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$", re.IGNORECASE)


def grouped_items(review: Review) -> list[tuple[str, list[ItemResult]]]:
    """Items by kind, in rubric order, skipping kinds with no items."""
    groups = [(kind, [i for i in review.items if i.kind == kind]) for kind in KIND_HEADINGS]
    return [(kind, items) for kind, items in groups if items]


class Rated(Protocol):
    """A review item, or one side of a comparison: a rating with its label and status."""

    @property
    def rating(self) -> str: ...
    @property
    def rating_label(self) -> str | None: ...
    @property
    def status(self) -> str: ...


def label_for(item: Rated) -> str:
    kind = getattr(item, "kind", None)
    if item.rating_label or kind is None:
        return item.rating_label or item.rating
    return rating_label(kind, item.rating)


def rating_text(item: Rated) -> str:
    """E.g. "GREEN — Clearly shown"; failed items say so instead of a rating."""
    if item.status == "failed":
        return FAILED_TEXT
    return f"{RATING_WORDS.get(item.rating, item.rating.upper())} — {label_for(item)}"


def confidence_text(item: ItemResult) -> str:
    if item.status == "failed":
        return "n/a (failed)"
    return CONFIDENCE_TEXT.get(item.confidence, item.confidence)


def verified_count(evidence: Iterable[Evidence]) -> int:
    return sum(1 for e in evidence if e.verified)


def page_text(ev: Evidence) -> str:
    """E.g. "p. iv (PDF page 6)", or "§3 (section 3)" for a document with no pages."""
    if ev.page is None:
        return f"p. {ev.page_label}" if ev.page_label else "page not known"
    if (ev.page_label or "").startswith("\u00a7"):  # a section (web page, DOCX): no pages
        return f"{ev.page_label} (section {ev.page})"
    if ev.page_label and ev.page_label != str(ev.page):
        return f"p. {ev.page_label} (PDF page {ev.page})"
    return f"p. {ev.page} (PDF page {ev.page})"


def verified_text(ev: Evidence) -> str:
    return "verified" if ev.verified else "unverified"


def source_text(ev: Evidence) -> str:
    return SOURCE_TEXT.get(ev.source, ev.source)


def low_confidence_notice(item: ItemResult) -> str:
    flags = ", ".join(item.quality_flags) or "no reason recorded"
    return (
        f"The model's judgement for this item was not usable ({flags}); the evidence below "
        "was found by retrieval and deterministic checks."
    )


def checks_summary(item: ItemResult) -> str | None:
    """The summary to show for a low-confidence item, never the rejected model text."""
    text = item.summary.strip()
    if not text or text == (item.model_summary or "").strip():
        return None
    return text


def disagreement_text(item: ItemResult) -> str | None:
    """For a kept model rating that the deterministic checks rate two steps away."""
    if not item.disagreement or item.checks_rating is None:
        return None
    checks = f"{RATING_WORDS.get(item.checks_rating, item.checks_rating)} — " + rating_label(
        item.kind, item.checks_rating
    )
    return (
        f"Model and checks disagree: check this. The model rated it {rating_text(item)}; "
        f"the deterministic checks suggest {checks}."
    )


def figures_text(item: ItemResult) -> str | None:
    """For a kept finding that states figures the document does not."""
    if not item.unfound_figures:
        return None
    listed = ", ".join(item.unfound_figures)
    return (
        f"Check the figures: the finding gives {listed}, not found in the document or in the "
        "facts computed from it."
    )


def item_notes(item: ItemResult) -> list[str]:
    """The notes shown under a kept finding: disagreement, figures, and what was searched."""
    notes = (disagreement_text(item), figures_text(item), searched_text(item))
    return [note for note in notes if note]


def searched_text(item: ItemResult) -> str | None:
    """For a rating that rests on absence: which passages were searched."""
    if item.basis != "absence" or not item.searched:
        return None
    places = ", ".join(f"{p.chunk_id} (p. {p.pages})" for p in item.searched)
    return (
        "This rating rests on what the document does not say, so there is nothing to quote. "
        f"Passages searched: {places}."
    )


def failed_text(item: ItemResult) -> str:
    return f"This item could not be assessed. Error: {item.error or 'no error message recorded'}"


def safe_url(url: str) -> str | None:
    url = url.strip()
    return url if SAFE_URL.match(url) else None


def length_label(doc: DocumentRef) -> str:
    """ "Pages" for a PDF; "Sections" for a document without pages (read as numbered sections)."""
    return "Pages" if doc.format in (None, "pdf") else "Sections"


def short_sha(sha256: str) -> str:
    return sha256[:12]


def format_date(value: str) -> str:
    """ISO timestamp to e.g. "5 March 2026, 14:03 UTC"; anything else unchanged."""
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    zone = f" {dt.tzname()}" if dt.tzinfo else ""
    return f"{dt.day} {dt:%B %Y, %H:%M}{zone}"


def format_value(value: Any, limit: int = 200) -> str:
    """An indicator value or setting as short text."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_seconds(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


TOTAL_KEYS = ("total", "total_s", "wall", "wall_s")


def total_time(review: Review) -> float | None:
    return next((review.timings[k] for k in TOTAL_KEYS if k in review.timings), None)


def stage_timings(review: Review) -> list[tuple[str, float]]:
    """review.timings without the total, which is shown on its own."""
    return [(k, v) for k, v in review.timings.items() if k not in TOTAL_KEYS]


def item_time(review: Review, item: ItemResult) -> float | None:
    """Per-item time from review.timings if recorded there, else the item's own latency."""
    for key in (item.id, f"item:{item.id}", f"items.{item.id}", f"item.{item.id}"):
        if key in review.timings:
            return review.timings[key]
    return item.stats.latency_s or None


def aggregate_stats(review: Review) -> list[tuple[str, str]]:
    """Run-level statistics: review.stats first, then totals over the items' own stats."""
    rows = [(key.replace("_", " ").capitalize(), str(val)) for key, val in review.stats.items()]
    seen = {key for key in review.stats}
    for field, label in STAT_FIELDS:
        if field not in seen:
            rows.append((label, str(sum(_stat(i.stats, field) for i in review.items))))
    for key, label, count in (
        ("low_confidence", "Low-confidence items", _count(review, confidence="low")),
        ("failed", "Failed items", _count(review, status="failed")),
        ("rules", "Items rated by rules", _count(review, confidence="rules")),
    ):
        if key not in seen:
            rows.append((label, str(count)))
    return rows


def _stat(stats: ItemStats, field: str) -> int:
    value = getattr(stats, field, 0)
    return value if isinstance(value, int) else 0


def _count(review: Review, **match: str) -> int:
    return sum(1 for i in review.items if all(getattr(i, k) == v for k, v in match.items()))


def rating_counts(review: Review) -> str:
    """E.g. "22 items: 5 green, 8 amber, 6 red, 2 insufficient evidence, 1 failed"."""
    ok = [i for i in review.items if i.status != "failed"]
    parts = [
        f"{sum(1 for i in ok if i.rating == r)} {r.replace('_', ' ')}"
        for r in ("green", "amber", "red", "insufficient_evidence")
    ]
    failed = len(review.items) - len(ok)
    if failed:
        parts.append(f"{failed} failed")
    return f"{len(review.items)} items: " + ", ".join(parts)


def slug(text: str, fallback: str = "unnamed") -> str:
    """The one slug for ids and anchors in the reports: runs of anything but ASCII letters,
    digits, ``_`` and ``-`` become one ``-``."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or fallback


def item_anchor(item_id: str) -> str:
    """The id of a rubric item's section or row, e.g. ``item-user_centred``."""
    return f"item-{slug(item_id)}"


def anchor(item: ItemResult) -> str:
    return item_anchor(item.id)


# ---------------------------------------------------------------- planted instructions

NEVER_READ = "(never read)"  # in the reason of text a reader never sees (pipeline/unseen.py)


def injection_warning(review: Review) -> str | None:
    """The report's opening warning when the document holds planted instructions, or text a
    reader of the document never sees (listed, never read)."""
    unread = sum(NEVER_READ in f.reason for f in review.flagged_text)
    count = len(review.flagged_text) - unread
    if not count and not unread:
        return None
    parts = []
    if count:
        noun = "passage" if count == 1 else "passages"
        parts.append(
            f"This document contains {count} {noun} addressed to AI tools or reviewers, or "
            "telling the reader how to rate, summarise or what to leave out. They were withheld "
            "from the model and from all evidence."
        )
    if unread:
        runs = "run" if unread == 1 else "runs"
        parts.append(
            f"{'It also holds' if count else 'This document holds'} {unread} {runs} of text that "
            "a reader of the document does not see, or metadata (hidden elements; comments, "
            "alt text or a title carrying instructions). They were never read, by the model "
            "or for evidence."
        )
    parts.append(
        "They are quoted below as data, not instructions: read them, and ask why they are there."
    )
    return " ".join(parts)


def flagged_cite(flagged: FlaggedText) -> str:
    """E.g. "p. 4 (PDF page 4) · tells the reader how to rate"."""
    where = page_text(Evidence(quote="", page=flagged.page, page_label=flagged.page_label))
    return f"{where} · {flagged.reason}"


# ---------------------------------------------------------------- comparisons (duck-typed:
# this module never imports pipeline.compare, whose package imports the report writers)


def doc_title(doc: DocumentRef) -> str:
    return doc.title or Path(doc.path).name or UNTITLED


def grouped_by_kind(items: Sequence[T]) -> list[tuple[str, list[T]]]:
    """Rows with a ``kind`` by kind, in rubric order, skipping kinds with no rows."""
    groups = [
        (kind, [i for i in items if getattr(i, "kind", None) == kind]) for kind in KIND_HEADINGS
    ]
    return [(kind, rows) for kind, rows in groups if rows]


def short_pages(evidence: Iterable[Evidence]) -> list[str]:
    """E.g. ["p. 4", "p. iv"], without repeats."""
    return list(dict.fromkeys(x for ev in evidence if (x := short_page(ev))))


def short_page(ev: Evidence) -> str | None:
    label = ev.page_label or (str(ev.page) if ev.page is not None else None)
    return f"p. {label}" if label else None


def source_meta(source: Any) -> str:
    """An exemplar source's organisation, sector and year."""
    parts = (source.organisation, source.sector, str(source.year or ""))
    return ", ".join(x for x in parts if x)


def status_summary(counts: dict[str, int]) -> str:
    """E.g. "2 resolved, 0 better, 18 unchanged, 1 worse, 1 new problem"."""
    return ", ".join(f"{counts.get(s, 0)} {text.lower()}" for s, text in STATUS_TEXT.items())


def change_counts(changes: Iterable[Any]) -> dict[str, int]:
    found = [ch.change for ch in changes]
    return {k: found.count(k) for k in ("appeared", "disappeared")}


def page_ref(ref: Any, side: str) -> str:
    """Where a quote is in one version, e.g. "old p. iv (PDF page 6)"."""
    if ref is None:
        return f"not in the {side} version"
    pdf = f" (PDF page {ref.page})" if ref.page_label != str(ref.page) else ""
    return f"{side} p. {ref.page_label}{pdf}"


class _Rubricked(Protocol):
    rubric: RubricRef | None
    rubric_version: str


def rubric_text(record: _Rubricked) -> str:
    """The rubric a review, comparison or league used: name, version and hash."""
    return ref_line(record.rubric, record.rubric_version)


def credits_guide(record: _Rubricked) -> bool:
    """Whether the page credits the Public Digital guide: only for the built-in rubric."""
    return is_builtin(record.rubric)
