"""The reviews this home knows: every folder ``review`` or ``batch`` wrote, for the workspace.

``<home>/reviews.json`` lists each review folder once, with an id made from its resolved path.
The workspace addresses a review by that id, never by a path taken from a request. The index is
written atomically under a home-wide lock; folders that have since gone are skipped when read.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from .fsutil import atomic_write_text
from .home import home_dir
from .locks import hold

FILENAME = "reviews.json"
REVIEW_FILE = "review.json"
LOCK = "review-index"
log = logging.getLogger(__name__)


class IndexedReview(BaseModel):
    id: str
    path: str
    registered_at: str = ""


class ReviewIndex(BaseModel):
    schema_version: str = "1"
    reviews: list[IndexedReview] = Field(default_factory=list)


def index_path() -> Path:
    return home_dir() / FILENAME


def review_id(folder: Path) -> str:
    """A short, stable id for a review folder: a digest of its resolved path."""
    return hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()[:12]


def register(out_dir: Path) -> None:
    """Add a review folder to the home's index (once). Never fails the review that wrote it."""
    folder = Path(out_dir).resolve()
    try:
        with hold(LOCK, "updating the index of reviews"):
            index = _read()
            if any(entry.path == str(folder) for entry in index.reviews):
                return
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            index.reviews.append(
                IndexedReview(id=review_id(folder), path=str(folder), registered_at=stamp)
            )
            atomic_write_text(index_path(), index.model_dump_json(indent=2) + "\n")
    except OSError as exc:  # a read-only home must not lose the reports already written
        log.warning("could not add %s to the index of reviews: %s", folder, exc)


def known_reviews(extra: Iterable[Path] = ()) -> list[IndexedReview]:
    """Indexed review folders that still hold a review.json, then ``extra`` ones, deduplicated."""
    entries = [*_read().reviews, *(_entry(Path(p)) for p in extra)]
    seen: set[str] = set()
    found: list[IndexedReview] = []
    for entry in entries:
        if entry.id in seen or not (Path(entry.path) / REVIEW_FILE).is_file():
            continue
        seen.add(entry.id)
        found.append(entry)
    return found


def _entry(folder: Path) -> IndexedReview:
    resolved = folder.resolve()
    return IndexedReview(id=review_id(resolved), path=str(resolved))


def _read() -> ReviewIndex:
    path = index_path()
    if not path.is_file():
        return ReviewIndex()
    try:
        return ReviewIndex.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError, UnicodeDecodeError, OSError) as exc:
        log.warning("ignoring a damaged index of reviews %s: %s", path, exc)
        return ReviewIndex()
