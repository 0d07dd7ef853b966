"""Chroma on disk: persistence across processes, embedding-model checks, versioned collections
swapped in without deleting under readers, locks and a damaged store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import LockTimeout, StoreError, StrategyReviewError
from pipeline.ingest import ingest
from pipeline.store import EXEMPLARS, REGISTRY, Store, document_collection

ROOT = Path(__file__).resolve().parent.parent


class OtherEmbedder:
    name = "other-embedder"

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [[1.0] * 8 for _ in texts]


def test_persistence_across_processes(pdfs: dict[str, Path], home: Path) -> None:
    document, _ = ingest(pdfs["labelled"])
    code = (
        "from pipeline.store import Store, document_collection;"
        f"s = Store(); hits = s.search(document_collection('{document.sha256}'), "
        "'residents council tax payments', 2);"
        "print(hits[0].id, s.embedding_model(document_collection('" + document.sha256 + "')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**__import__("os").environ, "STRATEGY_REVIEW_HOME": str(home)},
    )
    chunk_id, model = out.stdout.split()
    assert chunk_id in {c.id for c in document.chunks}
    from pipeline.embeddings import int8_name

    assert model == int8_name()  # the int8-compute graph (pipeline/int8_graph.py)


def test_embedding_mismatch_is_a_clear_error(pdfs: dict[str, Path]) -> None:
    document, _ = ingest(pdfs["labelled"])
    other = Store(embedder=OtherEmbedder())
    with pytest.raises(StoreError, match="was built with embeddings"):
        other.search(document_collection(document.sha256), "anything", 2)


def test_ingest_rebuilds_collection_for_new_embeddings(pdfs: dict[str, Path]) -> None:
    ingest(pdfs["labelled"])
    other = Store(embedder=OtherEmbedder())
    document, already = ingest(pdfs["labelled"], store=other)
    assert already is False
    assert other.embedding_model(document_collection(document.sha256)) == "other-embedder"


def test_failed_add_leaves_no_half_collection(home: Path) -> None:
    class Broken:
        name = "broken"

        def embed(self, texts: list[str]) -> list[list[float]]:
            raise RuntimeError("disk full")

    store = Store(embedder=Broken())
    with pytest.raises(RuntimeError):
        store.add("doc-test", ["a"], ["text"], [{"page_start": 1}])
    assert not store.exists("doc-test")
    assert _physical(store) == set()


def _physical(store: Store) -> set[str]:
    return {c.name for c in store.client.list_collections()} - {REGISTRY}


def test_failed_fill_deletes_the_new_collection_and_keeps_the_old(home: Path) -> None:
    store = Store(embedder=OtherEmbedder())
    store.publish("doc-test", ["a"], ["first"], [{"page_start": 1}], version="v1")
    before = _physical(store)
    with pytest.raises((TypeError, ValueError)):  # chroma refuses a None value, mid-fill
        store.publish("doc-test", ["a", "b"], ["x", "y"], [{"page_start": None}] * 2)
    assert _physical(store) == before
    assert store.version("doc-test") == "v1"
    assert [h.text for h in store.get("doc-test")] == ["first"]


def test_versioned_swap_keeps_old_readers_working(home: Path) -> None:
    writer = Store(embedder=OtherEmbedder())
    first = writer.publish("doc-swap", ["a", "b"], ["old one", "old two"], [{"i": 1}, {"i": 2}])
    reader = Store(embedder=OtherEmbedder())
    assert {h.text for h in reader.search("doc-swap", "anything", 2)} == {"old one", "old two"}

    second = writer.publish("doc-swap", ["c"], ["new one"], [{"i": 3}])
    assert second.collection != first.collection
    assert re.fullmatch(r"doc-swap-[0-9a-f]{12}", second.collection)
    assert first.collection in _physical(writer)  # retired, not deleted under readers
    # the reader still holds the old collection and may finish with it
    assert {h.text for h in reader.search("doc-swap", "anything", 2)} == {"old one", "old two"}

    assert writer.collect_garbage(grace_s=3600) == []  # inside the grace period
    assert writer.collect_garbage(grace_s=0) == [first.collection]
    assert _physical(writer) == {second.collection}
    # the old collection is gone: the reader re-reads the pointer and finds the new one
    assert [h.text for h in reader.search("doc-swap", "anything", 2)] == ["new one"]
    assert [h.id for h in reader.fetch("doc-swap", ["zzz", "c"])] == ["c"]


def test_orphans_of_a_crashed_build_are_collected(home: Path) -> None:
    store = Store(embedder=OtherEmbedder())
    store.publish("doc-live", ["a"], ["text"], [{"i": 1}])
    orphan = store.client.create_collection(
        "doc-live-0123456789ab",
        embedding_function=None,
        metadata={"logical": "doc-live", "created": 1.0},
    )
    assert store.collect_garbage(grace_s=3600) == [orphan.name]
    assert store.count("doc-live") == 1


def test_lock_timeout_is_one_clear_line(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from filelock import FileLock

    from pipeline import corpus
    from pipeline.locks import lock_path

    monkeypatch.setenv("STRATEGY_REVIEW_LOCK_TIMEOUT", "0.2")
    with FileLock(lock_path("corpus-build")), pytest.raises(LockTimeout) as caught:
        corpus.build(store=Store(embedder=OtherEmbedder()))
    message = str(caught.value)
    assert "gave up after 0.2 s" in message
    assert "building the exemplar corpus" in message
    assert "STRATEGY_REVIEW_LOCK_TIMEOUT" in message
    assert "\n" not in message


def test_bad_lock_timeout_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.locks import lock_timeout

    monkeypatch.setenv("STRATEGY_REVIEW_LOCK_TIMEOUT", "soon")
    with pytest.raises(StrategyReviewError, match="not a number of seconds"):
        lock_timeout()


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STRATEGY_REVIEW_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("STRATEGY_REVIEW_CHROMA_URL", None)
    code = "from pipeline.cli.app import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_damaged_store_says_how_to_rebuild(corpus_home: Path) -> None:
    (corpus_home / "chroma" / "chroma.sqlite3").write_bytes(b"this is not a database" * 300)
    broken = _cli(corpus_home, "corpus", "search", "user research")
    assert broken.returncode == 65  # EX_DATAERR: a damaged store
    lines = broken.stderr.strip().splitlines()
    assert len(lines) == 1, broken.stderr
    assert "is damaged" in lines[0]
    assert "strategy-review corpus build --force" in lines[0]
    assert "Traceback" not in broken.stderr

    rebuilt = _cli(corpus_home, "corpus", "build", "--force")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert list(corpus_home.glob("chroma.damaged-*"))  # set aside, not deleted
    status = json.loads(_cli(corpus_home, "corpus", "status", "--json").stdout)
    assert status["up_to_date"] is True
    assert status["count"] > 0


def test_corpus_status_reports_the_live_version(corpus_home: Path) -> None:
    from pipeline import corpus

    store = Store()
    status = corpus.status(store)
    assert status["mode"] == "local"
    assert status["collection"] == store.pointer(EXEMPLARS).collection  # type: ignore[union-attr]
    assert status["count"] == store.count(EXEMPLARS) > 0
    assert status["built_version"] == status["corpus_version"]
    assert status["manifest_version"] == corpus.load_manifest().version
    rebuilt = corpus.build(rebuild=True, store=store)
    after = corpus.status(store)
    assert after["collection"] == rebuilt["collection"] != status["collection"]
    assert after["retired"] == status["retired"] + 1


def test_unreachable_chroma_server_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("STRATEGY_REVIEW_CHROMA_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(StoreError, match="Chroma server") as caught:
        Store(embedder=OtherEmbedder())
    assert "STRATEGY_REVIEW_CHROMA_URL" in str(caught.value)
    monkeypatch.setenv("STRATEGY_REVIEW_CHROMA_URL", "ftp://somewhere")
    with pytest.raises(StoreError, match="is not a URL"):
        Store(embedder=OtherEmbedder())
