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
from pipeline.corpus import load_manifest, load_notes, parse_notes, verify_fetched
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
