"""The per-item result cache: one JSON file per item under ``<home>/cache/items/``.

An item's key covers everything that shapes its result:
- the document (sha256) and the item id;
- the model: name, backend, endpoint (base URL without credentials or query) and, where the
  server lists one, the model's own description from GET /models, so two servers answering to
  the same name never share results;
- the prompt templates' hashes, the rubric (name, version and content hash), the retrieval
  settings, the exemplar corpus version and chosen sources, the sentences the injection check
  withholds;
- a fingerprint of the code that turns a model's answer into a result (tool version plus the
  source of every module but the command line, reports and evals).

Writes go to a temporary file that replaces the entry in one step, so a reader (another process,
a re-run after a kill) sees a whole entry or none.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from . import __version__
from .fsutil import atomic_write_text
from .home import cache_dir
from .injection import DETECTOR_VERSION, withheld_sentences
from .models.base import ModelAPI
from .models.endpoint import public_url
from .models.rules import is_rules
from .prompts import prompt_hashes
from .records import Document, ItemResult, RubricRef
from .resources import prompts_dir

_PACKAGE = Path(__file__).resolve().parent
# Parts of the package that present or orchestrate results but never change one.
_NOT_SHAPING = frozenset(
    {"cli", "report", "evals", "batch.py", "league.py", "compare.py", "cache.py", "home.py"}
)


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    entries: int
    bytes: int


def items_dir() -> Path:
    return cache_dir() / "items"


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the tool version, the source that shapes item results, and the data files
    (rubric, prompts) they are made from."""
    digest = hashlib.sha256(__version__.encode())
    for root, pattern in ((_PACKAGE, "*.py"), (prompts_dir(), "*")):
        for path in sorted(p for p in root.rglob(pattern) if p.is_file() and _shapes(root, p)):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _shapes(root: Path, path: Path) -> bool:
    parts = path.relative_to(root).parts
    return root != _PACKAGE or (parts[0] not in _NOT_SHAPING and "_data" not in parts)


def model_identity(model: ModelAPI) -> dict[str, Any]:
    """What identifies the model that made a result: a rules result has no model."""
    if is_rules(model):
        return {"id": "rules", "backend": "rules"}
    reported = getattr(model, "reported_identity", None)
    return {
        "id": model.id,
        "backend": model.backend,
        "endpoint": public_url(getattr(model, "base_url", None)),
        "reported": reported() if callable(reported) else None,
    }


class ItemKeys:
    """Cache keys for the items of one review: the shared parts are worked out once (the
    server's reported identity is asked for here, once per model)."""

    def __init__(
        self,
        document: Document,
        model: ModelAPI,
        retrieval: dict[str, Any],
        corpus_version: str,
        exemplar_sources: list[str] | None,
        rubric: RubricRef | None = None,
    ) -> None:
        self.parts = {
            "document": document.sha256,
            "model": model_identity(model),
            "prompts": prompt_hashes(),
            "code": code_fingerprint(),
            "retrieval": retrieval,
            "corpus": corpus_version,
            "exemplar_sources": exemplar_sources,
            "injection": [DETECTOR_VERSION, withheld_sentences(document)],
            "rubric": rubric.model_dump() if rubric else None,
        }

    def key(self, item_id: str) -> str:
        text = json.dumps({**self.parts, "item": item_id}, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def get(key: str) -> ItemResult | None:
    """The cached result, marked as cached; None when absent or unreadable."""
    path = items_dir() / f"{key}.json"
    try:
        result = ItemResult.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    result.stats.cached = True
    return result


def put(key: str, result: ItemResult) -> None:
    atomic_write_text(items_dir() / f"{key}.json", result.model_dump_json())


def info() -> CacheInfo:
    folder = items_dir()
    sizes = []
    for path in _entries(folder):
        try:
            sizes.append(path.stat().st_size)
        except FileNotFoundError:  # cleared by another process meanwhile
            continue
    return CacheInfo(path=folder, entries=len(sizes), bytes=sum(sizes))


def clear() -> int:
    """Delete every cached item result (and any temporary file left by a killed write)."""
    folder = items_dir()
    removed = 0
    for path in [*_entries(folder), *folder.glob(".*.tmp")] if folder.exists() else []:
        path.unlink(missing_ok=True)
        removed += path.suffix == ".json"
    return removed


def _entries(folder: Path) -> list[Path]:
    return [p for p in folder.glob("*.json") if p.is_file()] if folder.exists() else []
