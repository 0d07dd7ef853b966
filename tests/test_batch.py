"""strategy-review batch: many documents, one bad, a league table, and resume after a stop."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from batch_docs import write_documents
from typer.testing import CliRunner

from pipeline.batch import BatchOptions, assign_slugs, expand_paths, run_batch
from pipeline.cli.app import app
from pipeline.league import CLAIM_RULES, FailedDocument, League, LeagueRow, league_items
from pipeline.models.base import Message
from pipeline.models.scripted import ScriptedModel
from pipeline.records import Review
from pipeline.report.league import render_csv, render_league_html
from pipeline.review import ReviewOptions
from pipeline.rubric import load_rubric

runner = CliRunner()
GOOD = ("elmstead", "mixed", "strong", "plain", "weak")
SCRIPTED_REPLY = {
    "evidence": [],
    "finding": "The passages given say too little about this item for a judgement to be made.",
    "rating": "insufficient_evidence",
    "recommendation": "Say plainly in the next draft how the strategy meets this item.",
}


def _reviews(out: Path) -> dict[str, Review]:
    return {
        path.parent.name: Review.model_validate_json(path.read_text(encoding="utf-8"))
        for path in out.glob("*/review.json")
    }


# ---------------------------------------------------------------- finding documents


def test_folders_globs_and_files_expand_once_each_in_a_stable_order(tmp_path: Path) -> None:
    paths = write_documents(tmp_path)
    docs = tmp_path / "docs"
    out = docs / "out"  # an output folder inside the input must not be read back
    (out / "strong").mkdir(parents=True)
    (out / "strong" / "review.md").write_text("# An old review", encoding="utf-8")
    found = expand_paths(
        [docs, str(docs / "*.md"), str(docs / "**" / "*.txt"), paths["weak"], docs / "nope.md"],
        exclude=out,
    )
    files = [Path(d.file).relative_to(docs).as_posix() for d in found.documents]
    assert files == [
        "elmstead.pdf",
        "mixed.html",
        "strong.md",
        "sub/broken.pdf",
        "sub/plain.txt",
        "weak.md",
    ]
    names = [d.path.name for d in found.documents]
    assert len({d.path for d in found.documents}) == len(found.documents) == 6
    assert [d.file for d in found.missing] == [str(docs / "nope.md")]
    assert ".draft.md" not in names and "logo.png" not in names and "review.md" not in names
    assert found.unmatched == []
    globbed = expand_paths([str(docs / "**" / "*.txt"), str(docs / "*.md")]).documents
    assert [d.path.name for d in globbed] == ["plain.txt", "strong.md", "weak.md"]
    folder_glob = expand_paths([str(tmp_path / "do*")], exclude=out).documents
    assert [d.path for d in folder_glob] == [d.path for d in found.documents]
    same = expand_paths([paths["weak"], docs / "sub" / ".." / "weak.md"]).documents
    assert len(same) == 1
    empty = expand_paths([str(docs / "*.docx")])
    assert empty.documents == [] and empty.unmatched == [str(docs / "*.docx")]


def test_slugs_are_unique_and_safe() -> None:
    docs = assign_slugs(
        [
            (Path("/a/strategy.md"), "a/strategy.md"),
            (Path("/b/strategy.md"), "b/strategy.md"),
            (Path("/c/Strategy!.pdf"), "c/Strategy!.pdf"),
            (Path("/d/....pdf"), "d/....pdf"),
        ]
    )
    assert [d.slug for d in docs] == ["strategy", "strategy-2", "strategy-3", "document"]


def test_no_path_matched_is_one_line_and_exit_2(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["batch", str(tmp_path / "*.pdf"), "--out", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: no documents found in ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert not out.exists()


# ---------------------------------------------------------------- the batch, end to end


@pytest.mark.slow
def test_batch_reports_the_bad_document_and_writes_the_league(
    corpus_home: Path, tmp_path: Path
) -> None:
    paths = write_documents(tmp_path)
    out = tmp_path / "out"
    args = ["batch", str(tmp_path / "docs"), "--out", str(out), "--model", "rules", "--jobs", "3"]
    result = runner.invoke(app, args)

    # The bad one is reported with its error; the other five complete.
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"failed: {paths['broken']}: ") and "corrupt" in lines[0]
    assert lines[-1].startswith("error: 1 of 6 documents could not be reviewed")
    assert "Traceback" not in result.output
    assert "reviewed 5 of 6 documents" in result.stdout
    league = League.model_validate_json((out / "league.json").read_text(encoding="utf-8"))
    assert sorted(r.slug for r in league.rows) == sorted(GOOD)
    assert [f.slug for f in league.failed] == ["broken"]
    assert "corrupt" in league.failed[0].error and "\n" not in league.failed[0].error
    reviews = _reviews(out)
    assert sorted(reviews) == sorted(GOOD) and not (out / "broken").exists()

    # The ratings differ between documents, and each row is what its review says.
    assert len({tuple(r.ratings.values()) for r in league.rows}) == len(GOOD)
    for row in league.rows:
        review = reviews[row.slug]
        assert len(row.ratings) == 22
        assert row.ratings == {i.id: i.rating for i in review.items}
        assert row.title == review.document.title
        assert sum(row.counts.values()) == 22

    _check_csv(out, league)
    _check_links(out, league)
    _check_claims(league, reviews)
    html = (out / "league.html").read_text(encoding="utf-8")
    assert "&lt;2040&gt; &amp; beyond" in html and "<2040>" not in html  # titles are escaped
    assert "sub/broken.pdf" in html.split('id="failed"')[1]

    # A re-run redoes nothing: every item of every document comes from the cache.
    again = runner.invoke(app, [*args, "--quiet"])
    assert again.exit_code == 2 and "reviewed" not in again.stdout
    league2 = League.model_validate_json((out / "league.json").read_text(encoding="utf-8"))
    assert [r.items_cached for r in league2.rows] == [22] * len(GOOD)
    assert [r.ratings for r in league2.rows] == [r.ratings for r in league.rows]


def _check_csv(out: Path, league: League) -> None:
    rows = list(csv.DictReader(io.StringIO((out / "league.csv").read_text(encoding="utf-8"))))
    item_ids = [i.id for i in load_rubric().items]
    assert len(rows) == 6
    assert all(set(item_ids) <= set(row) for row in rows) and len(item_ids) == 22
    by_slug = {row["slug"]: row for row in rows}
    for entry in league.rows:
        row = by_slug[entry.slug]
        assert row["status"] == "ok" and row["title"] == entry.title
        assert {i: row[i] for i in item_ids} == entry.ratings
        assert int(row["red"]) == entry.counts["red"] and row["review"] == entry.review
    broken = by_slug["broken"]
    assert broken["status"] == "failed" and broken["error"] == league.failed[0].error
    assert all(broken[i] == "" for i in item_ids)


def _check_links(out: Path, league: League) -> None:
    html = (out / "league.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]+)"', html))
    local = {link for link in links if not link.startswith(("http", "#"))}
    assert {f"{r.slug}/review.html" for r in league.rows} <= local
    assert len(local) > len(league.rows) * 22  # every cell links to its item
    for link in local:
        target, _, fragment = link.partition("#")
        page = (out / target).read_text(encoding="utf-8")
        assert not fragment or f'id="{fragment}"' in page, link
    for link in {link for link in links if link.startswith("#")}:
        assert f'id="{link[1:]}"' in html, link


def _check_claims(league: League, reviews: dict[str, Review]) -> None:
    """Each claim's count is what the reviews say, and its evidence lists exactly those."""
    claims = {c.id: c for c in league.claims}
    assert set(claims) >= {rule.id for rule in CLAIM_RULES}
    silent = sorted(
        slug
        for slug, review in reviews.items()
        if next(i for i in review.indicators if i.id == "deprioritisation").value["count"] == 0
    )
    claim = claims["no_deprioritisation"]
    assert 0 < claim.count < claim.total == len(GOOD)
    assert sorted(e.slug for e in claim.evidence) == silent and claim.count == len(silent)
    assert claim.text == f"{len(silent)} of 5 strategies say nothing about what they will not do"
    assert all(e.href.endswith("/review.html#item-q05_not_prioritising") for e in claim.evidence)
    for red in (c for c in league.claims if c.id.startswith("red_")):
        item = red.id.removeprefix("red_")
        expected = sorted(s for s, r in reviews.items() if r.item(item).rating == "red")  # type: ignore[union-attr]
        assert sorted(e.slug for e in red.evidence) == expected and red.count == len(expected)


# ---------------------------------------------------------------- resume after a stop


@pytest.mark.slow
def test_a_stopped_batch_resumes_without_redoing_items(corpus_home: Path, tmp_path: Path) -> None:
    paths = write_documents(tmp_path)
    chosen = [paths["strong"], paths["mixed"], paths["plain"]]
    out = tmp_path / "out"
    options = BatchOptions(jobs=2, review=ReviewOptions())
    stop_after = 30

    def reply(messages: list[Message], schema: dict[str, Any] | None) -> Any:
        if len(first.calls) > stop_after:
            raise KeyboardInterrupt  # the user stops the batch part way
        return SCRIPTED_REPLY

    first = ScriptedModel(reply)
    with pytest.raises(KeyboardInterrupt):
        run_batch(chosen, out, first, options)
    assert not (out / "league.json").exists()  # no league from a stopped batch
    cached = len(list((corpus_home / "cache" / "items").glob("*.json")))
    assert cached == stop_after  # every answered item was kept, nothing after the stop

    second = ScriptedModel([SCRIPTED_REPLY])
    result = run_batch(chosen, out, second, options)
    assert len(second.calls) == 3 * 22 - cached  # only the items not done before
    assert sum(r.items_cached for r in result.league.rows) == cached
    assert result.league.failed == [] and len(result.league.rows) == 3

    third = ScriptedModel([SCRIPTED_REPLY])
    run_batch(chosen, out, third, options)
    assert third.calls == []


def test_an_unreachable_model_stops_the_batch(corpus_home: Path, tmp_path: Path) -> None:
    from pipeline.errors import ModelUnreachable

    paths = write_documents(tmp_path)
    model = ScriptedModel([ModelUnreachable("cannot reach http://127.0.0.1:9/v1")])
    with pytest.raises(ModelUnreachable, match="cannot reach"):
        run_batch([paths["strong"], paths["weak"]], tmp_path / "out", model, BatchOptions())
    assert len(model.calls) <= 2  # one call per document at most, not one per item


# ---------------------------------------------------------------- writers


def _league(title: str) -> League:
    items = league_items()
    row = LeagueRow(
        slug="x",
        file="x.md",
        title=title,
        sha256="0" * 64,
        pages=1,
        review="x/review.html",
        links={i.id: f"x/review.html#item-{i.id}" for i in items},
        ratings={i.id: "red" for i in items},
        labels={i.id: "Not shown" for i in items},
        counts={"red": 22},
    )
    failed = FailedDocument(slug="y", file="-y.pdf", error="=cmd|' /C calc'!A0")
    return League(created_at="2026-11-26T10:00:00+00:00", rubric_version="r", items=items,
                  rows=[row], failed=[failed])  # fmt: skip


def test_csv_never_starts_a_formula_and_html_escapes_titles() -> None:
    league = _league('=HYPERLINK("http://evil.example","click") <script>alert(1)</script>')
    rows = list(csv.reader(io.StringIO(render_csv(league))))
    assert rows[1][1].startswith("'=HYPERLINK") and rows[2][2] == "'-y.pdf"
    assert rows[2][CSV_ERROR] == "'=cmd|' /C calc'!A0"
    html = render_league_html(league)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert policy and "script-src 'sha256-" in policy[1]
    assert "'unsafe-inline'" not in policy[1].split("script-src")[1]  # only the hashed script
    assert json.loads(league.model_dump_json())["rows"][0]["title"].startswith("=HYPERLINK")


CSV_ERROR = 10  # slug,title,file,status,review,green,amber,red,insufficient_evidence,failed,error
