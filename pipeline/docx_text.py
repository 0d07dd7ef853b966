"""The text of a DOCX as a reader sees it, read from the WordprocessingML itself.

python-docx's ``Paragraph.text`` reads only the runs directly under a paragraph (and links), so
it silently drops words a strategy really contains: text inserted with tracked changes
(``w:ins``: "We will *soon* build" read as "We will build"), fields (``w:fldSimple``: "See the
*corporate plan*"), content controls (``w:sdt``: whole paragraphs of templated documents) and
text boxes. This module walks the body in reading order instead:

- tracked changes are read as if accepted: insertions and moves kept, deletions dropped, and
  the document gets a warning saying so;
- text formatted hidden (``w:vanish``) is not read, as Word does not show it; it is returned
  so the review can list it, like hidden PDF or HTML text;
- a text box's paragraphs follow the paragraph that anchors it (once: the VML fallback copy
  Word writes beside each shape is skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .records import CELL_SEPARATOR

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_SKIPPED = {f"{W}del", f"{W}moveFrom", f"{MC}Fallback", f"{W}rPr", f"{W}pPr", f"{W}sdtPr"}
_SKIPPED |= {f"{W}delText", f"{W}instrText"}
_CHARS = {f"{W}tab": "\t", f"{W}br": "\n", f"{W}cr": "\n", f"{W}noBreakHyphen": "-"}
_CHARS[f"{W}softHyphen"] = "\u00ad"
_TRACKED = (f"{W}ins", f"{W}del", f"{W}moveFrom", f"{W}moveTo")


@dataclass
class DocxText:
    """Blocks in reading order: (is_heading, text); and what was not read as text."""

    blocks: list[tuple[bool, str]] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    tracked_changes: int = 0


def read_docx_text(document: Any) -> DocxText:
    """The blocks of a python-docx ``Document``: paragraphs, table rows and text boxes."""
    out = DocxText()
    styles = _heading_styles(document)
    _walk(document.element.body, out, styles)
    out.tracked_changes = sum(1 for tag in _TRACKED for _ in document.element.body.iter(tag))
    return out


def _heading_styles(document: Any) -> set[str]:
    """The style ids whose names make a paragraph a section heading (Title, Heading 1-2)."""
    ids = set()
    for style in document.styles:
        name = (getattr(style, "name", "") or "").strip()
        if name.startswith(("Heading 1", "Heading 2", "Title")):
            ids.add(style.style_id)
    return ids


def _walk(container: Any, out: DocxText, styles: set[str]) -> None:
    for child in container:
        tag = child.tag
        if tag == f"{W}p":
            _paragraph(child, out, styles)
        elif tag == f"{W}tbl":
            _table(child, out, styles)
        elif tag in (f"{W}sdt", f"{W}customXml", f"{W}ins", f"{W}moveTo"):
            content = child.find(f"{W}sdtContent") if tag == f"{W}sdt" else child
            if content is not None:
                _walk(content, out, styles)


def _paragraph(p: Any, out: DocxText, styles: set[str]) -> None:
    boxes: list[Any] = []
    text = _text(p, out, boxes)
    style = p.find(f"{W}pPr/{W}pStyle")
    heading = style is not None and style.get(f"{W}val") in styles
    out.blocks.append((heading, text))
    for box in boxes:
        _walk(box, out, styles)


def _table(table: Any, out: DocxText, styles: set[str]) -> None:
    """One block per row, its cells joined as the rest of the reader joins them."""
    for row in _rows(table):
        out.blocks.append((False, CELL_SEPARATOR.join(_cell_text(c, out) for c in _cells(row))))


def _rows(table: Any) -> list[Any]:
    return [r for r in table.iter(f"{W}tr") if _nearest(r, f"{W}tbl") is table]


def _cells(row: Any) -> list[Any]:
    return [c for c in row.iter(f"{W}tc") if _nearest(c, f"{W}tr") is row]


def _nearest(element: Any, tag: str) -> Any:
    parent = element.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


def _cell_text(container: Any, out: DocxText) -> str:
    """A cell's paragraphs, one per line; a table inside it is read row by row."""
    lines: list[str] = []
    for child in container:
        if child.tag == f"{W}p":
            boxes: list[Any] = []
            lines.append(_text(child, out, boxes))
            lines += [_cell_text(box, out) for box in boxes]
        elif child.tag == f"{W}tbl":
            lines += [
                CELL_SEPARATOR.join(_cell_text(c, out) for c in _cells(r)) for r in _rows(child)
            ]
        elif child.tag in (f"{W}sdt", f"{W}customXml", f"{W}ins", f"{W}moveTo"):
            content = child.find(f"{W}sdtContent") if child.tag == f"{W}sdt" else child
            if content is not None:
                lines.append(_cell_text(content, out))
    return "\n".join(line for line in lines if line.strip())


def _text(p: Any, out: DocxText, boxes: list[Any]) -> str:
    """The paragraph's visible text, in order; text boxes met on the way go to ``boxes``."""
    parts: list[str] = []
    _collect(p, parts, out, boxes, hidden=False)
    return "".join(parts)


def _collect(node: Any, parts: list[str], out: DocxText, boxes: list[Any], hidden: bool) -> None:
    for child in node:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            continue
        if tag == f"{W}txbxContent":
            boxes.append(child)
        elif tag == f"{W}r":
            _run(child, parts, out, boxes, hidden or _is_hidden(child))
        elif tag == f"{W}t":
            parts.append(child.text or "")
        elif tag in _CHARS:
            parts.append(_CHARS[tag])
        else:
            _collect(child, parts, out, boxes, hidden)


def _run(run: Any, parts: list[str], out: DocxText, boxes: list[Any], hidden: bool) -> None:
    if not hidden:
        _collect(run, parts, out, boxes, hidden)
        return
    shown: list[str] = []
    _collect(run, shown, out, boxes, hidden)
    text = "".join(shown).strip()
    if text:
        out.hidden.append(text)


def _is_hidden(run: Any) -> bool:
    vanish = run.find(f"{W}rPr/{W}vanish")
    return vanish is not None and vanish.get(f"{W}val", "true") not in ("0", "false", "off")
