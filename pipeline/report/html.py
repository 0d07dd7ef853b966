"""review.html: a self-contained, printable report (no external CSS, JS, fonts or images).

Rendered by Jinja2 (autoescaped) from ``templates/review.html.j2``, which extends the shared
``base.html.j2``; document and model text is never marked safe.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.records import ItemResult, Review
from pipeline.report import common as c
from pipeline.report.templating import TEMPLATES, render

__all__ = ["TEMPLATES", "render_html"]


def render_html(review: Review) -> str:
    doc_title = review.document.title or Path(review.document.path).name or "Untitled document"
    return render(
        "review.html.j2",
        tool_version=review.tool_version,
        review=review,
        doc_title=doc_title,
        stage_rows=[(k, c.format_seconds(v)) for k, v in c.stage_timings(review)],
        per_item=[_per_item_row(review, item) for item in review.items],
    )


def _per_item_row(review: Review, item: ItemResult) -> list[str]:
    s = item.stats
    seconds = c.item_time(review, item)
    counts = [s.quotes_proposed, s.quotes_verified, s.quotes_dropped]
    counts += [s.invented_ids_stripped, s.parse_failures]
    return [
        item.title,
        s.structured_mode or "—",
        *(str(n) for n in counts),
        c.format_seconds(seconds) if seconds is not None else "—",
        "yes" if s.cached else "no",
    ]
