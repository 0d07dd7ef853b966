"""Re-read the PDF pages whose pypdf text lost its word spaces, with pypdfium2.

pypdf decides where a word gap is from the font's widths and the text positions. Some real
PDFs (condensed type drawn with horizontal scaling, fonts with odd widths) defeat it, and a
line comes back as "ten-yearplantomakeBritainaglobalAIsuperpower": every quote, indicator
and search on that page is then wrong. Such pages are found by their implausible text (runs
of letters far longer than words, too few spaces) and only those pages are extracted again
with PDFium, which places spaces from glyph positions. PDFium's text replaces pypdf's only
when it is plausible where pypdf's was not and keeps (nearly) all of its letters.

pypdf stays the main reader: it decrypts, and gives page labels, metadata and hidden text.
"""

from __future__ import annotations

import logging
import re
import string
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

LONG_RUN = 25  # letters in one "word": German and Danish compounds stay below this, mostly
LONG_RUN_SURE = 40  # one run this long is implausible in any language
RUN_SHARE = 0.10  # runs of LONG_RUN+ making up this share of a page's characters
MIN_SPACE_RATIO = 0.06  # whitespace share of a page's text; prose is about 0.15
MIN_CHARS = 200  # the space ratio is only judged on pages with at least this much text
KEEP_LETTERS = 0.9  # PDFium's text must keep this share of pypdf's letters
_EDGE = string.punctuation + "\u2018\u2019\u201c\u201d\u2013\u2014\u2022"
_NOT_PROSE = ("/", "@", "www.", "http", "\\", "_", "...", "..")
_NOT_LETTERS = re.compile(r"[\W\d_]+")


@dataclass(frozen=True)
class Respaced:
    """Texts after repair, and which pages (1-based) were flagged and which were replaced."""

    texts: list[str]
    flagged: list[int]
    replaced: list[int]


def run_chars(text: str) -> tuple[int, int, int]:
    """Characters in distinct implausibly long letter runs, how many, and the longest's length.

    A long word that recurs is a real word (a compound noun); lines run together do not recur.
    """
    runs = {token for token in text.split() if _run_length(token)}
    sizes = [_run_length(token) for token in runs]
    return sum(sizes), len(sizes), max(sizes, default=0)


def _run_length(token: str) -> int:
    if len(token) < LONG_RUN:
        return 0
    core = token.strip(_EDGE)
    if len(core) < LONG_RUN or any(mark in core.lower() for mark in _NOT_PROSE):
        return 0
    letters = sum(ch.isalpha() for ch in core)
    return len(core) if letters >= 0.8 * len(core) else 0


def implausible(text: str) -> bool:
    """Whether a page's text looks like words run together with their spaces lost."""
    stripped = sum(map(len, text.split()))
    if stripped == 0:
        return False
    runs, count, longest = run_chars(text)
    if longest >= LONG_RUN_SURE or (count >= 2 and runs >= RUN_SHARE * stripped):
        return True
    if stripped < MIN_CHARS:
        return False
    spaces = len(text) - stripped
    return letter_count(text) >= 0.6 * stripped and spaces < MIN_SPACE_RATIO * len(text)


def letter_count(text: str) -> int:
    return len(_NOT_LETTERS.sub("", text))


def respace(path: Path, texts: list[str | None], password: str | None = None) -> Respaced:
    """Re-extract the implausible pages of ``texts`` (pypdf's, one per page) with PDFium."""
    flagged = [i for i, text in enumerate(texts) if text and implausible(text)]
    out = [t or "" for t in texts]
    if not flagged:
        return Respaced(out, [], [])
    replaced: list[int] = []
    for index, text in pdfium_texts(path, flagged, password, len(texts)).items():
        if better(text, out[index]):
            out[index] = text
            replaced.append(index + 1)
    return Respaced(out, [i + 1 for i in flagged], replaced)


def better(candidate: str, original: str) -> bool:
    """PDFium's page text is kept when it is plausible and has the letters pypdf found."""
    if letter_count(candidate) < KEEP_LETTERS * letter_count(original):
        return False
    return run_chars(candidate)[0] < run_chars(original)[0] or (
        implausible(original) and not implausible(candidate)
    )


def pdfium_texts(
    path: Path, indices: list[int], password: str | None, count: int
) -> dict[int, str]:
    """The text PDFium extracts from each 0-based page in ``indices`` ({} if it cannot)."""
    try:
        import pypdfium2 as pdfium
    except ImportError:  # pragma: no cover - a base dependency
        return {}
    texts: dict[int, str] = {}
    try:
        document = pdfium.PdfDocument(str(path), password=password)
    except Exception as exc:  # PDFium is stricter than pypdf on some damaged files
        log.info("pypdfium2 cannot open %s: %s", path.name, exc)
        return {}
    try:
        if len(document) != count:
            return {}
        for index in indices:
            try:
                texts[index] = _page_text(document, index)
            except Exception as exc:
                log.info("pypdfium2 cannot read page %d: %s", index + 1, exc)
    finally:
        document.close()
    return texts


def _page_text(document: object, index: int) -> str:
    page = document[index]  # type: ignore[index]
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
    finally:
        textpage.close()
        page.close()
    # PDFium joins a word hyphenated at a line end and marks the hyphen U+FFFE (U+0002 in
    # older builds); restore the break so normalisation treats it as pypdf's text.
    text = str(text).replace("\r\n", "\n")
    return text.replace("\ufffe", "-\n").replace("\x02", "-\n")
