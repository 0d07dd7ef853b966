"""The Chroma vector store, used directly through chromadb.

Where it lives:
- ``<home>/chroma`` (``chromadb.PersistentClient``), by default;
- a shared Chroma server when ``STRATEGY_REVIEW_CHROMA_URL=http://host:port`` is set
  (``chromadb.HttpClient``), so a team shares one corpus and one set of document collections.

Logical collections:
- ``exemplars``: passages and notes from the exemplar corpus;
- ``doc-<sha256>``: the chunks of one ingested document.

Each logical name points to an immutable physical collection ``<name>-<12 hex>``. A build fills a
new physical collection whole, then swaps it in with one upsert into the registry collection
(``strategy-review-registry``). Nothing is deleted while others may read it: a replaced collection
is retired and deleted after a grace period, and a reader whose collection has gone re-reads the
pointer once. Any number of processes (and machines, on one server) can therefore read and build.

Each collection records the embedding model's name; vectors from two models never mix.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from .errors import StoreDamaged, StoreError, StrategyReviewError
from .home import store_dir
from .locks import hold

if TYPE_CHECKING:
    from .embeddings import Embedder

EXEMPLARS = "exemplars"
REGISTRY = "strategy-review-registry"
CHROMA_URL_ENV = "STRATEGY_REVIEW_CHROMA_URL"
CHROMA_TOKEN_ENV = "STRATEGY_REVIEW_CHROMA_TOKEN"
RETIRED = "retired:"
GRACE_S = 3600.0  # a retired or orphaned collection is kept this long for readers still on it
ADD_BATCH = 1000
QUERY_CACHE = 1024
PHYSICAL = re.compile(r"^(?P<name>.+)-(?P<suffix>[0-9a-f]{12})$")
log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Hit:
    id: str
    text: str
    metadata: dict[str, Any]
    score: float  # cosine similarity, higher is closer
    embedding: list[float] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Pointer:
    """The registry's record of which physical collection holds a logical one."""

    name: str
    collection: str
    embedding_model: str
    count: int
    version: str = ""
    built_at: str = ""

    def metadata(self) -> dict[str, Any]:
        return {
            "collection": self.collection,
            "embedding_model": self.embedding_model,
            "count": self.count,
            "version": self.version,
            "built_at": self.built_at,
        }

    @classmethod
    def from_metadata(cls, name: str, meta: dict[str, Any]) -> Pointer:
        return cls(
            name=name,
            collection=str(meta.get("collection", "")),
            embedding_model=str(meta.get("embedding_model", "")),
            count=int(meta.get("count", 0) or 0),
            version=str(meta.get("version", "") or ""),
            built_at=str(meta.get("built_at", "") or ""),
        )


def document_collection(sha256: str) -> str:
    return f"doc-{sha256}"


# ------------------------------------------------------------------ where the store is


def chroma_url() -> str | None:
    """The shared Chroma server's URL, if one is configured."""
    url = os.environ.get(CHROMA_URL_ENV, "").strip()
    return url.rstrip("/") or None


def location() -> str:
    """The server URL, or the on-disk directory, of the store in use."""
    return chroma_url() or str(store_dir())


def rebuild_hint() -> str:
    if chroma_url():
        return (
            f"check the Chroma server at {chroma_url()} is running (`chroma run --path DIR "
            f"--host HOST --port PORT`), or unset {CHROMA_URL_ENV} to use the local store"
        )
    return (
        f"rebuild it with `strategy-review corpus build --force`, or move it aside with "
        f"`mv {store_dir()} {store_dir()}.damaged` and run again (documents are re-ingested on "
        "their next review)"
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _damaged(exc: BaseException) -> StoreError:
    if chroma_url():
        return StoreError(f"the Chroma server failed ({_first_line(exc)}); {rebuild_hint()}")
    return StoreDamaged(
        f"the vector store at {store_dir()} is damaged ({_first_line(exc)}); {rebuild_hint()}"
    )


def _is_damage(exc: BaseException) -> bool:
    from chromadb.errors import InternalError

    if isinstance(exc, InternalError | sqlite3.DatabaseError):
        return True
    if chroma_url():  # connection refused, reset, timed out, bad gateway ...
        import httpx

        return isinstance(exc, httpx.HTTPError | ConnectionError) or (
            isinstance(exc, ValueError) and "connect" in str(exc).lower()
        )
    return False


@contextmanager
def guarded() -> Iterator[None]:
    """Turn a damaged store or an unreachable server into one line saying what to do."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        machine = _machine_fault(exc)
        if machine is not None:  # a full disk or a read-only home is not a damaged store
            raise machine from exc
        if _is_damage(exc):
            raise _damaged(exc) from exc
        raise


def _machine_fault(exc: BaseException) -> StrategyReviewError | None:
    from .diagnose import explain
    from .errors import DiskFull, HomeUnavailable, OutOfMemory, PermissionDenied, ReadOnlyFileSystem

    named = explain(exc)
    machine = (DiskFull, HomeUnavailable, OutOfMemory, PermissionDenied, ReadOnlyFileSystem)
    return named if isinstance(named, machine) else None


def _http_client(url: str) -> Any:
    import chromadb
    from chromadb.config import Settings

    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise StoreError(f"{CHROMA_URL_ENV}={url!r} is not a URL such as http://127.0.0.1:8000")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 8000)
    except ValueError:
        raise StoreError(f"{CHROMA_URL_ENV}={url!r} has an invalid port") from None
    token = os.environ.get(CHROMA_TOKEN_ENV, "").strip()
    headers = {"Authorization": f"Bearer {token}"} if token else None
    return chromadb.HttpClient(
        host=parts.hostname,
        port=port,
        ssl=parts.scheme == "https",
        headers=headers,
        settings=Settings(anonymized_telemetry=False),
    )


@lru_cache(maxsize=4)
def _client(where: str, remote: bool) -> Any:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    if remote:
        return _http_client(where)
    import chromadb
    from chromadb.config import Settings

    return chromadb.PersistentClient(path=where, settings=Settings(anonymized_telemetry=False))


def client() -> Any:
    """One client per store location per process (never rebuilt per search).

    Opening a local store may create or migrate its database, which two processes must not do
    at once, so it happens under the home's lock.
    """
    url = chroma_url()
    with guarded():
        if url:
            return _client(url, True)
        with hold("chroma-open", "to open the vector store"):
            return _client(str(store_dir()), False)


def set_aside_damaged() -> Path | None:
    """Move a damaged local store out of the way so it can be rebuilt; None if it is healthy."""
    if chroma_url():
        return None
    try:
        with guarded():
            registry(client())
        return None
    except StoreError:
        pass
    import chromadb

    path = store_dir()
    aside = path.with_name(f"{path.name}.damaged-{datetime.now(UTC):%Y%m%dT%H%M%S}")
    with hold("chroma-open", "to open the vector store"):
        shutil.move(str(path), str(aside))
        _client.cache_clear()
        chromadb.api.client.SharedSystemClient.clear_system_cache()
        store_dir()  # recreate the empty folder
    return aside


def registry(chroma: Any) -> Any:
    """The small collection that maps each logical name to its live physical collection."""
    from chromadb.errors import ChromaError

    for attempt in range(3):
        try:
            return chroma.get_or_create_collection(REGISTRY, embedding_function=None)
        except ChromaError:  # another process created it at the same moment
            if attempt == 2:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ the store


class Store:
    """Logical collections over immutable physical ones; checks embeddings on every read."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        if embedder is None:
            from .embeddings import get_embedder  # numpy and onnxruntime only when a store is used

            embedder = get_embedder()
        self.embedder = embedder
        self.client = client()
        with guarded():
            self._registry = registry(self.client)
        self._live: dict[str, tuple[Pointer, Any]] = {}
        self._queries: dict[str, list[float]] = {}

    # ---- pointers

    def pointer(self, name: str) -> Pointer | None:
        """The registry's current record for ``name`` (always read fresh)."""
        with guarded():
            data = self._registry.get(ids=[name], include=["metadatas"])
        if not data["ids"]:
            return None
        return Pointer.from_metadata(name, dict(data["metadatas"][0] or {}))

    def pointers(self) -> list[Pointer]:
        with guarded():
            data = self._registry.get(include=["metadatas"])
        return sorted(
            (
                Pointer.from_metadata(i, dict(m or {}))
                for i, m in zip(data["ids"], data["metadatas"], strict=False)
                if not i.startswith(RETIRED)
            ),
            key=lambda p: p.name,
        )

    def _open(self, name: str, refresh: bool = False) -> tuple[Pointer, Any] | None:
        from chromadb.errors import NotFoundError

        if not refresh and name in self._live:
            return self._live[name]
        self._live.pop(name, None)
        pointer = self.pointer(name)
        if pointer is None:
            return None
        try:
            with guarded():
                collection = self.client.get_collection(pointer.collection, embedding_function=None)
        except NotFoundError:
            return None
        self._live[name] = (pointer, collection)
        return pointer, collection

    def _read(self, name: str, read: Callable[[Pointer, Any], T], empty: T) -> T:
        """Run ``read`` on the live collection; re-read the pointer once if it was swapped away."""
        from chromadb.errors import NotFoundError

        for refresh in (False, True):
            opened = self._open(name, refresh=refresh)
            if opened is None:
                return empty
            try:
                with guarded():
                    return read(*opened)
            except NotFoundError:
                if refresh:
                    raise StoreError(
                        f"collection {name!r} vanished while it was read; {rebuild_hint()}"
                    ) from None
        return empty

    # ---- facts

    def exists(self, name: str) -> bool:
        return self._open(name, refresh=True) is not None

    def count(self, name: str) -> int:
        pointer = self.pointer(name)
        return pointer.count if pointer else 0

    def embedding_model(self, name: str) -> str | None:
        pointer = self.pointer(name)
        return pointer.embedding_model if pointer else None

    def version(self, name: str) -> str | None:
        pointer = self.pointer(name)
        return pointer.version if pointer else None

    def _check(self, pointer: Pointer) -> None:
        if pointer.embedding_model != self.embedder.name:
            raise StoreError(
                f"collection {pointer.name!r} was built with embeddings "
                f"{pointer.embedding_model!r} but {self.embedder.name!r} is configured; rebuild "
                "it (`strategy-review corpus build --rebuild`) or switch back"
            )

    def check(self, name: str) -> None:
        pointer = self.pointer(name)
        if pointer is not None:
            self._check(pointer)

    # ---- writing

    def publish(
        self,
        name: str,
        ids: list[str],
        texts: list[str],
        metadatas: list[dict],
        version: str = "",
    ) -> Pointer:
        """Build a new physical collection for ``name`` and swap it in; all or nothing.

        Readers keep the old collection until the swap, and for GRACE_S after it.
        """
        vectors = self.embedder.embed(texts) if texts else []  # fails before anything is made
        physical = f"{name}-{uuid.uuid4().hex[:12]}"
        with guarded():
            collection = self.client.create_collection(
                physical,
                embedding_function=None,
                metadata={
                    "hnsw:space": "cosine",
                    "embedding_model": self.embedder.name,
                    "logical": name,
                    "created": time.time(),
                },
            )
        try:
            with guarded():
                for start in range(0, len(ids), ADD_BATCH):
                    end = start + ADD_BATCH
                    collection.add(
                        ids=ids[start:end],
                        embeddings=vectors[start:end],
                        documents=texts[start:end],
                        metadatas=metadatas[start:end] or None,
                    )
                if collection.count() != len(ids):
                    raise StoreError(f"collection {name!r} was not filled; {rebuild_hint()}")
        except BaseException:
            self._delete(physical)
            raise
        pointer = Pointer(
            name=name,
            collection=physical,
            embedding_model=self.embedder.name,
            count=len(ids),
            version=version,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        previous = self.pointer(name)
        with guarded():
            self._registry.upsert(ids=[name], embeddings=[[1.0]], metadatas=[pointer.metadata()])
        if previous is not None and previous.collection != physical:
            self._retire(previous.collection)
        self._live[name] = (pointer, collection)
        self.collect_garbage()
        return pointer

    def add(self, name: str, ids: list[str], texts: list[str], metadatas: list[dict]) -> None:
        """Replace ``name`` with these texts, all or none (see :meth:`publish`)."""
        self.publish(name, ids, texts, metadatas)

    def drop(self, name: str) -> None:
        """Remove ``name``; its collection is retired, not deleted under readers."""
        pointer = self.pointer(name)
        self._live.pop(name, None)
        if pointer is None:
            return
        with guarded():
            self._registry.delete(ids=[name])
        self._retire(pointer.collection)

    def _retire(self, physical: str) -> None:
        with guarded():
            self._registry.upsert(
                ids=[f"{RETIRED}{physical}"],
                embeddings=[[1.0]],
                metadatas=[{"collection": physical, "retired_at": time.time()}],
            )

    def _delete(self, physical: str) -> None:
        from chromadb.errors import NotFoundError

        try:
            with guarded():
                self.client.delete_collection(physical)
        except NotFoundError:
            pass  # another process cleaned it up first

    def collect_garbage(self, grace_s: float | None = None) -> list[str]:
        """Delete retired collections, and orphans of crashed builds, older than the grace."""
        grace = GRACE_S if grace_s is None else grace_s
        cutoff = time.time() - grace
        with guarded():
            data = self._registry.get(include=["metadatas"])
            records = dict(zip(data["ids"], data["metadatas"], strict=False))
            live = {
                str((m or {}).get("collection"))
                for i, m in records.items()
                if not i.startswith(RETIRED)
            }
            deleted = []
            for record_id, meta in records.items():
                if not record_id.startswith(RETIRED):
                    continue
                physical = str((meta or {}).get("collection"))
                if float((meta or {}).get("retired_at", 0)) <= cutoff and physical not in live:
                    self._delete(physical)
                    self._registry.delete(ids=[record_id])
                    deleted.append(physical)
            for collection in self.client.list_collections():
                meta = collection.metadata or {}
                if (
                    PHYSICAL.match(collection.name)
                    and "logical" in meta
                    and collection.name not in live
                    and f"{RETIRED}{collection.name}" not in records
                    and float(meta.get("created", 0)) <= cutoff
                ):
                    self._delete(collection.name)
                    deleted.append(collection.name)
        return deleted

    # ---- reading

    def _query_vector(self, query: str) -> list[float]:
        vector = self._queries.get(query)
        if vector is None:
            if len(self._queries) >= QUERY_CACHE:
                self._queries.clear()
            vector = self._queries[query] = self.embedder.embed([query])[0]
        return vector

    def search(self, name: str, query: str, k: int, where: dict | None = None) -> list[Hit]:
        def read(pointer: Pointer, collection: Any) -> list[Hit]:
            self._check(pointer)
            if not pointer.count:
                return []
            data = collection.query(
                query_embeddings=[self._query_vector(query)],
                n_results=max(1, min(k, pointer.count)),
                where=where,
                include=["documents", "metadatas", "distances"],
            )
            return [
                Hit(id=str(i), text=t or "", metadata=dict(m or {}), score=1.0 - float(d))
                for i, t, m, d in zip(
                    data["ids"][0],
                    data["documents"][0],
                    data["metadatas"][0],
                    data["distances"][0],
                    strict=False,
                )
            ]

        return self._read(name, read, [])

    def get(
        self,
        name: str,
        where: dict | None = None,
        ids: list[str] | None = None,
        limit: int | None = None,
        embeddings: bool = False,
    ) -> list[Hit]:
        """Records by filter and/or ids, in the store's order; ``embeddings`` adds vectors."""
        include = ["documents", "metadatas", *(["embeddings"] if embeddings else [])]

        def read(pointer: Pointer, collection: Any) -> list[Hit]:
            if embeddings:
                self._check(pointer)
            data = collection.get(ids=ids, where=where, limit=limit, include=include)
            vectors = data.get("embeddings") if embeddings else None
            return [
                Hit(
                    id=str(i),
                    text=t or "",
                    metadata=dict(m or {}),
                    score=0.0,
                    embedding=None if vectors is None else [float(x) for x in vectors[n]],
                )
                for n, (i, t, m) in enumerate(
                    zip(data["ids"], data["documents"], data["metadatas"], strict=False)
                )
            ]

        return self._read(name, read, [])

    def fetch(self, name: str, ids: list[str]) -> list[Hit]:
        """Records by id, in the order asked; unknown ids are left out."""
        found = {h.id: h for h in self.get(name, ids=list(ids))} if ids else {}
        return [found[i] for i in ids if i in found]

    def any(self, name: str, where: dict | None = None) -> bool:
        """Whether any record matches ``where``."""
        return self._read(
            name, lambda _p, c: bool(c.get(where=where, limit=1, include=[])["ids"]), False
        )

    def status(self) -> dict[str, Any]:
        """Where the store is, and each logical collection's live version."""
        with guarded():
            data = self._registry.get(include=["metadatas"])
        retired = sum(i.startswith(RETIRED) for i in data["ids"])
        return {
            "mode": "server" if chroma_url() else "local",
            "location": location(),
            "embedding_model": self.embedder.name,
            "collections": len(self.pointers()),
            "retired": retired,
        }
