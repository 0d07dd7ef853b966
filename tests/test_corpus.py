"""The corpus manifest, notes, and `corpus fetch` against a server on 127.0.0.1."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.app import app
from pipeline.corpus import (
    Manifest,
    Source,
    _note_rows,
    absences,
    load_manifest,
    load_notes,
    note_problems,
    parse_notes,
    primary_organisations,
    verify_fetched,
    word_runs,
)
from pipeline.rubric import load_rubric

runner = CliRunner()


def test_manifest_has_required_sources_and_fields() -> None:
    manifest = load_manifest()
    assert len(manifest.sources) >= 12
    text = " ".join(f"{s.title} {s.organisation}".lower() for s in manifest.sources)
    for needle in (
        "government digital strategy",
        "justice",
        "croydon",
        "greenwich",
        "oxford",
        "business services authority",
        "cumbria",
        "digital government strategy",
        "federal data strategy",
    ):
        assert needle in text, needle
    for source in manifest.sources:
        assert source.url.startswith("http") and source.licence and source.year
        assert source.sector in {"health", "local", "central"}


def test_notes_cover_every_rubric_item_and_mark_secondary_sources() -> None:
    manifest = load_manifest()
    notes = load_notes(manifest)
    item_ids = {i.id for i in load_rubric().items}
    assert {n.item_id for n in notes} == item_ids
    by_source = {s.id: s for s in manifest.sources}
    for note in notes:
        assert note.text and note.section
        if by_source[note.source_id].text_basis == "secondary":
            assert note.secondary


def test_parse_notes_format() -> None:
    text = (
        "# T\n\n## focused\nsection: p. 4\nstance: cautionary\nbasis: secondary\n"
        "It lists 52 actions.\n"
    )
    (note,) = parse_notes("src", text)
    assert (note.item_id, note.section, note.stance, note.secondary) == (
        "focused",
        "p. 4",
        "cautionary",
        True,
    )
    assert note.text == "It lists 52 actions."


# ---------------------------------------------------------------- the corpus standard (issue 11 §5)

SHARED = Path(__file__).resolve().parents[2] / "shared"


def test_every_item_has_three_primary_notes_from_three_organisations() -> None:
    manifest = load_manifest()
    notes = load_notes(manifest)
    items = [i.id for i in load_rubric().items]
    assert note_problems(manifest, notes, items) == []
    for item in items:  # the same check, spelled out
        primary = [n for n in notes if n.item_id == item and not n.secondary and not n.absent]
        assert len(primary) >= 3, item
        assert len(primary_organisations(manifest, notes, item)) >= 3, item


def test_every_note_names_a_rubric_item_a_section_and_a_known_stance() -> None:
    manifest = load_manifest()
    items = {i.id for i in load_rubric().items}
    for note in load_notes(manifest):
        assert note.item_id in items, (note.source_id, note.item_id)
        assert note.section.strip(), (note.source_id, note.item_id)
        assert note.stance in ("exemplary", "cautionary", "absent")
        sentences = [s for s in note.text.replace("e.g.", "eg").split(". ") if s.strip()]
        assert 1 <= len(sentences) <= 4, (note.source_id, note.item_id)


def _manifest(*sources: tuple[str, str]) -> Manifest:
    return Manifest(
        version="t",
        sources=[
            Source(
                id=sid, title=sid, organisation=f"{org} body", org_id=org, text_basis="full_text"
            )
            for sid, org in sources
        ],
    )


def test_note_problems_name_each_fault() -> None:
    manifest = _manifest(("a1", "alpha"), ("a2", "alpha"), ("b", "beta"), ("c", "gamma"))
    text = (
        "# T\n\n## focused\nsection: p. 2\nstance: exemplary\nbasis: full_text\nIt picks three.\n"
        "\n## nonsense_item\nsection: p. 3\nstance: exemplary\nbasis: full_text\nText.\n"
        "\n## vague\nstance: glowing\nbasis: full_text\nText.\n"
    )
    notes = parse_notes("a1", text) + parse_notes("a2", "## focused\nsection: p. 9\nSame body.\n")
    notes += parse_notes("b", "## focused\nsection: s. 1\nstance: absent\nNot in the text.\n")
    problems = note_problems(manifest, notes, ["focused", "vague"])
    assert "a1 / nonsense_item: not a rubric item id" in problems
    assert "a1 / vague: no section" in problems
    assert any(p.startswith("a1 / vague: stance 'glowing'") for p in problems)
    # two sources of one body and an absent note count as one organisation
    assert "focused: primary notes from 1 organisation(s), need 3" in problems
    assert "vague: primary notes from 0 organisation(s), need 3" in problems
    notes += parse_notes("c", "## focused\nsection: p. 1\nA third body.\n")
    notes += parse_notes("b", "## focused\nsection: p. 4\nA second body.\n")
    assert not [p for p in note_problems(manifest, notes, ["focused"]) if p.startswith("focused")]


def test_absent_marker_is_parsed_kept_out_of_the_index_and_gives_its_reason() -> None:
    text = "## q02_mission\nsection: all\nstance: absent\nbasis: full_text\nNo mission is stated.\n"
    (note,) = parse_notes("src", text)
    assert note.absent and note.text == "No mission is stated."
    manifest = load_manifest()
    gaps = absences(manifest)
    assert gaps, "the corpus records at least one read-and-absent item"
    indexed = {row_id for row_id, _, _ in _note_rows(manifest)}
    for source_id, item_id in gaps:
        assert f"note:{source_id}:{item_id}" not in indexed


def _shared_texts() -> dict[str, str]:
    import pypdfium2 as pdfium

    texts = {p.name: p.read_text(encoding="utf-8") for p in (SHARED / "exemplars").glob("*.md")}
    for path in (SHARED / "pdf").glob("*.pdf"):
        pdf = pdfium.PdfDocument(str(path))
        try:
            texts[path.name] = "\n".join(page.get_textpage().get_text_range() for page in pdf)
        finally:
            pdf.close()
    return texts


def test_word_runs_ignore_case_and_punctuation() -> None:
    assert word_runs("One, two three", 3) == {("one", "two", "three")}
    assert word_runs("Two words", 8) == set()
    source = word_runs("the council will publish its roadmap on the web every month")
    assert word_runs("THE Council will publish its roadmap, on the web.") & source


@pytest.mark.skipif(not (SHARED / "exemplars").is_dir(), reason="../shared is not present")
def test_no_note_copies_eight_words_in_a_row_from_a_source() -> None:
    runs: dict[tuple[str, ...], str] = {}
    for name, text in _shared_texts().items():
        runs.update(dict.fromkeys(word_runs(text), name))
    assert len(runs) > 50_000  # the shared texts were really read
    copied = [
        f"{n.source_id} / {n.item_id}: '{' '.join(run)}' ({runs[run]})"
        for n in load_notes(load_manifest())
        for run in sorted(word_runs(n.text) & runs.keys())[:1]
    ]
    assert copied == []


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "strategy.html").write_text(
        "<html><head><title>Lowfield digital strategy</title></head><body><h1>Lowfield</h1>"
        "<p>Lowfield District Council will close its paper forms service by 2026 and "
        "publish a service performance dashboard every quarter.</p></body></html>"
    )
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def test_fetch_downloads_records_checksums_and_indexes(
    served: tuple[str, Path], tmp_path: Path, home: Path
) -> None:
    base, root = served
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "version": "t1",
                "sources": [
                    {
                        "id": "lowfield",
                        "title": "Lowfield digital strategy",
                        "organisation": "Lowfield DC",
                        "sector": "local",
                        "country": "UK",
                        "year": 2024,
                        "url": f"{base}/strategy.html",
                        "licence": "test",
                        "fetch_urls": [f"{base}/strategy.html", f"{base}/missing.pdf"],
                    }
                ],
            }
        )
    )
    result = runner.invoke(app, ["corpus", "fetch", "--manifest", str(manifest)])
    assert result.exit_code == 0, result.output
    assert "failed lowfield" in result.stderr and "404" in result.stderr
    checksums = json.loads((home / "fetched" / "checksums.json").read_text())
    (entry,) = checksums.values()
    expected = hashlib.sha256((root / "strategy.html").read_bytes()).hexdigest()
    assert entry["sha256"] == expected
    assert verify_fetched() == []
    found = runner.invoke(app, ["corpus", "search", "paper forms dashboard", "-k", "1", "--json"])
    assert json.loads(found.stdout)[0]["source_id"] == "lowfield"


def test_fetch_with_nothing_reachable_exits_non_zero(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(
        json.dumps(
            {
                "version": "t1",
                "sources": [
                    {
                        "id": "gone",
                        "title": "Gone",
                        "organisation": "Nobody",
                        "year": 2020,
                        "url": "http://127.0.0.1:9/",
                        "licence": "x",
                        "fetch_urls": ["http://127.0.0.1:9/x.pdf"],
                    }
                ],
            }
        )
    )
    result = runner.invoke(app, ["corpus", "fetch", "--manifest", str(manifest), "--timeout", "2"])
    assert result.exit_code == 1 and "failed gone" in result.stderr
