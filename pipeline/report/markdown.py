"""review.md: the same report as the HTML one, as plain Markdown.

All document and model text is untrusted: :func:`md` flattens it to one line and
backslash-escapes the characters that Markdown (or raw HTML inside it) would act on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pipeline.records import Evidence, ExemplarRef, Indicator, ItemResult, Review
from pipeline.report import common as c
from pipeline.report import labels as L

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_LEADING_MARK = re.compile(r"^[#+\-=]")
_LEADING_NUMBER = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")


def md(text: object) -> str:
    """Untrusted text as one line of inert Markdown."""
    flat = " ".join(str(text).split())
    flat = _SPECIAL.sub(r"\\\1", flat)
    flat = _LEADING_MARK.sub(r"\\\g<0>", flat)
    return _LEADING_NUMBER.sub(r"\1\\\2", flat)


def render_markdown(review: Review) -> str:
    parts = [
        _header(review),
        _injection_warning(review),
        _summary(review),
        _findings(review),
        _indicators(review.indicators),
        _method(review),
    ]
    return "\n\n".join(p.strip("\n") for p in parts if p) + "\n"


# ---------------------------------------------------------------- building blocks


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _quote_block(text: str) -> str:
    return "> " + md(text)


# ---------------------------------------------------------------- header and summary


def _header(review: Review) -> str:
    doc = review.document
    rows = [
        ("Document", md(doc.title or "(untitled)")),
        ("File", md(doc.path)),
        ("SHA-256", md(c.short_sha(doc.sha256))),
        (c.length_label(doc), str(doc.pages)),
        ("Model", f"{md(review.model.id)} ({md(review.model.backend)})"),
        ("Date", md(c.format_date(review.created_at))),
    ]
    return "\n\n".join(
        [f"# {L.REPORT_TITLE}", f"> **{L.BANNER}**", _table(("Detail", "Value"), rows)]
    )


def _injection_warning(review: Review) -> str:
    """Planted instructions, quoted as escaped data with their pages, before anything else."""
    lead = c.injection_warning(review)
    if lead is None:
        return ""
    quotes = [
        f"{_quote_block(f.text)}\n>\n> — {md(c.flagged_cite(f))}" for f in review.flagged_text
    ]
    return "\n\n".join([f"## {L.INJECTION_HEADING}", f"**{md(lead)}**", *quotes])


def _summary(review: Review) -> str:
    out = [f"## {L.SECTIONS['summary']}", md(c.rating_counts(review))]
    for kind, items in c.grouped_items(review):
        out.append(f"### {L.KIND_HEADINGS[kind]}")
        out.append(_table(("Item", "Rating", "Confidence", "Verified quotes"), map(_row, items)))
    return "\n\n".join(out)


def _row(item: ItemResult) -> tuple[str, str, str, str]:
    link = f"[{md(item.title)}](#{c.anchor(item)})"
    verified = str(c.verified_count(item.evidence))
    return link, c.rating_text(item), c.confidence_text(item), verified


# ---------------------------------------------------------------- per item


def _findings(review: Review) -> str:
    out = [f"## {L.SECTIONS['findings']}"]
    for kind, items in c.grouped_items(review):
        out.append(f"### {L.KIND_HEADINGS[kind]}")
        out += [_item(item) for item in items]
    return "\n\n".join(out)


def _item(item: ItemResult) -> str:
    head = [
        f'<a id="{c.anchor(item)}"></a>',
        f"#### {md(item.title)}",
        f"**Rating:** {c.rating_text(item)}  \n**Confidence:** {c.confidence_text(item)}",
    ]
    return "\n\n".join(head + _item_body(item))


def _item_body(item: ItemResult) -> list[str]:
    if item.status == "failed":
        evidence = _evidence(item.evidence) if item.evidence else []
        return [f"**{md(c.failed_text(item))}**", *evidence]
    if item.confidence == "low":
        return _low_body(item)
    body = [f"**{L.FIELDS['finding']}:** {md(item.summary)}"]
    body += [f"**{L.FIELDS['note']}:** {md(note)}" for note in c.item_notes(item)]
    body += _evidence(item.evidence)
    return body + _exemplars(item.exemplars) + _recommendations(item.recommendations)


def _low_body(item: ItemResult) -> list[str]:
    body = [f"**Notice:** {md(c.low_confidence_notice(item))}", *_evidence(item.evidence)]
    summary = c.checks_summary(item)
    if summary:
        body.append(f"**{L.FIELDS['from_checks']}:** {md(summary)}")
    body += _exemplars(item.exemplars) + _recommendations(item.recommendations)
    if item.model_summary:
        rating = md(item.model_rating or "none")
        body.append(
            f"*Rejected model output, kept for audit only and not a finding "
            f"(model rating: {rating}):* {md(item.model_summary)}"
        )
    return body


def _evidence(evidence: list[Evidence]) -> list[str]:
    if not evidence:
        return [f"**{L.FIELDS['evidence']}:** {L.NO_EVIDENCE}"]
    return [f"**{L.FIELDS['evidence']}**", *(_evidence_one(ev) for ev in evidence)]


def _evidence_one(ev: Evidence) -> str:
    cite = f"{md(c.page_text(ev))} · {c.verified_text(ev)} · source: {md(c.source_text(ev))}"
    return f"{_quote_block(ev.quote)}\n>\n> — {cite}"


def _exemplars(exemplars: list[ExemplarRef]) -> list[str]:
    if not exemplars:
        return []
    return [f"**{L.EXEMPLARS_HEADING}**", "\n".join(_exemplar(ex) for ex in exemplars)]


def _exemplar(ex: ExemplarRef) -> str:
    name = f"{md(ex.title)}, {md(ex.organisation)}"
    url = c.safe_url(ex.url)
    line = f"- [{name}]({url})" if url else f"- {name}"
    if ex.page:
        line += f" ({md(ex.page)})"
    if ex.secondary:
        line += f" ({L.SECONDARY})"
    return f"{line}\n\n  {_quote_block(ex.passage)}\n"


def _recommendations(recs: list[str]) -> list[str]:
    if not recs:
        return []
    numbered = "\n".join(f"{n}. {md(r)}" for n, r in enumerate(recs, 1))
    return [f"**{L.FIELDS['recommendations']}**", numbered]


# ---------------------------------------------------------------- indicators and method


def _indicators(indicators: list[Indicator]) -> str:
    if not indicators:
        return f"## {L.SECTIONS['indicators']}\n\n{L.NO_INDICATORS}"
    rows = [
        (md(i.title), md(c.format_value(i.value)), md(i.summary), _indicator_evidence(i))
        for i in indicators
    ]
    head = ("Indicator", "Value", "Summary", "Evidence")
    return f"## {L.SECTIONS['indicators']}\n\n" + _table(head, rows)


def _indicator_evidence(ind: Indicator) -> str:
    quotes = [f"“{md(ev.quote)}” — {md(c.page_text(ev))}" for ev in ind.evidence]
    return "; ".join(quotes) or "none"


def _method(review: Review) -> str:
    out = [f"## {L.SECTIONS['method']}", _settings(review)]
    if review.prompts:
        rows = [(md(name), md(sha)) for name, sha in sorted(review.prompts.items())]
        out += [f"### {L.SECTIONS['prompts']}", _table(("Prompt file", "SHA-256"), rows)]
    if review.retrieval:
        rows = [(md(k), md(c.format_value(v))) for k, v in review.retrieval.items()]
        out += [f"### {L.SECTIONS['retrieval']}", _table(("Setting", "Value"), rows)]
    out += [f"### {L.SECTIONS['timings']}", _timings(review)]
    stats = _table(("Measure", "Count"), c.aggregate_stats(review))
    out += [f"### {L.SECTIONS['statistics']}", stats]
    out += [f"### {L.SECTIONS['per_item']}", _per_item(review)]
    if c.credits_guide(review):  # the credit is the built-in rubric's, not a custom one's
        out.append(f"{L.CREDIT} <{L.CREDIT_URL}>")
    return "\n\n".join(out)


def _settings(review: Review) -> str:
    rows = [
        ("Model", md(review.model.id)),
        ("Backend", md(review.model.backend)),
        ("Rubric version", md(review.rubric_version)),
        ("Rubric", md(c.rubric_text(review))),
        ("Corpus version", md(review.corpus_version)),
        ("Tool version", md(review.tool_version)),
        ("Schema version", md(review.schema_version)),
    ]
    return "\n".join(f"- {k}: {v}" for k, v in rows)


def _timings(review: Review) -> str:
    total = c.total_time(review)
    lead = f"Total: {c.format_seconds(total)}" if total is not None else "Total: not recorded"
    rows = [(md(k), c.format_seconds(v)) for k, v in c.stage_timings(review)]
    if not rows:
        return lead
    return lead + "\n\n" + _table(("Stage", "Time"), rows)


def _per_item(review: Review) -> str:
    head = ["Item", "Mode", "Proposed", "Verified", "Dropped", "Ids stripped", "Parse failures"]
    head += ["Time", "Cached"]
    return _table(head, (_per_item_row(review, i) for i in review.items))


def _per_item_row(review: Review, item: ItemResult) -> list[str]:
    s = item.stats
    seconds = c.item_time(review, item)
    counts = [s.quotes_proposed, s.quotes_verified, s.quotes_dropped]
    counts += [s.invented_ids_stripped, s.parse_failures]
    return [
        md(item.title),
        md(s.structured_mode or "—"),
        *(str(n) for n in counts),
        c.format_seconds(seconds) if seconds is not None else "—",
        "yes" if s.cached else "no",
    ]
