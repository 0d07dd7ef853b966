"""The board paper, read back: a real rules review of the sample, real decisions (the CDO session
of scripts/cdo_session.py: 15 accepted, 4 edited, 3 rejected), and the DOCX opened again with
python-docx; the Markdown and HTML checked the same way."""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import cdo_session
import docx
import pytest
from browser import AXE, CHROMIUM, axe_installed
from bs4 import BeautifulSoup
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.decisions import load_decisions, load_review, record_decision
from pipeline.paper import export_paper
from pipeline.paper.build import guess_organisation
from pipeline.paper.docx import TABLE_STYLE
from pipeline.paper.md import esc
from pipeline.records import Review

runner = CliRunner()
KEPT = set(cdo_session.ACCEPT) | set(cdo_session.EDITS)


def norm(text: str) -> str:
    return " ".join(text.split())


def shown(quote: str) -> str:
    """A quote as the paper prints it: one line, a leading list bullet dropped."""
    text = norm(quote)
    return text[2:] if text.startswith("• ") else text


@pytest.fixture
def decided(review_dir: Path) -> Path:
    cdo_session.decide(review_dir)
    return review_dir


def docx_parts(path: Path) -> tuple[docx.document.Document, list[str], str]:
    """The document, every body paragraph's text (tables included, in order) and all text."""
    document = docx.Document(str(path))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        texts += [cell.text for row in table.rows for cell in row.cells]
    footers = [p.text for s in document.sections for p in s.footer.paragraphs]
    return document, texts, norm(" ".join(texts + footers))


def expected(review_dir: Path) -> dict[str, dict[str, object]]:
    """What each item should show: its final text (from decisions.json) and its citations."""
    review = load_review(review_dir)
    log = load_decisions(review_dir)
    out: dict[str, dict[str, object]] = {}
    for item in review.items:
        decision = log.decisions[item.id]
        final = decision.final
        out[item.id] = {
            "title": item.title,
            "action": decision.action,
            "final": final,
            "original": decision.original,
            "reason": decision.reason,
            "citations": [(shown(e.quote), e.page_label) for e in item.evidence if e.verified],
        }
    return out


def test_the_session_decides_15_accepted_4_edited_3_rejected(decided: Path) -> None:
    actions = [d.action for d in load_decisions(decided).decisions.values()]
    assert (actions.count("accept"), actions.count("edit"), actions.count("reject")) == (15, 4, 3)


def test_docx_holds_every_kept_finding_and_citation_and_no_rejected_text(decided: Path) -> None:
    path, _ = export_paper(decided, "docx")
    document, texts, everything = docx_parts(path)
    want = expected(decided)
    quotes = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    for item_id, info in want.items():
        final, original = info["final"], info["original"]
        if item_id in KEPT:
            assert norm(final.summary) in everything, item_id  # type: ignore[union-attr]
            for rec in final.recommendations:  # type: ignore[union-attr]
                assert norm(rec) in everything, (item_id, rec)
            for quote, label in info["citations"]:  # type: ignore[attr-defined]
                assert f"“{quote}” (p. {label})" in quotes, (item_id, quote, label)
        else:
            assert norm(original.summary) not in everything, item_id  # type: ignore[union-attr]
            for rec in original.recommendations:  # type: ignore[union-attr]
                assert norm(rec) not in everything, (item_id, rec)
    cited = sum(len(info["citations"]) for k, info in want.items() if k in KEPT)  # type: ignore[arg-type]
    assert cited >= 40 and len(set(quotes)) <= cited
    # An item resting on an absence says no quote was verified rather than showing none silently.
    assert not want["q05_not_prioritising"]["citations"]
    assert "No quote from the document was verified for this item." in texts
    # The page labels are the printed ones (the sample's front matter is i, ii; PDF page 3 is 1).
    assert any(q.endswith("(p. ii)") for q in quotes) and any(q.endswith("(p. 1)") for q in quotes)


def test_rejected_items_appear_only_in_the_appendix_with_title_and_reason(decided: Path) -> None:
    path, _ = export_paper(decided, "docx")
    document, _, _ = docx_parts(path)
    appendix = document.tables[1]
    rows = [[c.text for c in row.cells] for row in appendix.rows]
    assert rows[0] == ["Item", "Kind", "Reason", "Rejected by"]
    want = expected(decided)
    rejected = {
        info["title"]: info["reason"] for info in want.values() if info["action"] == "reject"
    }
    assert {row[0]: row[2] for row in rows[1:]} == rejected
    assert all(row[3] == cdo_session.REVIEWER for row in rows[1:])
    # No rejected item has a heading or a rating among the findings.
    headings = {p.text for p in document.paragraphs if p.style.name == "Heading 3"}
    assert not headings & set(rejected)
    summary = {row.cells[0].text: row.cells[2].text for row in document.tables[0].rows[1:]}
    assert all(summary[title] == "No rating (rejected)" for title in rejected)


def test_edited_findings_show_the_new_text_the_marker_and_not_the_original(decided: Path) -> None:
    path, _ = export_paper(decided, "docx")
    document, _, everything = docx_parts(path)
    want = expected(decided)
    paragraphs = [p.text for p in document.paragraphs]
    for item_id in cdo_session.EDITS:
        info = want[item_id]
        assert norm(info["original"].summary) not in everything, item_id  # type: ignore[union-attr]
        heading = paragraphs.index(str(info["title"]))
        rating_line = paragraphs[heading + 1]
        assert f"edited by {cdo_session.REVIEWER}" in rating_line, rating_line
    # A changed rating says what the draft said; the summary table shows the person's rating.
    q10 = paragraphs[paragraphs.index("What could go wrong?") + 1]
    assert q10.startswith("Rating: RED — Not answered") and "the draft rated it green" in q10
    accepted = paragraphs[paragraphs.index("Integrated") + 1]
    assert "edited" not in accepted


def test_docx_uses_named_word_styles(decided: Path) -> None:
    path, _ = export_paper(decided, "docx")
    document = docx.Document(str(path))
    by_text = {p.text: p.style.name for p in document.paragraphs}
    assert by_text["Digital strategy review: paper for the board"] == "Title"
    for heading in ("Summary", "Findings", "Appendix A: rejected items", "Appendix B: method"):
        assert by_text[heading] == "Heading 1", heading
    for kind in ("Signs of a good strategy", "Warning signs", "Questions for boards"):
        assert by_text[kind] == "Heading 2", kind
    assert by_text["Integrated"] == "Heading 3"
    styles = {p.style.name for p in document.paragraphs}
    assert {"List Bullet", "Quote", "Subtitle"} <= styles
    assert len(document.tables) == 3
    assert all(t.style is not None and t.style.name == TABLE_STYLE for t in document.tables)
    # Findings carry no direct formatting that would fight an organisation's template.
    for p in document.paragraphs:
        if p.style.name in ("Quote", "List Bullet", "Heading 3"):
            assert all(r.font.name is None and r.font.size is None for r in p.runs)


def test_title_page_and_method_section(decided: Path) -> None:
    path, paper = export_paper(decided, "docx")
    _, texts, everything = docx_parts(path)
    review = Review.model_validate_json((decided / "review.json").read_text())
    assert "Organisation: Northbridge Teaching Hospitals NHS Foundation Trust" in texts
    assert "Status: Draft for board" in texts
    assert f"Date: {paper.date}" in texts
    for value in (
        f"strategy-review {review.tool_version}",
        "rules (backend: rules)",
        review.rubric_version,
        review.corpus_version,
        review.created_at,
        cdo_session.REVIEWER,
    ):
        assert value in everything, value
    for name, digest in review.prompts.items():
        assert f"{name} {digest}" in everything


def test_undecided_findings_refuse_in_one_line_and_write_nothing(review_dir: Path) -> None:
    ids = [item.id for item in load_review(review_dir).items]
    record_decision(review_dir, ids[0], "accept")
    out = review_dir / "paper.docx"
    out.write_bytes(b"the previous paper")
    result = runner.invoke(app, ["export", str(review_dir), "--out", str(out)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "21 of 22 findings" in lines[0] and "--include-undecided" in lines[0]
    assert out.read_bytes() == b"the previous paper"
    assert not [p for p in review_dir.iterdir() if p.name.endswith(".tmp")]


def test_include_undecided_puts_them_under_a_marked_section(review_dir: Path) -> None:
    review = load_review(review_dir)
    first, second, third = review.items[:3]
    record_decision(review_dir, first.id, "accept")
    record_decision(review_dir, second.id, "reject", reason="Not our reading of page 2.")
    result = runner.invoke(app, ["export", str(review_dir), "--include-undecided"])
    assert result.exit_code == 0, result.output
    document = docx.Document(str(review_dir / "board-paper.docx"))
    paragraphs = [p.text for p in document.paragraphs]
    marker = paragraphs.index("Not yet reviewed")
    assert document.paragraphs[marker].style.name == "Heading 1"
    assert paragraphs.index(first.title) < marker < paragraphs.index(third.title)
    assert norm(third.summary) in paragraphs[marker:]
    assert norm(second.summary) not in " ".join(paragraphs)
    summary = {row.cells[0].text: row.cells[3].text for row in document.tables[0].rows[1:]}
    assert summary[third.title] == "Not yet reviewed"


def test_markdown_paper_same_checks(decided: Path) -> None:
    path, _ = export_paper(decided, "md")
    text = path.read_text(encoding="utf-8")
    want = expected(decided)
    for item_id, info in want.items():
        if item_id in KEPT:
            assert esc(info["final"].summary) in text  # type: ignore[union-attr]
            for quote, label in info["citations"]:  # type: ignore[attr-defined]
                assert f"> “{esc(quote)}” (p. {label})" in text
        else:
            assert esc(info["original"].summary) not in text  # type: ignore[union-attr]
            assert f"| {esc(str(info['title']))} |" in text and esc(str(info["reason"])) in text
    for item_id in cdo_session.EDITS:
        assert esc(want[item_id]["original"].summary) not in text  # type: ignore[union-attr]
    assert text.count(f"(edited by {cdo_session.REVIEWER}") == 4
    headings = re.findall(r"^(#+) (.+)$", text, re.MULTILINE)
    assert ("#", "Digital strategy review: paper for the board") in headings
    assert ("##", "Summary") in headings and ("##", "Appendix A: rejected items") in headings
    assert ("###", "Warning signs") in headings and ("####", "Integrated") in headings


def test_html_paper_same_checks_and_escapes_reviewer_text(review_dir: Path) -> None:
    cdo_session.decide(review_dir)
    item = load_review(review_dir).items[0]
    record_decision(review_dir, item.id, "edit", summary="Plans <script>alert(1)</script> & more.")
    path, _ = export_paper(review_dir, "html")
    html = path.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    soup = BeautifulSoup(html, "html.parser")
    text = norm(soup.get_text(" "))
    want = expected(review_dir)
    for item_id, info in want.items():
        if item_id in KEPT:
            assert norm(info["final"].summary) in text  # type: ignore[union-attr]
            quotes = [norm(b.get_text(" ")) for b in soup.select(f"#item-{item_id} blockquote")]
            for quote, label in info["citations"]:  # type: ignore[attr-defined]
                assert f"“{quote}” (p. {label})" in quotes
        else:
            assert norm(info["original"].summary) not in text  # type: ignore[union-attr]
            assert soup.select_one(f"#item-{item_id}") is None
    assert norm(item.summary) not in text
    assert soup.select_one("h1").get_text() == "Digital strategy review: paper for the board"
    assert [h.get_text() for h in soup.select("h2")][:2] == ["Summary", "Findings"]
    assert "script-src" not in html and soup.find("script") is None


def test_a_decision_on_a_changed_draft_is_warned_about(decided: Path) -> None:
    path = decided / "review.json"
    data = json.loads(path.read_text())
    data["items"][0]["summary"] = "A different draft after a re-run."
    path.write_text(json.dumps(data))
    out, paper = export_paper(decided, "docx")
    _, texts, _ = docx_parts(out)
    assert any(
        t.startswith("Warning: 1 decision(s) were made on a draft that has changed") for t in texts
    )
    assert any("the draft finding has changed since the decision" in t for t in texts)
    assert paper.warnings
    result = runner.invoke(app, ["export", str(decided), "--format", "md"])
    assert result.exit_code == 0 and "Warning: 1 decision(s)" in result.output


def test_a_template_gives_its_styles_and_a_bad_one_is_one_line(
    decided: Path, tmp_path: Path
) -> None:
    from docx.shared import Pt, RGBColor

    template = docx.Document()
    template.styles["Heading 1"].font.color.rgb = RGBColor(0x33, 0x00, 0x72)
    template.styles["Heading 1"].font.size = Pt(22)
    template.add_paragraph("Sample text from the organisation's template.")
    template.sections[0].footer.paragraphs[0].text = "OFFICIAL - Kestrelford Council"
    template_path = tmp_path / "org.docx"
    template.save(str(template_path))

    out = tmp_path / "paper.docx"
    result = runner.invoke(
        app, ["export", str(decided), "--template", str(template_path), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    document, texts, _ = docx_parts(out)
    heading = document.styles["Heading 1"]
    assert heading.font.color.rgb == RGBColor(0x33, 0x00, 0x72) and heading.font.size == Pt(22)
    assert "Sample text from the organisation's template." not in texts
    assert document.sections[0].footer.paragraphs[0].text == "OFFICIAL - Kestrelford Council"

    not_docx = tmp_path / "notes.docx"
    not_docx.write_text("just text")
    bad = tmp_path / "bad.docx"
    result = runner.invoke(
        app, ["export", str(decided), "--template", str(not_docx), "--out", str(bad)]
    )
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1
    assert "not a Word .docx file" in result.output and not bad.exists()

    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<a/>" + b" " * (4 << 20))
    result = runner.invoke(
        app, ["export", str(decided), "--template", str(bomb), "--out", str(bad)]
    )
    assert result.exit_code == 2 and "zip bomb" in result.output and not bad.exists()


def test_a_template_missing_the_styles_still_gets_them(decided: Path, tmp_path: Path) -> None:
    source = docx.Document()
    plain = tmp_path / "plain.docx"
    source.save(str(plain))
    stripped = tmp_path / "stripped.docx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(stripped, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "word/styles.xml":
                data = re.sub(
                    rb'<w:style w:type="table"[^>]*w:styleId="LightGrid-Accent1".*?</w:style>',
                    b"",
                    data,
                    flags=re.DOTALL,
                )
                data = re.sub(
                    rb'<w:style w:type="paragraph"[^>]*w:styleId="Quote".*?</w:style>',
                    b"",
                    data,
                    flags=re.DOTALL,
                )
            zout.writestr(info, data)
    assert "Quote" not in {s.name for s in docx.Document(str(stripped)).styles}
    out, _ = export_paper(decided, "docx", tmp_path / "p.docx", template=stripped)
    document = docx.Document(str(out))
    assert any(p.style.name == "Quote" for p in document.paragraphs)
    assert all(t.style.name == TABLE_STYLE for t in document.tables)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf"], "unknown format 'pdf'"),
        (["--format", "md", "--template", "x.docx"], "only works with --format docx"),
    ],
)
def test_bad_options_are_one_line(decided: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["export", str(decided), *args])
    assert result.exit_code == 2 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_not_a_review_folder_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", str(tmp_path)])
    assert result.exit_code == 2 and "not a review folder" in result.output


def test_the_written_file_is_readable_by_others_like_any_new_file(decided: Path) -> None:
    path, _ = export_paper(decided, "md")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


@pytest.mark.parametrize(
    ("title", "organisation"),
    [
        (
            "Northbridge Teaching Hospitals NHS Foundation Trust - Digital Strategy",
            "Northbridge Teaching Hospitals NHS Foundation Trust",
        ),
        ("Kestrelford Council: Digital Plan 2025-2028", "Kestrelford Council"),
        ("Digital Strategy 2025 - Draft", None),
        ("Our digital future", None),
    ],
)
def test_organisation_is_guessed_only_when_the_title_names_one(
    title: str, organisation: str | None
) -> None:
    assert guess_organisation(title) == organisation


@pytest.mark.slow
@pytest.mark.browser
def test_html_paper_has_no_axe_violations(decided: Path) -> None:
    """The HTML paper in headless Chromium: axe-core finds no WCAG 2 A/AA violation."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("chromium is not at /usr/bin/chromium")
    if not axe_installed():
        pytest.skip("axe-core is not installable here (no npm or no network)")
    path, _ = export_paper(decided, "html")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        tab = browser.new_context(bypass_csp=True).new_page()  # to inject axe itself
        tab.goto(path.as_uri())
        tab.add_script_tag(path=str(AXE))
        result = tab.evaluate(
            "() => axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"
        )
        browser.close()
    assert [v["id"] for v in result["violations"]] == []
    assert len(result["passes"]) > 10  # axe really checked the page
