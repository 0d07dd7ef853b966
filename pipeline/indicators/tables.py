"""Table rows and the column headings above them.

A table's row reaches the indicators as one line of the page, its cells joined by
``CELL_SEPARATOR`` (DOCX and HTML rows) or written between pipes (Markdown). A row such as
"Report a pothole online | 70% of reports | Director of Place | March 2027" is a commitment with
a target, an owner and a date, but only its table's header ("Commitment | Target | Owner |
Date") says so: the row has no "we will". :func:`table_rows` gives each body row as a sentence
of its own with its header, so an indicator can read a cell by what its column is called.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from pipeline.records import Page

from .sentences import Sentence

HEADER_CELL_WORDS = 5  # a header cell is a short label ("Target", "Who leads it")
_PIPE = re.compile(r"(?:^|\s)\|(?=\s|$)")  # a cell boundary: " | ", or a row's outer pipe
_SPLIT = re.compile(r"\s*\|\s*")
_DELIMITER_ROW = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Row:
    start: int  # offsets of the row's text in the page text (outer pipes left out)
    end: int
    cells: tuple[str, ...]
    header: tuple[str, ...] | None  # the table's first row, when it reads as column labels
    table_start: int  # where its table starts in the page text (its header line, if any)

    def cell(self, column: re.Pattern[str]) -> str | None:
        """The text of the first cell whose header matches ``column`` (None: no such column)."""
        if self.header is None:
            return None
        for label, text in zip(self.header, self.cells, strict=False):
            if column.search(label):
                return text
        return None

    def filled(self, column: re.Pattern[str]) -> bool:
        return bool((self.cell(column) or "").strip(" -–—"))

    def has_column(self, column: re.Pattern[str]) -> bool:
        return self.header is not None and any(column.search(label) for label in self.header)


@dataclass(frozen=True)
class TableRow:
    sentence: Sentence  # the row's text as one sentence of its page
    row: Row


def _content(line: str) -> tuple[int, int]:
    """The span of a line without its spaces and a Markdown row's outer pipes ("| a | b |")."""
    start, end = len(line) - len(line.lstrip()), len(line.rstrip())
    if end - start > 1 and line[start] == "|" and line[end - 1] == "|":
        start, end = start + 1, end - 1
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    return start, end


def _is_header(cells: tuple[str, ...]) -> bool:
    return all(
        cell and len(cell.split()) <= HEADER_CELL_WORDS and not cell.endswith(".") for cell in cells
    )


@lru_cache(maxsize=64)
def _rows(text: str) -> tuple[Row, ...]:
    """The body rows of every table on a page: runs of lines with cell boundaries, separated
    only by blank lines; a run's first line is its header when it reads as labels."""
    rows: list[Row] = []
    header: tuple[str, ...] | None = None
    in_table = False
    table_start = offset = 0
    for line in text.split("\n"):
        at = offset
        offset += len(line) + 1
        if not line.strip() or (in_table and _DELIMITER_ROW.match(line)):
            continue  # a blank line, or Markdown's "|---|---|" under a header
        if not _PIPE.search(line):
            in_table, header = False, None
            continue
        start, end = _content(line)
        cells = tuple(" ".join(c.split()) for c in _SPLIT.split(line[start:end]))
        if not in_table:
            in_table, table_start = True, at
            if _is_header(cells):
                header = cells
                continue
        while end > start and line[end - 1] in " |":  # empty last cells: not the row's text
            end -= 1
        rows.append(Row(at + start, at + end, cells, header, table_start))
    return tuple(rows)


def row_of(sentence: Sentence) -> Row | None:
    """The table body row the sentence starts in, or None when it is prose or a header."""
    for row in _rows(sentence.page.text):
        if row.start <= sentence.start < row.end:
            return row
    return None


def _pages(sents: Iterable[Sentence]) -> Iterator[Page]:
    """Each page the sentences come from, once (the copy they were split from, with any
    withheld text blanked)."""
    seen: set[int] = set()
    for s in sents:
        if s.page.page not in seen:
            seen.add(s.page.page)
            yield s.page


def table_rows(sents: Iterable[Sentence]) -> list[TableRow]:
    """Every table body row of the pages the sentences come from, as a sentence of its own."""
    out: list[TableRow] = []
    for page in _pages(sents):
        for row in _rows(page.text):
            flat = re.sub(r"\s", " ", page.text[row.start : row.end])
            out.append(TableRow(Sentence(page, row.start, row.end, flat), row))
    return out


def within(sentence: Sentence, row: TableRow) -> bool:
    """The sentence starts in the row's table, up to the row's end: in its header or a row
    before it, as a Markdown table read as one sentence does, or in the row itself."""
    same_page = sentence.page.page == row.sentence.page.page
    return same_page and row.row.table_start <= sentence.start < row.row.end
