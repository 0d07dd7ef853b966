"""Ingest: read a document once, keep it by sha256 (parsed JSON plus a Chroma collection).

Any number of processes may ingest the same document at once: one holds the document's lock and
does the work, the others wait and reuse its result. With a shared Chroma server, a collection
another machine built for the same bytes, reader and embeddings is reused without re-embedding.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .documents import READER_VERSION, _check_path, read_document, sha256_file
from .fsutil import atomic_write_text
from .home import documents_dir
from .locks import hold
from .records import Document
from .store import Store, document_collection


def _saved_path(sha256: str) -> Path:
    return documents_dir() / f"{sha256}.json"


def load_saved(sha256: str) -> Document | None:
    path = _saved_path(sha256)
    if not path.exists():
        return None
    try:
        return Document.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None  # written by another version, or damaged: read the file again


def fingerprint(document: Document) -> str:
    """What the collection must hold: reader version, chunk ids and texts."""
    digest = hashlib.sha256(f"reader {document.reader_version}\n".encode())
    for chunk in document.chunks:
        digest.update(f"{chunk.id}\0{chunk.text}\0".encode())
    return digest.hexdigest()[:16]


def _stored(store: Store, document: Document) -> bool:
    """Whether the live collection holds exactly this document's chunks, embedded as configured."""
    pointer = store.pointer(document_collection(document.sha256))
    return (
        pointer is not None
        and pointer.embedding_model == store.embedder.name
        and pointer.count == len(document.chunks)
        and pointer.version == fingerprint(document)
        and store.exists(pointer.name)
    )


def ingest(
    path: Path, password: str | None = None, store: Store | None = None
) -> tuple[Document, bool]:
    """Parse, chunk, embed and keep a document. Returns (document, was_already_ingested).

    The parsed JSON is written last, so an interrupted ingest leaves nothing that looks complete.
    """
    path = _check_path(Path(path))
    store = store or Store()
    sha = sha256_file(path)
    saved = load_saved(sha)
    if saved is not None and saved.reader_version >= READER_VERSION and _stored(store, saved):
        return saved.model_copy(update={"path": str(path)}), True
    with hold(f"ingest-{sha}", f"to finish reading the same document ({path.name})"):
        saved = load_saved(sha)  # another process may have finished while we waited
        if saved is not None and saved.reader_version >= READER_VERSION and _stored(store, saved):
            return saved.model_copy(update={"path": str(path)}), True
        document = read_document(path, password=password)
        if not _stored(store, document):  # stale, partial, other embeddings or none
            store.publish(
                document_collection(sha),
                ids=[c.id for c in document.chunks],
                texts=[c.text for c in document.chunks],
                metadatas=[
                    {"page_start": c.page_start, "page_end": c.page_end, "index": c.index}
                    for c in document.chunks
                ],
                version=fingerprint(document),
            )
        atomic_write_text(_saved_path(sha), document.model_dump_json())
    return document, False
