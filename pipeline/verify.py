"""Check quotes and citation IDs against the document. Knows pages and quotes, not models.

A quote is verified only when it is a run of whole words from the text of the chunk it cites,
on one page, after folding the few differences that do not change meaning: ligatures and other
compatibility forms, hyphenation at line ends, soft hyphens and zero-width characters,
whitespace, quote and dash styles, and case. Nothing else is forgiven: not a missing word, not
a changed inflection, not a word boundary. The evidence shown is the document's own text for
the span found, never the model's spelling of it.

An ellipsis may join fragments of at least :data:`MIN_FRAGMENT_WORDS` words each, found in
order in the same chunk and on the same page, and only when the skipped text holds no negation
and no condition or exception ("only if", "unless", "subject to", "depends on").
A quote whose first words follow a negation in the same clause is dropped too ("replace the EPR"
from "we will not replace the EPR"), and so is one that stops just before a negation ("the
website does" from "the website does not work"), since the span would say the opposite of the
page. A number is one word: "£1" is not found in "£1.1 million", nor "10" in "10,000".
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from .injection import is_withheld, judges_the_document
from .records import CELL_SEPARATOR, Chunk, Document, Evidence

MIN_QUOTE_WORDS = 6
MIN_FRAGMENT_WORDS = 5
NEGATION_LOOKBEHIND_WORDS = 3

_QUOTE_MARKS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")
# Hyphens that may join the parts of one word (not dashes, which separate words).
_WORD_HYPHENS = frozenset("-\u2010\u2011\u00ad")
# Markdown emphasis ("the **Head of Libraries**"): a reader sees the words, not the marks.
_EMPHASIS = frozenset("*_")
_MARKDOWN_LINK = re.compile(
    r"(?<!!)\[([^\[\]\n]{1,300})\]\([^()\s]{0,1000}(?:\([^()\s]*\))?[^()\s]*\)"
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_ELLIPSIS = re.compile(r"\s*\[?\s*(?:\.\s?){2}\.\s*\]?\s*")
_NEGATION = re.compile(
    r"\b(?:not|no|never|without|cannot|nor|neither|none|nothing|nobody|nowhere)\b|n't\b"
)
# Words that limit what a sentence commits to: skipping them says more than the page does.
_QUALIFIER = re.compile(
    r"\b(?:unless|except|excluding|only|if|until|subject to|provided|providing|depends?"
    r"|dependent|depending|conditional|assuming|whether)\b"
)
# A clause ends at . ! ? ; : or at a line break before a capital, digit or bullet (a heading
# above a sentence); a line break inside wrapped prose ("will not\nreplace") does not end one.
_CLAUSE_END = re.compile(r"[.!?;:]|\n(?=\s*[A-Z0-9\u2022*-])")
_CELL_BREAK = re.compile(re.escape(CELL_SEPARATOR))
_EDGE_JUNK = "\"' \t\n.,;:"

# Reasons a quote is dropped, as counted in ItemStats.drop_reasons.
INVENTED_ID = "cites a passage it was not shown"
TOO_SHORT = f"under {MIN_QUOTE_WORDS} words"
SHORT_FRAGMENT = f"ellipsis between fragments under {MIN_FRAGMENT_WORDS} words"
NOT_FOUND = "not in the cited passage as whole words"
SKIPS_NEGATION = "ellipsis skips a negation"
SKIPS_QUALIFIER = "ellipsis skips a condition or exception"
AFTER_NEGATION = "starts just after a negation"
BEFORE_NEGATION = "stops just before a negation"
CROSSES_PAGES = "spans a page break"
CROSSES_CELLS = "runs across table cells"
DUPLICATE = "duplicate"
WITHHELD = "quotes text withheld as addressed to reviewers"
NOT_SHOWN = "quotes the cited passage beyond the part it was shown"


@dataclass(frozen=True)
class Folded:
    """Text in comparison form, with the index in the source of every character, and the
    index just past the source characters each one came from (a letter and its combining
    accents fold to one character)."""

    text: str
    origin: tuple[int, ...]
    ends: tuple[int, ...] = ()

    def end_of(self, k: int) -> int:
        """The source index just past folded character ``k``."""
        return self.ends[k] if self.ends else self.origin[k] + 1


def fold(source: str) -> Folded:
    """Fold compatibility forms and composed or decomposed accents (NFKC, per letter with its
    combining marks), hyphens inside a word ("council-wide", "council-\\nwide", "intui-\\ntive",
    "intui\\u00adtive" all fold to one word), invisible characters, whitespace runs, quote and
    dash styles, Markdown emphasis and link marks and case, keeping a map back to
    ``source``."""
    chars: list[str] = []
    origin: list[int] = []
    ends: list[int] = []
    skips = _link_marks(source)
    i = 0
    while i < len(source):
        ch = source[i]
        if i in skips:
            i = skips[i]
            continue
        if ch in _WORD_HYPHENS and (joined := _joined_at(source, i)):
            i = joined
            continue
        if ch in _INVISIBLE or ch in _EMPHASIS:
            i += 1
            continue
        if ch.isspace():
            if chars and chars[-1] != " ":
                chars.append(" ")
                origin.append(i)
                ends.append(i + 1)
            i += 1
            continue
        j = i + 1
        while j < len(source) and unicodedata.combining(source[j]):
            j += 1
        for out in unicodedata.normalize("NFKC", source[i:j]).translate(_QUOTE_MARKS).lower():
            chars.append(out)
            origin.append(i)
            ends.append(j)
        i = j
    while chars and chars[-1] == " ":
        chars.pop()
        origin.pop()
        ends.pop()
    return Folded("".join(chars), tuple(origin), tuple(ends))


def _link_marks(text: str) -> dict[int, int]:
    """The marks of each Markdown link ("[the council plan](https://...)") that a reader does
    not see: where each starts, mapped to where it ends. The link text stays."""
    if "](" not in text:
        return {}
    marks: dict[int, int] = {}
    for match in _MARKDOWN_LINK.finditer(text):
        marks[match.start()] = match.start() + 1
        marks[match.end(1)] = match.end()
    return marks


def _joined_at(text: str, i: int) -> int:
    """Where the word goes on when the hyphen at ``i`` joins two parts of one word, else 0: a
    hyphen or soft hyphen between two letters, or at a line's end between a letter and a
    lower-case letter (a soft hyphen before any line break)."""
    if i == 0 or not _letter_before(text, i):
        return 0
    if i + 1 < len(text) and text[i + 1].isalpha():
        return i + 1
    j = i + 1
    while j < len(text) and text[j] in " \t":
        j += 1
    if j >= len(text) or text[j] not in "\r\n":
        return 0
    k = _skip_space(text, j)
    if k < len(text) and (text[k].islower() or (text[i] == "\u00ad" and text[k].isalpha())):
        return k
    return 0


def _letter_before(text: str, i: int) -> bool:
    """A letter (or a letter with combining accents) just before ``i``."""
    j = i - 1
    while j > 0 and unicodedata.combining(text[j]):
        j -= 1
    return text[j].isalpha()


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def quote_fragments(quote: str) -> list[str]:
    """The folded fragments of a quote, split at ellipses; a leading or trailing ellipsis
    (a trimmed sentence) and the quote marks or end punctuation around it are dropped."""
    folded = fold(quote).text
    parts = [p.strip(_EDGE_JUNK) for p in _ELLIPSIS.split(folded)]
    return [p for p in parts if p]


def _is_word_char(text: str, i: int) -> bool:
    if i < 0 or i >= len(text):
        return False
    if text[i].isalnum():
        return True
    if text[i] in ".," and 0 < i < len(text) - 1:  # a decimal point or thousands separator
        return text[i - 1].isdigit() and text[i + 1].isdigit()
    # an apostrophe or hyphen inside a word ("don't", "non-compliant") joins it
    return (
        text[i] in "'-"
        and i > 0
        and text[i - 1].isalnum()
        and i + 1 < len(text)
        and text[i + 1].isalnum()
    )


def whole_word_matches(text: str, fragment: str, start: int = 0) -> Iterator[int]:
    """Every position of ``fragment`` in ``text`` at or after ``start`` that begins and ends on
    a word boundary (so "involved" is not found inside "uninvolved")."""
    position = text.find(fragment, start)
    while position >= 0:
        end = position + len(fragment)
        left_ok = not (_is_word_char(fragment, 0) and _is_word_char(text, position - 1))
        right_ok = not (_is_word_char(fragment, len(fragment) - 1) and _is_word_char(text, end))
        if left_ok and right_ok:
            yield position
        position = text.find(fragment, position + 1)


def _follows_negation(source: str, position: int) -> bool:
    """True when one of the few words of ``source`` before ``position``, in the same clause, is
    a negation."""
    ends = (m.end() for m in _CLAUSE_END.finditer(source) if m.end() <= position)
    clause_start = max(ends, default=0)
    words = _WORD.findall(fold(source[clause_start:position]).text)[-NEGATION_LOOKBEHIND_WORDS:]
    return any(_NEGATION.search(w) for w in words)


_NEXT_WORD = re.compile(r"\s+([^\W_]+(?:'[^\W_]+)*)")


def _precedes_negation(folded: str, end: int) -> bool:
    """True when the word right after ``end`` in folded text, with no punctuation between, is
    a negation: the quote stops short of the "not" that decides its meaning."""
    match = _NEXT_WORD.match(folded, end)
    return bool(match and _NEGATION.fullmatch(match.group(1)))


@dataclass
class Span:
    """Where a quote was found: (start, end) pairs in the chunk's own text, one per fragment."""

    pieces: list[tuple[int, int]]


def _locate(source: str, fragments: list[str]) -> Span | str:
    """Find the fragments in order as whole words of ``source``; a reason string when they
    cannot be."""
    reason = NOT_FOUND
    folded = fold(source)
    text = folded.text
    for first in whole_word_matches(text, fragments[0]):
        if _follows_negation(source, folded.origin[first]):
            reason = AFTER_NEGATION
            continue
        found = _rest(text, fragments, first)
        if isinstance(found, str):
            reason = found if reason == NOT_FOUND else reason
            continue
        if _precedes_negation(text, found[-1][1]):
            reason = BEFORE_NEGATION
            continue
        return Span([(folded.origin[s], folded.end_of(e - 1)) for s, e in found])
    return reason


def _rest(text: str, fragments: list[str], first: int) -> list[tuple[int, int]] | str:
    pieces = [(first, first + len(fragments[0]))]
    for fragment in fragments[1:]:
        after = pieces[-1][1]
        position = next(whole_word_matches(text, fragment, after), None)
        if position is None:
            return NOT_FOUND
        if _NEGATION.search(text[after:position]):
            return SKIPS_NEGATION
        if _QUALIFIER.search(text[after:position]):
            return SKIPS_QUALIFIER
        pieces.append((position, position + len(fragment)))
    return pieces


def check_quote(quote: str) -> list[str] | str:
    """The quote's fragments when its shape is acceptable, else the reason it is not."""
    fragments = quote_fragments(quote)
    if sum(count_words(f) for f in fragments) < MIN_QUOTE_WORDS:
        return TOO_SHORT
    if len(fragments) > 1 and min(count_words(f) for f in fragments) < MIN_FRAGMENT_WORDS:
        return SHORT_FRAGMENT
    return fragments


@dataclass
class Located:
    page: int
    text: str  # the document's own text for the span, fragments joined by " … "


def locate_quote(document: Document, chunk: Chunk, quote: str) -> Located | str:
    """Find a quote in the cited chunk. Returns where, with the document's own wording, or the
    reason it is not verified."""
    fragments = check_quote(quote)
    if isinstance(fragments, str):
        return fragments
    span = _locate(chunk.text, fragments)
    if isinstance(span, str):
        return span
    if any(_CELL_BREAK.search(chunk.text, s, e) for s, e in span.pieces):
        return CROSSES_CELLS
    pages = {_page_at(document, chunk.start + pos) for piece in span.pieces for pos in piece}
    if len(pages) != 1:
        return CROSSES_PAGES
    shown = " … ".join(_shown(chunk.text[s:e]) for s, e in span.pieces)
    return Located(page=pages.pop(), text=shown)


_SHOWN_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])([-\u2010])[ \t]*\r?\n\s*(?=[^\W\d_])")
_SHOWN_INVISIBLE = re.compile("\u00ad[ \t]*\r?\n\\s*|[\u00ad\u200b\u200c\u200d\u2060\ufeff]")


def _shown(text: str) -> str:
    """The document's words as a reader sees them: no soft hyphens or zero-width characters,
    a hyphen at a line's end kept with its word ("council-wide"), whitespace collapsed."""
    text = _SHOWN_INVISIBLE.sub("", _SHOWN_HYPHEN_BREAK.sub(r"\1", text))
    return " ".join(text.split())


def _page_at(document: Document, offset: int) -> int:
    page = document.pages[0].page
    for candidate in document.pages:
        if candidate.offset > offset:
            break
        page = candidate.page
    return page


def find_quote(document: Document, chunk: Chunk, quote: str) -> int | None:
    """The page (1-based) where the quote is verified in the chunk, else None."""
    found = locate_quote(document, chunk, quote)
    return found.page if isinstance(found, Located) else None


@dataclass
class Citation:
    chunk_id: str
    quote: str


@dataclass
class Verification:
    evidence: list[Evidence]  # verified quotes only, in the document's own wording
    proposed: int
    dropped: int
    invented_ids: list[str]
    reasons: Counter[str] = field(default_factory=Counter)
    verdicts: int = 0  # dropped quotes that state a verdict on the document


def shown_in(text: str, visible: str) -> bool:
    """Every fragment of ``text`` (the document's words for a located quote) is in
    ``visible``, the passage as the model was shown it; the last word may be one the cut
    at the passage's end split ("servic" for "services")."""
    seen = fold(visible).text
    return all(_fragment_shown(part, seen) for part in fold(text).text.split(" \u2026 "))


def _fragment_shown(part: str, seen: str) -> bool:
    if part in seen:
        return True
    head, _, last = part.rpartition(" ")
    position = seen.rfind(head) if head else -1
    rest = seen[position + len(head) :] if position >= 0 else ""
    return rest.startswith(" ") and last.startswith(rest[1:])


def verify_citations(
    document: Document,
    citations: list[Citation],
    allowed: set[str],
    shown: Mapping[str, str] | None = None,
) -> Verification:
    """Strip IDs outside the retrieved set, verify quotes, drop what cannot be verified and
    count why. A quote of text the injection check withheld is dropped too: it is the
    document's wording, but it is not evidence, and it must not count as support. With
    ``shown`` (each passage as the model saw it, cut to length), a quote of the passage's
    text past the cut is dropped: the model cannot have read it there."""
    evidence: list[Evidence] = []
    invented: list[str] = []
    reasons: Counter[str] = Counter()
    seen: set[tuple[int, str]] = set()
    verdicts = 0
    for citation in citations:
        chunk = document.chunk(citation.chunk_id) if citation.chunk_id in allowed else None
        if chunk is None:
            invented.append(citation.chunk_id)
            reasons[INVENTED_ID] += 1
            continue
        found = locate_quote(document, chunk, citation.quote)
        if isinstance(found, str):
            reasons[found] += 1
            continue
        verdict = judges_the_document(found.text)
        if verdict or is_withheld(document, found.text):
            reasons[WITHHELD] += 1
            verdicts += verdict
            continue
        visible = shown.get(chunk.id) if shown is not None else None
        if visible is not None and not shown_in(found.text, visible):
            reasons[NOT_SHOWN] += 1
            continue
        key = (found.page, fold(found.text).text)
        if key in seen:
            reasons[DUPLICATE] += 1
            continue
        seen.add(key)
        evidence.append(
            Evidence(
                quote=found.text,
                page=found.page,
                page_label=document.page(found.page).page_label,
                chunk_id=chunk.id,
                verified=True,
                source="model",
            )
        )
    return Verification(
        evidence,
        proposed=len(citations),
        dropped=sum(reasons.values()),
        invented_ids=invented,
        reasons=reasons,
        verdicts=verdicts,
    )
