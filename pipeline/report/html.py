"""review.html: a self-contained, printable report (no external CSS, JS, fonts or images).

The page shell is ``templates/report.html`` (string.Template ``$placeholders``); repeated
sections are built here. Every piece of document or model text goes through :func:`e`:
strategy text is untrusted.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from string import Template

from pipeline.records import Evidence, ExemplarRef, Indicator, ItemResult, Review
from pipeline.report import common as c
from pipeline.rubric import is_builtin, rubric_line

TEMPLATES = Path(__file__).parent / "templates"


@cache
def _template() -> Template:
    return Template((TEMPLATES / "report.html").read_text(encoding="utf-8"))


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def render_html(review: Review) -> str:
    doc_title = review.document.title or Path(review.document.path).name or "Untitled document"
    return _template().substitute(
        page_title=e(f"{c.REPORT_TITLE}: {doc_title}"),
        report_title=e(c.REPORT_TITLE),
        document_title=e(doc_title),
        tool_version=e(review.tool_version),
        banner=e(c.BANNER),
        injection_warning=_injection_warning(review),
        meta=_meta(review),
        summary=_summary(review),
        findings=_findings(review),
        indicators=_indicators(review.indicators),
        method=_method(review),
    )


# ---------------------------------------------------------------- building blocks


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], caption: str = "") -> str:
    """A table; ``head`` is plain text, cells are already-escaped HTML."""
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    ths = "".join(f'<th scope="col">{e(h)}</th>' for h in head)
    body = "\n".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table>{cap}<thead><tr>{ths}</tr></thead>\n<tbody>\n{body}\n</tbody></table>"


def _dl(rows: Iterable[tuple[str, str]], cls: str = "meta") -> str:
    items = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in rows)
    return f'<dl class="{cls}">{items}</dl>'


def badge(item: ItemResult) -> str:
    cls = "failed" if item.status == "failed" else item.rating
    return f'<span class="badge badge-{e(cls)}">{e(c.rating_text(item))}</span>'


def _link(url: str, text: str) -> str:
    safe = c.safe_url(url)
    if not safe:
        return e(text)
    return f'<a href="{e(safe)}" rel="noopener noreferrer">{e(text)}</a>'


# ---------------------------------------------------------------- header and summary


def _injection_warning(review: Review) -> str:
    """Planted instructions, quoted as escaped data with their pages, before anything else."""
    lead = c.injection_warning(review)
    if lead is None:
        return ""
    quotes = "".join(
        f'<li><blockquote><p>{e(f.text)}</p></blockquote><p class="cite">{e(c.flagged_cite(f))}'
        "</p></li>"
        for f in review.flagged_text
    )
    return (
        f'<section class="injection-warning" role="alert" aria-labelledby="injection-warning">'
        f'<h2 id="injection-warning">{e(c.INJECTION_HEADING)}</h2><p>{e(lead)}</p>'
        f'<ul class="evidence">{quotes}</ul></section>'
    )


def _meta(review: Review) -> str:
    doc = review.document
    sha = f'<code title="{e(doc.sha256)}">{e(c.short_sha(doc.sha256))}</code>'
    return _dl(
        [
            ("Document", e(doc.title or "(untitled)")),
            ("File", f"<code>{e(doc.path)}</code>"),
            ("SHA-256", sha),
            ("Pages", e(doc.pages)),
            ("Model", f"{e(review.model.id)} ({e(review.model.backend)})"),
            ("Date", e(c.format_date(review.created_at))),
        ]
    )


def _summary(review: Review) -> str:
    out = [f"<p>{e(c.rating_counts(review))}</p>"]
    head = ("Item", "Rating", "Confidence", "Verified quotes")
    for kind, items in c.grouped_items(review):
        out.append(f"<h3>{e(c.KIND_HEADINGS[kind])}</h3>")
        out.append(_table(head, map(_summary_row, items)))
    return "\n".join(out)


def _summary_row(item: ItemResult) -> list[str]:
    return [
        f'<a href="#{c.anchor(item)}">{e(item.title)}</a>',
        badge(item),
        e(c.confidence_text(item)),
        f'<span class="num">{c.verified_count(item.evidence)}</span>',
    ]


# ---------------------------------------------------------------- per item


def _findings(review: Review) -> str:
    out: list[str] = []
    for kind, items in c.grouped_items(review):
        out.append(f"<h3>{e(c.KIND_HEADINGS[kind])}</h3>")
        out += [_item(item) for item in items]
    return "\n".join(out)


def _item(item: ItemResult) -> str:
    head = (
        f'<p class="kind">{e(c.KIND_SINGULAR[item.kind])}</p>'
        f"<h4>{e(item.title)}</h4>"
        f'<p class="status">{badge(item)} '
        f"<span>Confidence: {e(c.confidence_text(item))}</span></p>"
    )
    body = "\n".join(part for part in _item_body(item) if part)
    return f'<article class="item" id="{c.anchor(item)}">\n{head}\n{body}\n</article>'


def _item_body(item: ItemResult) -> list[str]:
    if item.status == "failed":
        failed = f'<p class="notice error" role="alert">{e(c.failed_text(item))}</p>'
        return [failed, _evidence(item.evidence) if item.evidence else ""]
    if item.confidence == "low":
        return _low_body(item)
    notes = [c.disagreement_text(item), c.searched_text(item)]
    return [
        f'<p class="finding"><strong>Finding:</strong> {e(item.summary)}</p>',
        *(f'<p class="notice"><strong>Note:</strong> {e(note)}</p>' for note in notes if note),
        _evidence(item.evidence),
        _exemplars(item.exemplars),
        _recommendations(item.recommendations),
    ]


def _low_body(item: ItemResult) -> list[str]:
    body = [f'<p class="notice">{e(c.low_confidence_notice(item))}</p>', _evidence(item.evidence)]
    summary = c.checks_summary(item)
    if summary:
        body.append(f"<p><strong>From the checks:</strong> {e(summary)}</p>")
    body += [_exemplars(item.exemplars), _recommendations(item.recommendations)]
    if item.model_summary:
        body.append(_rejected(item))
    return body


def _rejected(item: ItemResult) -> str:
    return (
        "<details><summary>Rejected model output (not a finding)</summary>"
        f"<p>Model rating: {e(item.model_rating or 'none')}</p>"
        f"<p>{e(item.model_summary or '')}</p></details>"
    )


def _evidence(evidence: list[Evidence]) -> str:
    if not evidence:
        return "<p><strong>Evidence:</strong> none found.</p>"
    items = "\n".join(f"<li>{_quote(ev)}</li>" for ev in evidence)
    return f'<p><strong>Evidence</strong></p>\n<ul class="evidence">\n{items}\n</ul>'


def _quote(ev: Evidence) -> str:
    mark = (
        '<span class="tick">&#10003; verified</span>'
        if ev.verified
        else '<span class="unverified">unverified</span>'
    )
    cite = f"{e(c.page_text(ev))} · {mark} · source: {e(c.source_text(ev))}"
    return f'<blockquote><p>{e(ev.quote)}</p><footer class="cite">{cite}</footer></blockquote>'


def _exemplars(exemplars: list[ExemplarRef]) -> str:
    if not exemplars:
        return ""
    items = "\n".join(f"<li>{_exemplar(ex)}</li>" for ex in exemplars)
    head = "<p><strong>How others have done it</strong></p>"
    return f'{head}\n<ul class="exemplars">\n{items}\n</ul>'


def _exemplar(ex: ExemplarRef) -> str:
    name = _link(ex.url, f"{ex.title}, {ex.organisation}")
    where = f" ({e(ex.page)})" if ex.page else ""
    secondary = " <em>(based on a secondary description)</em>" if ex.secondary else ""
    return f"{name}{where}{secondary}<blockquote><p>{e(ex.passage)}</p></blockquote>"


def _recommendations(recs: list[str]) -> str:
    if not recs:
        return ""
    items = "".join(f"<li>{e(r)}</li>" for r in recs)
    return f"<p><strong>Recommendations</strong></p><ol>{items}</ol>"


# ---------------------------------------------------------------- indicators and method


def _indicators(indicators: list[Indicator]) -> str:
    if not indicators:
        return "<p>No indicators were computed.</p>"
    rows = [
        [e(i.title), e(c.format_value(i.value)), e(i.summary), _indicator_evidence(i)]
        for i in indicators
    ]
    return _table(("Indicator", "Value", "Summary", "Evidence"), rows)


def _indicator_evidence(ind: Indicator) -> str:
    if not ind.evidence:
        return "none"
    quotes = (
        f'<li>&ldquo;{e(ev.quote)}&rdquo; <span class="cite">— {e(c.page_text(ev))}</span></li>'
        for ev in ind.evidence
    )
    return "<ul>" + "".join(quotes) + "</ul>"


def _method(review: Review) -> str:
    out = [_settings(review)]
    if review.prompts:
        rows = [(e(k), f"<code>{e(v)}</code>") for k, v in sorted(review.prompts.items())]
        out += ["<h3>Prompts</h3>", _table(("Prompt file", "SHA-256"), rows)]
    if review.retrieval:
        rows = [(e(k), e(c.format_value(v))) for k, v in review.retrieval.items()]
        out += ["<h3>Retrieval settings</h3>", _table(("Setting", "Value"), rows)]
    out += ["<h3>Timings</h3>", _timings(review)]
    stats = [(e(k), f'<span class="num">{e(v)}</span>') for k, v in c.aggregate_stats(review)]
    out += ["<h3>Statistics</h3>", _table(("Measure", "Count"), stats)]
    out += ["<h3>Per item</h3>", _per_item(review)]
    if is_builtin(review.rubric):  # the credit is the built-in rubric's, not a custom one's
        out.append(f'<p class="credit">{_link(c.CREDIT_URL, c.CREDIT)}</p>')
    return "\n".join(out)


def _settings(review: Review) -> str:
    return _dl(
        [
            ("Model", e(review.model.id)),
            ("Backend", e(review.model.backend)),
            ("Rubric version", e(review.rubric_version)),
            ("Rubric", e(rubric_line(review))),
            ("Corpus version", e(review.corpus_version)),
            ("Tool version", e(review.tool_version)),
            ("Schema version", e(review.schema_version)),
        ]
    )


def _timings(review: Review) -> str:
    total = c.total_time(review)
    lead = f"Total: {c.format_seconds(total)}" if total is not None else "Total: not recorded"
    out = f"<p>{e(lead)}</p>"
    rows = [(e(k), e(c.format_seconds(v))) for k, v in c.stage_timings(review)]
    if rows:
        out += _table(("Stage", "Time"), rows)
    return out


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
        e(item.title),
        e(s.structured_mode or "—"),
        *(str(n) for n in counts),
        e(c.format_seconds(seconds)) if seconds is not None else "—",
        "yes" if s.cached else "no",
    ]
