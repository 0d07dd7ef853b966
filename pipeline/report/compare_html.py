"""compare.html: a self-contained, printable matrix (no external CSS, JS, fonts or images).

Rows are rubric items grouped by kind; columns are the user's strategy and its exemplars, or
the old and new versions. Ratings are coloured badges that always carry a text label, and every
cell opens (``<details>``) onto its evidence with pages. All text goes through :func:`e`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from string import Template

from pipeline.compare import (
    STATUSES,
    Comparison,
    EvidenceChange,
    ExemplarCell,
    ExemplarComparison,
    ExemplarItem,
    ExemplarSource,
    ItemSide,
    PageRef,
    VersionComparison,
    VersionItem,
)
from pipeline.records import DocumentRef, Evidence, ExemplarRef
from pipeline.report import common as c
from pipeline.report.html import e

TEMPLATES = Path(__file__).parent / "templates"
TITLES = {
    "exemplars": "Strategy compared with exemplars (draft)",
    "versions": "Strategy versions compared (draft)",
}
BANNER = (
    "Draft: the ratings come from reviews by a language model (or by rules) and every finding "
    "must be checked by a person."
)
BANNERS = {
    "exemplars": BANNER + " Exemplar notes are this project's own summaries; the comparison "
    "sentences are templated from them, not written by a model.",
    "versions": BANNER + " Statuses and evidence changes are computed, not written by a model.",
}
STATUS_TEXT = {
    "resolved": "RESOLVED",
    "better": "BETTER",
    "unchanged": "UNCHANGED",
    "worse": "WORSE",
    "new": "NEW PROBLEM",
}
STANCE_TEXT = {"exemplary": "Exemplary", "cautionary": "Cautionary"}
NO_NOTE = "No corpus note or passage on this item."


@cache
def _template() -> Template:
    return Template((TEMPLATES / "compare.html").read_text(encoding="utf-8"))


def render_compare_html(comparison: Comparison) -> str:
    if isinstance(comparison, ExemplarComparison):
        return _page(
            comparison.mode,
            comparison.document,
            _exemplar_meta(comparison),
            "Exemplars",
            _exemplar_columns(comparison.exemplars),
            _legend(),
            _exemplar_matrix(comparison),
            comparison.tool_version,
        )
    return _page(
        comparison.mode,
        comparison.new,
        _version_meta(comparison),
        "Summary",
        _version_columns(comparison),
        _legend(statuses=True),
        _version_matrix(comparison),
        comparison.tool_version,
    )


def _page(
    mode: str,
    doc: DocumentRef,
    meta: str,
    columns_heading: str,
    columns: str,
    legend: str,
    matrix: str,
    tool_version: str,
) -> str:
    title = _doc_title(doc)
    return _template().substitute(
        page_title=e(f"{TITLES[mode]}: {title}"),
        report_title=e(TITLES[mode]),
        subtitle=e(title),
        banner=e(BANNERS[mode]),
        meta=meta,
        columns_heading=e(columns_heading),
        columns=columns,
        legend=legend,
        matrix=matrix,
        tool_version=e(tool_version),
        credit=_link(c.CREDIT_URL, c.CREDIT),
    )


# ---------------------------------------------------------------- small pieces


def _doc_title(doc: DocumentRef) -> str:
    return doc.title or Path(doc.path).name or "Untitled document"


def _link(url: str, text: str) -> str:
    safe = c.safe_url(url)
    if not safe:
        return e(text)
    return f'<a href="{e(safe)}" rel="noopener noreferrer">{e(text)}</a>'


def _dl(rows: Iterable[tuple[str, str]]) -> str:
    return '<dl class="meta">' + "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _badge(cls: str, text: str) -> str:
    return f'<span class="badge badge-{e(cls)}">{e(text)}</span>'


def rating_badge(side: ItemSide) -> str:
    if side.status == "failed":
        return _badge("failed", c.FAILED_TEXT)
    word = c.RATING_WORDS.get(side.rating, side.rating.upper())
    return _badge(side.rating, f"{word} — {side.rating_label}")


def _doc_meta(doc: DocumentRef) -> str:
    sha = f'<code title="{e(doc.sha256)}">{e(c.short_sha(doc.sha256))}</code>'
    where = f"({e(doc.path)}, {e(doc.pages)} pages, sha256 {sha})"
    return f'{e(_doc_title(doc))} <span class="cite">{where}</span>'


def _legend(statuses: bool = False) -> str:
    ratings = [
        ("green", "GREEN — good"),
        ("amber", "AMBER — partly"),
        ("red", "RED — problem"),
        ("insufficient_evidence", "GREY — insufficient evidence"),
    ]
    parts = [_badge(cls, text) for cls, text in ratings]
    if statuses:
        parts += [_badge(s, STATUS_TEXT[s]) for s in STATUSES]
    else:
        parts += [
            _badge("exemplary", "Exemplary note"),
            _badge("cautionary", "Cautionary note"),
            _badge("none", "No note"),
        ]
    return '<p class="legend"><span class="cite">Key:</span> ' + " ".join(parts) + "</p>"


def _pages_line(evidence: Sequence[Evidence]) -> str:
    cites = list(dict.fromkeys(x for ev in evidence if (x := _short_page(ev))))
    text = "Evidence: " + ", ".join(cites) if cites else "No verified evidence"
    return f'<p class="pages cite">{e(text)}</p>'


def _short_page(ev: Evidence) -> str | None:
    label = ev.page_label or (str(ev.page) if ev.page is not None else None)
    return f"p. {label}" if label else None


def _quote(ev: Evidence) -> str:
    cite = f'{e(c.page_text(ev))} · <span class="tick">&#10003; verified</span>'
    cite += f" · source: {e(c.source_text(ev))}"
    return f'<blockquote><p>{e(ev.quote)}</p><footer class="cite">{cite}</footer></blockquote>'


def side_cell(side: ItemSide) -> str:
    """A rating badge, the pages cited, and a <details> with the finding and quotes."""
    quotes = "".join(f"<li>{_quote(ev)}</li>" for ev in side.evidence)
    body = f"<p>{e(side.finding)}</p>"
    body += f'<ul class="evidence">{quotes}</ul>' if quotes else "<p>No verified evidence.</p>"
    details = f"<details><summary>Finding and evidence</summary>{body}</details>"
    return rating_badge(side) + _pages_line(side.evidence) + details


def _table(head: Sequence[str], groups: Iterable[tuple[str, list[str]]]) -> str:
    """A matrix: ``head`` is escaped HTML for the column heads; groups are (kind, rows)."""
    cols = '<col class="item">' + "<col>" * (len(head) - 1)
    ths = "".join(f'<th scope="col">{h}</th>' for h in head)
    body = []
    for kind, rows in groups:
        group = f'<tr class="group"><th colspan="{len(head)}" scope="colgroup">'
        group += f"{e(c.KIND_HEADINGS[kind])}</th></tr>"
        body.append(f"<tbody>\n{group}\n" + "\n".join(rows) + "\n</tbody>")
    return (
        f'<table class="matrix"><colgroup>{cols}</colgroup>'
        f"<thead><tr>{ths}</tr></thead>\n" + "\n".join(body) + "</table>"
    )


def _row(item_id: str, kind: str, title: str, cells: Sequence[str]) -> str:
    anchor = "item-" + "".join(ch if ch.isalnum() or ch in "_-" else "-" for ch in item_id)
    head = (
        f'<th scope="row" class="item-title" id="{e(anchor)}">{e(title)}'
        f'<span class="kind">{e(c.KIND_SINGULAR.get(kind, kind))}</span></th>'
    )
    return "<tr>" + head + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _grouped(items: Sequence[ExemplarItem] | Sequence[VersionItem]) -> list[tuple[str, list]]:
    groups = [(kind, [i for i in items if i.kind == kind]) for kind in c.KIND_HEADINGS]
    return [(kind, rows) for kind, rows in groups if rows]


# ---------------------------------------------------------------- exemplar mode


def _exemplar_meta(comp: ExemplarComparison) -> str:
    return _dl(
        [
            ("Document", _doc_meta(comp.document)),
            (
                "Sector (guessed)",
                f'{e(comp.sector)} <span class="cite">({e(comp.sector_basis)})</span>',
            ),
            ("Model", f"{e(comp.model.id)} ({e(comp.model.backend)})"),
            ("Corpus", e(comp.corpus_version)),
            ("Date", e(c.format_date(comp.created_at))),
        ]
    )


def _exemplar_columns(sources: Sequence[ExemplarSource]) -> str:
    if not sources:
        return "<p>No exemplar sources were found in the corpus.</p>"
    items = "".join(
        f'<li>{_link(s.url, s.title)} <span class="cite">— {e(s.organisation)}; '
        f"{e(s.sector)}; notes on {s.items_with_notes} item(s)</span><br>"
        f"<strong>Why:</strong> {e(s.reason)}</li>"
        for s in sources
    )
    return f'<ul class="columns">{items}</ul>'


def _source_head(source: ExemplarSource) -> str:
    meta = ", ".join(x for x in (source.organisation, source.sector, str(source.year or "")) if x)
    return f'{_link(source.url, source.title)}<span class="colmeta">{e(meta)}</span>'


def _passage(ref: ExemplarRef) -> str:
    where = f"{ref.page} · " if ref.page else ""
    cite = f"{e(where)}{_link(ref.url, 'source')}"
    return f'<blockquote><p>{e(ref.passage)}</p><footer class="cite">{cite}</footer></blockquote>'


def _contrast(cell: ExemplarCell, source: ExemplarSource) -> str:
    """The contrast sentence; the title that opens it is the column's head, so it is muted."""
    lead = f"{source.title}, "
    if not cell.contrast.startswith(lead):
        return e(cell.contrast)
    return f'<span class="cite">{e(lead)}</span>{e(cell.contrast[len(lead) :])}'


def exemplar_cell(cell: ExemplarCell, source: ExemplarSource) -> str:
    if not cell.notes:
        badge = _badge("none", "No note")
    else:
        stance = cell.notes[0].stance
        badge = _badge(stance, STANCE_TEXT.get(stance, stance.capitalize()))
    if cell.notes or cell.passages:
        parts = [badge, f'<p class="contrast">{_contrast(cell, source)}</p>']
    else:  # the column head names the source; the full sentence is in compare.json/.md
        parts = [badge, f'<p class="contrast none" title="{e(cell.contrast)}">{NO_NOTE}</p>']
    body = []
    for note in cell.notes:
        basis = " · based on a secondary description" if note.secondary else ""
        cite = f"{e(note.section or 'section not recorded')}{e(basis)}"
        cite += f" · {_link(source.url, 'source')}"
        body.append(
            f'<blockquote><p>{e(note.text)}</p><footer class="cite">{cite}</footer></blockquote>'
        )
    body += [_passage(p) for p in cell.passages]
    if body:
        summary = "Note and passages" if cell.passages else "Full note"
        parts.append(f"<details><summary>{summary}</summary>{''.join(body)}</details>")
    return "".join(parts)


def _exemplar_matrix(comp: ExemplarComparison) -> str:
    head = ["Item", f'Your strategy<span class="colmeta">{e(_doc_title(comp.document))}</span>']
    head += [_source_head(s) for s in comp.exemplars]
    groups = [
        (kind, [_exemplar_row(item, comp.exemplars) for item in items])
        for kind, items in _grouped(comp.items)
    ]
    return _table(head, groups)


def _exemplar_row(item: ExemplarItem, sources: Sequence[ExemplarSource]) -> str:
    by_id = {cell.source_id: cell for cell in item.exemplars}
    cells = [side_cell(item.user)]
    cells += [exemplar_cell(by_id[s.source_id], s) for s in sources if s.source_id in by_id]
    return _row(item.id, item.kind, item.title, cells)


# ---------------------------------------------------------------- version mode


def _version_meta(comp: VersionComparison) -> str:
    return _dl(
        [
            ("Old version", _doc_meta(comp.old)),
            ("New version", _doc_meta(comp.new)),
            ("Model", f"{e(comp.model.id)} ({e(comp.model.backend)})"),
            ("Date", e(c.format_date(comp.created_at))),
        ]
    )


def status_summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts.get(s, 0)} {STATUS_TEXT[s].lower()}" for s in STATUSES)


def _version_columns(comp: VersionComparison) -> str:
    return (
        f"<p>{e(len(comp.items))} items: {e(status_summary(comp.counts))}.</p>"
        '<p class="cite">Status compares the ratings: green is always good (a warning sign '
        "rated green is avoided). Evidence is compared by normalised quote text.</p>"
    )


def _page_ref(ref: PageRef | None, side: str) -> str:
    if ref is None:
        return f"not in the {side} version"
    pdf = f" (PDF page {ref.page})" if ref.page_label != str(ref.page) else ""
    return f"{side} p. {ref.page_label}{pdf}"


def _change(ch: EvidenceChange) -> str:
    where = f"{_page_ref(ch.old_page, 'old')} · {_page_ref(ch.new_page, 'new')}"
    head = {"appeared": "Now cited", "disappeared": "No longer cited", "kept": "Cited in both"}
    cite = f"{e(head[ch.change])} · {e(where)}"
    return f'<blockquote><p>{e(ch.quote)}</p><footer class="cite">{cite}</footer></blockquote>'


def change_cell(item: VersionItem) -> str:
    old_word = c.RATING_WORDS.get(item.old.rating, item.old.rating)
    new_word = c.RATING_WORDS.get(item.new.rating, item.new.rating)
    counts = {k: sum(ch.change == k for ch in item.evidence) for k in ("appeared", "disappeared")}
    parts = [
        _badge(item.status, STATUS_TEXT[item.status]),
        f'<p class="pages">{e(f"then {old_word}, now {new_word}")}</p>',
        f'<p class="pages cite">{counts["appeared"]} quote(s) appeared, '
        f"{counts['disappeared']} disappeared</p>",
    ]
    if item.evidence:
        body = "".join(_change(ch) for ch in item.evidence)
        parts.append(f"<details><summary>Evidence changes</summary>{body}</details>")
    return "".join(parts)


def _version_matrix(comp: VersionComparison) -> str:
    head = [
        "Item",
        f'Old version<span class="colmeta">{e(_doc_title(comp.old))}</span>',
        f'New version<span class="colmeta">{e(_doc_title(comp.new))}</span>',
        "Change",
    ]
    groups = [
        (
            kind,
            [
                _row(i.id, i.kind, i.title, [side_cell(i.old), side_cell(i.new), change_cell(i)])
                for i in items
            ],
        )
        for kind, items in _grouped(comp.items)
    ]
    return _table(head, groups)
