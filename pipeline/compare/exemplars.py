"""Exemplar mode: guess the sector, choose exemplars, and set each rubric item beside what
each chosen exemplar shows for it (its corpus note, passages and one contrast sentence)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .. import __version__
from ..corpus import Manifest, Source, absences, load_manifest
from ..exemplar_choice import Candidate, choose, missing_note
from ..ingest import ingest, load_saved
from ..models.base import ModelAPI
from ..records import Document, ExemplarRef, ItemResult, Review
from ..retrieval import RetrievalSettings, retrieve_exemplars
from ..review import Progress, ReviewOptions, review_document
from ..rubric import RubricItem, active
from ..store import EXEMPLARS, Store, document_collection
from .records import (
    ExemplarCell,
    ExemplarComparison,
    ExemplarItem,
    ExemplarNote,
    ExemplarSource,
    ItemSide,
    clip,
    first_sentence,
    page_cite,
)
from .sides import item_side, utc_now

AUTO_LIMIT = 3
FIRST_CHUNKS = 4  # the opening chunks stand for the document in the similarity
MIN_SECTOR_TERMS = 3
CLAIM_CHARS = 220

SECTOR_TERMS: dict[str, re.Pattern[str]] = {
    "health": re.compile(r"\b(?:NHS|trusts?|patients?|hospitals?|clinical|clinicians?)\b", re.I),
    "local": re.compile(r"\b(?:councils?|councillors?|residents?|boroughs?)\b", re.I),
}


def user_cite(side: ItemSide) -> str:
    """``p. <label>`` of the best (first) verified evidence, or ``no evidence found``."""
    return next((c for e in side.evidence if (c := page_cite(e))), "no evidence found")


def _load_document(path: Path, review: Review, options: ReviewOptions, store: Store) -> Document:
    return load_saved(review.document.sha256) or ingest(path, options.password, store)[0]


# ---------------------------------------------------------------- sector and similarity


def guess_sector(document: Document) -> tuple[str, str]:
    """health (NHS/trust/patients), local (council/residents/borough) or central; and why."""
    text = f"{document.title}\n{document.text}"
    counts = {sector: len(pattern.findall(text)) for sector, pattern in SECTOR_TERMS.items()}
    basis = (
        f"{counts['health']} health terms (NHS, trust, patients, ...), "
        f"{counts['local']} local terms (council, residents, borough, ...)"
    )
    best = max(counts, key=lambda s: (counts[s], s == "health"))
    if counts[best] < MIN_SECTOR_TERMS:
        return "central", basis
    return best, basis


def _stored(
    store: Store, name: str, where: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Metadata and stored vectors of a collection (no re-embedding)."""
    hits = store.get(name, where=where, embeddings=True)
    metas = [h.metadata for h in hits]
    if not hits or any(h.embedding is None for h in hits):
        return metas, np.zeros((0, 0))
    return metas, np.asarray([h.embedding for h in hits], dtype=np.float64)


def _unit(vector: np.ndarray) -> np.ndarray | None:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else None


def document_vector(store: Store, document: Document) -> np.ndarray | None:
    """The mean of the document's first chunks' stored vectors."""
    metas, vectors = _stored(store, document_collection(document.sha256))
    if not len(vectors):
        return None
    order = sorted(range(len(metas)), key=lambda i: int(metas[i].get("index", i) or 0))
    return _unit(vectors[order[:FIRST_CHUNKS]].mean(axis=0))


def source_vectors(store: Store) -> dict[str, np.ndarray]:
    """Each source's mean note vector; sources without notes use their passages."""
    metas, vectors = _stored(store, EXEMPLARS)
    if len(vectors) != len(metas):
        return {}
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, meta in enumerate(metas):
        key = (str(meta.get("source_id", "")), meta.get("kind") == "note")
        groups.setdefault(key, []).append(i)
    out: dict[str, np.ndarray] = {}
    for (source_id, is_note), rows in sorted(groups.items(), key=lambda g: g[0][1]):
        unit = _unit(vectors[rows].mean(axis=0))
        if unit is not None and (is_note or source_id not in out):  # notes (last) win
            out[source_id] = unit
    return out


NoteIndex = dict[tuple[str, str], list[ExemplarNote]]


def notes_by_item(store: Store, source_ids: Sequence[str]) -> NoteIndex:
    """The indexed corpus notes of these sources, keyed by (source id, item id)."""
    if not source_ids:
        return {}
    where = {"$and": [{"kind": "note"}, {"source_id": {"$in": list(source_ids)}}]}
    out: NoteIndex = {}
    for hit in sorted(store.get(EXEMPLARS, where=where), key=lambda h: h.id):
        meta = hit.metadata
        note = ExemplarNote(
            text=hit.text,
            section=str(meta.get("section") or ""),
            stance=str(meta.get("stance") or "exemplary"),
            secondary=bool(meta.get("secondary")),
        )
        out.setdefault((str(meta.get("source_id")), str(meta.get("item_id"))), []).append(note)
    return out


def _with_passages(store: Store, source_ids: Sequence[str]) -> set[str]:
    """Sources with fetched or added text in the index (only those are worth searching)."""
    return {
        sid
        for sid in source_ids
        if store.any(EXEMPLARS, where={"$and": [{"kind": "passage"}, {"source_id": sid}]})
    }


# ---------------------------------------------------------------- choosing exemplars


def _exemplar_source(
    source: Source,
    chosen_by: Literal["user", "auto"],
    reason: str,
    similarity: float | None,
    covered: int,
) -> ExemplarSource:
    return ExemplarSource(
        source_id=source.id,
        title=source.title,
        organisation=source.organisation,
        url=source.url,
        sector=source.sector,
        year=source.year,
        chosen_by=chosen_by,
        reason=reason,
        similarity=similarity,
        items_with_notes=covered,
    )


def _similarities(store: Store, document: Document) -> dict[str, float]:
    doc = document_vector(store, document)
    if doc is None:
        return {}
    return {sid: round(float(vec @ doc), 2) for sid, vec in source_vectors(store).items()}


def _coverage(store: Store, source_ids: Sequence[str]) -> Counter[str]:
    return Counter(sid for sid, _ in notes_by_item(store, source_ids))


def choose_exemplars(
    document: Document,
    manifest: Manifest,
    store: Store,
    sector: str,
    limit: int = AUTO_LIMIT,
    ratings: dict[str, str] | None = None,
) -> list[ExemplarSource]:
    """Up to ``limit`` sources, ranked by pipeline/exemplar_choice.py: the sources with notes on
    the items ``ratings`` shows weakest, the closest same-sector source first if it has one."""
    sims = _similarities(store, document)
    indexed = [s for s in manifest.sources if not sims or s.id in sims]
    noted = notes_by_item(store, [s.id for s in indexed])
    candidates = [
        Candidate(
            source_id=s.id,
            sector=s.sector,
            similarity=sims.get(s.id),
            noted=frozenset(item for sid, item in noted if sid == s.id),
        )
        for s in indexed
    ]
    by_id = {s.id: s for s in indexed}
    return [
        _exemplar_source(
            by_id[c.source_id],
            "auto",
            c.reason,
            sims.get(c.source_id),
            sum(1 for sid, _ in noted if sid == c.source_id),
        )
        for c in choose(candidates, ratings or {}, sector, limit)
    ]


def named_exemplars(source_ids: Sequence[str], manifest: Manifest) -> list[Source]:
    """The sources named with --with, in order, without repeats; InputError for unknown ids."""
    return [manifest.source(sid) for sid in dict.fromkeys(source_ids)]


def _user_exemplars(
    sources: Sequence[Source], document: Document, store: Store, sector: str
) -> list[ExemplarSource]:
    sims = _similarities(store, document)
    coverage = _coverage(store, [s.id for s in sources])
    out = []
    for source in sources:
        sim = sims.get(source.id)
        same = "same sector" if source.sector == sector else "other sector"
        reason = f"chosen with --with; {same} ({source.sector})"
        reason += f"; similarity {sim:.2f}" if sim is not None else ""
        out.append(_exemplar_source(source, "user", reason, sim, coverage[source.id]))
    return out


# ---------------------------------------------------------------- the contrast sentence

# What the user's strategy does beside the exemplar, by the note's stance and the user's rating.
_EXEMPLARY = {
    "green": "your strategy does this too",
    "amber": "your strategy does this only in part",
    "red": "your strategy does not",
    "insufficient_evidence": "your strategy gives too little to tell whether it does",
}
_CAUTIONARY = {
    "green": "your strategy avoids this weakness",
    "amber": "your strategy shows some of the same weakness",
    "red": "your strategy shares this weakness",
    "insufficient_evidence": "your strategy gives too little to tell whether it shares it",
}


def contrast_sentence(
    user: ItemSide,
    source: ExemplarSource,
    note: ExemplarNote | None,
    passages: Sequence[ExemplarRef] = (),
) -> str:
    """One deterministic sentence citing both sides: the exemplar's title and section, and the
    page of the user's best evidence (or "no evidence found")."""
    rated = f"rated “{user.rating_label}”, {user_cite(user)}"
    if user.status == "failed":
        rated = "not assessed: the review of this item failed"
    if note is None:
        if passages:
            where = ", ".join(x for x in (source.title, passages[0].page) if x)
            snippet = clip(passages[0].passage, 140)
            return (
                f"{where}: no note on this item, but its closest passage reads “{snippet}”; "
                f"your strategy is {rated}."
            )
        return (
            f"{source.title} has no corpus note on this item, so there is nothing to set "
            f"beside your strategy ({rated})."
        )
    where = f"{source.title}, {note.section}" if note.section else source.title
    claim = clip(first_sentence(note.text), CLAIM_CHARS).rstrip(".")
    phrases = _CAUTIONARY if note.stance == "cautionary" else _EXEMPLARY
    return f"{where}: {claim}; {phrases[user.rating]} ({rated})."


# ---------------------------------------------------------------- exemplar mode


def _passages(
    item: RubricItem, store: Store, settings: RetrievalSettings, source_id: str
) -> list[ExemplarRef]:
    found = retrieve_exemplars(item, store, settings, [source_id])
    return [ref for ref in found if ref.kind == "passage"]


def exemplar_item(
    result: ItemResult,
    item: RubricItem,
    sources: Sequence[ExemplarSource],
    notes: NoteIndex,
    searchable: set[str],
    store: Store,
    settings: RetrievalSettings,
) -> ExemplarItem:
    user = item_side(result)
    cells = []
    for source in sources:
        found = notes.get((source.source_id, item.id), [])
        passages = (
            _passages(item, store, settings, source.source_id)
            if source.source_id in searchable
            else []
        )
        contrast = contrast_sentence(user, source, found[0] if found else None, passages)
        cells.append(
            ExemplarCell(
                source_id=source.source_id, notes=found, passages=passages, contrast=contrast
            )
        )
    return ExemplarItem(
        id=result.id, kind=result.kind, title=result.title, user=user, exemplars=cells
    )


def compare_with_exemplars(
    path: Path,
    model: ModelAPI,
    source_ids: Sequence[str] | None = None,
    options: ReviewOptions | None = None,
    progress: Progress | None = None,
) -> ExemplarComparison:
    """Review ``path`` (cached items are free) and set each item beside chosen exemplars.

    ``source_ids`` None or empty: up to three chosen automatically (same sector, similarity).
    Raises InputError for an unknown source id before any review work.
    """
    options = options or ReviewOptions()
    manifest = load_manifest()
    named = named_exemplars(source_ids or [], manifest)
    store = Store()
    review = review_document(Path(path), model, options, progress, store)
    document = _load_document(Path(path), review, options, store)
    sector, basis = guess_sector(document)
    sources = (
        _user_exemplars(named, document, store, sector)
        if named
        else choose_exemplars(
            document, manifest, store, sector, ratings={r.id: r.rating for r in review.items}
        )
    )
    ids = [s.source_id for s in sources]
    notes, searchable = notes_by_item(store, ids), _with_passages(store, ids)
    rubric = active(options.rubric)
    items = [
        exemplar_item(r, rubric.item(r.id), sources, notes, searchable, store, options.settings)
        for r in review.items
    ]
    # a chosen exemplar with no note on an item says why (exemplar_choice.py)
    gaps, origin = absences(manifest), {s.id: s.origin for s in manifest.sources}
    for item in items:
        for cell in (c for c in item.exemplars if not c.notes):
            cell.missing = missing_note(cell.source_id, item.id, gaps, origin[cell.source_id])
    return ExemplarComparison(
        tool_version=__version__,
        created_at=utc_now(),
        document=review.document,
        model=review.model,
        rubric_version=review.rubric_version,
        rubric=review.rubric,
        corpus_version=review.corpus_version,
        sector=sector,
        sector_basis=basis,
        exemplars=sources,
        items=items,
    )
