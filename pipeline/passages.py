"""Which sentences of a document may stand as evidence, and in what order.

Contents-page lines ("3. What we have delivered ...... 4"), running heads repeated across pages
and bare headings say nothing about a rubric item, so they are never shown as evidence. What is
left is ranked by how many of the item's keywords a quote holds and whether a deterministic
indicator counted it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .records import Document, Evidence

MAX_SHOWN = 4
_HEADING_MAX_WORDS = 8
_DOT_LEADER = re.compile(r"(?:\.\s*){4,}|…{2,}|(?:\s\.){3,}|_{4,}")
_ENDS_IN_PAGE = re.compile(r"[A-Za-z)][\s.…]+(?:\d{1,3}|i{1,3}|iv|vi{0,3}|ix|x)\s*$")
_CONTENTS_TITLE = re.compile(r"^\s*(?:table\s+of\s+)?contents\s*$", re.I | re.M)
_NUMBERED_TITLE = re.compile(
    r"^\s*(?:[•▪◦●*–-]\s*)?(?:(?:section|part|chapter)\s+\d{1,2}|\d{1,2}\.(?:\d{1,2}\.?)*)\s+[A-Z]",
    re.I,
)
_BULLET = re.compile(r"^\s*[•▪◦●*–-]\s*")
_END_PUNCT = re.compile(r"[.!?:;]['\"”’)\]]*$")
_NUMBERS = re.compile(r"\d+")
_WORD = re.compile(r"[a-z0-9]+")


_BREAK = re.compile(
    r"(?<=[.!?])[\"'”’)\]]*[ \t]*\n?[ \t]*(?=[\"'“‘(\[]?[A-Z0-9£•▪◦●])"
    r"|\n[ \t]*\n"
    r"|\n(?=[ \t]*[•▪◦●*–-][ \t])"
)
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|Dr|Mr|Mrs|Ms|St|No|vs|approx|cf)|\b[A-Z])\.$")
_LIST_NUMBER = re.compile(r"^\s*(?:[•▪◦●*–-]\s*)?\(?(?:\d{1,2}(?:\.\d{1,2})*|[a-z])\.$")
_FUNCTION_WORD = re.compile(
    r"\b(?:the|a|an|of|and|or|by|to|for|with|in|on|at|from|our|their|its|is|are|will|be)$", re.I
)


def _heading_line(line: str, following: str) -> bool:
    """A line that is a heading above the sentence starting on the next line."""
    text = line.strip()
    return (
        is_bare_heading(text)
        and not _FUNCTION_WORD.search(text)
        and following[:1].isupper()
        and text[:1].isupper() | text[:1].isdigit()
    )


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``. A sentence may wrap over lines; a
    list item or a heading line starts a new one."""
    cuts = {0, len(text)}
    for match in _BREAK.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start : match.start()]
        if not (_ABBREVIATION.search(before[-6:]) or _LIST_NUMBER.match(before)):
            cuts.add(match.end() if match.group(0).strip() == "" else match.start() + 1)
            cuts.add(match.end())
    start, previous = 0, ""
    lines = text.split("\n")
    for line, following in zip(lines, [*lines[1:], ""], strict=True):
        begins = start in cuts or not previous.strip() or previous.rstrip()[-1:] in ".!?:"
        if begins and _heading_line(line, following.lstrip()):
            cuts.update({start, start + len(line)})
        start, previous = start + len(line) + 1, line
    spans = []
    ordered = sorted(cuts)
    for start, end in zip(ordered, ordered[1:], strict=False):
        body = text[start:end]
        left = start + len(body) - len(body.lstrip())
        right = end - (len(body) - len(body.rstrip()))
        if right > left:
            spans.append((left, right))
    return spans


def _key(line: str) -> str:
    """A line with page numbers, bullets and case removed, for spotting repeats."""
    return " ".join(_NUMBERS.sub("#", _BULLET.sub("", line)).lower().split())


def is_bare_heading(line: str) -> bool:
    """A short line with no sentence punctuation: a heading, title or label."""
    text = line.strip()
    if not text:
        return True
    if _END_PUNCT.search(text):
        return False
    if _NUMBERED_TITLE.match(text):
        return len(text.split()) <= _HEADING_MAX_WORDS + 4
    return not _BULLET.match(text) and len(text.split()) <= _HEADING_MAX_WORDS


def is_contents_line(line: str) -> bool:
    """A table-of-contents entry: dot leaders, or a title that ends in a page number."""
    text = line.strip()
    if _DOT_LEADER.search(text):
        return True
    return bool(_ENDS_IN_PAGE.search(text)) and len(text.split()) <= 14 and "." not in text[:-4]


@dataclass(frozen=True)
class Layout:
    """Lines of a document that are page furniture rather than content."""

    running: frozenset[str]  # keys of lines repeated on several pages
    contents_pages: frozenset[int]  # 1-based pages that hold a table of contents
    contents_titles: frozenset[str]  # keys of the entries listed on those pages


def _contents_entries(text: str) -> list[str] | None:
    """The entries after a "Contents" line, when the page holds a table of contents."""
    match = _CONTENTS_TITLE.search(text)
    if match is None:
        return None
    entries = []
    for line in text[match.end() :].split("\n"):
        if not line.strip():
            continue
        if not (is_bare_heading(line) or is_contents_line(line)):
            break
        entries.append(line)
    return entries if len(entries) >= 2 else None


@lru_cache(maxsize=8)
def _layout(pages: tuple[str, ...]) -> Layout:
    counts: Counter[str] = Counter()
    for text in pages:
        counts.update({_key(ln) for ln in text.split("\n") if ln.strip()})
    needed = max(2, (len(pages) + 1) // 2)
    running = {k for k, n in counts.items() if n >= needed and len(k.split()) <= 12}
    contents_pages: set[int] = set()
    titles: set[str] = set()
    for number, text in enumerate(pages, start=1):
        entries = _contents_entries(text)
        if entries:
            contents_pages.add(number)
            titles.update(_key(_DOT_LEADER.split(e)[0]) for e in entries)
    return Layout(frozenset(running), frozenset(contents_pages), frozenset(titles))


def layout(document: Document) -> Layout:
    return _layout(tuple(p.text for p in document.pages))


def _lines(quote: str) -> list[str]:
    return [ln for ln in quote.split("\n") if ln.strip()]


def strip_heading(quote: str, furniture: Layout) -> str:
    """The quote less leading lines that are a section heading or a running head; the rest is
    still a verbatim slice of the page."""
    lines = quote.split("\n")
    while len(lines) > 1 and lines[0].strip():
        first, key = lines[0], _key(lines[0])
        heading = _NUMBERED_TITLE.match(first) and is_bare_heading(first)
        if not (heading or key in furniture.running or key in furniture.contents_titles):
            break
        lines = lines[1:]
    return "\n".join(lines).strip()


def is_furniture(evidence: Evidence, furniture: Layout) -> bool:
    """True for a quote that is only a contents entry, running head or bare heading."""
    lines = _lines(evidence.quote)
    if not lines:
        return True
    keys = [_key(ln) for ln in lines]
    if all(k in furniture.running or k in furniture.contents_titles for k in keys):
        return True
    if any(is_contents_line(ln) for ln in lines):
        return True
    flat = " ".join(" ".join(lines).split())
    if evidence.page in furniture.contents_pages and (
        is_bare_heading(flat) or _key(flat) in furniture.contents_titles
    ):
        return True
    return is_bare_heading(flat)


def _trim(evidence: Evidence, furniture: Layout, keywords: Sequence[str] = ()) -> Evidence | None:
    """The evidence with leading headings cut from its quote, or None if only furniture or if
    the cut heading held the only match for ``keywords``."""
    quote = strip_heading(evidence.quote, furniture)
    trimmed = evidence.model_copy(update={"quote": quote})
    if not quote or is_furniture(trimmed, furniture):
        return None
    cut = evidence.quote.strip()[: -len(quote)]
    if keyword_score(cut, keywords) and not keyword_score(quote, keywords):
        return None  # the heading held the match; what is left does not
    return trimmed


def clean(
    document: Document, evidence: Iterable[Evidence], keywords: Sequence[str] = ()
) -> list[Evidence]:
    """Evidence less page furniture, with leading headings cut from each quote, deduplicated."""
    furniture = layout(document)
    kept: list[Evidence] = []
    for item in evidence:
        trimmed = _trim(item, furniture, keywords)
        if trimmed is not None and not _duplicate(trimmed, kept):
            kept.append(trimmed)
    return kept


def _flat(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def _duplicate(evidence: Evidence, kept: Sequence[Evidence]) -> bool:
    mine = _flat(evidence.quote)
    return any(
        e.page == evidence.page and (mine in _flat(e.quote) or _flat(e.quote) in mine) for e in kept
    )


def keyword_score(quote: str, keywords: Sequence[str]) -> int:
    """How many of an item's keywords the quote holds, as whole words."""
    text = f" {_flat(quote)} "
    return sum(1 for k in keywords if _flat(k) and f" {_flat(k)} " in text)


def rank(
    document: Document,
    keywords: Sequence[str],
    retrieved: Sequence[Evidence],
    supported: Sequence[Evidence],
    limit: int = MAX_SHOWN,
) -> list[Evidence]:
    """Indicator-counted quotes and retrieved sentences less page furniture, best first: a quote
    an indicator counted scores 2 and each keyword it holds 1; earlier candidates win ties."""
    furniture = layout(document)
    kept: list[Evidence] = []
    scored: list[tuple[tuple[int, int], Evidence]] = []
    tagged = [(e, True) for e in supported] + [(e, False) for e in retrieved]
    for position, (item, counted) in enumerate(tagged):
        trimmed = _trim(item, furniture, keywords)
        if trimmed is None or _duplicate(trimmed, kept):
            continue
        kept.append(trimmed)
        relevance = 2 * counted + keyword_score(trimmed.quote, keywords)
        scored.append(((-relevance, position), trimmed))
    return [e for _, e in sorted(scored, key=lambda pair: pair[0])][:limit]
