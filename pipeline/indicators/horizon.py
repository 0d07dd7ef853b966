"""Time horizon and review cycle."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.records import Document, Indicator

from .sentences import (
    _FISCAL,
    _MONTH,
    _NUM,
    _YEAR,
    NUMBER_WORDS,
    Hit,
    Sentence,
    _evidence,
    _plural,
)

FIRST_PAGES = 2  # a date range on these pages is taken as the strategy's own
MAX_YEARS = 30  # longer "ranges" are history or noise, not a strategy horizon


# Time horizon
_RANGE = re.compile(
    rf"(?<![\d£$/.,])(?P<a>{_YEAR})(?:{_FISCAL})?"
    rf"(?:\s*[-–—]\s*|\s+(?:to|until|till|through)\s+(?:{_MONTH}\s+)?)"
    rf"(?P<b>{_YEAR}|\d{{2}}(?!\w))(?P<bf>{_FISCAL})?(?![\d%])",
    re.I,
)
_BETWEEN = re.compile(
    rf"\bbetween\s+(?P<a>{_YEAR})(?:{_FISCAL})?\s+and\s+(?P<b>{_YEAR})(?P<bf>{_FISCAL})?(?!\d)",
    re.I,
)
_RELATIVE = re.compile(
    rf"\b(?:the\s+)?(?:next|coming)\s+(?P<n>{_NUM})\s+years\b"
    rf"|\b(?P<m>{_NUM})[-\s]years?\s+(?:[\w-]+\s+){{0,2}}?"
    r"(?:strategy|plan|programme|vision|roadmap)\b"
    r"|\b(?:the\s+)?(?:next|coming)\s+decade\b",
    re.I,
)
_BY_YEAR = re.compile(
    rf"\bby\s+(?:the\s+end\s+of\s+)?(?:(?:{_MONTH}|spring|summer|autumn|winter|Q[1-4])\s+)?"
    rf"(?P<y>{_YEAR})(?P<yf>{_FISCAL})?(?!\d)",
    re.I,
)
_ANY_YEAR = re.compile(rf"(?<![\d£$,.])({_YEAR})(?![\d%])")
_RELATIVE = re.compile(_RELATIVE.pattern.replace(r"[-\s]years?", r"\s*[-–\s]\s*years?"), re.I)

# What the strategy calls itself: "this strategy", "our digital plan", "the roadmap".
_DOC_NOUN = r"(?:strateg(?:y|ies|i\w*)|plan|roadmap|vision|programme|agenda)"
_OWN_DOC = re.compile(rf"\b(?:this|our)\s+(?:[\w-]+\s+){{0,3}}?{_DOC_NOUN}\b", re.I)
_THE_DOC = re.compile(
    r"\b(?:this|our|the)\s+(?:[\w-]+\s+){0,4}?(?:strategy|roadmap|plan|vision|agenda)\b",
    re.I,
)
_ABOUT_US = re.compile(rf"\b(?:we|us|our|this)\b|{_THE_DOC.pattern}", re.I)
# History: a past-tense sentence with nothing present or future in it ("In 2019-2020 we
# replaced our PAS") says what happened, never what the strategy spans.
_PAST = re.compile(
    r"\b(?:was|were|had|did|began|became|went|saw|took)\b"
    r"|\b(?:we|they|it|he|she)\s+(?:\w+ly\s+)?(?!need|used)\w+ed\b",
    re.I,
)
_NOT_PAST = re.compile(
    r"\b(?:will|shall|covers?|runs?|spans?|sets?\s+out|is|are|describes?|aims?|plans?)\b"
    r"|\b(?:this|our)\s+(?:[\w-]+\s+){0,3}?(?:strategy|plan|roadmap)\b",
    re.I,
)
# When the strategy was published: "Published June 2025", "© 2021", a "December 2012" line.
_PUBLISHED = re.compile(
    rf"\b(?:published|publication|approved|issued|dated|adopted)\b[^.\n]{{0,40}}?\b({_YEAR})\b"
    rf"|©\s*(?:crown\s+copyright\s+)?({_YEAR})\b"
    rf"|^\s*(?:\d{{1,2}}\s+)?{_MONTH}\s+({_YEAR})\s*$",
    re.I | re.M,
)

# Review cycle: the strategy, plan or roadmap is what is reviewed, refreshed or updated.
_REVIEW_VERB = r"(?:review|refresh|revisit|update|revise|renew|re-?write|evaluate)"
_REVIEWED = r"(?:reviewed|refreshed|revisited|updated|revised|renewed|re-?written|evaluated)"
_REVIEW = re.compile(
    rf"{_THE_DOC.pattern}\s+(?:[\w,()-]+\s+){{0,8}}?(?:will\s+be|is|are|shall\s+be|gets|must\s+be"
    rf"|(?:will|shall)\s+(?:itself\s+)?be)\s+(?:\w+ly\s+)?{_REVIEWED}\b"
    rf"|\b{_REVIEW_VERB}(?:s|ed|ing)?\s+(?:of\s+|to\s+)?{_THE_DOC.pattern}"
    rf"|\b(?:it|this)\s+will\s+be\s+(?:\w+ly\s+)?{_REVIEWED}\b(?!\s+(?:on|about|with)\b)"
    rf"|\b{_REVIEW_VERB}s?\s+(?:it|this)\b(?!\s+(?:on|about|with|year|month|week)\b)"
    r"|\bliving\s+(?:document|strategy|plan|roadmap)\b"
    r"|\b(?:annual|yearly)\s+(?:[\w-]+\s+){0,2}?(?:action|delivery|implementation)\s+plans?\b",
    re.I,
)
_PRONOUN_REVIEW = re.compile(
    rf"^\s*(?:(?:it|this)\s+will\s+be\b|{_REVIEW_VERB}\s+(?:it|this)\b)", re.I
)

# ---------------------------------------------------------------- time horizon


@dataclass
class Horizon:
    start: int | None
    end: int | None
    years: int | None
    label: str
    hits: list[Hit] = field(default_factory=list)


def _fiscal_end(year: int, fiscal: str | None) -> int:
    """2026 for ("2025", "/26"): the year a financial year ends in."""
    if not fiscal:
        return year
    digits = fiscal.lstrip("/")
    return int(digits) if len(digits) == 4 else year // 100 * 100 + int(digits)


def _find_range(text: str) -> tuple[int, int, int, int, str] | None:
    """(match start, match end, first year, last year, label) of the first plausible range."""
    found = []
    for pattern in (_RANGE, _BETWEEN):
        for m in pattern.finditer(text):
            a, b = int(m["a"]), m["b"]
            end = _fiscal_end(int(b) if len(b) == 4 else a // 100 * 100 + int(b), m["bf"])
            if 1 <= end - a <= MAX_YEARS:
                label = " ".join(m[0].split()) if pattern is _RANGE else f"{a}–{end}"
                found.append((m.start(), m.end(), a, end, label))
                break
    return min(found) if found else None


def _is_history(sentence: Sentence) -> bool:
    return bool(_PAST.search(sentence.flat)) and not _NOT_PAST.search(sentence.flat)


def _horizon(s: Sentence, found: tuple[int, int, int, int, str]) -> Horizon:
    ms, me, start, end, label = found
    return Horizon(start, end, end - start, label, [Hit(s, ms, me)])


def _plan_periods(sents: Sequence[Sentence]) -> list[Horizon]:
    """Ranges the strategy states as its own: on the cover and first pages, or in a sentence
    about this strategy or plan ("this strategy covers 2021 to 2031"). History is skipped."""
    out = []
    for s in sents:
        own = s.page.page <= FIRST_PAGES or _OWN_DOC.search(s.flat)
        if own and not _is_history(s) and (found := _find_range(s.flat)):
            out.append(_horizon(s, found))
    return out


def _stated_range(doc: Document, sents: Sequence[Sentence]) -> Horizon | None:
    """The title's range when the text agrees or says nothing; else the first stated period.

    A PDF's title comes from its metadata, which can be stale, so the text's own period wins
    when the two differ."""
    periods = _plan_periods(sents)
    found = _find_range(doc.title)
    if found:
        start, end, label = found[2], found[3], found[4]
        same = [h for h in periods if (h.start, h.end) == (start, end)]
        if same or not periods:
            return Horizon(start, end, end - start, label, same[0].hits if same else [])
    return periods[0] if periods else None


def _published(doc: Document) -> int | None:
    """The year the strategy was published: the title's, else a publication or date line on
    the first or last pages, else the year most mentioned on the first pages."""
    if years := [int(y) for y in _ANY_YEAR.findall(doc.title)]:
        return min(years)
    edges = doc.pages[:FIRST_PAGES] + doc.pages[-1:]
    for page in edges:
        if m := _PUBLISHED.search(page.text):
            return int(next(g for g in m.groups() if g))
    first = " ".join(_BY_YEAR.sub(" ", p.text) for p in doc.pages[:FIRST_PAGES])
    years = [int(y) for y in _ANY_YEAR.findall(first)]
    return max(set(years), key=lambda y: (years.count(y), -years.index(y))) if years else None


def _relative_years(m: re.Match[str]) -> int:
    word = (m["n"] or m["m"] or "10").lower()
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _is_decade(m: re.Match[str]) -> bool:
    return m["n"] is None and m["m"] is None


def _relative(doc: Document, sents: Sequence[Sentence], decade: bool) -> Horizon | None:
    """ "over the next ten years", "a 5-year strategy" or, when ``decade``, "the next decade",
    in the title or a sentence about the strategy. It counts from the publication year, or
    back from an explicit "by YEAR" that agrees with it to within a year."""
    about = [s for s in sents if _ABOUT_US.search(s.flat) and not _is_history(s)]
    title = [m for m in _RELATIVE.finditer(doc.title) if _is_decade(m) == decade]
    hits = [
        Hit(s, m.start(), m.end())
        for s in about
        for m in _RELATIVE.finditer(s.flat)
        if _is_decade(m) == decade
    ]
    if title:
        first = title[0]
    elif hits and (m := _RELATIVE.search(hits[0].sentence.flat, hits[0].start)):
        first = m
    else:
        return None
    years = _relative_years(first)
    if not 1 <= years <= MAX_YEARS:
        return None
    base = _published(doc)
    if base is None:
        return Horizon(None, None, years, _plural(years, "year"), hits[:1])
    by = _by_year(doc, sents)
    if by is not None and by.end is not None and abs(base + years - by.end) <= 1:
        base = by.end - years
    return Horizon(base, base + years, years, f"{base}–{base + years}", hits[:1])


def _by_year(doc: Document, sents: Sequence[Sentence]) -> Horizon | None:
    """The latest "by 2035" / "by March 2030": a horizon with an end year only."""
    found = [
        (_fiscal_end(int(m["y"]), m["yf"]), Hit(s, m.start(), m.end()))
        for s in sents
        if not _is_history(s)
        for m in _BY_YEAR.finditer(s.flat)
    ]
    if not found:
        return None
    end = max(year for year, _ in found)
    hit = next(h for year, h in found if year == end)
    base = _published(doc)
    start = base if base is not None and 1 <= end - base <= MAX_YEARS else None
    years = end - start if start is not None else None
    return Horizon(start, end, years, f"{start}–{end}" if start else str(end), [hit])


def _reviews(sents: Sequence[Sentence]) -> list[Sentence]:
    """Sentences saying the strategy or its plan is reviewed; "it will be updated" counts only
    straight after a sentence about the strategy."""
    out = []
    for i, s in enumerate(sents):
        m = _REVIEW.search(s.flat)
        if m is None or _is_history(s):
            continue
        pronoun = _PRONOUN_REVIEW.match(m[0]) and not _THE_DOC.search(m[0])
        if pronoun and not (
            _THE_DOC.search(s.flat[: m.start()]) or (i and _THE_DOC.search(sents[i - 1].flat))
        ):
            continue
        out.append(s)
    return out


def time_horizon(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    horizon = (
        _stated_range(doc, sents)
        or _relative(doc, sents, decade=False)
        or _by_year(doc, sents)
        or _relative(doc, sents, decade=True)
    )
    reviews = _reviews(sents)
    review_hits = [Hit(s, 0, len(s.flat)) for s in reviews]
    if horizon is None:
        span = "No time horizon found"
    elif horizon.start is not None and horizon.years is not None:
        span = f"The strategy spans {horizon.label} ({_plural(horizon.years, 'year')})"
    elif horizon.end is not None:
        span = f"The strategy runs to {horizon.end}; its start year is not stated"
    else:
        span = f"The strategy covers {horizon.label}; its start year is not stated"
    cycle = "a review of the strategy is stated" if reviews else "no review cycle is stated"
    hits = (horizon.hits if horizon else []) + review_hits[:2]
    return Indicator(
        id="time_horizon",
        title="Time horizon",
        value={
            "start": horizon.start if horizon else None,
            "end": horizon.end if horizon else None,
            "years": horizon.years if horizon else None,
            "review_cycle": bool(reviews),
        },
        summary=f"{span}; {cycle}.",
        evidence=_evidence(doc, hits),
    )
