"""Compare a strategy with exemplars from the corpus, or with an earlier version of itself.

Both modes start from ordinary reviews (:func:`~pipeline.review.review_document`, so items
already reviewed come from the cache and cost no model calls) and add no model calls of their
own: everything else here is deterministic.

Exemplar mode sets the user's rating, finding and verified evidence for each rubric item beside
what each chosen exemplar shows for that item: its corpus note (with stance and section), any
passage retrieved from its fetched text, and one templated sentence contrasting the two.

Version mode rates both versions and gives each item a status. Ratings are oriented so that
green is always good (a warning sign rated green is avoided), so:

- ``unchanged``: the same rating;
- ``resolved``: red or amber before, green now;
- ``new``: green or insufficient evidence before, red or amber now;
- ``better``: red to amber, or insufficient evidence to green;
- ``worse``: amber to red, or any rating to insufficient evidence (less to go on).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from . import __version__
from .corpus import Manifest, Source, absences, load_manifest
from .errors import InputError
from .exemplar_choice import Candidate, MissingNote, choose, missing_note
from .ingest import ingest, load_saved
from .models.base import ModelAPI
from .normalise import normalise_for_match
from .records import (
    Document,
    DocumentRef,
    Evidence,
    ExemplarRef,
    ItemKind,
    ItemResult,
    ModelRef,
    Rating,
    Review,
    RubricRef,
    rating_label,
)
from .report import ReportError, _fsync_dir, _write_temp, common
from .retrieval import RetrievalSettings, retrieve_exemplars
from .review import Progress, ReviewOptions, review_document
from .rubric import RubricItem, active
from .store import EXEMPLARS, Store, document_collection

AUTO_LIMIT = 3
FIRST_CHUNKS = 4  # the opening chunks stand for the document in the similarity
MIN_SECTOR_TERMS = 3
CLAIM_CHARS = 220
FILENAMES = {"json": "compare.json", "md": "compare.md", "html": "compare.html"}

Status = Literal["resolved", "new", "worse", "better", "unchanged"]
STATUSES: tuple[Status, ...] = ("resolved", "better", "unchanged", "worse", "new")
_GOOD = {"green": 2, "amber": 1, "red": 0}
_PROBLEM = ("red", "amber")

SECTOR_TERMS: dict[str, re.Pattern[str]] = {
    "health": re.compile(r"\b(?:NHS|trusts?|patients?|hospitals?|clinical|clinicians?)\b", re.I),
    "local": re.compile(r"\b(?:councils?|councillors?|residents?|boroughs?)\b", re.I),
}


# ---------------------------------------------------------------- records


class ItemSide(BaseModel):
    """One document's result for one item: what the comparison shows of a review."""

    rating: Rating
    rating_label: str
    finding: str
    confidence: str
    status: Literal["ok", "failed"] = "ok"
    evidence: list[Evidence] = Field(default_factory=list)  # verified quotes only


class ExemplarSource(BaseModel):
    source_id: str
    title: str
    organisation: str
    url: str
    sector: str
    year: int | None = None
    chosen_by: Literal["user", "auto"]
    reason: str
    similarity: float | None = None
    items_with_notes: int = 0


class ExemplarNote(BaseModel):
    text: str
    section: str
    stance: str  # exemplary | cautionary
    secondary: bool = False


class ExemplarCell(BaseModel):
    source_id: str
    notes: list[ExemplarNote] = Field(default_factory=list)
    passages: list[ExemplarRef] = Field(default_factory=list)
    contrast: str  # what the exemplar does that the user's strategy does not, citing both
    missing: MissingNote | None = None  # why there is no note (set only when notes is empty)


class ExemplarItem(BaseModel):
    id: str
    kind: ItemKind
    title: str
    user: ItemSide
    exemplars: list[ExemplarCell]


class ExemplarComparison(BaseModel):
    schema_version: str = "1"
    mode: Literal["exemplars"] = "exemplars"
    tool_version: str
    created_at: str
    document: DocumentRef
    model: ModelRef
    rubric_version: str
    rubric: RubricRef | None = None
    corpus_version: str
    sector: str  # guessed from the document's text
    sector_basis: str
    exemplars: list[ExemplarSource]
    items: list[ExemplarItem]


class PageRef(BaseModel):
    page: int  # 1-based PDF index
    page_label: str


class EvidenceChange(BaseModel):
    change: Literal["appeared", "disappeared", "kept"]
    quote: str
    old_page: PageRef | None = None  # where the text is in the old version (None: not in it)
    new_page: PageRef | None = None


class VersionItem(BaseModel):
    id: str
    kind: ItemKind
    title: str
    old: ItemSide
    new: ItemSide
    status: Status
    evidence: list[EvidenceChange] = Field(default_factory=list)


class VersionComparison(BaseModel):
    schema_version: str = "1"
    mode: Literal["versions"] = "versions"
    tool_version: str
    created_at: str
    old: DocumentRef
    new: DocumentRef
    model: ModelRef
    rubric_version: str
    rubric: RubricRef | None = None
    corpus_version: str
    counts: dict[str, int]
    items: list[VersionItem]


Comparison = ExemplarComparison | VersionComparison


# ---------------------------------------------------------------- shared helpers


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def item_side(result: ItemResult) -> ItemSide:
    """The rating, a finding fit to show (never rejected model text) and verified evidence."""
    if result.status == "failed":
        finding = common.failed_text(result)
    elif result.confidence == "low":
        finding = common.checks_summary(result) or common.low_confidence_notice(result)
    else:
        finding = result.summary
    return ItemSide(
        rating=result.rating,
        rating_label=result.rating_label or rating_label(result.kind, result.rating),
        finding=finding,
        confidence=result.confidence,
        status=result.status,
        evidence=[e for e in result.evidence if e.verified],
    )


def page_cite(ev: Evidence) -> str | None:
    label = ev.page_label or (str(ev.page) if ev.page is not None else None)
    return f"p. {label}" if label else None


def user_cite(side: ItemSide) -> str:
    """``p. <label>`` of the best (first) verified evidence, or ``no evidence found``."""
    return next((c for e in side.evidence if (c := page_cite(e))), "no evidence found")


def quote_key(quote: str) -> str:
    """Quotes compared by normalised text: case, spacing, curly quotes, bullets, end marks."""
    text = normalise_for_match(quote).replace("…", " ").replace("...", " ")
    return re.sub(r"^[\W_]+|[\W_]+$", "", " ".join(text.split()))


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

_SECONDARY_PREFIX = re.compile(r"^Based on [^:]{0,80}:\s*", re.I)
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?=\s+[\"“‘(A-Z0-9]|$)", re.S)

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


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def first_sentence(note: str) -> str:
    """The note's first sentence, without the 'Based on the guide's description only:' lead."""
    text = _SECONDARY_PREFIX.sub("", " ".join(note.split()))
    text = text[:1].upper() + text[1:]
    match = _FIRST_SENTENCE.match(text)
    return (match.group(1) if match else text).strip()


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
    # issue 11 §5: a chosen exemplar with no note on an item says why (exemplar_choice.py)
    gaps, origin = absences(manifest), {s.id: s.origin for s in manifest.sources}
    for item in items:
        for cell in (c for c in item.exemplars if not c.notes):
            cell.missing = missing_note(cell.source_id, item.id, gaps, origin[cell.source_id])
    return ExemplarComparison(
        tool_version=__version__,
        created_at=_now(),
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


# ---------------------------------------------------------------- version mode


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
        created_at=_now(),
        old=before.document,
        new=after.document,
        model=after.model,
        rubric_version=after.rubric_version,
        rubric=after.rubric,
        corpus_version=after.corpus_version,
        counts={s: counts[s] for s in STATUSES},
        items=items,
    )


# ---------------------------------------------------------------- dispatch and output


def run_compare(
    files: Sequence[Path],
    out_dir: Path,
    model: ModelAPI,
    source_ids: Sequence[str] | None = None,
    options: ReviewOptions | None = None,
    progress: Progress | None = None,
) -> tuple[Comparison, dict[str, Path]]:
    """One file: compare with exemplars. Two files and no source ids: compare versions.
    Writes compare.json, compare.md and compare.html only when the comparison succeeded."""
    if len(files) == 2 and source_ids:
        raise InputError(
            "--with compares one document with exemplars: give one file, "
            "or two files (OLD NEW) without --with"
        )
    if len(files) not in (1, 2):
        raise InputError(
            f"give one file (compare with exemplars) or two files (OLD NEW), not {len(files)}"
        )
    comparison: Comparison
    if len(files) == 1:
        comparison = compare_with_exemplars(files[0], model, source_ids, options, progress)
    else:
        comparison = compare_versions(files[0], files[1], model, options, progress)
    return comparison, write_comparison(comparison, out_dir)


def render_comparison(comparison: Comparison) -> dict[str, str]:
    """compare.json, compare.md and compare.html as text, keyed by format."""
    from .report.compare_html import render_compare_html  # the renderers import this module
    from .report.compare_md import render_compare_markdown

    dump = json.dumps(comparison.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return {
        "json": dump + "\n",
        "md": render_compare_markdown(comparison),
        "html": render_compare_html(comparison),
    }


def write_comparison(comparison: Comparison, out_dir: Path) -> dict[str, Path]:
    """Render every format first, then write temp files and move them into place: a failure
    leaves no partial files. Returns format -> path; ReportError if writing fails."""
    texts = render_comparison(comparison)
    out = Path(out_dir)
    temps: dict[str, Path] = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for fmt, text in texts.items():
            temps[fmt] = _write_temp(out, FILENAMES[fmt], text)
        written = {}
        for fmt, tmp in list(temps.items()):
            os.replace(tmp, out / FILENAMES[fmt])
            del temps[fmt]
            written[fmt] = out / FILENAMES[fmt]
        _fsync_dir(out)
        return written
    except OSError as exc:
        raise ReportError(f"could not write the comparison to {out}: {exc}") from exc
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
