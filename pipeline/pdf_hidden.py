"""Text a PDF page draws so that nobody reading the page can see it.

Hidden text is a classic carrier of prompt injection: a reader sees nothing, a text extractor
(and so a model) reads every word. While pypdf extracts a page's text, :class:`HiddenTextScanner`
follows the graphics state through the operator hooks and marks each run of text that is:
- white: filled in (near-)white, unless the last thing painted under it is a non-white area,
  an image or a form drawing (white headings on a banner, a chart or a photo are visible);
- invisible: text render mode 3 or 7, or a fill opacity near 0, again unless drawn over an
  image or a painted area (the text layer of an OCR'd scan);
- tiny font: drawn below :data:`TINY_PT` points once the text and page matrices are applied;
- off page: positioned well outside the page's media box.

pypdf reports text in runs (at a new line, font or text object), so a run is marked when any
of its text-showing operators was hidden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .records import HiddenText

TINY_PT = 2.0
NEAR_WHITE = 0.95  # gray or RGB component at or above this; CMYK components at or below 1 - it
OFF_PAGE_MARGIN = 36.0  # points, plus twice the font size (rotated glyphs reach back)
TEXT_SHOW = {b"Tj", b"TJ", b"'", b'"'}
PATH_FILL = {b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*"}
PATH_END = PATH_FILL | {b"S", b"s", b"n"}
INVISIBLE_MODES = {3, 7}
Matrix = list[float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass
class _State:
    fill_white: bool = False  # default fill is black
    space: str = "gray"  # fill colour space: gray | rgb | cmyk | other
    render_mode: int = 0
    font_size: float = 12.0
    alpha: float = 1.0


@dataclass
class HiddenTextScanner:
    """Operator hooks for ``page.extract_text``; the hidden runs end up in :attr:`hidden`."""

    media: Box
    resources: Any = None
    hidden: list[HiddenText] = field(default_factory=list)
    state: _State = field(default_factory=_State)
    stack: list[_State] = field(default_factory=list)
    path: list[tuple[float, float]] = field(default_factory=list)
    painted: list[tuple[Box, bool]] = field(default_factory=list)  # (area, painted white)
    current: str | None = None  # reason the text-showing operator in progress is hidden
    pending: set[str] = field(default_factory=set)

    @classmethod
    def for_page(cls, page: Any) -> HiddenTextScanner:
        box = page.mediabox
        media = (float(box.left), float(box.bottom), float(box.right), float(box.top))
        try:
            resources = page.get("/Resources")
            resources = resources.get_object() if resources is not None else None
        except Exception:
            resources = None
        return cls(media=media, resources=resources)

    # ------------------------------------------------------------ hooks

    def before(self, operator: bytes, operands: list[Any], cm: Matrix, tm: Matrix) -> None:
        handler = _HANDLERS.get(operator)
        if handler is not None:
            handler(self, operands, cm)
        elif operator in TEXT_SHOW:
            self.current = self._hidden_reason(cm, tm)

    def after(self, operator: bytes, operands: list[Any], cm: Matrix, tm: Matrix) -> None:
        if operator in TEXT_SHOW:
            if self.current is not None:
                self.pending.add(self.current)
            self.current = None

    def text(self, text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip() and self.pending:
            reason = sorted(self.pending)[0]
            self.hidden.append(HiddenText(text=text.strip(), reason=reason))  # type: ignore[arg-type]
        if text.strip():
            self.pending = set()

    # ------------------------------------------------------------ the test

    def _hidden_reason(self, cm: Matrix, tm: Matrix) -> str | None:
        m = _multiply(tm, cm)
        x, y = m[4], m[5]
        size = self.state.font_size * math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))
        if size < TINY_PT:
            return "tiny font"
        x0, y0, x1, y1 = self.media
        margin = OFF_PAGE_MARGIN + 2 * size
        if not (x0 - margin <= x <= x1 + margin and y0 - margin <= y <= y1 + margin):
            return "off page"
        invisible = self.state.render_mode in INVISIBLE_MODES or self.state.alpha < 0.05
        if (invisible or self.state.fill_white) and not self._on_painted_area(x, y):
            return "invisible" if invisible else "white"
        return None

    def _on_painted_area(self, x: float, y: float) -> bool:
        for (bx0, by0, bx1, by1), white in reversed(self.painted):
            if bx0 - 1 <= x <= bx1 + 1 and by0 - 1 <= y <= by1 + 1:
                return not white
        return False

    # ------------------------------------------------------------ graphics state

    def _push(self, operands: list[Any], cm: Matrix) -> None:
        self.stack.append(_State(**vars(self.state)))

    def _pop(self, operands: list[Any], cm: Matrix) -> None:
        if self.stack:
            self.state = self.stack.pop()

    def _font(self, operands: list[Any], cm: Matrix) -> None:
        if len(operands) >= 2:
            self.state.font_size = abs(_number(operands[1], 12.0))

    def _render_mode(self, operands: list[Any], cm: Matrix) -> None:
        if operands:
            self.state.render_mode = int(_number(operands[0], 0))

    def _gray(self, operands: list[Any], cm: Matrix) -> None:
        self.state.space = "gray"
        self.state.fill_white = _white("gray", operands)

    def _rgb(self, operands: list[Any], cm: Matrix) -> None:
        self.state.space = "rgb"
        self.state.fill_white = _white("rgb", operands)

    def _cmyk(self, operands: list[Any], cm: Matrix) -> None:
        self.state.space = "cmyk"
        self.state.fill_white = _white("cmyk", operands)

    def _colour_space(self, operands: list[Any], cm: Matrix) -> None:
        self.state.space = self._space_kind(operands[0]) if operands else "other"
        self.state.fill_white = False  # each space's initial colour is black (or no ink)

    def _colour(self, operands: list[Any], cm: Matrix) -> None:
        numbers = [o for o in operands if isinstance(o, (int, float))]
        kind = {1: "gray", 3: "rgb", 4: "cmyk"}.get(len(numbers), "other")
        known = self.state.space in {"gray", "rgb", "cmyk", "icc"}
        self.state.fill_white = known and len(numbers) == len(operands) and _white(kind, numbers)

    def _ext_state(self, operands: list[Any], cm: Matrix) -> None:
        try:
            ext = self.resources["/ExtGState"][operands[0]].get_object()
            if "/ca" in ext:
                self.state.alpha = float(ext["/ca"])
        except Exception:
            return

    def _space_kind(self, name: Any) -> str:
        plain = {
            "/DeviceGray": "gray",
            "/CalGray": "gray",
            "/DeviceRGB": "rgb",
            "/CalRGB": "rgb",
            "/DeviceCMYK": "cmyk",
        }
        if str(name) in plain:
            return plain[str(name)]
        try:
            space = self.resources["/ColorSpace"][name].get_object()
            return "icc" if str(space[0]) == "/ICCBased" else "other"
        except Exception:
            return "other"

    # ------------------------------------------------------------ painting

    def _move(self, operands: list[Any], cm: Matrix) -> None:
        numbers = [_number(o, 0.0) for o in operands]
        self.path += [_apply(cm, numbers[i], numbers[i + 1]) for i in range(0, len(numbers) - 1, 2)]

    def _rectangle(self, operands: list[Any], cm: Matrix) -> None:
        if len(operands) == 4:
            x, y, w, h = (_number(o, 0.0) for o in operands)
            self.path += [_apply(cm, x, y), _apply(cm, x + w, y + h)]
            self.path += [_apply(cm, x + w, y), _apply(cm, x, y + h)]

    def _paint(self, operands: list[Any], cm: Matrix, filled: bool) -> None:
        if filled and self.path:
            xs, ys = zip(*self.path, strict=True)
            self.painted.append(((min(xs), min(ys), max(xs), max(ys)), self.state.fill_white))
        self.path = []

    def _xobject(self, operands: list[Any], cm: Matrix) -> None:
        """An image, or a form (a chart, a panel): a non-white area under later text."""
        try:
            xobject = self.resources["/XObject"][operands[0]].get_object()
            subtype = xobject.get("/Subtype")
        except Exception:
            return
        if subtype == "/Image":
            self._inline_image(operands, cm)
        elif subtype == "/Form":
            try:
                x0, y0, x1, y1 = (float(v) for v in xobject["/BBox"])
                matrix = [float(v) for v in xobject.get("/Matrix", [1, 0, 0, 1, 0, 0])]
            except Exception:
                return
            self._area([(x0, y0), (x1, y0), (x0, y1), (x1, y1)], _multiply(matrix, cm))

    def _inline_image(self, operands: list[Any], cm: Matrix) -> None:
        self._area([(0, 0), (1, 0), (0, 1), (1, 1)], cm)

    def _area(self, corners: list[tuple[float, float]], cm: Matrix) -> None:
        xs, ys = zip(*(_apply(cm, x, y) for x, y in corners), strict=True)
        self.painted.append(((min(xs), min(ys), max(xs), max(ys)), False))

    def _shading(self, operands: list[Any], cm: Matrix) -> None:
        self.painted.append((self.media, False))


def _fill(filled: bool) -> Any:
    def handler(scanner: HiddenTextScanner, operands: list[Any], cm: Matrix) -> None:
        scanner._paint(operands, cm, filled)

    return handler


_HANDLERS: dict[bytes, Any] = {
    b"q": HiddenTextScanner._push,
    b"Q": HiddenTextScanner._pop,
    b"Tf": HiddenTextScanner._font,
    b"Tr": HiddenTextScanner._render_mode,
    b"g": HiddenTextScanner._gray,
    b"rg": HiddenTextScanner._rgb,
    b"k": HiddenTextScanner._cmyk,
    b"cs": HiddenTextScanner._colour_space,
    b"sc": HiddenTextScanner._colour,
    b"scn": HiddenTextScanner._colour,
    b"gs": HiddenTextScanner._ext_state,
    b"m": HiddenTextScanner._move,
    b"l": HiddenTextScanner._move,
    b"c": HiddenTextScanner._move,
    b"v": HiddenTextScanner._move,
    b"y": HiddenTextScanner._move,
    b"re": HiddenTextScanner._rectangle,
    b"Do": HiddenTextScanner._xobject,
    b"INLINE IMAGE": HiddenTextScanner._inline_image,
    b"sh": HiddenTextScanner._shading,
    **{op: _fill(True) for op in PATH_FILL},
    **{op: _fill(False) for op in PATH_END - PATH_FILL},
}


def _number(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _white(kind: str, operands: list[Any]) -> bool:
    values = [_number(o, 0.0) for o in operands]
    if kind == "gray" and len(values) == 1:
        return values[0] >= NEAR_WHITE
    if kind == "rgb" and len(values) == 3:
        return min(values) >= NEAR_WHITE
    if kind == "cmyk" and len(values) == 4:
        return max(values) <= 1 - NEAR_WHITE
    return False


def _multiply(a: Matrix, b: Matrix) -> Matrix:
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def _apply(cm: Matrix, x: float, y: float) -> tuple[float, float]:
    return cm[0] * x + cm[2] * y + cm[4], cm[1] * x + cm[3] * y + cm[5]


def extract_with_hidden(page: Any) -> tuple[str, list[HiddenText]]:
    """A page's text, as ``page.extract_text()`` gives it, and the runs drawn hidden."""
    scanner = HiddenTextScanner.for_page(page)
    text = page.extract_text(
        visitor_operand_before=scanner.before,
        visitor_operand_after=scanner.after,
        visitor_text=scanner.text,
    )
    return text or "", scanner.hidden
