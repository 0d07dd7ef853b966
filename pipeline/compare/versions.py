"""Version mode: review both versions and say, item by item, what changed.

Version mode rates both versions and gives each item a status. Ratings are oriented so that
green is always good (a warning sign rated green is avoided), so:

- ``unchanged``: the same rating;
- ``resolved``: red or amber before, green now;
- ``new``: green or insufficient evidence before, red or amber now;
- ``better``: red to amber, or insufficient evidence to green;
- ``worse``: amber to red, or any rating to insufficient evidence (less to go on).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..errors import InputError
from ..ingest import ingest
from ..models.base import ModelAPI
from ..normalise import normalise_for_match
from ..records import Document, Evidence, ItemResult, Rating
from ..review import Progress, ReviewOptions, review_document
from ..store import Store
from .records import (
    STATUSES,
    EvidenceChange,
    PageRef,
    Status,
    VersionComparison,
    VersionItem,
    quote_key,
)
from .sides import item_side, utc_now

_GOOD = {"green": 2, "amber": 1, "red": 0}
_PROBLEM = ("red", "amber")


def change_status(old: Rating, new: Rating) -> Status:
    """See the module docstring: green is always good, insufficient evidence is its own state."""
    if old == new:
        return "unchanged"
    if new == "green" and old in _PROBLEM:
        return "resolved"
    if new in _PROBLEM and old in ("green", "insufficient_evidence"):
        return "new"
    if new == "insufficient_evidence":
        return "worse"
    if old == "insufficient_evidence":
        return "better"
    return "better" if _GOOD[new] > _GOOD[old] else "worse"


def _page_ref(ev: Evidence) -> PageRef | None:
    if ev.page is None:
        return None
    return PageRef(page=ev.page, page_label=ev.page_label or str(ev.page))


def locate(document: Document, quote: str) -> PageRef | None:
    """The first page of ``document`` holding ``quote`` (normalised), if any."""
    key = quote_key(quote)
    if not key:
        return None
    for page in document.pages:
        if key in normalise_for_match(page.text):
            return PageRef(page=page.page, page_label=page.page_label)
    return None


def _keyed(evidence: Sequence[Evidence]) -> dict[str, Evidence]:
    out: dict[str, Evidence] = {}
    for ev in evidence:
        out.setdefault(quote_key(ev.quote), ev)
    out.pop("", None)
    return out


def evidence_changes(
    old: Sequence[Evidence], new: Sequence[Evidence], old_doc: Document, new_doc: Document
) -> list[EvidenceChange]:
    """Quotes cited only now, only before, or in both, with their pages in both versions."""
    before, after = _keyed(old), _keyed(new)
    appeared = [
        EvidenceChange(
            change="appeared",
            quote=ev.quote,
            old_page=locate(old_doc, ev.quote),
            new_page=_page_ref(ev),
        )
        for key, ev in after.items()
        if key not in before
    ]
    gone = [
        EvidenceChange(
            change="disappeared",
            quote=ev.quote,
            old_page=_page_ref(ev),
            new_page=locate(new_doc, ev.quote),
        )
        for key, ev in before.items()
        if key not in after
    ]
    kept = [
        EvidenceChange(
            change="kept", quote=ev.quote, old_page=_page_ref(before[key]), new_page=_page_ref(ev)
        )
        for key, ev in after.items()
        if key in before
    ]
    return appeared + gone + kept


def version_item(
    old: ItemResult, new: ItemResult, old_doc: Document, new_doc: Document
) -> VersionItem:
    before, after = item_side(old), item_side(new)
    return VersionItem(
        id=new.id,
        kind=new.kind,
        title=new.title,
        old=before,
        new=after,
        status=change_status(before.rating, after.rating),
        evidence=evidence_changes(before.evidence, after.evidence, old_doc, new_doc),
    )


def _check_distinct(old: Path, new: Path) -> None:
    if Path(old).expanduser().resolve() == Path(new).expanduser().resolve():
        raise InputError(f"{old} is given twice: compare two different versions")


def compare_versions(
    old: Path,
    new: Path,
    model: ModelAPI,
    options: ReviewOptions | None = None,
    progress: Progress | None = None,
) -> VersionComparison:
    """Review both versions (cached items are free) and say, item by item, what changed.

    InputError for the same path twice, two files with the same sha256, or an unreadable file.
    """
    options = options or ReviewOptions()
    _check_distinct(old, new)
    store = Store()
    old_doc, _ = ingest(Path(old), options.password, store)
    new_doc, _ = ingest(Path(new), options.password, store)
    if old_doc.sha256 == new_doc.sha256:
        raise InputError(
            f"{old} and {new} are the same document "
            f"(sha256 {old_doc.sha256[:12]}): compare two different versions"
        )
    before = review_document(Path(old), model, options, progress, store)
    after = review_document(Path(new), model, options, progress, store)
    old_items = {r.id: r for r in before.items}
    items = [
        version_item(old_items[r.id], r, old_doc, new_doc) for r in after.items if r.id in old_items
    ]
    counts = Counter(i.status for i in items)
    return VersionComparison(
        tool_version=__version__,
        created_at=utc_now(),
        old=before.document,
        new=after.document,
        model=after.model,
        rubric_version=after.rubric_version,
        rubric=after.rubric,
        corpus_version=after.corpus_version,
        counts={s: counts[s] for s in STATUSES},
        items=items,
    )
