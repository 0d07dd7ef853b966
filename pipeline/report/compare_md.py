"""compare.md: the comparison as Markdown, a summary matrix then item-by-item detail.

All document, note and model text goes through :func:`~pipeline.report.markdown.md`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from pipeline.records import DocumentRef, Evidence
from pipeline.report import common as c
from pipeline.report import labels as L
from pipeline.report.labels import COMPARE_BANNERS as BANNERS
from pipeline.report.labels import COMPARE_TITLES as TITLES
from pipeline.report.labels import STATUS_TEXT
from pipeline.report.markdown import md

if TYPE_CHECKING:  # the records only: this module never imports the compare package at run time
    from pipeline.compare.records import (
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


def render_compare_markdown(comparison: Comparison) -> str:
    if comparison.mode == "exemplars":
        parts = _exemplar_parts(comparison)
    else:
        parts = _version_parts(comparison)
    parts.append(f"{L.RUBRIC_LABEL}: {md(c.rubric_text(comparison))}")
    if c.credits_guide(comparison):  # the credit is the built-in rubric's, not a custom one's
        parts.append(f"{L.CREDIT} <{L.CREDIT_URL}>")
    return "\n\n".join(p.strip("\n") for p in parts if p) + "\n"


# ---------------------------------------------------------------- shared


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _title(doc: DocumentRef) -> str:
    return doc.title or doc.path or "Untitled document"


def _doc(doc: DocumentRef) -> str:
    sha = c.short_sha(doc.sha256)
    return f"{md(_title(doc))} ({md(doc.path)}, {doc.pages} pages, sha256 {sha})"


def _rating(side: ItemSide) -> str:
    if side.status == "failed":
        return L.FAILED_TEXT
    return f"{L.RATING_WORDS.get(side.rating, side.rating.upper())} — {md(side.rating_label)}"


def _pages(evidence: Sequence[Evidence]) -> str:
    cites = list(dict.fromkeys(c.page_text(ev) for ev in evidence))
    return "; ".join(md(x) for x in cites) or "no verified evidence"


def _side(label: str, side: ItemSide) -> list[str]:
    out = [f"**{label}:** {_rating(side)} · {md(side.finding)}"]
    out += [f"> {md(ev.quote)}\n>\n> — {md(c.page_text(ev))} · verified" for ev in side.evidence]
    return out


_kinds = c.grouped_by_kind


# ---------------------------------------------------------------- exemplar mode


def _exemplar_parts(comp: ExemplarComparison) -> list[str]:
    parts = [
        f"# {TITLES['exemplars']}",
        f"> **{BANNERS['exemplars']}**",
        "\n".join(
            [
                f"- Document: {_doc(comp.document)}",
                f"- Sector (guessed): {md(comp.sector)} ({md(comp.sector_basis)})",
                f"- Model: {md(comp.model.id)} ({md(comp.model.backend)})",
                f"- Corpus: {md(comp.corpus_version)}",
                f"- Date: {md(c.format_date(comp.created_at))}",
            ]
        ),
        f"## {L.SECTIONS['exemplars']}",
        _sources(comp.exemplars),
        f"## {L.SECTIONS['summary']}",
    ]
    head = ["Item", L.FIELDS["your_strategy"], *(md(s.title) for s in comp.exemplars)]
    for kind, items in _kinds(comp.items):
        parts += [f"### {L.KIND_HEADINGS[kind]}", _table(head, (_summary_row(i) for i in items))]
    parts.append(f"## {L.SECTIONS['item_by_item']}")
    for kind, items in _kinds(comp.items):
        parts.append(f"### {L.KIND_HEADINGS[kind]}")
        parts += [_exemplar_item(item, comp.exemplars) for item in items]
    return parts


def _sources(sources: Sequence[ExemplarSource]) -> str:
    if not sources:
        return L.NO_EXEMPLARS
    lines = []
    for s in sources:
        url = c.safe_url(s.url)
        name = f"[{md(s.title)}]({url})" if url else md(s.title)
        lines.append(
            f"- {name} — {md(s.organisation)}; {md(s.sector)}; notes on "
            f"{s.items_with_notes} item(s). Why: {md(s.reason)}"
        )
    return "\n".join(lines)


def _stance(cell: ExemplarCell) -> str:
    return cell.notes[0].stance.capitalize() if cell.notes else L.NO_NOTE


def _summary_row(item: ExemplarItem) -> list[str]:
    user = f"{_rating(item.user)} ({md(_pages(item.user.evidence))})"
    return [md(item.title), user, *(_stance(cell) for cell in item.exemplars)]


def _exemplar_item(item: ExemplarItem, sources: Sequence[ExemplarSource]) -> str:
    titles = {s.source_id: s.title for s in sources}
    out = [f"#### {md(item.title)}", *_side(L.FIELDS["your_strategy"], item.user)]
    for cell in item.exemplars:
        out.append(
            f"**{md(titles.get(cell.source_id, cell.source_id))}** ({_stance(cell)}): "
            f"{md(cell.contrast)}"
        )
        if cell.missing:
            out.append(f"_{md(cell.missing.text)}_")
        for note in cell.notes:
            basis = f"; {L.SECONDARY}" if note.secondary else ""
            out.append(
                f"> {md(note.text)}\n>\n> — {md(note.section or 'section not recorded')}{basis}"
            )
        out += [f"> {md(p.passage)}\n>\n> — {md(p.page or 'passage')}" for p in cell.passages]
    return "\n\n".join(out)


# ---------------------------------------------------------------- version mode


def _version_parts(comp: VersionComparison) -> list[str]:
    parts = [
        f"# {TITLES['versions']}",
        f"> **{BANNERS['versions']}**",
        "\n".join(
            [
                f"- Old version: {_doc(comp.old)}",
                f"- New version: {_doc(comp.new)}",
                f"- Model: {md(comp.model.id)} ({md(comp.model.backend)})",
                f"- Date: {md(c.format_date(comp.created_at))}",
            ]
        ),
        f"## {L.SECTIONS['summary']}",
        f"{len(comp.items)} items: {c.status_summary(comp.counts)}.",
    ]
    head = ["Item", "Then", "Now", "Status", "Evidence"]
    for kind, items in _kinds(comp.items):
        parts += [f"### {L.KIND_HEADINGS[kind]}", _table(head, (_version_row(i) for i in items))]
    parts.append(f"## {L.SECTIONS['item_by_item']}")
    for kind, items in _kinds(comp.items):
        parts.append(f"### {L.KIND_HEADINGS[kind]}")
        parts += [_version_item(item) for item in items]
    return parts


def _version_row(item: VersionItem) -> list[str]:
    appeared = sum(ch.change == "appeared" for ch in item.evidence)
    gone = sum(ch.change == "disappeared" for ch in item.evidence)
    return [
        md(item.title),
        _rating(item.old),
        _rating(item.new),
        STATUS_TEXT[item.status],
        f"+{appeared} / −{gone}",
    ]


def _where(ref: PageRef | None, side: str) -> str:
    return f"{side} p. {md(ref.page_label)}" if ref else f"not in the {side} version"


def _change(ch: EvidenceChange) -> str:
    where = f"{_where(ch.old_page, 'old')} · {_where(ch.new_page, 'new')}"
    return f"> {md(ch.quote)}\n>\n> — {L.CHANGE_TEXT[ch.change]} · {where}"


def _version_item(item: VersionItem) -> str:
    out = [
        f"#### {md(item.title)}",
        f"**Status:** {STATUS_TEXT[item.status]}",
        *_side("Then", item.old),
        *_side("Now", item.new),
    ]
    if item.evidence:
        out += [f"**{L.FIELDS['evidence_changes']}**", *(_change(ch) for ch in item.evidence)]
    return "\n\n".join(out)
