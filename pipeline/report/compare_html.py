"""compare.html: a self-contained, printable matrix (no external CSS, JS, fonts or images).

Rendered by Jinja2 (autoescaped) from ``templates/compare.html.j2``, which extends the shared
``base.html.j2``. Rows are rubric items grouped by kind; columns are the user's strategy and
its exemplars, or the old and new versions. Ratings are coloured badges that always carry a
text label, and every cell opens (``<details>``) onto its evidence with pages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeline.report.templating import render

if TYPE_CHECKING:  # the records only: this module never imports the compare package at run time
    from pipeline.compare.records import Comparison


def render_compare_html(comparison: Comparison) -> str:
    main_doc = comparison.document if comparison.mode == "exemplars" else comparison.new
    return render(
        "compare.html.j2",
        tool_version=comparison.tool_version,
        comp=comparison,
        main_doc=main_doc,
    )
