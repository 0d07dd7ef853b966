"""Text normalisation shared by ingest and quote verification.

Both sides of a quote check go through :func:`normalise_for_match`, so a quote that differs
from the page only by ligatures, hyphenation, line breaks, curly quotes or dashes still matches.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_HYPHEN_BREAK = re.compile(r"(\w)-\n\s*([a-z])")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a]+")
# Zero-width characters are removed, not made spaces: "ig\u200bnore" is one word.
_ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
# Terminal escape sequences, C0/C1 control characters (not tab or newline) and the bidi
# overrides that make text read differently from how it is stored: never text a reader sees,
# and not valid in the XML of a DOCX.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]")
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\u202a-\u202e\u2066-\u2069]")
# Controls that separate text (form feed, vertical tab, file/group/record separators, NEL).
_BREAKS = re.compile("[\x0b\x0c\x1c-\x1e\x85]")
_PUNCT_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00ad": "",
    }
)


# a soft hyphen at a line's end: the word goes on on the next line ("intui\u00ad\ntiv")
_SOFT_HYPHEN_BREAK = re.compile("\u00ad[ \t]*\n[ \t]*")


def strip_controls(text: str) -> str:
    """``text`` without terminal escapes, control characters or bidi overrides; a control that
    separates text (a form feed between pages) becomes a line break, so words stay apart."""
    return _BREAKS.sub("\n", _CONTROLS.sub("", _ANSI.sub("", text)))


def normalise_page_text(text: str) -> str:
    """NFKC, joined hyphenation, tidy whitespace. Keeps line structure."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = strip_controls(text)
    text = _SOFT_HYPHEN_BREAK.sub("", text)
    text = _ZERO_WIDTH.sub("", text.replace("\u00ad", ""))
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def normalise_for_match(text: str) -> str:
    """A canonical form for comparing quotes with page text."""
    text = _ZERO_WIDTH.sub("", unicodedata.normalize("NFKC", text).translate(_PUNCT_MAP))
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip().lower()


def _line_key(line: str, marks: tuple[str, ...]) -> str:
    """A line with its own page number or label replaced by #, so running footers match."""
    key = line.strip().lower()
    for mark in marks:
        key = re.sub(rf"(?<![\w.]){re.escape(mark.lower())}(?![\w.])", "#", key, count=1)
    return key


def strip_running_lines(
    pages: list[str], labels: list[str] | None = None, edge: int = 2, min_share: float = 0.5
) -> list[str]:
    """Drop header and footer lines that repeat (apart from page numbers) across pages."""
    if len(pages) < 3:
        return pages
    marks = [(str(i + 1), *((labels[i],) if labels else ())) for i in range(len(pages))]
    counts: Counter[str] = Counter()
    for text, mark in zip(pages, marks, strict=True):
        lines = [ln for ln in text.split("\n") if ln.strip()]
        counts.update({_line_key(ln, mark) for ln in lines[:edge] + lines[-edge:]})
    threshold = max(3, int(len(pages) * min_share))
    running = {key for key, n in counts.items() if n >= threshold and key}
    if not running:
        return pages
    return [_drop_edges(t, running, edge, m) for t, m in zip(pages, marks, strict=True)]


def _drop_edges(text: str, running: set[str], edge: int, marks: tuple[str, ...]) -> str:
    lines = text.split("\n")
    content = [i for i, ln in enumerate(lines) if ln.strip()]
    edges = set(content[:edge] + content[-edge:])
    kept = [
        ln for i, ln in enumerate(lines) if not (i in edges and _line_key(ln, marks) in running)
    ]
    return "\n".join(kept).strip()
