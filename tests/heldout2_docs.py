"""The round-2 held-out documents, in this project's own words: a PDF generated here (roman
front matter, two columns, a running header and footer, a table, a sentence broken over a page)
and a Markdown plan (headings, lists, a table, a code block, links)."""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
from render_pdfs import render_text_pdf  # noqa: E402

PDF_TITLE = "Wrenford Ambulance Service: Digital Strategy 2025 to 2028"
PDF_PAGES = [
    # i
    f"# {PDF_TITLE}\n\n"
    "Foreword. This strategy belongs to the Chief Executive and the Trust Board, not to the "
    "IT department. It was written with crews, call handlers and the three hospitals we take "
    "patients to.",
    # ii
    "## Contents\n\n- 1. Where we are\n- 2. What we will do\n- 3. What we will not do\n"
    "- 4. Risks\n- 5. How we will know",
    # 1
    "## 1. Where we are\n\n"
    "Crews still complete 40% of patient records on paper. We do not yet share records with "
    "the three emergency departments we take patients to. We asked 212 paramedics and 35 call "
    "handlers what slows them down, and lost paperwork came first.",
    # 2
    "## 2. What we will do\n\n"
    "| Commitment | Owner | Date |\n|---|---|---|\n"
    "| Electronic patient record on every vehicle | Director of Operations | March 2027 |\n"
    "| Records shared with the three emergency departments | Chief Clinical Information "
    "Officer | 2028 |\n"
    "| Single sign-on for control room systems | Head of Digital | December 2025 |\n\n"
    "The digital board checks each commitment every quarter. By March 2027 every crew will",
    # 3
    "use one electronic patient record on a rugged tablet, and the paper form will be "
    "retired.\n\n"
    "## 3. What we will not do\n\n"
    "We will not build our own dispatch software. We will only buy systems that meet the "
    "national interoperability standard.\n\n"
    "## 4. Risks\n\n"
    "The biggest risk is poor mobile signal on rural roads, so every tablet will work offline "
    "and send records when signal returns.",
    # 4
    "## 5. How we will know\n\n"
    "Median handover time at hospital will fall from 41 minutes to 30 minutes by 2027, owned "
    "by the Director of Operations. The Trust Board reviews this strategy every April and "
    "publishes what changed.",
]
PDF_LABELS = [(0, "roman"), (2, "arabic")]


def write_wrenford_pdf(path: Path) -> Path:
    return render_text_pdf(
        PDF_PAGES,
        path,
        page_labels=PDF_LABELS,
        header="Wrenford Ambulance Service | Digital Strategy",
        footer="Page {label}",
        two_column=True,
        title=PDF_TITLE,
    )


MARKDOWN = """---
title: Castlebrook Libraries Digital Plan 2025 to 2027
---

# Castlebrook Libraries Digital Plan 2025 to 2027

This plan is owned by the **Head of Libraries** and agreed by the council's
[Cabinet](https://castlebrook.example.org/cabinet) in June 2025.

## What our members told us

We ran 14 workshops with 160 members. Most said the *online catalogue* is hard to use on a
phone, and 38 said they never use the e-book app because signing in takes too long.

- Members want one library card that works for e-books and branches.
- Staff want to stop re-keying events into three websites.
- Older members asked us not to close any branch counters.

## What we will do

| Commitment | Owner | By |
|---|---|---|
| One sign-in for the catalogue and e-books | Digital Services Manager | March 2026 |
| Events entered once and shown everywhere | Events Lead | September 2026 |

We will keep a staffed counter in every branch. We will not replace the library management
system before its contract ends in 2027.

```
catalogue_search(timeout=5)  # tuned for mobile
```

## How we will know

Sign-in failures will fall from 1 in 5 attempts to 1 in 20 by March 2026. Progress is
reported to the [Communities Scrutiny Panel](javascript:alert(1)) every six months.
"""


def write_castlebrook_md(path: Path) -> Path:
    path.write_text(MARKDOWN, encoding="utf-8")
    return path
