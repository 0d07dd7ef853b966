"""Text a DOCX file holds but Word does not show: a classic carrier of prompt injection.

Runs formatted hidden are not read at all (``docx_text.py``). Runs drawn so that nobody sees
them are read as text, so :func:`white_and_tiny_runs` finds them for the injection check, which
flags the sentence holding one whatever it says, as for hidden PDF text. Each paragraph's runs
are read for:
- invisible: the run is marked hidden (``w:vanish``), directly or by its character style;
- white: a white font colour, unless the run, its paragraph or its table cell is shaded (white
  on a coloured band is visible);
- tiny font: a font size below ``pdf_hidden.TINY_PT`` points.

Consecutive hidden runs of a paragraph make one :class:`HiddenText`.
"""

from __future__ import annotations

from typing import Any

from .pdf_hidden import TINY_PT
from .records import HiddenReason, HiddenText

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_WHITE = {"FFFFFF", "FEFEFE", "FDFDFD"}


def white_and_tiny_runs(document: Any) -> list[HiddenText]:
    """The runs of a python-docx ``Document`` drawn white or tiny, in the body and its tables
    (runs formatted hidden are left to ``docx_text.py``, which does not read them)."""
    found: list[HiddenText] = []
    for paragraph in document.paragraphs:
        found += hidden_runs(paragraph)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                for paragraph in cell.paragraphs:
                    found += hidden_runs(paragraph, cell)
    return [h for h in found if h.reason != "invisible"]


def hidden_runs(paragraph: Any, cell: Any = None) -> list[HiddenText]:
    """The runs of ``paragraph`` (a python-docx Paragraph, in ``cell`` when in a table) that
    Word does not show, joined while consecutive and hidden for the same reason."""
    found: list[HiddenText] = []
    current: tuple[HiddenReason, list[str]] | None = None
    shaded = _shaded(paragraph._p) or (cell is not None and _shaded(cell._tc))
    for run in paragraph.runs:
        try:
            reason = _reason(run, shaded)
        except Exception:  # a damaged style or colour: read the run as shown
            reason = None
        if current is not None and reason != current[0]:
            _close(current, found)
            current = None
        if reason is not None:
            current = current or (reason, [])
            current[1].append(run.text)
    if current is not None:
        _close(current, found)
    return found


def _close(current: tuple[HiddenReason, list[str]], found: list[HiddenText]) -> None:
    text = " ".join("".join(current[1]).split())
    if text:
        found.append(HiddenText(text=text, reason=current[0]))


def _reason(run: Any, shaded: bool) -> HiddenReason | None:
    font = run.font
    style_font = run.style.font if run.style is not None else None
    if font.hidden or (font.hidden is None and style_font is not None and style_font.hidden):
        return "invisible"
    size = font.size or (style_font.size if style_font is not None else None)
    if size is not None and size.pt < TINY_PT:
        return "tiny font"
    rgb = _rgb(font)
    if rgb in _WHITE and not shaded and not _shaded(run._r) and font.highlight_color is None:
        return "white"
    return None


def _rgb(font: Any) -> str | None:
    try:
        return str(font.color.rgb) if font.color is not None and font.color.rgb else None
    except (AttributeError, ValueError):
        return None


def _shaded(element: Any) -> bool:
    """A ``w:shd`` fill other than white or auto in the element's properties."""
    for shd in element.iter(f"{_W}shd"):
        fill = (shd.get(f"{_W}fill") or "auto").upper()
        if fill not in {"AUTO", *_WHITE}:
            return True
    return False
