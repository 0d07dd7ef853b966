"""A CDO's session on the sample strategy: accept 15 findings, edit 4, reject 3, export the board
paper and report agreement between the person and the tool.

    python scripts/cdo_session.py [--review-dir DIR] [--out DIR] [--docx FILE] [--png FILE]

Without --review-dir it first makes a rules review of examples/northbridge-digital-strategy.pdf
in OUT/review. The decisions below are one reviewer's, written for this project: the edits and
reasons are what a Chief Digital Officer reading the (fictional) Northbridge strategy might say.
With --png it converts the DOCX to PDF with LibreOffice (soffice) and renders pages 1 and 2 side
by side with pypdfium2.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "northbridge-digital-strategy.pdf"
REVIEWER = "P. Natarajan, Chief Digital Officer"

ACCEPT = (
    "integrated",
    "user_centred",
    "useful_to_teams",
    "realistic",
    "focused",
    "it_driven",
    "cookie_cutter",
    "vague",
    "too_long_term",
    "wish_list",
    "q03_users",
    "q04_services",
    "q05_not_prioritising",
    "q06_actions",
    "q09_change",
)

# item id -> (new rating or None to keep it, new finding, new recommendations)
EDITS: dict[str, tuple[str | None, str, list[str]]] = {
    "unproven_tech": (
        None,
        "The ambitions for 2035 (p. 5) are a list of twenty-one technologies, from an AI command "
        "centre to drone delivery and a quantum-ready data platform, and the only one given a date "
        "is a 2028 pilot of metaverse outpatient clinics (p. 6). Meanwhile staff report slow ward "
        "computers, Wi-Fi gaps at St Aldhelm's and up to 15 log-ins a shift (p. 2). The basics "
        "are not yet fixed.",
        [
            "Drop the metaverse pilot from the delivery commitments and put devices, Wi-Fi at "
            "St Aldhelm's and single sign-on first.",
            "Bring any emerging technology back to the board only as a small trial tied to a "
            "named clinical problem, with a budget and a stop date.",
        ],
    ),
    "q02_mission": (
        "amber",
        "There is a one-line mission (p. 1), but it is a ranking to win by 2035 (the most "
        "digitally advanced hospital group in Europe), not a statement of what will be better "
        "for patients and staff. Staff could repeat it but it would not guide a decision.",
        [
            "Restate the mission in terms of the Clinical Strategy's five ambitions, for example "
            "what timely and safe care will feel like for a patient in the Ellery Valley.",
        ],
    ),
    "q07_measures": (
        "amber",
        "Four delivery commitments carry a date and a number (p. 6), but success overall is to "
        "be measured by the number of projects delivered and a digital maturity score, which "
        "count activity rather than benefit to patients or staff.",
        [
            "Add outcome measures for each clinical ambition (waiting times, avoidable harm, "
            "staff time saved) and report them to the Trust Board each quarter.",
        ],
    ),
    "q10_risks": (
        "red",
        "Risk gets two sentences (p. 7): cyber security will follow national standards and the "
        "Digital and IT Department keeps a register for its own projects. The strategy's own "
        "risks (funding 'as funding allows', ten-year scope, dependence on a single department) "
        "are not named, and no mitigation or owner is given for any of them.",
        [
            "Add the strategy's delivery risks to the trust's board assurance framework with an "
            "executive owner for each.",
        ],
    ),
}

REJECT: dict[str, str] = {
    "mainstream": (
        "The finding rests on a reading-ease score and one buzzword, not on what the strategy "
        "says; the design principles on p. 4 are written for every team. We will test this "
        "through the staff survey rather than put a rating to the board."
    ),
    "q01_integration": (
        "Duplicates the 'Integrated' finding: same evidence on p. 1 and the same conclusion. "
        "Kept once in the paper."
    ),
    "q08_system": (
        "One of the two quotes (the population served, p. 1) is not about system partners, and "
        "one line saying we engage the integrated care system 'where appropriate' is too little "
        "to rate. We will ask the ICB for its view instead."
    ),
}


def decide(review_dir: Path, reviewer: str = REVIEWER) -> None:
    """Make the session's 22 decisions on a review of the sample strategy."""
    from pipeline.decisions import record_decision

    for item_id in ACCEPT:
        record_decision(review_dir, item_id, "accept", reviewer=reviewer)
    for item_id, (rating, summary, recommendations) in EDITS.items():
        record_decision(
            review_dir,
            item_id,
            "edit",
            rating=rating,
            summary=summary,
            recommendations=recommendations,
            reviewer=reviewer,
        )
    for item_id, reason in REJECT.items():
        record_decision(review_dir, item_id, "reject", reason=reason, reviewer=reviewer)


def make_review(out: Path) -> Path:
    from pipeline.models.rules import RulesModel
    from pipeline.review import run_review

    review_dir = out / "review"
    run_review(SAMPLE, review_dir, RulesModel())
    return review_dir


def render_png(docx: Path, png: Path, pages: int = 2) -> Path:
    """DOCX -> PDF with LibreOffice, then the first pages side by side as one PNG."""
    import pypdfium2
    from PIL import Image

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("soffice (LibreOffice) is not installed; cannot render the DOCX")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp, str(docx)],
            check=True,
            capture_output=True,
            timeout=300,
        )
        pdf = pypdfium2.PdfDocument(str(Path(tmp) / (docx.stem + ".pdf")))
        images = [pdf[i].render(scale=1.5).to_pil() for i in range(min(pages, len(pdf)))]
        pdf.close()
    gap = 24
    width = sum(im.width for im in images) + gap * (len(images) + 1)
    height = max(im.height for im in images) + 2 * gap
    sheet = Image.new("RGB", (width, height), (200, 204, 208))
    x = gap
    for im in images:
        sheet.paste(im, (x, gap))
        x += im.width + gap
    png.parent.mkdir(parents=True, exist_ok=True)
    sheet.quantize(colors=128).save(png, optimize=True)  # a small file that still reads well
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--review-dir", type=Path, help="An existing review of the sample.")
    parser.add_argument("--out", type=Path, default=Path("out/cdo-session"))
    parser.add_argument("--docx", type=Path, default=ROOT / "docs" / "board-paper-sample.docx")
    parser.add_argument("--png", type=Path, help="Render pages 1-2 of the DOCX to this PNG.")
    args = parser.parse_args(argv)

    from pipeline.evals.agreement import agreement, format_report, write_json
    from pipeline.paper import export_paper

    review_dir = args.review_dir or make_review(args.out)
    decide(review_dir)
    for fmt, target in (("docx", args.docx), ("md", None), ("html", None)):
        path, paper = export_paper(review_dir, fmt, target)
        print(f"wrote {path} ({paper.counts_text})")
    report = agreement([review_dir])
    print(format_report(report))
    print(f"wrote {write_json(report, args.out / 'agreement.json')}")
    if args.png:
        print(f"wrote {render_png(args.docx, args.png)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
