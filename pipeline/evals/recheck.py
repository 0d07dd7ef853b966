"""An independent re-check of every quote a review marks verified, over the raw page text.

This deliberately shares no code with ``pipeline/verify.py``, ``pipeline/normalise.py`` or
``pipeline/pdf_text.py``, so that one bug cannot pass both. It reads the case's file itself (pypdf
per page for PDFs; the whole text as one page for HTML, Markdown, text and DOCX), and compares
WORD SEQUENCES rather than folded character strings:

- Text is tokenised into words (letters and digits, with inner apostrophes) and single
  punctuation marks, after NFKC (ligatures), dropping soft hyphens and zero-width characters,
  and folding quote and dash styles. Whitespace only separates tokens.
- A hyphen that ends a line between two letters may be read either way: "trans-/formation"
  matches "transformation" and "trans-formation"; a quote may not start or end inside it.
- A quote passes when its tokens equal a run of whole page tokens, CASE-SENSITIVELY: the report
  must show the document's own text. Model quotes need at least :data:`MIN_MODEL_WORDS` words.
- An ellipsis ("...", "…", "[...]") may join fragments of at least :data:`MIN_FRAGMENT_WORDS`
  words each, found in order on the cited page, when the skipped words hold no negation. A
  leading or trailing ellipsis marks a trimmed sentence and is ignored.
- pypdf loses the word spaces of some PDFs ("plantomakeBritain"), where a quote the pipeline
  verified in PDFium's reading would not be whole words. So a PDF quote that is not found as
  whole words in pypdf's text of the cited page is looked for, by the same rules, in a second
  reading of that page that the re-check takes itself with pypdfium2 (:func:`read_pdfium_pages`,
  its own page numbering and clean-up, not the pipeline's). Only "not found" is retried: a short
  quote, a skipped negation or a changed case fails on either reading.
- A review drops running headers and footers, so a quote may run across one ("...of Canada |
  Photomontage"). A PDF quote still not found is looked for once more in pypdf's text of the
  page without its running lines: top and bottom lines that recur, the page number aside, on
  at least half the pages (and at least :data:`RUNNING_MIN_PAGES`), by the re-check's own count.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from ..records import Evidence, ItemResult

MIN_MODEL_WORDS = 6
RUNNING_MIN_PAGES = 3
RUNNING_EDGE = 2  # lines at the top and at the bottom of a page that may be running lines
MIN_FRAGMENT_WORDS = 5
NEGATIONS = frozenset(
    {"not", "no", "never", "without", "cannot", "nor", "neither", "none", "nobody", "nothing"}
)
# quote and dash styles folded to ASCII; soft hyphen and zero-width characters removed
_FOLD = {
    **{ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032\u02bc`"},
    **{ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"},
    **{ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"},
    **{ord(c): None for c in "\u200b\u200c\u200d\u2060\ufeff"},
}
_MARKUP = frozenset("*_#`")
_ELLIPSIS = "\ue000"  # stands for any ellipsis style inside a quote
UNPAGINATED = (".html", ".htm", ".md", ".markdown", ".txt", ".docx")


@dataclass(frozen=True)
class Token:
    text: str
    word: bool
    soft: bool = False  # a hyphen at a line end between two letters
    start: int = 0  # character span in the cleaned text, for showing the page's own words
    end: int = 0


@dataclass(frozen=True)
class PageText:
    text: str
    tokens: tuple[Token, ...]


class RawPages(BaseModel):
    """A case file's text as the re-check sees it: page number -> text."""

    path: str
    paginated: bool
    pages: dict[int, str]


class QuoteCheck(BaseModel):
    """The re-check's verdict on one evidence entry marked verified."""

    case_id: str = ""
    run: int = 1
    item_id: str
    source: str
    page: int | None
    chunk_id: str | None = None
    quote: str
    ok: bool
    reason: str = ""  # why it failed; empty when ok
    # what holds it: "pypdf", "pdfium" or "pypdf without running lines" (a PDF page), "text"
    # (one text for HTML, Markdown, text and DOCX); "" when the quote failed
    reading: str = ""


# ---------------------------------------------------------------- reading raw pages


def read_raw_pages(path: Path) -> RawPages:
    """Every page's raw text: pypdf for PDFs, else the whole file as page 1."""
    suffix = path.suffix.lower()
    if suffix == ".pdf" or path.read_bytes()[:5] == b"%PDF-":
        from pypdf import PdfReader

        reader = PdfReader(str(path))
        pages = {i + 1: page.extract_text() or "" for i, page in enumerate(reader.pages)}
        return RawPages(path=str(path), paginated=True, pages=pages)
    if suffix in (".html", ".htm"):
        text = _html_text(path)
    elif suffix == ".docx":
        text = _docx_text(path)
    else:
        text = path.read_text(encoding="utf-8", errors="replace")
    return RawPages(path=str(path), paginated=False, pages={1: text})


def read_pdfium_pages(path: Path) -> dict[int, str]:
    """Every page's text as PDFium reads it ({} when PDFium cannot open the file). PDFium places
    word gaps from glyph positions, so it keeps spaces that pypdf loses on some PDFs."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(str(path))
    except Exception:  # noqa: BLE001 - PDFium is stricter than pypdf on damaged files
        return {}
    pages: dict[int, str] = {}
    try:
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            try:
                pages[index + 1] = _pdfium_clean(str(textpage.get_text_range()))
            finally:
                textpage.close()
                page.close()
    except Exception:  # noqa: BLE001 - a page PDFium cannot read leaves the rest
        pass
    finally:
        document.close()
    return pages


def _pdfium_clean(text: str) -> str:
    """PDFium joins a word hyphenated at a line end and marks the hyphen U+FFFE (U+0002 in older
    builds): put back the hyphen and the break, so the line-end hyphen rule reads it."""
    return text.replace("\r\n", "\n").replace("\ufffe", "-\n").replace("\x02", "-\n")


def running_lines(pages: dict[int, str]) -> set[str]:
    """Keys of the lines among a page's first and last :data:`RUNNING_EDGE` that recur so on at
    least half the pages (and at least :data:`RUNNING_MIN_PAGES`): running headers and footers."""
    if len(pages) < RUNNING_MIN_PAGES:
        return set()
    counts: Counter[str] = Counter()
    for number, text in pages.items():
        counts.update({_line_key(line, number) for line in _edges(text)})
    need = max(RUNNING_MIN_PAGES, (len(pages) + 1) // 2)
    return {key for key, n in counts.items() if n >= need and key}


def without_lines(text: str, lines: set[str], number: int) -> str:
    """The page without its edge lines whose key is in ``lines``."""
    edges = set(_edges(text))
    return "\n".join(
        line
        for line in text.splitlines()
        if not (line in edges and _line_key(line, number) in lines)
    )


def _edges(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[:RUNNING_EDGE] + lines[-RUNNING_EDGE:]


def _line_key(line: str, number: int) -> str:
    """A line with its spaces collapsed and its page's own number masked."""
    return re.sub(rf"(?<!\d){number}(?!\d)", "#", " ".join(line.split()), count=1)


def _html_text(path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8", errors="replace"), "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    return soup.get_text(" ")


def _docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


# ---------------------------------------------------------------- tokens


def clean(text: str) -> str:
    """NFKC, soft hyphens joined, zero-width characters dropped, quotes and dashes folded."""
    text = unicodedata.normalize("NFKC", text)
    out: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\u00ad":  # a soft hyphen, and the line break it may stand before
            j = i + 1
            while j < len(text) and text[j].isspace():
                j += 1
            # joined across a line break; before a space ("børne\u00ad og") the words stay two
            i = j if any(c in "\r\n" for c in text[i + 1 : j]) else i + 1
            continue
        out.append(text[i])
        i += 1
    return "".join(out).translate(_FOLD)


def tokenise(text: str, markup: bool = False) -> tuple[str, tuple[Token, ...]]:
    """The cleaned text and its tokens; with ``markup``, Markdown marks are not tokens."""
    text = clean(text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace():
            i += 1
        elif char.isalnum():
            j = i + 1
            while j < n and (
                text[j].isalnum() or (text[j] == "'" and j + 1 < n and text[j + 1].isalnum())
            ):
                j += 1
            tokens.append(Token(text[i:j], True, start=i, end=j))
            i = j
        else:
            if not (markup and char in _MARKUP):
                soft = char == "-" and _line_end_hyphen(text, i)
                tokens.append(Token(char, False, soft, i, i + 1))
            i += 1
    return text, tuple(tokens)


def _line_end_hyphen(text: str, i: int) -> bool:
    """A hyphen right after a letter, then a line break, then a letter."""
    if i == 0 or not text[i - 1].isalpha():
        return False
    j = i + 1
    while j < len(text) and text[j] in " \t":
        j += 1
    if j >= len(text) or text[j] not in "\r\n":
        return False
    while j < len(text) and text[j].isspace():
        j += 1
    return j < len(text) and text[j].isalpha()


def page_text(raw: str, markup: bool = False) -> PageText:
    text, tokens = tokenise(raw, markup)
    return PageText(text, tokens)


# ---------------------------------------------------------------- matching word runs


def _same(a: str, b: str, fold_case: bool) -> bool:
    return a == b or (fold_case and a.casefold() == b.casefold())


def _ends(needle: Sequence[str], hay: Sequence[Token], start: int, fold_case: bool) -> set[int]:
    """Where a run matching ``needle`` from ``start`` can end; a line-end hyphen in the page may
    be read as joining its two halves into one word."""
    states = {start}
    for word in needle:
        following: set[int] = set()
        for k in states:
            if k < len(hay) and _same(hay[k].text, word, fold_case):
                following.add(k + 1)
            joined = k + 2 < len(hay) and hay[k + 1].soft
            if joined and _same(hay[k].text + hay[k + 2].text, word, fold_case):
                following.add(k + 3)
        states = following
        if not states:
            break
    return states


def find_runs(
    needle: Sequence[str], hay: Sequence[Token], begin: int = 0, fold_case: bool = False
) -> list[tuple[int, int]]:
    """Every (start, end) token span of ``hay`` from ``begin`` equal to ``needle`` as whole
    words; a span may not start or end inside a hyphenated line break."""
    runs = []
    for start in range(begin, len(hay)):
        if not _same(hay[start].text[:1], needle[0][:1], fold_case) or (
            start and hay[start - 1].soft
        ):
            continue
        for end in sorted(_ends(needle, hay, start, fold_case)):
            if end < len(hay) and hay[end].soft:
                continue
            runs.append((start, end))
    return runs


def fragments(quote: str, markup: bool = False) -> list[list[Token]] | None:
    """The quote's token runs between ellipses, with a leading or trailing ellipsis (a trimmed
    sentence) dropped; None when an ellipsis has nothing on one side inside the quote."""
    _, tokens = tokenise(_ellipses(quote), markup)
    parts: list[list[Token]] = [[]]
    for token in tokens:
        if token.text == _ELLIPSIS:
            parts.append([])
        else:
            parts[-1].append(token)
    while parts and not any(t.word for t in parts[0]):
        parts.pop(0)
    while parts and not any(t.word for t in parts[-1]):
        parts.pop()
    if any(not any(t.word for t in p) for p in parts):
        return None
    return parts


def _ellipses(quote: str) -> str:
    """Every ellipsis style as one private-use mark, which NFKC leaves alone."""
    text = unicodedata.normalize("NFKC", quote)
    for dots in ("[...]", "[. . .]", ". . .", "..."):
        text = text.replace(dots, _ELLIPSIS)
    return text


# ---------------------------------------------------------------- checking quotes


def _words(tokens: Iterable[Token]) -> int:
    return sum(t.word for t in tokens)


def _negation(tokens: Iterable[Token]) -> str | None:
    for token in tokens:
        lowered = token.text.lower()
        if token.word and (lowered in NEGATIONS or lowered.endswith("n't")):
            return token.text
    return None


def _chain(parts: Sequence[list[str]], page: PageText, begin: int) -> tuple[bool, str]:
    """Find the fragments in order from ``begin``; (found, negation skipped if that is what
    stopped it)."""
    skipped_negation = ""
    for _start, end in find_runs(parts[0], page.tokens, begin):
        if len(parts) == 1:
            return True, ""
        for nxt, _ in find_runs(parts[1], page.tokens, end):
            gap = _negation(page.tokens[end:nxt])
            if gap:
                skipped_negation = skipped_negation or gap
                continue
            found, negation = _chain(parts[1:], page, nxt)
            if found:
                return True, ""
            skipped_negation = skipped_negation or negation
    return False, skipped_negation


def check_quote(quote: str, source: str, page: PageText, markup: bool = False) -> str:
    """Why ``quote`` fails against ``page``; the empty string when it passes."""
    parts = fragments(quote, markup)
    if parts is None:
        return "an ellipsis with no words on one side"
    if not parts:
        return "no words in the quote"
    count = sum(_words(p) for p in parts)
    if source == "model" and count < MIN_MODEL_WORDS:
        return f"only {count} words (a model quote needs at least {MIN_MODEL_WORDS})"
    if len(parts) > 1 and min(_words(p) for p in parts) < MIN_FRAGMENT_WORDS:
        return f"an ellipsis joins a fragment under {MIN_FRAGMENT_WORDS} words"
    texts = [[t.text for t in p] for p in parts]
    found, negation = _chain(texts, page, 0)
    if found:
        return ""
    if negation:
        return f"the ellipsis skips a negation on the page ({negation!r})"
    return _diagnose(texts, page)


def _diagnose(parts: Sequence[list[str]], page: PageText) -> str:
    """Say how a quote that is not on the page differs from it."""
    for part in parts:
        runs = find_runs(part, page.tokens, fold_case=True)
        exact = find_runs(part, page.tokens)
        if runs and not exact:
            start, end = runs[0]
            shown = page.text[page.tokens[start].start : page.tokens[end - 1].end]
            return f"case differs from the page, which reads {' '.join(shown.split())!r}"
        if not runs:
            cut = _cut_word(part, page.tokens)
            if cut:
                return f"not whole words: {cut}"
            squashed = " ".join(t.text for t in page.tokens).casefold()
            if " ".join(part).casefold() in squashed:
                return "matches only inside longer words on the page, not whole words"
            return "not on the cited page as a run of whole words"
    return "the fragments are not in order on the page"


def _cut_word(part: Sequence[str], hay: Sequence[Token]) -> str:
    """Say so when a fragment is on the page but starts or ends part-way through a word."""
    if len(part) > 1:
        for start, _ in find_runs(part[1:], hay):
            before = hay[start - 1].text if start else ""
            if before != part[0] and before.endswith(part[0]):
                return f"starts inside the page's word {before!r}"
        for _, end in find_runs(part[:-1], hay):
            after = hay[end].text if end < len(hay) else ""
            if after != part[-1] and after.startswith(part[-1]):
                return f"ends inside the page's word {after!r} (cut mid-word)"
    return ""


# reasons a second reading of the page may clear: the words were not found as whole words
NOT_FOUND = (
    "not on the cited page",
    "not whole words",
    "matches only inside longer words",
    "the fragments are not in order",
)


class Rechecker:
    """Re-checks evidence against one case file's raw pages (tokenised once). For a PDF, a quote
    not found in pypdf's reading of its page is looked for in PDFium's, then in pypdf's without
    running lines (``other_readings``; off, pypdf's reading is the only one)."""

    def __init__(self, raw: RawPages, other_readings: bool = True) -> None:
        self.raw = raw
        self.markup = Path(raw.path).suffix.lower() in (".md", ".markdown", ".txt")
        self.pages = {n: page_text(t, self.markup) for n, t in raw.pages.items()}
        self.other_readings = other_readings and raw.paginated
        self._pdfium: dict[int, PageText] | None = None  # read on first need
        self._bare: dict[int, PageText] | None = None  # pypdf's pages without running lines

    @classmethod
    def for_file(cls, path: Path, other_readings: bool = True) -> Rechecker:
        return cls(read_raw_pages(path), other_readings)

    def page(self, number: int | None) -> PageText | None:
        if number is None or number < 1:
            return None
        if not self.raw.paginated:  # one text: the pipeline's pseudo-pages are its sections
            return self.pages[1]
        return self.pages.get(number)

    def pdfium_page(self, number: int | None) -> PageText | None:
        """PDFium's reading of a PDF page (None without a second reading, or past the end)."""
        if not self.other_readings or number is None:
            return None
        if self._pdfium is None:
            raw = read_pdfium_pages(Path(self.raw.path))
            self._pdfium = {n: page_text(t) for n, t in raw.items()}
        return self._pdfium.get(number)

    def bare_page(self, number: int | None) -> PageText | None:
        """pypdf's reading of a PDF page without its running lines (None if it has none)."""
        if not self.other_readings or number is None:
            return None
        if self._bare is None:
            running = running_lines(self.raw.pages)
            bare = {n: without_lines(t, running, n) for n, t in self.raw.pages.items()}
            self._bare = {
                n: page_text(text)
                for n, text in bare.items()
                if text != "\n".join(self.raw.pages[n].splitlines())
            }
        return self._bare.get(number)

    def check(self, evidence: Evidence) -> str:
        return self.check_reading(evidence)[0]

    def check_reading(self, evidence: Evidence) -> tuple[str, str]:
        """(why the quote fails, "" when it passes; the reading that holds it, "" when none)."""
        page = self.page(evidence.page)
        if page is None:
            return f"cites page {evidence.page}, which the document does not have", ""
        reason = check_quote(evidence.quote, evidence.source, page, self.markup)
        if not reason:
            return "", "pypdf" if self.raw.paginated else "text"
        if not reason.startswith(NOT_FOUND):
            return reason, ""
        second = self.pdfium_page(evidence.page)
        if second is not None:
            again = check_quote(evidence.quote, evidence.source, second)
            if not again:
                return "", "pdfium"
            if not again.startswith("not on the cited page"):
                reason = again  # said more precisely on the reading that has the page's spaces
        bare = self.bare_page(evidence.page)
        if bare is not None and not check_quote(evidence.quote, evidence.source, bare):
            return "", "pypdf without running lines"
        if reason.startswith("not on the cited page") and self.raw.paginated:
            number = self.elsewhere(evidence)
            if number is not None:
                return f"{reason} (it is on page {number})", ""
        return reason, ""

    def elsewhere(self, evidence: Evidence) -> int | None:
        """Another page that has the quote, in either reading."""
        for number in self.pages:
            if number == evidence.page:
                continue
            readings = [self.pages[number], self.pdfium_page(number)]
            if any(
                r is not None and not check_quote(evidence.quote, evidence.source, r, self.markup)
                for r in readings
            ):
                return number
        return None

    def check_item(self, item: ItemResult, case_id: str = "", run: int = 1) -> list[QuoteCheck]:
        """A verdict for every evidence entry the item marks verified, from any source."""
        results = []
        for evidence in item.evidence:
            if not evidence.verified:
                continue
            reason, reading = self.check_reading(evidence)
            results.append(
                QuoteCheck(
                    case_id=case_id,
                    run=run,
                    item_id=item.id,
                    source=evidence.source,
                    page=evidence.page,
                    chunk_id=evidence.chunk_id,
                    quote=evidence.quote,
                    ok=not reason,
                    reason=reason,
                    reading=reading,
                )
            )
        return results


def tally(checks: Sequence[QuoteCheck]) -> tuple[int, int]:
    """(passed, checked)."""
    return sum(c.ok for c in checks), len(checks)


def failure_line(check: QuoteCheck) -> str:
    quote = " ".join(check.quote.split())
    quote = quote if len(quote) <= 90 else quote[:87] + "..."
    return (
        f"re-check failed: {check.case_id} run {check.run} {check.item_id} "
        f"({check.source}, page {check.page}): {quote!r}: {check.reason}"
    )
