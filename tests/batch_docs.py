"""Six short strategies written for the batch tests, of different strengths, and one bad file."""

from __future__ import annotations

from pathlib import Path

from conftest import render_pdfs

STRONG = """# Ashcombe NHS Foundation Trust Digital Strategy 2025-2028

Our mission: every patient and colleague uses services that work first time.

This strategy runs from 2025 to 2028. The Chief Executive owns this strategy and the Chief
Operating Officer leads its delivery.

## What we learned from users

We interviewed 42 patients and 30 nurses about outpatient letters. We ran 12 usability tests of
the booking service.

## What we will not do

We will not build our own patient app. We will stop the bespoke rostering project and pause the
AI triage pilot until the basics are fixed.

## Commitments

- By March 2026 we will cut missed appointments by 20%, owned by the Chief Operating Officer.
- By December 2026 we will move 80% of outpatient letters online, owned by the Director of
  Operations.
- By June 2027 we will replace 3 legacy systems, owned by the Chief Executive.

## What we have delivered

We have already replaced the paging system. We launched online booking in 2024. We rolled out
shared care records with our ICS partners.

## Risks

The main risks are staff capacity and supplier delays. We will mitigate capacity by funding 10
backfill posts, owned by the Director of Workforce.
"""

WEAK = """# Bramley Council Digital Vision <2040> & beyond

We will harness the power of artificial intelligence, blockchain and the metaverse to transform
everything we do.

We will be a digital-first, data-driven, cloud-first council. The IT department will deliver a
world-class technology platform.

We will innovate and leverage synergies across our ecosystem.
"""

MIXED_HTML = """<!DOCTYPE html><html lang="en"><head>
<title>Calder Health Board Digital Plan 2025-2027</title></head><body>
<h1>Calder Health Board Digital Plan 2025-2027</h1>
<p>This plan runs from 2025 to 2027. The Chief Digital Officer owns this plan.</p>
<h2>Users</h2><p>We surveyed 200 patients about online repeat prescriptions.</p>
<h2>Actions</h2><ul><li>By 2026 we will put repeat prescriptions online for 50% of
patients.</li><li>We will improve the network.</li></ul>
<p>We will work with primary care and local authority partners in the integrated care
system.</p>
</body></html>
"""

PLAIN = """Dunmore District Council Digital Strategy 2024-2029

Our digital strategy supports the council plan and the medium term financial strategy. The
Leader of the Council and the Chief Executive own this strategy.

We will not replace the finance system this year; we will defer the website rebuild until 2026.

We have moved council tax payments online and we have retired the old call recording system.

By April 2026 we will answer 90% of calls within 60 seconds.
"""

PDF_PAGES = [
    "# Elmstead Trust Technology Strategy 2025-2030\n\nThe IT department owns this strategy. "
    "We will upgrade the network and move to the cloud.",
    "## Roadmap\n\nWe will deploy robotic process automation and explore generative AI. "
    "We will be paperless.",
]

CORRUPT_PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog\ngarbage garbage\n"


def write_documents(root: Path) -> dict[str, Path]:
    """docs/ with five good strategies (Markdown, HTML, PDF, text in a sub-folder) and a corrupt
    PDF, plus files a folder walk must skip (hidden, unsupported)."""
    docs = root / "docs"
    (docs / "sub").mkdir(parents=True)
    paths = {
        "strong": docs / "strong.md",
        "weak": docs / "weak.md",
        "mixed": docs / "mixed.html",
        "plain": docs / "sub" / "plain.txt",
        "broken": docs / "sub" / "broken.pdf",
    }
    paths["strong"].write_text(STRONG, encoding="utf-8")
    paths["weak"].write_text(WEAK, encoding="utf-8")
    paths["mixed"].write_text(MIXED_HTML, encoding="utf-8")
    paths["plain"].write_text(PLAIN, encoding="utf-8")
    paths["broken"].write_bytes(CORRUPT_PDF)
    paths["elmstead"] = render_pdfs.render_text_pdf(
        PDF_PAGES, docs / "elmstead.pdf", title="Elmstead Trust Technology Strategy 2025-2030"
    )
    (docs / ".draft.md").write_text("# Hidden draft\n\nNot for review.", encoding="utf-8")
    (docs / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return paths
