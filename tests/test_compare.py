"""strategy-review compare: exemplar mode, version mode, the CLI's bad inputs, the cache.

Fixture strategies are small fictional texts rendered to PDF with scripts/render_pdfs.py.
The logic runs on the rules backend (model None) and on ScriptedModel; no real model is used.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.cli.common import state
from pipeline.compare import (
    ExemplarComparison,
    ExemplarNote,
    ExemplarSource,
    ItemSide,
    VersionComparison,
    change_status,
    compare_versions,
    compare_with_exemplars,
    contrast_sentence,
    evidence_changes,
    first_sentence,
    guess_sector,
    quote_key,
    write_comparison,
)
from pipeline.corpus import load_manifest
from pipeline.errors import InputError
from pipeline.models.scripted import ScriptedModel
from pipeline.records import PAGE_SEPARATOR, Document, Evidence, Page
from pipeline.review import ReviewOptions
from pipeline.rubric import load_rubric

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from render_pdfs import render_text_pdf  # noqa: E402

Pair = tuple[Path, Path]
CROYDON = "uk-croydon-digital-strategy-2019-2024"
MOJ = "uk-moj-digital-strategy-2012"
OLD_TITLE = "Riverside Community Health NHS Trust Digital Strategy 2025-2035"
NEW_TITLE = "Riverside Community Health NHS Trust Digital Strategy 2025-2028"

INTRO = (
    "Riverside Community Health NHS Trust runs community nursing, therapy and mental health "
    "services for 300,000 people."
)
HEARD = (
    "Our patients told us that they want to book, change and cancel appointments online, and "
    "our staff told us that they log in to too many systems every day."
)
GOVERNANCE = """## Governance

The Digital Programme Board, chaired by the Chief Executive, will oversee delivery of this
strategy."""

OLD_PAGES = [
    f"""# {OLD_TITLE}

{INTRO} This strategy sets out how digital technology will change the way we work over the
next ten years, from 2025 to 2035.

{HEARD}""",
    f"""## Our ambitions

- We will give every patient an app for appointments, records and messages.
- We will replace the electronic patient record.
- We will introduce artificial intelligence in every clinic.
- We will build a new data warehouse and a research platform.
- We will give every member of staff a new laptop and single sign-on.
- We will digitise every paper form in the trust.

{GOVERNANCE}""",
]

NEW_PAGES = [
    f"""# {NEW_TITLE}

{INTRO} This strategy covers the three years from 2025 to 2028 and will be reviewed annually
by the Trust Board.

{HEARD}""",
    f"""## Our priorities

We will focus on three priorities: online booking for patients, single sign-on for staff and a
reliable electronic patient record.

## What we will not do

We will not build our own patient app; we will use the NHS App instead. We will not start any
artificial intelligence projects before 2027. We will stop the data warehouse project and pause
the research platform until the record is stable.

{GOVERNANCE}""",
]

SCRIPTED_REPLY = {
    "evidence": [],
    "finding": "The passages given say too little about this item for a judgement to be made.",
    "rating": "insufficient_evidence",
    "recommendation": "Say plainly in the next draft how the strategy meets this item.",
}


@pytest.fixture(autouse=True)
def compare_home(corpus_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Own home per test, with the exemplar corpus already indexed (conftest); --debug left on by
    another test would add tracebacks to stderr."""
    monkeypatch.setenv("STRATEGY_REVIEW_HOME", str(corpus_home))
    monkeypatch.setitem(state, "debug", False)
    return corpus_home


@pytest.fixture(scope="module")
def strategies(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    folder = tmp_path_factory.mktemp("strategies")
    old = render_text_pdf(OLD_PAGES, folder / "old.pdf", title=OLD_TITLE)
    new = render_text_pdf(NEW_PAGES, folder / "new.pdf", title=NEW_TITLE)
    return old, new


def _doc(texts: list[str], title: str = "Digital strategy") -> Document:
    pages, offset = [], 0
    for i, text in enumerate(texts):
        pages.append(Page(page=i + 1, page_label=str(i + 1), text=text, offset=offset))
        offset += len(text) + len(PAGE_SEPARATOR)
    return Document(path="x.pdf", sha256="0" * 64, title=title, format="pdf", pages=pages)


def _side(rating: str = "red", evidence: list[Evidence] | None = None) -> ItemSide:
    labels = {
        "green": "Clearly shown",
        "amber": "Partly shown",
        "red": "Not shown",
        "insufficient_evidence": "Insufficient evidence",
    }
    return ItemSide.model_validate(
        {
            "rating": rating,
            "rating_label": labels[rating],
            "finding": "f",
            "confidence": "rules",
            "evidence": evidence or [],
        }
    )


def _source() -> ExemplarSource:
    return ExemplarSource(
        source_id="s",
        title="Example Council Digital Strategy",
        organisation="Example Council",
        url="https://example.org",
        sector="local",
        chosen_by="user",
        reason="chosen with --with",
    )


# ---------------------------------------------------------------- pure logic


@pytest.mark.parametrize(
    ("old", "new", "status"),
    [
        ("red", "red", "unchanged"),
        ("red", "green", "resolved"),
        ("amber", "green", "resolved"),
        ("green", "red", "new"),
        ("green", "amber", "new"),
        ("insufficient_evidence", "red", "new"),
        ("red", "amber", "better"),
        ("insufficient_evidence", "green", "better"),
        ("amber", "red", "worse"),
        ("green", "insufficient_evidence", "worse"),
        ("red", "insufficient_evidence", "worse"),
    ],
)
def test_change_status(old: str, new: str, status: str) -> None:
    assert change_status(old, new) == status  # type: ignore[arg-type]


def test_guess_sector() -> None:
    health = _doc(["The NHS trust will put patients first in every hospital."])
    local = _doc(["The council serves residents across the borough; residents told the council."])
    central = _doc(["The department will publish open standards for government services."])
    assert guess_sector(health)[0] == "health"
    assert guess_sector(local)[0] == "local"
    assert guess_sector(central)[0] == "central"


def test_quote_key_ignores_case_space_quotes_and_bullets() -> None:
    assert quote_key("• We will  NOT build\nan ‘app’.") == quote_key("we will not build an 'app'")


def test_evidence_changes_pages_in_both_versions() -> None:
    old_doc = _doc(["Intro.", "We will replace the record. We will digitise forms."])
    new_doc = _doc(["We will replace the record.", "We will not build an app."])
    old_ev = [
        Evidence(quote="We will replace the record.", page=2, page_label="2", verified=True),
        Evidence(quote="We will digitise forms.", page=2, page_label="2", verified=True),
    ]
    new_ev = [
        Evidence(quote="we will  replace the record", page=1, page_label="1", verified=True),
        Evidence(quote="We will not build an app.", page=2, page_label="2", verified=True),
    ]
    changes = {c.change: c for c in evidence_changes(old_ev, new_ev, old_doc, new_doc)}
    assert changes["kept"].old_page and changes["kept"].old_page.page_label == "2"
    assert changes["kept"].new_page and changes["kept"].new_page.page_label == "1"
    assert changes["appeared"].old_page is None
    assert changes["appeared"].new_page and changes["appeared"].new_page.page == 2
    assert changes["disappeared"].new_page is None
    assert changes["disappeared"].old_page and changes["disappeared"].old_page.page == 2


def test_contrast_sentence_cites_both_sides() -> None:
    note = ExemplarNote(
        text="Based on the guide's description only: the guide praises its "
        "six principles. It says more.",
        section="Principles",
        stance="exemplary",
    )
    evidence = [Evidence(quote="q", page=6, page_label="iv", verified=True)]
    with_ev = contrast_sentence(_side("amber", evidence), _source(), note)
    assert with_ev.startswith("Example Council Digital Strategy, Principles: The guide praises")
    assert "It says more" not in with_ev
    assert "only in part" in with_ev and "p. iv" in with_ev and with_ev.endswith(".")
    without = contrast_sentence(_side("red"), _source(), note)
    assert "does not" in without and "no evidence found" in without
    cautionary = note.model_copy(update={"stance": "cautionary"})
    assert "shares this weakness" in contrast_sentence(_side("red"), _source(), cautionary)
    assert "no corpus note" in contrast_sentence(_side("red"), _source(), None)
    again = contrast_sentence(_side(), _source(), note)
    assert contrast_sentence(_side(), _source(), note) == again


def test_first_sentence() -> None:
    text = "Croydon ties it to the plan. Then more."
    assert first_sentence(text) == "Croydon ties it to the plan."


# ---------------------------------------------------------------- version mode


def test_versions_show_focus_and_shorter_horizon(strategies: Pair, tmp_path: Path) -> None:
    old, new = strategies
    comparison = compare_versions(old, new, None)
    items = {i.id: i for i in comparison.items}
    assert len(items) == len(load_rubric().items)
    for item_id in ("focused", "wish_list", "too_long_term"):
        item = items[item_id]
        assert (item.old.rating, item.new.rating, item.status) == ("red", "green", "resolved")
    focused = [c for c in items["focused"].evidence if c.change == "appeared"]
    assert any("will not build our own patient app" in c.quote for c in focused)
    assert all(c.new_page is not None and c.old_page is None for c in focused)
    horizon = items["too_long_term"].evidence
    assert any(c.change == "disappeared" and c.new_page is None for c in horizon)
    assert sum(comparison.counts.values()) == len(items)
    assert comparison.counts["resolved"] >= 3

    paths = write_comparison(comparison, tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == ["compare.html", "compare.json", "compare.md"]
    again = VersionComparison.model_validate_json(paths["json"].read_text(encoding="utf-8"))
    assert again.items[0].id == comparison.items[0].id
    html = paths["html"].read_text(encoding="utf-8")
    assert "RESOLVED" in html and "<details>" in html and "http://" not in html.split("<body>")[0]
    row = "| Too long-term | RED — Present | GREEN — Avoided | RESOLVED |"
    assert row in paths["md"].read_text(encoding="utf-8")
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_versions_second_compare_makes_no_model_calls(strategies: Pair) -> None:
    old, new = strategies
    options = ReviewOptions(only=["focused", "too_long_term"])
    first = ScriptedModel([SCRIPTED_REPLY])
    compare_versions(old, new, first, options)
    assert len(first.calls) == 4
    second = ScriptedModel([SCRIPTED_REPLY])
    comparison = compare_versions(old, new, second, options)
    assert second.calls == []
    assert [i.id for i in comparison.items] == ["focused", "too_long_term"]


# ---------------------------------------------------------------- exemplar mode


def test_exemplars_named_appear_for_every_item(strategies: Pair, tmp_path: Path) -> None:
    _, new = strategies
    comparison = compare_with_exemplars(new, None, [CROYDON, MOJ, CROYDON])
    assert [s.source_id for s in comparison.exemplars] == [CROYDON, MOJ]
    assert all(s.chosen_by == "user" and s.reason for s in comparison.exemplars)
    assert len(comparison.items) == len(load_rubric().items)
    titles = {s.id: s.title for s in load_manifest().sources}
    noted = 0
    for item in comparison.items:
        assert [c.source_id for c in item.exemplars] == [CROYDON, MOJ]
        cite = next((f"p. {e.page_label}" for e in item.user.evidence), "no evidence found")
        for cell in item.exemplars:
            assert cell.contrast.startswith(titles[cell.source_id])
            assert cite in cell.contrast and cell.contrast.endswith(".")
            for note in cell.notes:
                noted += 1
                assert note.stance in ("exemplary", "cautionary")
                assert note.section and note.section in cell.contrast
    assert noted >= 6  # each of the two sources has notes on several items
    assert all(e.verified for i in comparison.items for e in i.user.evidence)

    paths = write_comparison(comparison, tmp_path / "out")
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert data["mode"] == "exemplars" and len(data["items"]) == len(comparison.items)
    ExemplarComparison.model_validate(data)
    markdown = paths["md"].read_text(encoding="utf-8")
    assert all(titles[s] in markdown for s in (CROYDON, MOJ))


def test_automatic_choice_is_at_most_three_with_reasons(strategies: Pair) -> None:
    _, new = strategies
    comparison = compare_with_exemplars(new, None, None, ReviewOptions(only=["focused"]))
    assert comparison.sector == "health"
    assert 1 <= len(comparison.exemplars) <= 3
    assert len({s.source_id for s in comparison.exemplars}) == len(comparison.exemplars)
    for source in comparison.exemplars:
        assert source.chosen_by == "auto" and "similarity" in source.reason
        assert source.similarity is not None and -1 <= source.similarity <= 1
    assert comparison.exemplars[0].reason.startswith("same sector (health); closest by similarity")
    assert len(comparison.items[0].exemplars) == len(comparison.exemplars)


def test_unknown_source_fails_before_any_review(strategies: Pair) -> None:
    model = ScriptedModel([SCRIPTED_REPLY])
    with pytest.raises(InputError, match="unknown exemplar source id 'nope'"):
        compare_with_exemplars(strategies[1], model, ["nope"])
    assert model.calls == []


def test_exemplars_second_compare_makes_no_model_calls(strategies: Pair) -> None:
    _, new = strategies
    options = ReviewOptions(only=["focused", "wish_list", "q05_not_prioritising"])
    first = ScriptedModel([SCRIPTED_REPLY])
    one = compare_with_exemplars(new, first, [CROYDON], options)
    assert len(first.calls) == 3
    second = ScriptedModel([SCRIPTED_REPLY])
    two = compare_with_exemplars(new, second, [CROYDON], options)
    assert second.calls == []
    assert [c.contrast for i in two.items for c in i.exemplars] == [
        c.contrast for i in one.items for c in i.exemplars
    ]


# ---------------------------------------------------------------- CLI


def _run(*args: str) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(app, ["compare", *args, "--model", "rules"])
    return result.exit_code, result.stderr.strip().splitlines(), result.stdout


def test_cli_unknown_source_id(strategies: Pair) -> None:
    code, err, _ = _run(str(strategies[1]), "--with", f"{CROYDON},nope")
    assert code == 2 and len(err) == 1
    assert err[0].startswith("error: unknown exemplar source id 'nope'")


def test_cli_same_path_twice(strategies: Pair) -> None:
    code, err, _ = _run(str(strategies[0]), str(strategies[0]))
    assert code == 2 and len(err) == 1 and "given twice" in err[0]


def test_cli_same_sha256_twice(strategies: Pair, tmp_path: Path) -> None:
    copy = shutil.copyfile(strategies[0], tmp_path / "copy.pdf")
    code, err, _ = _run(str(strategies[0]), str(copy))
    assert code == 2 and len(err) == 1 and "same document" in err[0]


@pytest.mark.parametrize("content", [None, b"%PDF-1.4 this is not really a PDF"])
def test_cli_unreadable_file(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "broken.pdf"
    if content is not None:
        path.write_bytes(content)
    code, err, _ = _run(str(path), "--out", str(tmp_path / "out"))
    assert code == 2 and len(err) == 1 and err[0].startswith("error: ")
    assert not (tmp_path / "out").exists()


def test_cli_with_and_two_files(strategies: Pair) -> None:
    code, err, _ = _run(str(strategies[0]), str(strategies[1]), "--with", CROYDON)
    assert code == 2 and len(err) == 1 and "--with" in err[0]


def test_cli_versions_writes_reports(strategies: Pair, tmp_path: Path) -> None:
    out = tmp_path / "out"
    old, new = strategies
    code, err, stdout = _run(str(old), str(new), "--out", str(out), "--only", "focused", "--quiet")
    assert code == 0, err
    assert stdout == ""
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert data["mode"] == "versions" and data["items"][0]["status"] == "resolved"


def test_cli_exemplars_reports_reasons(strategies: Pair, tmp_path: Path) -> None:
    out = tmp_path / "out"
    new = str(strategies[1])
    code, err, stdout = _run(new, "--with", MOJ, "--out", str(out), "--only", "focused")
    assert code == 0, err
    assert f"{MOJ}: chosen with --with" in stdout
    assert (out / "compare.html").exists() and (out / "compare.md").exists()


# ---------------------------------------------------------------- rendering (no review needed)

HOSTILE = 'We will <script>alert("x")</script> & <img src=x onerror=alert(1)> deliver.'


def _hostile_comparisons() -> tuple[ExemplarComparison, VersionComparison]:
    from pipeline.compare import EvidenceChange, ExemplarCell, ExemplarItem, PageRef, VersionItem
    from pipeline.records import DocumentRef, ExemplarRef, ModelRef

    ev = Evidence(quote=HOSTILE, page=6, page_label="iv", verified=True, source="model")
    user = _side("amber", [ev]).model_copy(update={"finding": HOSTILE})
    failed = _side("insufficient_evidence").model_copy(update={"status": "failed"})
    source = _source().model_copy(update={"title": "Evil <b>Council</b>", "url": "javascript:x"})
    note = ExemplarNote(text=HOSTILE, section="§ <2>", stance="cautionary", secondary=True)
    passage = ExemplarRef(
        source_id="s",
        title="t",
        organisation="o",
        url="https://example.org/<x>",
        passage=HOSTILE,
        page="p. 3",
    )
    cell = ExemplarCell(
        source_id="s", notes=[note], passages=[passage], contrast=f"{source.title}, {HOSTILE}"
    )
    doc = DocumentRef(path="/tmp/<doc>.pdf", sha256="ab" * 32, pages=4, title="Plan <2030>")
    common = {
        "tool_version": "0.1.0",
        "created_at": "2026-03-05T14:03:00+00:00",
        "model": ModelRef(id="rules", backend="rules"),
        "rubric_version": "r1",
        "corpus_version": "c1",
    }
    exemplars = ExemplarComparison(
        **common,
        document=doc,
        sector="local",
        sector_basis="3 local terms <b>",
        exemplars=[source],
        items=[
            ExemplarItem(id="a b/c", kind="good_sign", title="T <1>", user=user, exemplars=[cell]),
            ExemplarItem(
                id="vague",
                kind="warning_sign",
                title="Vague",
                user=failed,
                exemplars=[ExemplarCell(source_id="s", contrast="none")],
            ),
        ],
    )
    change = EvidenceChange(
        change="appeared", quote=HOSTILE, new_page=PageRef(page=6, page_label="iv")
    )
    versions = VersionComparison(
        **common,
        old=doc,
        new=doc.model_copy(update={"title": "Plan <2028>"}),
        counts={"better": 1},
        items=[
            VersionItem(
                id="a b/c",
                kind="board_question",
                title="Q <1>",
                old=failed,
                new=user,
                status="better",
                evidence=[change],
            )
        ],
    )
    return exemplars, versions


def test_compare_pages_escape_every_text_and_share_the_labels(tmp_path: Path) -> None:
    from pipeline.report import labels
    from pipeline.report.common import item_anchor

    for comparison in _hostile_comparisons():
        paths = write_comparison(comparison, tmp_path / comparison.mode)
        page = paths["html"].read_text(encoding="utf-8")
        markdown = paths["md"].read_text(encoding="utf-8")
        assert "<script" not in page.lower() and "<img" not in page.lower()
        assert "&lt;script&gt;" in page and "<b>" not in page
        assert "javascript:" not in page  # an unsafe source URL is shown as text
        assert f'id="{item_anchor("a b/c")}"' in page and 'id="item-a-b-c"' in page
        assert labels.COMPARE_TITLES[comparison.mode] in page
        assert labels.COMPARE_TITLES[comparison.mode] in markdown
        assert labels.CREDIT.replace('"', "&#34;") in page
        assert 'class="badge badge-failed">FAILED — Not assessed<' in page
        assert page.count("<style>") == 1 and page.count(":root {") == 1  # the CSS once
    exemplar_page = (tmp_path / "exemplars" / "compare.html").read_text(encoding="utf-8")
    assert "§ &lt;2&gt; · based on a secondary description" in exemplar_page
    assert 'class="badge badge-cautionary">Cautionary<' in exemplar_page
    assert labels.NO_NOTE_CELL in exemplar_page
    assert "Evidence: p. iv" in exemplar_page and "✓ verified" in exemplar_page
    version_page = (tmp_path / "versions" / "compare.html").read_text(encoding="utf-8")
    assert "Now cited · not in the old version · new p. iv (PDF page 6)" in version_page
    assert "1 quote(s) appeared, 0 disappeared" in version_page
    assert "0 resolved, 1 better, 0 unchanged, 0 worse, 0 new problem" in version_page
