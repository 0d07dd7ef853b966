"""Chroma on disk: persistence across processes and embedding-model checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import StoreError
from pipeline.ingest import ingest
from pipeline.store import Store, document_collection


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
    assert model == "all-MiniLM-L6-v2-int8-onnx"


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
