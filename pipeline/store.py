"""The Chroma vector store under the home directory, reached through LangChain's Chroma store.

Collections:
- ``exemplars``: passages and notes from the exemplar corpus;
- ``doc-<sha256>``: the chunks of one ingested document.

Each collection records the embedding model's name; vectors from two models never mix.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .embeddings import Embedder, get_embedder
from .errors import StoreError
from .home import store_dir

EXEMPLARS = "exemplars"
log = logging.getLogger(__name__)


@dataclass
class Hit:
    id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, higher is closer


class _LangChainEmbeddings:
    """Adapts an Embedder to LangChain's Embeddings interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed([text])[0]


def document_collection(sha256: str) -> str:
    return f"doc-{sha256}"


@lru_cache(maxsize=2)
def _client(path: str) -> Any:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb
    from chromadb.config import Settings

    return chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))


def client() -> Any:
    return _client(str(store_dir()))


class Store:
    """A thin wrapper that checks embedding metadata before any read or write."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder or get_embedder()
        self.client = client()

    def _vectorstore(self, name: str) -> Any:
        from langchain_chroma import Chroma

        return Chroma(
            client=self.client,
            collection_name=name,
            embedding_function=_LangChainEmbeddings(self.embedder),  # type: ignore[arg-type]
            collection_metadata={"embedding_model": self.embedder.name, "hnsw:space": "cosine"},
        )

    def exists(self, name: str) -> bool:
        return name in {c if isinstance(c, str) else c.name for c in self.client.list_collections()}

    def count(self, name: str) -> int:
        return self.client.get_collection(name).count() if self.exists(name) else 0

    def embedding_model(self, name: str) -> str | None:
        if not self.exists(name):
            return None
        return (self.client.get_collection(name).metadata or {}).get("embedding_model")

    def check(self, name: str) -> None:
        found = self.embedding_model(name)
        if found is not None and found != self.embedder.name:
            raise StoreError(
                f"collection {name!r} was built with embeddings {found!r} but "
                f"{self.embedder.name!r} is configured; rebuild it "
                "(`strategy-review corpus build --rebuild`) or switch back"
            )

    def drop(self, name: str) -> None:
        if self.exists(name):
            self.client.delete_collection(name)

    def add(self, name: str, ids: list[str], texts: list[str], metadatas: list[dict]) -> None:
        """Add all texts or none: a failure drops the half-built collection."""
        self.check(name)
        try:
            self._vectorstore(name).add_texts(texts=texts, metadatas=metadatas, ids=ids)
        except BaseException:
            self.drop(name)
            raise

    def search(self, name: str, query: str, k: int, where: dict | None = None) -> list[Hit]:
        if not self.exists(name):
            return []
        self.check(name)
        store = self._vectorstore(name)
        k = min(k, max(1, self.count(name)))
        results = store.similarity_search_with_score(query, k=k, filter=where)
        return [
            Hit(id=str(d.id), text=d.page_content, metadata=dict(d.metadata), score=1.0 - dist)
            for d, dist in results
        ]

    def get(self, name: str, where: dict | None = None) -> list[Hit]:
        if not self.exists(name):
            return []
        data = self.client.get_collection(name).get(where=where, include=["documents", "metadatas"])
        return [
            Hit(id=i, text=t or "", metadata=dict(m or {}), score=0.0)
            for i, t, m in zip(data["ids"], data["documents"], data["metadatas"], strict=False)
        ]
