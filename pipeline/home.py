"""Where strategy-review keeps its state: one home directory.

``STRATEGY_REVIEW_HOME`` sets it; otherwise the platform's user data directory.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_dir

ENV_VAR = "STRATEGY_REVIEW_HOME"


def home_dir() -> Path:
    configured = os.environ.get(ENV_VAR)
    path = Path(configured).expanduser() if configured else Path(user_data_dir("strategy-review"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sub(name: str) -> Path:
    path = home_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_dir() -> Path:
    """The Chroma PersistentClient directory."""
    return _sub("chroma")


def locks_dir() -> Path:
    """Lock files that let any number of processes share this home (see pipeline/locks.py)."""
    return _sub("locks")


def documents_dir() -> Path:
    """Parsed documents, one JSON file per sha256."""
    return _sub("documents")


def cache_dir() -> Path:
    """Cached per-item review results."""
    return _sub("cache")


def fetched_dir() -> Path:
    """Public exemplar documents downloaded by ``corpus fetch``."""
    return _sub("fetched")


def user_corpus_dir() -> Path:
    """Exemplar documents the user added with ``corpus add``."""
    return _sub("user-corpus")
