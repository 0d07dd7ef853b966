"""Reports: review.json / review.md / review.html from a hand-built Review."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

import pipeline.report as report
from pipeline.errors import StrategyReviewError
from pipeline.records import (
    DocumentRef,
    Evidence,
    ExemplarRef,
    Indicator,
    ItemResult,
    ItemStats,
    ModelRef,
    Review,
    rating_label,
)
from pipeline.report import (
    ReportError,
    render_html,
    render_json,
    render_markdown,
    write_reports,
)

SCRIPT_QUOTE = 'We will <script>alert("x")</script> put patients first.'
JUNK = "zzqv JUNK MODEL OUTPUT lorem {{{ not a finding"
CHECKS_SUMMARY = "Retrieval found two passages on funding; a reviewer should read them."
ERROR = "TimeoutError: the model did not answer within 120 s"


def _item(**kw: object) -> ItemResult:
    kind = str(kw.get("kind", "good_sign"))
    rating = str(kw.get("rating", "green"))
    base: dict[str, object] = {"rating_label": rating_label(kind, rating)}
    return ItemResult.model_validate(base | kw)


def make_review() -> Review:
    good = _item(
        id="user_centred",
        kind="good_sign",
        title="User centred",
        rating="green",
        summary="The strategy is built on research with 400 patients and staff.",
        evidence=[
            Evidence(
                quote=SCRIPT_QUOTE,
                page=6,
                page_label="4",
                chunk_id="c003-p6",
                verified=True,
                source="model",
            ),
            Evidence(
                quote="Staff told us the systems are slow.",
                page=7,
                page_label="5",
                chunk_id="c004-p7",
                verified=False,
                source="retrieval",
            ),
        ],
        exemplars=[
            ExemplarRef(
                source_id="leeds-2022",
                title="Digital strategy 2022",
                organisation="Leeds Teaching Hospitals",
                url="https://example.org/leeds.pdf",
                passage="We spoke to 1,200 patients.",
                page="p. 8",
                secondary=True,
            ),
            ExemplarRef(
                source_id="bad-url",
                title="Evil & co",
                organisation="<b>Org</b>",
                url="javascript:alert(1)",
                passage="Passage <img src=x>",
            ),
        ],
        recommendations=["Publish the user research <now>.", "Name the user needs."],
        stats=ItemStats(
            quotes_proposed=3,
            quotes_verified=1,
            quotes_dropped=1,
            invented_ids_stripped=1,
            structured_mode="grammar",
            latency_s=4.2,
        ),
    )
    low = _item(
        id="money",
        kind="warning_sign",
        title="Shopping list of technology",
        rating="insufficient_evidence",
        summary=CHECKS_SUMMARY,
        confidence="low",
        quality_flags=["quotes_unverified", "summary_off_topic"],
        model_rating="green",
        model_summary=JUNK,
        evidence=[
            Evidence(
                quote="Investment of £4m in a new EPR.",
                page=12,
                page_label="10",
                chunk_id="c010-p12",
                verified=True,
                source="retrieval",
            )
        ],
        stats=ItemStats(quotes_proposed=2, quotes_dropped=2, parse_failures=1),
    )
    failed = _item(
        id="board_risk",
        kind="board_question",
        title="How will the board know it is working?",
        rating="insufficient_evidence",
        summary="",
        status="failed",
        error=ERROR,
    )
    rules = _item(
        id="integrated",
        kind="good_sign",
        title="Integrated",
        rating="amber",
        summary="Two references to the trust strategy.",
        confidence="rules",
        stats=ItemStats(structured_mode="rules"),
    )
    return Review(
        tool_version="0.1.0",
        created_at="2026-03-05T14:03:00+00:00",
        document=DocumentRef(
            path="/tmp/strategy <x>.pdf",
            sha256="ab" * 32,
            pages=40,
            title="Trust digital strategy 2026–2029",
        ),
        model=ModelRef(id="smollm2-360m-instruct-q8", backend="embedded"),
        rubric_version="2026.11-1",
        corpus_version="c1",
        prompts={"system.md": "1a2b3c4d5e6f", "item.md": "0f9e8d7c6b5a"},
        retrieval={"k": 6, "mmr": True, "embedder": "minilm-int8"},
        items=[good, low, failed, rules],
        indicators=[
            Indicator(
                id="plan_references",
                title="References to the organisation's plans",
                value={"own_plans": 2, "national": 3},
                summary="2 own plans named.",
                evidence=[
                    Evidence(
                        quote="our Trust Strategy <2025>",
                        page=3,
                        page_label="1",
                        source="indicator",
                        verified=True,
                    )
                ],
            ),
        ],
        timings={"total": 93.4, "retrieval": 1.25, "item:user_centred": 4.2},
        stats={"quotes_proposed": 5, "quotes_verified": 2},
    )


@pytest.fixture()
def review() -> Review:
    return make_review()


@pytest.fixture()
def written(review: Review, tmp_path: Path) -> dict[str, Path]:
    return write_reports(review, tmp_path / "out" / "nested")


def _article(html_text: str, anchor: str) -> str:
    match = re.search(rf'<article class="item" id="{anchor}">(.*?)</article>', html_text, re.S)
    assert match, anchor
    return match.group(1)


# ---------------------------------------------------------------- writing


def test_writes_all_three_files(written: dict[str, Path]) -> None:
    assert set(written) == {"md", "html", "json"}
    out = written["json"].parent
    assert sorted(p.name for p in out.iterdir()) == ["review.html", "review.json", "review.md"]
    for path in written.values():
        assert path.stat().st_size > 0


def test_formats_subset_and_unknown(review: Review, tmp_path: Path) -> None:
    assert set(write_reports(review, tmp_path, formats=["json"])) == {"json"}
    assert [p.name for p in tmp_path.iterdir()] == ["review.json"]
    with pytest.raises(ValueError, match="unknown report format"):
        write_reports(review, tmp_path, formats=["pdf"])


def test_rewrite_replaces_previous_report(review: Review, tmp_path: Path) -> None:
    write_reports(review, tmp_path)
    review.items[0].title = "User centred (revised)"
    paths = write_reports(review, tmp_path)
    assert "User centred (revised)" in paths["html"].read_text(encoding="utf-8")
    assert len(list(tmp_path.iterdir())) == 3


def test_out_dir_is_a_file_leaves_nothing(review: Review, tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("not a directory")
    with pytest.raises(ReportError) as info:
        write_reports(review, blocker)
    assert isinstance(info.value, StrategyReviewError) and isinstance(info.value, OSError)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert blocker.read_text() == "not a directory"


def test_failure_mid_write_leaves_no_partial_files(
    review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = report._write_temp

    def flaky(out: Path, filename: str, text: str) -> Path:
        if filename == "review.html":
            raise OSError(28, "No space left on device")
        return real(out, filename, text)

    monkeypatch.setattr(report, "_write_temp", flaky)
    with pytest.raises(ReportError, match="No space left"):
        write_reports(review, tmp_path, formats=("json", "md", "html"))
    assert list(tmp_path.iterdir()) == []


def test_render_failure_writes_nothing(
    review: Review, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(_: Review) -> str:
        raise RuntimeError("render failed")

    monkeypatch.setitem(report.RENDERERS, "html", boom)
    with pytest.raises(RuntimeError):
        write_reports(review, tmp_path / "out")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- JSON contract


def test_json_round_trips_with_contract_names(review: Review, written: dict[str, Path]) -> None:
    text = written["json"].read_text(encoding="utf-8")
    assert text == render_json(review)
    assert text.startswith('{\n  "')  # indent 2
    data = json.loads(text)
    assert Review.model_validate(data) == review
    assert {"path", "sha256", "pages"} <= set(data["document"])
    assert {"id", "backend"} <= set(data["model"])
    for key in ("rubric_version", "items", "indicators", "timings"):
        assert key in data
    for item in data["items"]:
        for key in (
            "id",
            "kind",
            "title",
            "rating",
            "summary",
            "evidence",
            "exemplars",
            "recommendations",
            "status",
            "error",
        ):
            assert key in item
        for ev in item["evidence"]:
            assert {"quote", "page", "page_label", "chunk_id", "verified"} <= set(ev)
        for ex in item["exemplars"]:
            assert {"source_id", "title", "organisation", "url", "passage"} <= set(ex)
    assert {"id", "value", "evidence"} <= set(data["indicators"][0])
    assert data["items"][2]["status"] == "failed" and data["items"][2]["error"] == ERROR
    assert data["timings"]["total"] == 93.4


# ---------------------------------------------------------------- HTML


def test_html_escapes_untrusted_text(written: dict[str, Path]) -> None:
    html_text = written["html"].read_text(encoding="utf-8")
    assert "<script" not in html_text.lower()
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html_text
    assert "<img" not in html_text.lower()
    assert "<b>Org</b>" not in html_text and "&lt;b&gt;Org&lt;/b&gt;" in html_text
    assert "javascript:" not in html_text  # unsafe exemplar URL shown as text, not linked


def test_html_contains_every_item_and_links(review: Review) -> None:
    html_text = render_html(review)
    for item in review.items:
        assert html.escape(item.title) in html_text
        assert f'href="#item-{item.id}"' in html_text
        assert f'id="item-{item.id}"' in html_text
    for heading in ("Signs of a good strategy", "Warning signs", "Questions for boards"):
        assert heading in html_text
    assert "Draft generated by a language model (or by rules)" in html_text
    assert "Quotes marked verified were found verbatim on the cited page." in html_text


def test_html_is_self_contained(review: Review) -> None:
    html_text = render_html(review)
    tags = re.findall(
        r"<(link|script|img|iframe|source|video|audio|embed|object)\b[^>]*>", html_text, re.I
    )
    for tag in re.finditer(
        r"<(?:link|script|img|iframe|source|embed|object)\b[^>]*>", html_text, re.I
    ):
        assert not re.search(
            r"""(?:src|href|data)\s*=\s*["']?\s*(?:https?:)?//""", tag.group(0), re.I
        ), tag.group(0)
    assert tags == []
    assert "@import" not in html_text
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", html_text, re.I)
    # Exemplar links are ordinary anchors, which is fine.
    assert '<a href="https://example.org/leeds.pdf"' in html_text
    assert "@media print" in html_text and "break-inside: avoid" in html_text


def test_html_badges_and_confidence(review: Review) -> None:
    html_text = render_html(review)
    assert 'class="badge badge-green">GREEN — Clearly shown<' in html_text
    assert 'class="badge badge-amber">AMBER — Partly shown<' in html_text
    assert 'class="badge badge-insufficient_evidence">GREY — Insufficient evidence<' in html_text
    assert 'class="badge badge-failed">' in html_text
    assert "low: model judgement not usable" in html_text
    assert "(based on a secondary description)" in html_text
    assert "p. 4 (PDF page 6)" in html_text


def test_low_confidence_item_does_not_present_junk(review: Review) -> None:
    article = _article(render_html(review), "item-money")
    outside_details = re.sub(r"<details>.*?</details>", "", article, flags=re.S)
    assert JUNK not in outside_details
    assert "Finding:" not in article
    notice = article.index("The model&#39;s judgement for this item was not usable")
    assert "(quotes_unverified, summary_off_topic)" in article
    assert notice < article.index("<blockquote>")  # notice first, then the evidence
    assert "Rejected model output" in article  # kept, collapsed, for audit


def test_failed_item_shows_error(review: Review) -> None:
    article = _article(render_html(review), "item-board_risk")
    assert "could not be assessed" in article
    assert "TimeoutError: the model did not answer within 120 s" in article


def test_html_indicators_and_method(review: Review) -> None:
    html_text = render_html(review)
    method = html_text.split('<section id="method">', 1)[1]
    for text in (
        "smollm2-360m-instruct-q8",
        "embedded",
        "2026.11-1",
        "1a2b3c4d5e6f",
        "minilm-int8",
        "93.4 s",
        "Invented ids stripped",
        "Low-confidence items",
        "Public Digital for NHS Providers",
    ):
        assert text in method, text
    indicators = html_text.split('<section id="indicators">', 1)[1].split("</section>")[0]
    assert "References to the organisation&#39;s plans" in indicators
    assert "our Trust Strategy &lt;2025&gt;" in indicators and "p. 1 (PDF page 3)" in indicators


def test_template_is_a_package_file() -> None:
    from pipeline.report import html as html_mod

    assert (html_mod.TEMPLATES / "review.html.j2").is_file()
    assert Path(html_mod.__file__).parent / "templates" == html_mod.TEMPLATES


# ---------------------------------------------------------------- Markdown


def test_markdown_mirrors_structure(review: Review, written: dict[str, Path]) -> None:
    text = written["md"].read_text(encoding="utf-8")
    assert text == render_markdown(review)
    for heading in (
        "## Summary",
        "### Signs of a good strategy",
        "### Warning signs",
        "### Questions for boards",
        "## Findings",
        "## Indicators",
        "## Method",
    ):
        assert heading in text
    assert "| [User centred](#item-user_centred) | GREEN — Clearly shown | model | 1 |" in text
    assert "AMBER — Partly shown | rules" in text
    assert "Draft generated by a language model (or by rules)" in text
    assert "p. 4 (PDF page 6) · verified · source: model" in text
    assert not re.search(r"(?<!\\)<(?:script|img|b)\b", text)  # only as escaped text
    assert "\\<script\\>" in text
    assert "javascript:" not in text
    assert ERROR.split(":")[0] in text


def test_markdown_low_confidence_item(review: Review) -> None:
    text = render_markdown(review)
    section = text.split('<a id="item-money"></a>', 1)[1].split("<a id=", 1)[0]
    assert "not usable (quotes\\_unverified, summary\\_off\\_topic)" in section
    assert "**Finding:**" not in section
    junk_lines = [line for line in section.splitlines() if "JUNK MODEL OUTPUT" in line]
    assert junk_lines and all(line.startswith("*Rejected model output") for line in junk_lines)
    assert section.index("**Notice:**") < section.index("> Investment")


def test_disagreement_and_absence_are_shown_with_both_ratings_and_passages(
    review: Review,
) -> None:
    from pipeline.records import SearchedPassage

    kept = _item(
        id="mainstream",
        kind="good_sign",
        title="Mainstream",
        rating="red",
        summary="Digital is run as a separate IT programme; no service plan mentions it.",
        confidence="model",
        basis="absence",
        checks_rating="green",
        disagreement=True,
        searched=[
            SearchedPassage(chunk_id="c003-p4", page_start=4, page_end=4, pages="2"),
            SearchedPassage(chunk_id="c007-p6-7", page_start=6, page_end=7, pages="4-5"),
        ],
    )
    review.items.append(kept)
    article = _article(render_html(review), "item-mainstream")
    assert "Model and checks disagree: check this" in article
    assert "RED — Not shown" in article and "GREEN — Clearly shown" in article
    assert "c003-p4 (p. 2), c007-p6-7 (p. 4-5)" in article
    markdown = render_markdown(review)
    assert "Model and checks disagree: check this" in markdown
    assert "Passages searched: c003-p4 (p. 2)" in markdown
    others = _article(render_html(review), "item-integrated")
    assert "disagree" not in others and "Passages searched" not in others


# ---------------------------------------------------------------- one way to render HTML

RENDERERS_PY = [
    *sorted((Path(report.__file__).parent).glob("*.py")),
    Path(report.__file__).parent.parent / "evals" / "scorecard.py",
]


def test_every_page_extends_the_one_base_layout() -> None:
    from pipeline.report.templating import TEMPLATES

    pages = sorted(p for p in TEMPLATES.glob("*.html.j2") if p.name != "base.html.j2")
    assert {p.name for p in pages} >= {
        "review.html.j2",
        "compare.html.j2",
        "league.html.j2",
        "scorecard.html.j2",
        "macros.html.j2",
    }
    for page in pages:
        text = page.read_text(encoding="utf-8")
        if page.name == "macros.html.j2":
            assert "{% extends" not in text
            continue
        assert '{% extends "base.html.j2" %}' in text, page.name
        assert "<style>" not in text and ":root" not in text, page.name  # the CSS is the base's
        assert "| safe" not in text, page.name  # no document text is ever marked safe
    assert not list(TEMPLATES.glob("*.html"))  # no string.Template shells left


def test_no_hand_built_html_or_manual_escapes_in_python() -> None:
    for path in RENDERERS_PY:
        text = path.read_text(encoding="utf-8")
        for banned in ("html.escape", "from string import Template", "<style", "<table", "<dl"):
            assert banned not in text, f"{path.name}: {banned}"


def test_one_slug_for_review_league_and_compare_anchors() -> None:
    from pipeline.report.common import anchor, item_anchor, slug

    assert slug("a b//c--") == "a-b-c" and slug("///") == "unnamed"
    assert item_anchor("q05 not/prioritising") == "item-q05-not-prioritising"
    item = _item(id="odd id/x", kind="good_sign", title="t", rating="red", summary="s")
    assert anchor(item) == item_anchor("odd id/x")


def test_html_and_markdown_share_the_labels(review: Review) -> None:
    from pipeline.report import labels

    html_text, markdown = render_html(review), render_markdown(review)
    for text in (labels.REPORT_TITLE, labels.EXEMPLARS_HEADING, *labels.KIND_HEADINGS.values()):
        assert text in html_text and text in markdown, text
    assert html_text.count("<style>") == 1 and html_text.count(":root {") == 1
    assert 'href="#main">Skip to main content</a>' in html_text


@pytest.mark.parametrize(
    ("doc_format", "label"), [("pdf", "Pages"), (None, "Pages"), ("markdown", "Sections")]
)
def test_header_counts_sections_not_pages_for_a_document_without_pages(
    review: Review, doc_format: str | None, label: str
) -> None:
    document = review.document.model_copy(update={"format": doc_format})
    changed = review.model_copy(update={"document": document})
    other = "Sections" if label == "Pages" else "Pages"
    assert f"| {label} | 40 |" in render_markdown(changed)
    assert f"| {other} | 40 |" not in render_markdown(changed)
    assert f"<dt>{label}</dt><dd>40</dd>" in render_html(changed)
    assert f"<dt>{other}</dt>" not in render_html(changed)
