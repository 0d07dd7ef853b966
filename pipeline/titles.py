"""A document's title: its metadata title unless that is junk, else its first heading.

Real PDFs and DOCX files often carry the title an authoring tool left behind: "doc.html",
"Microsoft Word - draft3.docx", "Untitled", "PowerPoint Presentation", a file name or the
name of a template. Those are recognised here and the document's first heading (for a PDF,
the largest text on its first pages) is used instead.
"""

from __future__ import annotations

import math
import re
from typing import Any

MAX_TITLE = 200
HEADING_PAGE_CHARS = 20_000  # a cover page longer than this is not searched for a heading
COVER_CHARS = 300  # a first page with no more text than this, all in one size, is its title
_APP_PREFIX = re.compile(
    r"^\s*(microsoft\s+(word|powerpoint|excel)|word|powerpoint|adobe\s+\w+|libreoffice\s+\w+)"
    r"\s*[-–:]\s*",
    re.I,
)
_FILE_EXT = re.compile(
    r"\.(docx?|dotx?|dotm|pdf|html?|xhtml|pptx?|potx?|xlsx?|indd|idml|rtf|odt|ott|txt|md|qxd|qxp"
    r"|pages|key|ai|eps|psd|tex|wpd|xml|aspx?|php)\s*$",
    re.I,
)
_PATH = re.compile(r"^[a-z]:\\|[\\/]|^~", re.I)
# Words that say nothing about what a document is about; a title made only of them is junk.
_GENERIC = {
    "untitled",
    "document",
    "doc",
    "docs",
    "new",
    "blank",
    "default",
    "title",
    "titel",
    "template",
    "presentation",
    "powerpoint",
    "word",
    "microsoft",
    "slide",
    "slides",
    "draft",
    "final",
    "version",
    "copy",
    "of",
    "v",
    "rev",
    "report",
    "layout",
    "page",
    "cover",
    "normal",
    "office",
    "theme",
    "none",
    "null",
    "unknown",
    "insert",
    "here",
    "click",
    "enter",
    "type",
    "your",
    "the",
    "a",
    "text",
    "heading",
    "name",
    "file",
    "tmp",
    "temp",
    "test",
    "pdf",
    "html",
    "dokument",
    "unbenannt",
    "sans",
    "titre",
    "sin",
    "título",
}


def is_junk(title: str, file_name: str = "") -> bool:
    """Whether a metadata title is an authoring tool's leftover rather than the real title."""
    text = " ".join(title.split())
    if len(text) < 3 or len(text) > MAX_TITLE or sum(ch.isalpha() for ch in text) < 3:
        return True
    if _APP_PREFIX.match(text) or _FILE_EXT.search(text) or _PATH.search(text):
        return True
    stem = file_name.rsplit(".", 1)[0].lower()
    if stem and text.lower() == stem:
        return True
    if " " not in text and ("_" in text or re.search(r"\d", text) or text.islower()):
        return True  # a file-name-like token: report_v3, draft2, strategy_final
    words = re.findall(r"[^\W\d_]+", text.lower())
    return all(word in _GENERIC for word in words)


def pick(*candidates: str | None, file_name: str = "") -> str:
    """The first candidate that is a real title ("" if none is)."""
    for candidate in candidates:
        text = " ".join((candidate or "").split())
        if text and not is_junk(text, file_name):
            return text[:MAX_TITLE]
    return ""


def first_heading(blocks: list[tuple[bool, str]]) -> str:
    """The first level 1-2 heading among (is_heading, text) blocks."""
    return next((text for heading, text in blocks if heading and text.strip()), "")


def pdf_heading(page: Any) -> str:
    """The largest text on a PDF page (its first, say): the visual first heading, or ""."""
    runs: list[tuple[float, str]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip() and len(runs) < 2000:
            runs.append((_effective_size(cm, tm, size), text))

    try:
        page.extract_text(visitor_text=visit)
    except Exception:
        return ""
    return _largest(runs)


def _effective_size(cm: Any, tm: Any, size: Any) -> float:
    try:
        a, b, c, d = (float(tm[i]) for i in range(4))
        e, f, g, h = (float(cm[i]) for i in range(4))
        m0, m1, m2, m3 = a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h
        return abs(float(size)) * math.sqrt(abs(m0 * m3 - m1 * m2))
    except (TypeError, ValueError, IndexError):
        return 0.0


def _largest(runs: list[tuple[float, str]]) -> str:
    """The runs drawn at the largest size (within 10 %), in order, joined; "" if no heading."""
    sizes = [size for size, text in runs if sum(ch.isalpha() for ch in text) >= 2]
    if not sizes:
        return ""
    top = max(sizes)
    body = sorted(sizes)[len(sizes) // 2]
    share = 0.9
    if top < 1.15 * body:  # nothing stands out from the body text...
        if sum(len(text) for _, text in runs) > COVER_CHARS:
            return ""
        share = 0.8  # ...but a cover with a few lines of large type is all heading
    parts: list[str] = []
    started = False
    for size, text in runs:
        if size >= share * top:
            parts.append(text.strip())
            started = True
        elif started and sum(ch.isalpha() for ch in text) >= 2:
            break  # the heading ended
    heading = " ".join(" ".join(parts).split())
    return heading if sum(ch.isalpha() for ch in heading) >= 3 else ""
