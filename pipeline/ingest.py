"""Ingest: read a document once, keep it by sha256 (parsed JSON plus a Chroma collection)."""

from __future__ import annotations

from pathlib import Path

from .documents import READER_VERSION, _check_path, read_document, sha256_file
from .fsutil import atomic_write_text
from .home import documents_dir
from .records import Document
from .store import Store, document_collection


def _saved_path(sha256: str) -> Path:
    return documents_dir() / f"{sha256}.json"


def load_saved(sha256: str) -> Document | None:
    path = _saved_path(sha256)
    if not path.exists():
        return None
    return Document.model_validate_json(path.read_text(encoding="utf-8"))


def ingest(
    path: Path, password: str | None = None, store: Store | None = None
) -> tuple[Document, bool]:
    """Parse, chunk, embed and keep a document. Returns (document, was_already_ingested).

    The parsed JSON is written last, so an interrupted ingest leaves nothing that looks complete.
    """
    path = _check_path(Path(path))
    store = store or Store()
    sha = sha256_file(path)
    name = document_collection(sha)
    saved = load_saved(sha)
    current = (
        saved is not None
        and saved.reader_version >= READER_VERSION
        and store.embedding_model(name) == store.embedder.name
    )
    if saved is not None and current and store.count(name) == len(saved.chunks):
        return saved, True
    document = read_document(path, password=password)
    store.drop(name)  # stale, partial or built with other embeddings
    store.add(
        name,
        ids=[c.id for c in document.chunks],
        texts=[c.text for c in document.chunks],
        metadatas=[
            {"page_start": c.page_start, "page_end": c.page_end, "index": c.index}
            for c in document.chunks
        ],
    )
    atomic_write_text(_saved_path(sha), document.model_dump_json())
    return document, False
