"""--rubric FILE: validation (one line per bad file), the shipped example end to end through
review (rules and a scripted model), compare, batch and evals, and the rubric in the cache key.

Reviews run on the real pipeline (real PDF parsing, real Chroma on disk, real embeddings);
the model is ScriptedModel or the rules.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLE_PDF, SHARED
from typer.testing import CliRunner

from pipeline.cache import ItemKeys
from pipeline.cli.app import app
from pipeline.indicators import compute_indicators
from pipeline.ingest import ingest
from pipeline.models.base import Message
from pipeline.models.rules import RulesModel
from pipeline.models.scripted import ScriptedModel
from pipeline.records import RubricRef
from pipeline.report.labels import CREDIT
from pipeline.retrieval import RetrievalPlan, RetrievalSettings
from pipeline.review import ReviewOptions, review_document
from pipeline.rubric import (
    Rubric,
    RubricError,
    load_rubric,
    load_rubric_file,
    resolve_rubric,
    shipped_rubrics,
)
from pipeline.rules import NO_CHECK
from pipeline.store import Store

runner = CliRunner()
EXAMPLE = "council-annual-plan"
UNCHECKED = {"resident_outcomes", "funded", "left_behind"}  # no signals in the example
MOJ = "uk-moj-digital-strategy-2012"
PASSAGE = re.compile(r"\[(c\d+-p[\d-]+)\] (.*?)(?=\n\n\[c\d|\nDOCUMENT PASSAGES>>>)", re.S)


def example() -> Rubric:
    rubric = resolve_rubric(EXAMPLE)
    assert rubric is not None
    return rubric


def example_data() -> dict[str, Any]:
    return yaml.safe_load(shipped_rubrics()[EXAMPLE].read_text(encoding="utf-8"))


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def one_error_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


# ---------------------------------------------------------------- the shipped example


def test_the_example_rubric_ships_and_validates() -> None:
    rubric = example()
    assert rubric.name == EXAMPLE and rubric.version == "1.0" and len(rubric.items) == 8
    assert {i.kind for i in rubric.items} == {"good_sign", "warning_sign", "board_question"}
    assert {i.id for i in rubric.items if not i.checked} == UNCHECKED
    assert re.fullmatch(r"[0-9a-f]{16}", rubric.sha256)
    assert rubric.sha256 != load_rubric().sha256
    assert load_rubric().name == "digital-strategy-nhs-providers"  # the default is unchanged


def test_the_example_signals_name_real_indicator_fields(home: Path) -> None:
    """A signal naming a field no indicator has would silently never rate."""
    document, _ = ingest(SAMPLE_PDF)
    values = {i.id: i.value for i in compute_indicators(document)}
    for item in example().items:
        for signal in item.signals:
            assert signal.field in values[signal.indicator], (item.id, signal.field)


@pytest.mark.skipif(not (SHARED / "exemplars").is_dir(), reason="no shared exemplars here")
def test_the_example_is_in_our_own_words() -> None:
    """No run of 8 words of the example rubric appears in the shared source texts."""

    def words(text: str) -> list[str]:
        return re.findall(r"[a-z0-9']+", text.lower())

    ours = words(shipped_rubrics()[EXAMPLE].read_text(encoding="utf-8"))
    runs = {" ".join(ours[i : i + 8]) for i in range(len(ours) - 7)}
    for path in sorted((SHARED / "exemplars").glob("*.md")):
        theirs = " ".join(words(path.read_text(encoding="utf-8", errors="replace")))
        copied = [run for run in runs if run in theirs]
        assert not copied, (path.name, copied[:3])


# ---------------------------------------------------------------- review, end to end


def test_review_with_the_example_rubric_on_the_rules(corpus_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["review", str(SAMPLE_PDF), "--rubric", EXAMPLE, "--model", "rules", "--out", str(out)]
    result = runner.invoke(app, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "review.json").read_text(encoding="utf-8"))
    rubric = example()
    assert data["rubric"] == {"name": EXAMPLE, "version": "1.0", "sha256": rubric.sha256}
    assert data["rubric_version"] == "1.0"
    assert [i["id"] for i in data["items"]] == rubric.ids
    for item in data["items"]:
        if item["id"] in UNCHECKED:  # honest: no check, no rating
            assert item["rating"] == "insufficient_evidence" and item["basis"] == "none"
            assert item["summary"].startswith(NO_CHECK)
            assert item["checks_rating"] is None
            assert "model" in item["recommendations"][0]
        else:
            assert item["basis"] in ("indicator", "keywords"), item
            assert not item["summary"].startswith(NO_CHECK)
    rated = [i["rating"] for i in data["items"] if i["id"] not in UNCHECKED]
    assert set(rated) - {"insufficient_evidence"}, rated
    line = f"Rubric: {EXAMPLE} 1.0 (sha256 {rubric.sha256})"
    markdown = (out / "review.md").read_text(encoding="utf-8")
    assert line in markdown and CREDIT not in markdown  # not credited to the built-in's source
    html = (out / "review.html").read_text(encoding="utf-8")
    assert f"{EXAMPLE} 1.0 (sha256 {rubric.sha256})" in html and CREDIT not in html
    paper = tmp_path / "paper.md"
    args = ["export", str(out), "--format", "md", "--include-undecided", "--out", str(paper)]
    exported = runner.invoke(app, args)
    assert exported.exit_code == 0, exported.output
    assert f"{EXAMPLE} 1.0 (sha256 {rubric.sha256})" in paper.read_text(encoding="utf-8")


def test_the_built_in_rubric_is_recorded_and_credited(corpus_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["review", str(SAMPLE_PDF), "--only", "vague", "--model", "rules", "--out", str(out)]
    result = runner.invoke(app, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "review.json").read_text(encoding="utf-8"))
    assert data["rubric"]["name"] == "digital-strategy-nhs-providers"
    assert data["rubric"]["sha256"] == load_rubric().sha256
    assert CREDIT in (out / "review.md").read_text(encoding="utf-8")


def careful(messages: list[Message], schema: dict[str, Any] | None) -> dict[str, Any]:
    """A well-behaved model: quotes a sentence of the first passage verbatim."""
    chunk_id, text = PASSAGE.findall(messages[-1].content)[0]
    sentences = re.split(r"(?<=[.!?])\s+", text.replace("\n", " "))
    quote = next((s for s in sentences if len(s.split()) >= 6), text[:80])
    return {
        "evidence": [{"chunk_id": chunk_id, "quote": quote}],
        "finding": "The plan touches this in a specific passage, but leaves gaps for members.",
        "rating": "amber",
        "recommendation": "Say plainly who owns this and by when it will be done.",
    }


def test_review_with_the_example_rubric_and_a_scripted_model(corpus_home: Path) -> None:
    rubric = example()
    model = ScriptedModel(careful)
    review = review_document(SAMPLE_PDF, model, ReviewOptions(rubric=rubric, use_cache=False))
    assert len(model.calls) == len(rubric.items) == len(review.items)
    prompts = [messages[-1].content for messages, _ in model.calls]
    for item in rubric.items:  # each item is asked about in its own words
        assert sum(item.title in p and item.description in p for p in prompts) == 1, item.id
    for result in review.items:
        assert result.status == "ok" and result.confidence == "model", result
        assert result.rating == "amber" and result.stats.quotes_verified == 1
        assert result.searched
    assert review.rubric == rubric.ref


def test_retrieval_searches_with_the_custom_items_own_text(home: Path, tmp_path: Path) -> None:
    """Two items with no queries or keywords find the passage their own words describe."""
    doc = tmp_path / "plan.md"
    doc.write_text(
        "# Anyshire Council Digital Plan 2026/27\n\n"
        "## Money\n\nThe plan costs £1.2 million this year, met from the council's revenue "
        "budget and a £300,000 government grant; it must also find £400,000 of savings.\n\n"
        "## Help to get online\n\nLibraries will run free sessions for residents who have "
        "never used the internet, and the phone line and face-to-face desks stay open for "
        "anyone who cannot go online.\n\n"
        "## Parking\n\nThe car parks on the high street will be resurfaced in the spring, "
        "and new signs will show the number of free spaces.\n",
        encoding="utf-8",
    )
    data = {
        "name": "t",
        "version": "1",
        "items": [
            {
                "id": "paid",
                "kind": "board_question",
                "title": "Is it funded?",
                "description": "The budget, grants and savings that pay for the work.",
            },
            {
                "id": "excluded",
                "kind": "board_question",
                "title": "Who is left behind?",
                "description": "Support for residents who cannot use the internet.",
            },
        ],
    }
    rubric = Rubric.model_validate(data)
    assert rubric.item("paid").queries[0].startswith("Is it funded? The budget")
    store = Store()
    document, _ = ingest(doc, None, store)
    plan = RetrievalPlan(document, rubric.items, store, RetrievalSettings())
    top = {item.id: plan.evidence(item)[0].chunk.text for item in rubric.items}
    assert "revenue budget" in top["paid"]
    assert "Libraries" in top["excluded"]


# ---------------------------------------------------------------- compare, batch, evals


def test_compare_with_the_example_rubric(corpus_home: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["compare", str(SAMPLE_PDF), "--with", MOJ, "--rubric", EXAMPLE, "--out", str(out)]
    result = runner.invoke(app, [*args, "--model", "rules", "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in data["items"]] == example().ids
    assert data["rubric"]["name"] == EXAMPLE and data["rubric"]["sha256"] == example().sha256
    assert (out / "compare.html").exists() and (out / "compare.md").exists()


def test_batch_with_the_example_rubric(corpus_home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SAMPLE_PDF, folder / "northbridge.pdf")
    out = tmp_path / "out"
    args = ["batch", str(folder), "--rubric", EXAMPLE, "--model", "rules", "--out", str(out)]
    result = runner.invoke(app, [*args, "--quiet"])
    assert result.exit_code == 0, result.output
    league = json.loads((out / "league.json").read_text(encoding="utf-8"))
    assert [i["id"] for i in league["items"]] == example().ids
    assert league["rubric"]["name"] == EXAMPLE
    (row,) = league["rows"]
    assert set(row["ratings"]) == set(example().ids)
    assert "not_reviewed" not in row["ratings"].values()


def test_evals_skip_and_count_gold_labels_for_items_not_in_the_rubric(
    corpus_home: Path, tmp_path: Path
) -> None:
    built_in = load_rubric()
    data = {
        "name": "two-built-in-and-one-new",
        "version": "1",
        "items": [
            built_in.item("vague").model_dump(),
            built_in.item("q10_risks").model_dump(),
            {"id": "funded", "kind": "board_question", "title": "Funded", "description": "Paid?"},
        ],
    }
    path = write_yaml(tmp_path / "mixed.yaml", data)
    out = tmp_path / "evals"
    case = "eastmere_council_strong"
    args = ["evals", "run", "--model", "rules", "--case", case, "--rubric", str(path)]
    result = runner.invoke(app, [*args, "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    card = json.loads((out / "scorecard.json").read_text(encoding="utf-8"))
    assert card["rubric"]["name"] == "two-built-in-and-one-new"
    assert card["counts"]["gold_labels_skipped"] == 20  # 22 gold labels, 2 items shared
    assert card["counts"]["items_reviewed"] == 3 and card["counts"]["items_with_gold"] == 2
    assert set(card["by_item"]) == {"vague", "q10_risks", "funded"}
    assert any("20 gold labels" in note and "skipped" in note for note in card["notes"])
    gate = json.loads((out / "gate_sets.json").read_text(encoding="utf-8"))
    replayed = {(o["set"], o["item_id"]) for o in gate["outcomes"]}
    # stored answers are replayed only for the built-in items the rubric shares
    assert replayed == {("junk", "vague"), ("junk", "q10_risks"), ("good", "q10_risks")}


# ---------------------------------------------------------------- bad files: one line each


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what its one error line must say)."""
    good = example_data()
    no_version = {k: v for k, v in good.items() if k != "version"}
    duplicate = {**good, "items": [*good["items"], copy.deepcopy(good["items"][1])]}
    items = [dict(i) for i in good["items"]]
    items[3]["kind"] = "red_flag"
    bad_kind = {**good, "items": items}
    untitled = {**good, "items": [{**good["items"][0], "title": "  "}, *good["items"][1:]]}
    typo = {**good, "items": [{**good["items"][0], "keyword": ["x"]}, *good["items"][1:]]}
    unknown_signal = [dict(i) for i in good["items"]]
    unknown_signal[0]["signals"] = [{"indicator": "vibes", "field": "x", "green": 1, "red": 0}]
    backwards = [dict(i) for i in good["items"]]
    backwards[1]["signals"] = [{"indicator": "delivered", "field": "count", "green": 1, "red": 3}]
    (tmp_path / "syntax.yaml").write_text("name: x\nversion: 1\nitems: [\n  - id: a\n")
    (tmp_path / "empty.yaml").write_text("  \n")
    (tmp_path / "broken.json").write_text('{"name": "x", "version": "1" "items": []}')
    (tmp_path / "alias.yaml").write_text("name: &n x\nversion: *n\nitems: []\n")
    (tmp_path / "list.yaml").write_text("- id: a\n- id: b\n")
    return {
        "missing field": (
            write_yaml(tmp_path / "no-version.yaml", no_version),
            "no-version.yaml: version: is required",
        ),
        "duplicate id": (
            write_yaml(tmp_path / "dup.yaml", duplicate),
            "dup.yaml: items[8].id: duplicate id 'last_year_delivered' (also items[1])",
        ),
        "bad kind": (
            write_yaml(tmp_path / "rubric.yaml", bad_kind),
            "rubric.yaml: items[3].kind: must be one of good_sign, warning_sign, board_question",
        ),
        "empty title": (
            write_yaml(tmp_path / "untitled.yaml", untitled),
            "untitled.yaml: items[0].title: must not be empty",
        ),
        "unknown field": (
            write_yaml(tmp_path / "typo.yaml", typo),
            "typo.yaml: items[0].keyword: is not a rubric field",
        ),
        "unknown indicator": (
            write_yaml(tmp_path / "signal.yaml", {**good, "items": unknown_signal}),
            "signal.yaml: items[0].signals[0].indicator: unknown indicator 'vibes'",
        ),
        "thresholds backwards": (
            write_yaml(tmp_path / "backwards.yaml", {**good, "items": backwards}),
            "backwards.yaml: items[1].signals[0]: green must be at least red",
        ),
        "bad YAML syntax": (tmp_path / "syntax.yaml", "syntax.yaml: not valid YAML (line "),
        "empty file": (tmp_path / "empty.yaml", "empty.yaml: the file is empty"),
        "bad JSON syntax": (tmp_path / "broken.json", "broken.json: not valid JSON (line 1"),
        "YAML alias": (tmp_path / "alias.yaml", "alias.yaml: YAML aliases"),
        "not a mapping": (tmp_path / "list.yaml", "list.yaml: a rubric must be a mapping"),
        "no such file": (tmp_path / "nope.yaml", "rubric file not found: "),
        "a folder": (tmp_path, "is a folder, not a rubric file"),
    }


BAD = [
    "missing field",
    "duplicate id",
    "bad kind",
    "empty title",
    "unknown field",
    "unknown indicator",
    "thresholds backwards",
    "bad YAML syntax",
    "empty file",
    "bad JSON syntax",
    "YAML alias",
    "not a mapping",
    "no such file",
    "a folder",
]


@pytest.mark.parametrize("name", BAD)
def test_a_bad_rubric_is_one_line_and_exit_2_before_any_work(
    name: str, tmp_path: Path, home: Path
) -> None:
    path, expected = _bad_files(tmp_path)[name]
    out = tmp_path / "out"
    args = ["review", str(SAMPLE_PDF), "--rubric", str(path), "--model", "rules", "--out", str(out)]
    line = one_error_line(runner.invoke(app, args))
    assert expected in line, line
    assert not out.exists()  # nothing half-written
    assert not (home / "documents").exists()  # nothing ingested either


@pytest.mark.parametrize(
    "command",
    [
        ["compare", str(SAMPLE_PDF)],
        ["batch", str(SAMPLE_PDF)],
        ["evals", "run", "--model", "rules"],
    ],
    ids=["compare", "batch", "evals"],
)
def test_every_command_rejects_a_bad_rubric_in_one_line(
    command: list[str], tmp_path: Path, home: Path
) -> None:
    path, expected = _bad_files(tmp_path)["bad kind"]
    out = tmp_path / "out"
    line = one_error_line(runner.invoke(app, [*command, "--rubric", str(path), "--out", str(out)]))
    assert expected in line
    assert not out.exists()


def test_only_is_checked_against_the_chosen_rubric(tmp_path: Path, home: Path) -> None:
    args = ["review", str(SAMPLE_PDF), "--rubric", EXAMPLE, "--only", "vague"]
    line = one_error_line(runner.invoke(app, [*args, "--out", str(tmp_path / "out")]))
    assert "unknown rubric item 'vague' in rubric 'council-annual-plan'" in line


# ---------------------------------------------------------------- the file format


def test_json_and_yaml_of_the_same_rubric_have_the_same_hash(tmp_path: Path) -> None:
    data = example_data()
    as_json = tmp_path / "r.json"
    as_json.write_text(json.dumps(data), encoding="utf-8")
    assert load_rubric_file(as_json).sha256 == example().sha256
    data["items"][0]["description"] += " Also the capital programme."
    assert load_rubric_file(write_yaml(tmp_path / "r.yaml", data)).sha256 != example().sha256


def test_a_yaml_number_or_date_as_version_is_read_as_text(tmp_path: Path) -> None:
    item = "{id: a, kind: good_sign, title: T, description: D}"
    for value, expected in (("1.5", "1.5"), ("2026-11-01", "2026-11-01"), ("3", "3")):
        path = tmp_path / "r.yaml"
        path.write_text(f"name: n\nversion: {value}\nitems:\n  - {item}\n", encoding="utf-8")
        assert load_rubric_file(path).version == expected


def test_custom_rating_labels_are_refused(tmp_path: Path) -> None:
    """The reports label ratings one way for every rubric, so a prompt may not differ."""
    data = {**example_data(), "rating_labels": {"good_sign": {"green": "Brilliant"}}}
    with pytest.raises(RubricError, match=r"rating_labels: .*not supported"):
        load_rubric_file(write_yaml(tmp_path / "labels.yaml", data))


def test_an_unknown_name_lists_the_shipped_rubrics() -> None:
    with pytest.raises(RubricError, match=rf"not found: no-such-rubric .*{EXAMPLE}"):
        resolve_rubric("no-such-rubric")
    assert resolve_rubric(None) is None
    assert resolve_rubric(load_rubric().name) is None  # the built-in one, by its name


# ---------------------------------------------------------------- the cache


def test_the_rubric_hash_is_in_the_cache_key(corpus_home: Path, tmp_path: Path) -> None:
    document, _ = ingest(SAMPLE_PDF)
    model = RulesModel()
    one, two = RubricRef(name="r", version="1", sha256="a" * 16), None

    def key(ref: RubricRef | None) -> str:
        return ItemKeys(document, model, {}, "c", None, ref).key("funded")

    two = RubricRef(name="r", version="1", sha256="b" * 16)
    assert key(one) != key(two)
    assert key(one) == key(RubricRef(name="r", version="1", sha256="a" * 16))

    # end to end: the same rubric comes from the cache, an edited one (same name and version,
    # new hash) does not
    rubric = example()
    data = example_data()
    data["items"][6]["description"] += " Include the cost of running the new services."
    edited = load_rubric_file(write_yaml(tmp_path / "edited.yaml", data))
    assert (edited.name, edited.version) == (rubric.name, rubric.version)
    only = ["funded"]
    first = review_document(SAMPLE_PDF, model, ReviewOptions(only=only, rubric=rubric))
    again = review_document(SAMPLE_PDF, model, ReviewOptions(only=only, rubric=rubric))
    changed = review_document(SAMPLE_PDF, model, ReviewOptions(only=only, rubric=edited))
    assert first.stats["items_cached"] == 0 and again.stats["items_cached"] == 1
    assert changed.stats["items_cached"] == 0
    assert changed.rubric is not None and changed.rubric.sha256 == edited.sha256 != rubric.sha256


@pytest.mark.slow
def test_the_installed_script_finds_the_shipped_rubric(home: Path, tmp_path: Path) -> None:
    """Through the console script: after `pip install .` the example ships inside the package."""
    entry = Path(sys.executable).parent / "strategy-review"
    out = tmp_path / "out"
    args = ["review", str(SAMPLE_PDF), "--rubric", EXAMPLE, "--model", "rules", "--only", "funded"]
    result = subprocess.run(
        [str(entry), *args, "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        env={**os.environ, "STRATEGY_REVIEW_HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr
    data = json.loads((out / "review.json").read_text(encoding="utf-8"))
    assert data["rubric"]["name"] == EXAMPLE and data["items"][0]["id"] == "funded"


def test_the_rubric_command_checks_a_file_and_shows_what_the_rules_rate(tmp_path: Path) -> None:
    shown = runner.invoke(app, ["rubric", EXAMPLE, "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert data["name"] == EXAMPLE and data["sha256"] == example().sha256
    unchecked = {i["id"] for i in data["items"] if not i["checks"]}
    assert unchecked == UNCHECKED and EXAMPLE in data["shipped"]
    built_in = runner.invoke(app, ["rubric"])
    assert built_in.exit_code == 0 and "22 items" in built_in.stdout
    path, expected = _bad_files(tmp_path)["bad kind"]
    assert expected in one_error_line(runner.invoke(app, ["rubric", str(path)]))
