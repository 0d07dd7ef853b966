"""Sentences, hits and page-cited evidence: what every indicator is built on.

Quotes are verbatim slices of ``Page.text`` and never cross a page boundary; newlines inside a
sentence are treated as spaces for matching only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pipeline.injection import find_injections, is_withheld
from pipeline.records import CELL_SEPARATOR, Document, Evidence, FlaggedText, Page

MAX_EVIDENCE = 5
MAX_QUOTE = 300  # characters; longer sentences are trimmed around the match

# ---------------------------------------------------------------- shared pattern pieces

_YEAR = r"20\d{2}"
_FISCAL = r"/(?:20)?\d{2}"  # the "/25" of "2024/25"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
NUMBER_WORDS: dict[str, int] = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip
_NUM = r"(?:\d{1,2}|" + "|".join(NUMBER_WORDS) + ")"
_APOS = "['’]"


def _terms(*patterns: str) -> re.Pattern[str]:
    """One case-insensitive alternation of whole-word terms; longer terms must come first.

    Use ``(?-i:...)`` inside a term for acronyms that must match case-sensitively ("AI")."""
    return re.compile("|".join(rf"(?<!\w)(?:{p})(?!\w)" for p in patterns), re.I)


# ---------------------------------------------------------------- sentence patterns

# Sentence boundaries: end punctuation before a capital, a blank line, or a new list item.
_BREAK = re.compile(
    r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9£•])"
    r"|\n[ \t]*\n"
    r"|\n(?=[ \t]*(?:[•▪◦●*–-]|\d{1,2}[.)])[ \t])"
)
# A full stop after these is not a sentence end: abbreviations, initials, list numbers.
_NO_BREAK_AFTER = re.compile(
    r"(?:\b(?:e\.g|i\.e|Dr|Mr|Mrs|Ms|St|No|vs|approx|cf)|\b[A-Z]"
    r"|^\s*(?:[•▪◦●*–-]\s*)?\(?(?:\d{1,2}|[a-z]))$"
)
# Headings and contents entries: short, unpunctuated, not a plain bullet ("• 3. Our plan" is).
_HEADING_MAX_WORDS = 8
_BULLET = "•▪◦●*–-"
_NUMBERED_BULLET = re.compile(rf"^[{_BULLET}]\s*\d")
_LIST_ITEM = re.compile(rf"^(?:[{_BULLET}]|\(?(?:\d{{1,2}}|[a-z])[.)])\s")
_WHITESPACE = re.compile(r"\s")

# ---------------------------------------------------------------- sentences and citations


@dataclass(frozen=True)
class Sentence:
    page: Page
    start: int  # offsets into page.text
    end: int
    flat: str  # page.text[start:end] with each whitespace character made a space


@dataclass(frozen=True)
class Hit:
    sentence: Sentence
    start: int  # offsets into sentence.flat
    end: int


def split_sentences(doc: Document) -> list[Sentence]:
    """Every sentence of every page, in reading order; none crosses a page boundary.

    Sentences addressed to a reviewing model (prompt injection) are not evidence about the
    strategy, so they are left out: an injected instruction cannot move an indicator."""
    flagged = find_injections(doc)
    return [
        s
        for page in doc.pages
        for s in _split_page(_without(page, flagged))
        if not is_withheld(doc, s.flat)
    ]


def _without(page: Page, flagged: list[FlaggedText]) -> Page:
    """The page with each flagged span turned into a paragraph break of the same length, so
    that a title or sentence run into a planted one (no full stop between them) is kept and
    offsets stay true."""
    text = page.text
    for item in flagged:
        if item.page != page.page or item.start is None or item.end is None:
            continue
        start, end = item.start - page.offset, item.end - page.offset
        if 0 <= start < end <= len(text) and end - start >= 2:
            text = text[:start] + "\n\n" + " " * (end - start - 2) + text[end:]
    return page if text == page.text else page.model_copy(update={"text": text})


def _split_page(page: Page) -> list[Sentence]:
    text, seg = page.text, 0
    out: list[Sentence] = []
    for m in _BREAK.finditer(text):
        if m.group(0)[0] in ".!?" and _NO_BREAK_AFTER.search(text[seg : m.start()]):
            continue
        out.extend(_sentence(page, seg, m.end()))
        seg = m.end()
    out.extend(_sentence(page, seg, len(text)))
    return out


def _sentence(page: Page, start: int, end: int) -> list[Sentence]:
    text = page.text
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    body = text[start:end]
    if not any(ch.isalnum() for ch in body):
        return []
    return [Sentence(page, start, end, _WHITESPACE.sub(" ", body))]


def is_heading(sentence: Sentence) -> bool:
    text = sentence.flat.rstrip("\"'”’) ")
    if not text or text[-1] in ".!?:;" or len(text.split()) > _HEADING_MAX_WORDS:
        return False
    return text[0] not in _BULLET or bool(_NUMBERED_BULLET.match(text))


def _prose(sents: Iterable[Sentence]) -> list[Sentence]:
    """Sentences less headings, so "What we have delivered" in the contents is not counted."""
    return [s for s in sents if not is_heading(s)]


def is_list_item(sentence: Sentence) -> bool:
    return bool(_LIST_ITEM.match(sentence.flat))


def _continues(before: Sentence, sentence: Sentence) -> bool:
    """``sentence`` goes on the line of ``before`` (a list item's second sentence)."""
    return (
        before.page.page == sentence.page.page
        and "\n" not in before.page.text[before.end : sentence.start]
        and not is_list_item(sentence)
    )


def _items_after(sents: Sequence[Sentence], i: int) -> list[int]:
    """Indexes of the list items straight after sentence ``i``; a further sentence on an
    item's own line ("- Staff capacity. Mitigation: backfill.") is part of it, not the list's
    end, and is not an item itself."""
    items: list[int] = []
    j = i + 1
    while j < len(sents):
        if is_list_item(sents[j]) and not is_heading(sents[j]):
            items.append(j)
        elif not (items and _continues(sents[j - 1], sents[j])):
            break
        j += 1
    return items


def _statements(sents: Sequence[Sentence], pattern: re.Pattern[str]) -> list[Hit]:
    """Sentences matching ``pattern``; a matching heading or lead-in ending in a colon
    ("Since 2021 we have delivered:") stands for the list items under it instead."""
    hits: list[Hit] = []
    used: set[int] = set()
    for i, s in enumerate(sents):
        m = pattern.search(s.flat)
        if m is None or i in used:
            continue
        lead = is_heading(s) or s.flat.rstrip().endswith(":")
        items = _items_after(sents, i) if lead else []
        for j in items:
            if j not in used:
                used.add(j)
                hits.append(Hit(sents[j], 0, len(sents[j].flat)))
        if not items and not is_heading(s):
            used.add(i)
            hits.append(Hit(s, m.start(), m.end()))
    return hits


def _first_hits(sents: Iterable[Sentence], pattern: re.Pattern[str]) -> list[Hit]:
    """The first match in each sentence that has one."""
    return [Hit(s, m.start(), m.end()) for s in sents if (m := pattern.search(s.flat))]


def _all_hits(sents: Iterable[Sentence], pattern: re.Pattern[str]) -> list[Hit]:
    """Every (non-overlapping) match: for counting mentions."""
    return [Hit(s, m.start(), m.end()) for s in sents for m in pattern.finditer(s.flat)]


def _evidence(doc: Document, hits: Iterable[Hit], limit: int = MAX_EVIDENCE) -> list[Evidence]:
    out: list[Evidence] = []
    seen: set[tuple[int, int]] = set()
    for hit in hits:
        key = (hit.sentence.page.page, hit.sentence.start)
        if key not in seen:
            seen.add(key)
            out.append(_cite(doc, hit))
        if len(out) >= limit:
            break
    return out


def _cite(doc: Document, hit: Hit) -> Evidence:
    s, page = hit.sentence, hit.sentence.page
    lo, hi = _window(hit)
    qs, qe = s.start + lo, s.start + hi
    pos = page.offset + s.start + hit.start
    return Evidence(
        quote=page.text[qs:qe],
        page=page.page,
        page_label=page.page_label,
        chunk_id=_chunk_id(doc, pos, page.offset + qs, page.offset + qe),
        verified=True,
        source="indicator",
    )


def _within_cell(flat: str, lo: int, hi: int, at: int) -> tuple[int, int]:
    """The span cut to the table cell that holds offset ``at``: a table row's cells, joined by
    ingest, are not one sentence of the document."""
    before = flat.rfind(CELL_SEPARATOR, 0, at)
    if before != -1:
        lo = max(lo, before + len(CELL_SEPARATOR))
    after = flat.find(CELL_SEPARATOR, max(at, lo))
    if after != -1:
        hi = min(hi, after)
    return lo, max(lo, hi)


def _window(hit: Hit) -> tuple[int, int]:
    """The quote's span in the sentence: all of it, or ~MAX_QUOTE chars around the match."""
    flat = hit.sentence.flat
    lo, hi = _around(flat, hit) if len(flat) > MAX_QUOTE else (0, len(flat))
    lo, hi = _within_cell(flat, lo, hi, hit.start)
    while lo < hi and flat[lo] == " ":
        lo += 1
    while hi > lo and flat[hi - 1] == " ":
        hi -= 1
    return lo, hi


def _around(flat: str, hit: Hit) -> tuple[int, int]:
    """About MAX_QUOTE characters around the match, cut at spaces."""
    mid = (hit.start + hit.end) // 2
    lo = max(0, min(mid - MAX_QUOTE // 2, len(flat) - MAX_QUOTE, hit.start))
    hi = max(lo + MAX_QUOTE, hit.end)
    if lo > 0 and (space := flat.find(" ", lo, hit.start)) != -1:
        lo = space + 1
    if hi < len(flat) and (space := flat.rfind(" ", hit.end, hi)) != -1:
        hi = space
    return lo, hi


def _chunk_id(doc: Document, pos: int, start: int, end: int) -> str | None:
    """The chunk covering document offset ``pos``; one holding the whole quote if possible."""
    covering = [c for c in doc.chunks if c.start <= pos < c.end]
    whole = [c for c in covering if c.start <= start and end <= c.end]
    best = whole or covering
    return best[0].id if best else None


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


def _share(part: int, other: int) -> float | None:
    return round(part / (part + other), 2) if part + other else None


def _mixed(first: list[Hit], second: list[Hit], first_max: int = 3) -> list[Hit]:
    """Evidence from both sides: up to ``first_max`` of ``first``, then ``second``."""
    return first[:first_max] + second + first[first_max:]
