"""Figures a model's finding states that the document does not: the numbers a board repeats.

A finding that says "the strategy commits £50 million" or "targets 80% by 2031" is checked
against the document before a board hears it. Every figure in the finding (a sum of money, a
percentage, a year, any number of two or more digits) is read as a value, with its scale
("£4.2m", "£4.2 million" and "£4,200,000" are one value), and looked for among the values
in the document and in the facts code computed from it. A figure found nowhere is listed with
the finding so a person checks it; the judgement is not thrown away, because a capable model
may count or add ("3 of its 12 priorities", "£12.6 million over three years").

Small counts (up to twelve) are not checked: they are how a reviewer counts what it read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SMALL_COUNT = 12  # "3 of its 12 priorities": a reviewer's own count, not a figure to check
_SCALE = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "b": 1e9,
    "billion": 1e9,
}
_FIGURE = re.compile(
    r"(?P<currency>[£$€])?\s?"
    r"(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s?(?P<scale>k|m|mn|bn|b|thousand|million|billion)\b)?"
    r"(?P<percent>\s?%|\s(?:per\s?cent|percent)\b)?",
    re.I,
)
_INSIDE_WORD = re.compile(r"[A-Za-z]")
_LOCATION = re.compile(
    r"(?:\bpages?|\bpp?\.|§|\bsections?|\bchapters?|\bparagraphs?|\bparas?\.?|\bitems?)\s*$",
    re.I,
)
_YEAR_BEFORE = re.compile(r"\b(20\d{2})\s*[/\-–]\s*$")  # "2025/26": 26 is 2026


def figures(text: str) -> list[tuple[str, float]]:
    """Each figure in the text, as written and as a value ("£4.2m" -> 4,200,000)."""
    found = []
    for match in _FIGURE.finditer(text):
        start = match.start("number")
        if start and _INSIDE_WORD.match(text[start - 1]):
            continue  # "Q3", "A14", "NHS111": part of a name, not a figure
        if _LOCATION.search(text[max(0, start - 12) : start]):
            continue  # "page 14", "section 3.2": where, not how much
        value = float(match["number"].replace(",", ""))
        year = _YEAR_BEFORE.search(text[max(0, start - 8) : start])
        if year and len(match["number"]) == 2:
            value += int(year[1]) // 100 * 100
        if match["scale"]:
            value *= _SCALE[match["scale"].lower()]
        found.append((match.group(0).strip(), value))
    return found


def _checked(written: str, value: float) -> bool:
    has_sign = written[0] in "£$€" or written.endswith(("%", "cent", "percent"))
    return has_sign or value > SMALL_COUNT


def _same(value: float, known: set[float]) -> bool:
    return any(abs(value - other) <= 1e-9 * max(1.0, abs(other)) for other in known)


def unfound_figures(finding: str, sources: Iterable[str]) -> list[str]:
    """The figures of the finding that appear in none of the sources, as the finding writes
    them, each once, in order."""
    known = {value for source in sources for _, value in figures(source)}
    missing: list[str] = []
    for written, value in figures(finding):
        if _checked(written, value) and not _same(value, known) and written not in missing:
            missing.append(written)
    return missing
