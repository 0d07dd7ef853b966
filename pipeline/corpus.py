"""The exemplar corpus: a manifest of real public-sector strategies, notes written in this
project's own words, documents the user adds, and public documents fetched on request.

Everything is indexed into one logical Chroma collection, ``exemplars``: each build fills a new
versioned collection and swaps it in (see pipeline/store.py), under a lock on the home.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .documents import read_document, sha256_file
from .errors import InputError
from .fsutil import atomic_write_text
from .home import fetched_dir, user_corpus_dir
from .locks import hold
from .records import Document
from .resources import corpus_dir
from .store import EXEMPLARS, Hit, Store, set_aside_damaged

NOTE_FIELDS = ("section", "stance", "basis")
STANCES = ("exemplary", "cautionary", "absent")  # absent: read, and the item is not in the source
MIN_PRIMARY = 3  # primary notes (from the source's own text) per item, from as many organisations
COPY_RUN = 8  # a note may share no run of this many consecutive words with its source


class Source(BaseModel):
    id: str
    title: str
    organisation: str
    org_id: str = ""  # one key per publishing body, so two sources of one body count once
    sector: str = "central"
    country: str = ""
    year: int | None = None
    url: str = ""
    licence: str = ""
    fetch_urls: list[str] = Field(default_factory=list)
    text_basis: str = "secondary"
    origin: str = "manifest"  # manifest | user

    @property
    def org_key(self) -> str:
        return self.org_id or self.organisation


class Note(BaseModel):
    source_id: str
    item_id: str
    section: str
    stance: str
    secondary: bool
    text: str

    @property
    def absent(self) -> bool:
        """Read and not covered: the text says why; it is no example of the item."""
        return self.stance == "absent"


class Manifest(BaseModel):
    version: str
    sources: list[Source]

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        known = ", ".join(s.id for s in self.sources[:6])
        raise InputError(f"unknown exemplar source id {source_id!r} (known: {known}, ...)")


# ------------------------------------------------------------------ manifest and notes


def load_manifest(path: Path | None = None) -> Manifest:
    path = path or corpus_dir() / "manifest.json"
    try:
        manifest = Manifest.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"corpus manifest not found: {path}") from exc
    except ValueError as exc:
        raise InputError(f"corpus manifest {path} is invalid: {str(exc).splitlines()[0]}") from exc
    known = {s.id for s in manifest.sources}
    manifest.sources.extend(s for s in _user_sources() + _fetched_sources() if s.id not in known)
    return manifest


def parse_notes(source_id: str, text: str) -> list[Note]:
    """Parse a notes file: ``## <item id>`` sections with section/stance/basis lines."""
    notes = []
    for block in re.split(r"^## +", text, flags=re.M)[1:]:
        heading, _, body = block.partition("\n")
        fields: dict[str, str] = {}
        prose: list[str] = []
        for line in body.strip().splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() in NOTE_FIELDS and not prose:
                fields[key.strip()] = value.strip()
            elif line.strip():
                prose.append(line.strip())
        notes.append(
            Note(
                source_id=source_id,
                item_id=heading.strip(),
                section=fields.get("section", ""),
                stance=fields.get("stance", "exemplary"),
                secondary=fields.get("basis", "full_text") == "secondary",
                text=" ".join(prose),
            )
        )
    return notes


def load_notes(manifest: Manifest, notes_dir: Path | None = None) -> list[Note]:
    notes_dir = notes_dir or corpus_dir() / "notes"
    notes: list[Note] = []
    for source in manifest.sources:
        path = notes_dir / f"{source.id}.md"
        if path.exists():
            notes.extend(parse_notes(source.id, path.read_text(encoding="utf-8")))
    return notes


def absences(manifest: Manifest, notes_dir: Path | None = None) -> dict[tuple[str, str], str]:
    """Why a source has no note on an item, where the notes record it: (source, item) -> text."""
    return {(n.source_id, n.item_id): n.text for n in load_notes(manifest, notes_dir) if n.absent}


def word_runs(text: str, length: int = COPY_RUN) -> set[tuple[str, ...]]:
    """Every run of ``length`` consecutive words, lower-cased, punctuation dropped."""
    words = re.findall(r"\w+", text.lower().replace("’", "'").replace("'", ""))
    return {tuple(words[i : i + length]) for i in range(len(words) - length + 1)}


def note_problems(
    manifest: Manifest,
    notes: list[Note],
    item_ids: list[str],
    minimum: int = MIN_PRIMARY,
) -> list[str]:
    """What keeps the notes from the corpus standard, one line each (empty: none).

    Every note names a known item, has a section and a known stance; a primary note comes from a
    full-text source; every item has ``minimum`` primary notes from ``minimum`` organisations.
    """
    by_id = {s.id: s for s in manifest.sources}
    problems = []
    for note in notes:
        where = f"{note.source_id} / {note.item_id}"
        if note.item_id not in item_ids:
            problems.append(f"{where}: not a rubric item id")
        if not note.section:
            problems.append(f"{where}: no section")
        if note.stance not in STANCES:
            problems.append(f"{where}: stance {note.stance!r} is not one of {', '.join(STANCES)}")
        if not note.text:
            problems.append(f"{where}: no text")
        if not note.secondary and by_id[note.source_id].text_basis != "full_text":
            problems.append(
                f"{where}: basis full_text but the source is {by_id[note.source_id].text_basis}"
            )
    for item_id in item_ids:
        orgs = primary_organisations(manifest, notes, item_id)
        if len(orgs) < minimum:
            problems.append(
                f"{item_id}: primary notes from {len(orgs)} organisation(s), need {minimum}"
            )
    return problems


def primary_organisations(manifest: Manifest, notes: list[Note], item_id: str) -> set[str]:
    """The organisations with a primary note on the item: full text, exemplary or cautionary."""
    by_id = {s.id: s for s in manifest.sources}
    return {
        by_id[n.source_id].org_key
        for n in notes
        if n.item_id == item_id and not n.secondary and n.stance in STANCES and not n.absent
    }


def corpus_version(manifest: Manifest) -> str:
    digest = hashlib.sha256(manifest.model_dump_json().encode())
    notes_dir = corpus_dir() / "notes"
    for path in sorted(notes_dir.glob("*.md")):
        digest.update(path.read_bytes())
    for path in sorted(fetched_dir().glob("*/*")):
        digest.update(path.name.encode())
    return f"{manifest.version}+{digest.hexdigest()[:8]}"


# ------------------------------------------------------------------ build and search


def built_version(store: Store | None = None) -> str | None:
    """The corpus version of the live exemplar collection, if one is built."""
    return (store or Store()).version(EXEMPLARS) or None


def _source_meta(source: Source) -> dict[str, Any]:
    return {
        "source_id": source.id,
        "title": source.title,
        "organisation": source.organisation,
        "url": source.url,
        "sector": source.sector,
        "year": source.year or 0,
    }


def _note_rows(manifest: Manifest) -> list[tuple[str, str, dict[str, Any]]]:
    by_id = {s.id: s for s in manifest.sources}
    rows = []
    for note in load_notes(manifest):
        if note.absent:
            continue  # a reason for a gap, not an example: never retrieved or counted
        meta = _source_meta(by_id[note.source_id]) | {
            "kind": "note",
            "item_id": note.item_id,
            "section": note.section,
            "stance": note.stance,
            "secondary": note.secondary,
        }
        rows.append((f"note:{note.source_id}:{note.item_id}", note.text, meta))
    return rows


def _passage_rows(source: Source, document: Document) -> list[tuple[str, str, dict[str, Any]]]:
    rows = []
    for chunk in document.chunks:
        label = document.page(chunk.page_start).page_label
        meta = _source_meta(source) | {
            "kind": "passage",
            "item_id": "",
            "section": f"p. {label}" if document.format == "pdf" else label,
            "stance": "",
            "secondary": False,
        }
        rows.append((f"passage:{source.id}:{document.sha256[:8]}:{chunk.id}", chunk.text, meta))
    return rows


def _document_rows(manifest: Manifest) -> list[tuple[str, str, dict[str, Any]]]:
    """Passages from fetched public documents and from documents the user added."""
    rows = []
    for source in manifest.sources:
        folder = (user_corpus_dir() if source.origin == "user" else fetched_dir()) / source.id
        for path in sorted(folder.glob("*")) if folder.is_dir() else []:
            if path.name.startswith(".") or path.suffix == ".json":
                continue
            try:
                rows.extend(_passage_rows(source, read_document(path)))
            except InputError:
                continue  # reported by fetch/add; a bad file must not stop the build
    return rows


def _is_current(store: Store, version: str) -> bool:
    pointer = store.pointer(EXEMPLARS)
    return (
        pointer is not None
        and pointer.version == version
        and pointer.embedding_model == store.embedder.name
        and store.exists(EXEMPLARS)
    )


def build(
    manifest_path: Path | None = None, rebuild: bool = False, store: Store | None = None
) -> dict[str, Any]:
    """(Re)index the corpus into a new collection and swap it in. A no-op when nothing changed.

    One process builds at a time (a lock on the home); the others wait, then find it built.
    ``rebuild`` re-embeds everything, and first sets a damaged local store aside.
    """
    if rebuild and set_aside_damaged() is not None:
        store = None  # the old client pointed at the damaged folder
    manifest = load_manifest(manifest_path)
    store = store or Store()
    version = corpus_version(manifest)
    with hold("corpus-build", "to finish building the exemplar corpus"):
        if not rebuild and _is_current(store, version):
            return {"corpus_version": version, "indexed": store.count(EXEMPLARS), "rebuilt": False}
        rows = _note_rows(manifest) + _document_rows(manifest)
        ids, texts, metas = (list(x) for x in zip(*rows, strict=True)) if rows else ([], [], [])
        pointer = store.publish(EXEMPLARS, ids, texts, metas, version=version)
    return {
        "corpus_version": version,
        "indexed": pointer.count,
        "rebuilt": True,
        "collection": pointer.collection,
    }


def ensure_built(store: Store | None = None) -> str:
    """Build the exemplar index on first use; return the corpus version."""
    store = store or Store()
    version = corpus_version(load_manifest())
    if not _is_current(store, version):
        build(store=store)
    return version


def status(store: Store | None = None) -> dict[str, Any]:
    """The live exemplar collection, its size and versions, against the manifest's."""
    store = store or Store()
    manifest = load_manifest()
    pointer = store.pointer(EXEMPLARS)
    current = corpus_version(manifest)
    return {
        **store.status(),
        "collection": pointer.collection if pointer else None,
        "count": pointer.count if pointer else 0,
        "built_at": pointer.built_at if pointer else None,
        "built_with": pointer.embedding_model if pointer else None,
        "built_version": pointer.version if pointer else None,
        "manifest_version": manifest.version,
        "corpus_version": current,
        "up_to_date": pointer is not None and _is_current(store, current),
    }


def hit_to_dict(hit: Hit) -> dict[str, Any]:
    meta = hit.metadata
    return {
        "source_id": meta.get("source_id"),
        "title": meta.get("title"),
        "organisation": meta.get("organisation"),
        "url": meta.get("url"),
        "page": meta.get("section") or None,
        "kind": meta.get("kind"),
        "item_id": meta.get("item_id") or None,
        "secondary": bool(meta.get("secondary")),
        "score": round(hit.score, 4),
        "text": hit.text,
    }


def search(
    query: str, k: int = 5, store: Store | None = None, where: dict | None = None
) -> list[dict[str, Any]]:
    if not query.strip():
        raise InputError("the search query is empty")
    store = store or Store()
    ensure_built(store)
    return [hit_to_dict(h) for h in store.search(EXEMPLARS, query, k=k, where=where)]


# ------------------------------------------------------------------ user sources


def _user_registry() -> Path:
    return user_corpus_dir() / "sources.json"


def _user_sources() -> list[Source]:
    path = _user_registry()
    if not path.exists():
        return []
    return [Source.model_validate(s) for s in json.loads(path.read_text(encoding="utf-8"))]


def _fetched_sources() -> list[Source]:
    """Sources fetched from another manifest keep their metadata beside their files."""
    found = []
    for path in sorted(fetched_dir().glob("*/source.json")):
        found.append(Source.model_validate_json(path.read_text(encoding="utf-8")))
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "source"


def add(
    paths: list[Path],
    title: str,
    organisation: str,
    year: int | None,
    url: str,
    sector: str = "central",
    source_id: str | None = None,
) -> Source:
    """Add the user's own exemplar documents: each file is read first, so nothing is half-added."""
    documents = [read_document(Path(p)) for p in paths]  # raises InputError before any change
    source = Source(
        id=source_id or f"user-{_slug(organisation)}-{_slug(title)}",
        title=title,
        organisation=organisation,
        sector=sector,
        year=year,
        url=url,
        text_basis="full_text",
        origin="user",
    )
    folder = user_corpus_dir() / source.id
    folder.mkdir(parents=True, exist_ok=True)
    for document in documents:
        target = folder / f"{document.sha256[:12]}{Path(document.path).suffix.lower()}"
        shutil.copyfile(document.path, target)
    others = [s for s in _user_sources() if s.id != source.id]
    atomic_write_text(
        _user_registry(), json.dumps([s.model_dump() for s in [*others, source]], indent=2)
    )
    build()
    return source


# ------------------------------------------------------------------ fetch


def _download(url: str, target: Path, timeout: float) -> str:
    request = urllib.request.Request(url, headers={"User-Agent": "strategy-review corpus fetch"})
    temp = target.with_name(f".{target.name}.part")
    digest = hashlib.sha256()
    with urllib.request.urlopen(request, timeout=timeout) as response, temp.open("wb") as out:
        for block in iter(lambda: response.read(1 << 16), b""):
            digest.update(block)
            out.write(block)
    temp.replace(target)
    return digest.hexdigest()


def _filename(url: str, index: int) -> str:
    name = Path(urllib.request.url2pathname(url.split("?")[0].rstrip("/"))).name or "index"
    if "." not in name:
        name += ".html"
    return f"{index:02d}-{_slug(Path(name).stem)}{Path(name).suffix.lower()}"


def fetch(
    manifest_path: Path | None = None,
    only: list[str] | None = None,
    timeout: float = 30.0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Download the manifest's public documents into the home directory, with checksums."""
    manifest = load_manifest(manifest_path)
    chosen = [manifest.source(s) for s in only] if only else manifest.sources
    checksums_path = fetched_dir() / "checksums.json"
    checksums = json.loads(checksums_path.read_text()) if checksums_path.exists() else {}
    fetched, failed = [], []
    for source in chosen:
        for index, url in enumerate(source.fetch_urls):
            target = fetched_dir() / source.id / _filename(url, index)
            target.parent.mkdir(parents=True, exist_ok=True)
            if progress:
                progress(url)
            try:
                sha = _download(url, target, timeout)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                failed.append({"source_id": source.id, "url": url, "error": str(exc)[:200]})
                continue
            checksums[f"{source.id}/{target.name}"] = {"url": url, "sha256": sha}
            atomic_write_text(target.parent / "source.json", source.model_dump_json())
            fetched.append({"source_id": source.id, "url": url, "path": str(target), "sha256": sha})
    atomic_write_text(checksums_path, json.dumps(checksums, indent=2, sort_keys=True))
    if fetched:
        build(manifest_path)
    return {"fetched": fetched, "failed": failed}


def verify_fetched() -> list[str]:
    """Names of fetched files whose checksum no longer matches."""
    checksums_path = fetched_dir() / "checksums.json"
    if not checksums_path.exists():
        return []
    bad = []
    for name, entry in json.loads(checksums_path.read_text()).items():
        path = fetched_dir() / name
        if not path.exists() or sha256_file(path) != entry["sha256"]:
            bad.append(name)
    return bad
