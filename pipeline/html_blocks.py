"""HTML to text blocks in one pass, with no recursion and no tree.

A streaming parser (the standard library's) keeps a stack of open elements and hands each
piece of text to the innermost open block (heading, paragraph, list item, cell, quote, pre).
Work is linear in the input, so 100,000 nested tags cost what 100,000 siblings cost: no
RecursionError, no quadratic walk over descendants.

Text a browser does not show is not the document's text, but it is kept aside as
:class:`Unseen` runs (a classic carrier of planted instructions), each with the number of blocks
read before it, so the review can list it: the text of hidden elements, comments, and the alt
text of images.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from .records import CELL_SEPARATOR, HiddenReason
from .unseen import UNSEEN_LIMIT, Unseen

BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "blockquote", "pre", "dd"}
HEADINGS = {"h1", "h2"}
CELLS = {"td", "th"}
SKIPPED = {"script", "style", "noscript", "nav", "template", "svg"}
# Containers whose edges end a run of loose text (text not inside any block).
BREAKS = BLOCKS | {
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "table",
    "tr",
    "ul",
    "ol",
    "dl",
    "dt",
    "form",
    "body",
    "hr",
    "figure",
    "figcaption",
    "caption",
}
VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
# An element a browser does not show: its text is not the document's (a reader never sees it),
# so it is neither quoted nor shown to a model.
_HIDDEN_STYLE = re.compile(
    r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|font-size\s*:\s*0"
    r"(?:\.0*)?(?:px|pt|em|rem|%)?\s*(?:;|$|!)|opacity\s*:\s*0(?:\.0*)?\s*(?:;|$|!))",
    re.I,
)


def is_hidden(
    attrs: list[tuple[str, str | None]], hidden_selectors: frozenset[str] = frozenset()
) -> bool:
    """The element carries the ``hidden`` attribute, an inline style that hides it, or a class
    or id that the page's own stylesheet hides (``hidden_selectors``: ".name", "#name")."""
    found = dict(attrs)
    if "hidden" in found or _HIDDEN_STYLE.search(found.get("style") or ""):
        return True
    names = {f".{c}" for c in (found.get("class") or "").split()}
    if found.get("id"):
        names.add(f"#{found['id']}")
    return bool(names & hidden_selectors)


_MEDIA = re.compile(r"@[^{};]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE = re.compile(r"^[a-z0-9]*([.#][\w-]+)$", re.I)


def hidden_selectors(css: str) -> frozenset[str]:
    """The simple class and id selectors (".note", "div.note", "#n") that a stylesheet hides for
    every screen: rules inside @media and other at-rules, and compound selectors, are left out,
    so text is never dropped that some reader sees."""
    css = _MEDIA.sub(" ", re.sub(r"/\*.*?\*/", " ", css, flags=re.S))
    found: set[str] = set()
    for selectors, body in _RULE.findall(css):
        if _HIDDEN_STYLE.search(body.strip()):
            for selector in selectors.split(","):
                simple = _SIMPLE.match(selector.strip())
                if simple:
                    found.add(simple.group(1))
    return frozenset(found)


# An opening tag of these closes an open one of the same name (<p>a<p>b, <li>a<li>b).
SELF_CLOSING_SIBLINGS = {"p", "li", "td", "th", "tr", "dt", "dd", "option"}

Block = tuple[bool, str]  # (is a level 1-2 heading, text)


class _BlockParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.open_count: dict[str, int] = {}
        self.skipping = 0  # how many SKIPPED elements are open
        self.in_title = False
        self.title: list[str] = []
        self.blocks: list[Block] = []
        self.loose: list[str] = []  # text in no block element: used only if there are no blocks
        self.buffer: list[str] = []
        self.block_tags: list[str] = []  # the open BLOCKS elements, innermost last
        self.hidden_at: list[int] = []  # stack depths of the open hidden elements
        self.skipped_open = 0  # how many SKIPPED elements (script, style, nav...) are open
        self.hidden_buffer: list[str] = []
        self.unseen: list[Unseen] = []
        self.css: list[str] = []
        self.hidden_selectors: frozenset[str] = frozenset()
        self.rows: list[list[str]] = []  # the open table rows' cells, innermost row last

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        """``<![keyword ...>`` with a keyword html.parser does not know ("<![octype html>")
        raises AssertionError there; a browser reads it as a bogus comment up to the next ">",
        and so does this."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i + 3)
            return len(self.rawdata) if end == -1 else end + 1

    # ------------------------------------------------------------ events

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
            return
        if tag in VOID:
            if tag == "img" and not self.skipped_open:
                self._keep_unseen(dict(attrs).get("alt") or "", "alt text")
            if tag in BREAKS:
                self._flush()
            elif tag == "br" and not self.skipping:
                self.buffer.append(" ")
            return
        if tag in SELF_CLOSING_SIBLINGS and tag in self.block_tags[-1:] + self.stack[-1:]:
            self._close(tag)
        if tag in BREAKS:
            self._flush()
        self._push(tag)
        if is_hidden(attrs, self.hidden_selectors):
            self.hidden_at.append(len(self.stack))
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
            return
        if tag == "style" and self.css:
            self.hidden_selectors |= hidden_selectors("".join(self.css))
            self.css = []
        if self.open_count.get(tag):
            self._close(tag)

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.buffer.append(data)
        elif self.hidden_at and not self.skipped_open:
            self.hidden_buffer.append(data)
        elif self.stack[-1:] == ["style"]:
            self.css.append(data)

    def handle_comment(self, data: str) -> None:
        if not self.skipped_open:
            self._keep_unseen(data, "comment")

    def _keep_unseen(self, text: str, reason: HiddenReason) -> None:
        text = " ".join(text.split())
        if text and len(self.unseen) < UNSEEN_LIMIT:
            self.unseen.append(Unseen(len(self.blocks), text, reason))

    # ------------------------------------------------------------ stack

    def _push(self, tag: str) -> None:
        self.stack.append(tag)
        self.open_count[tag] = self.open_count.get(tag, 0) + 1
        if tag in SKIPPED:
            self.skipping += 1
            self.skipped_open += 1
        if tag in BLOCKS:
            self.block_tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in CELLS and self.rows:
            self.rows[-1].append("")

    def _close(self, tag: str) -> None:
        """Pop elements up to and including the innermost open ``tag``."""
        while self.stack:
            if self.hidden_at and self.hidden_at[-1] == len(self.stack):
                self.hidden_at.pop()
                self.skipping -= 1
                if not self.hidden_at:
                    self._keep_unseen(" ".join(self.hidden_buffer), "hidden element")
                    self.hidden_buffer = []
            top = self.stack.pop()
            self.open_count[top] -= 1
            if top in SKIPPED:
                self.skipping -= 1
                self.skipped_open -= 1
            if top in BREAKS:
                self._flush(top)
            if top in BLOCKS and self.block_tags:
                self.block_tags.pop()
            if top == "tr" and self.rows:
                self._end_row()
            if top == tag:
                return

    def _flush(self, closing: str | None = None) -> None:
        """End the text gathered so far as one block (a heading if its element is one)."""
        text = " ".join("".join(self.buffer).split())
        self.buffer = []
        if not text:
            return
        owner = closing if closing in BLOCKS else (self.block_tags[-1] if self.block_tags else "")
        if self.rows and self.rows[-1] and CELLS & {owner, *self.block_tags}:
            cells = self.rows[-1]  # a row's cells make one block, as a DOCX row does
            cells[-1] = f"{cells[-1]} {text}".strip()
        elif owner:
            self.blocks.append((owner in HEADINGS, text))
        else:
            self.loose.append(text)

    def _end_row(self) -> None:
        cells = self.rows.pop()  # empty cells kept: a cell's column is its place in the row
        if any(cells):
            self.blocks.append((False, CELL_SEPARATOR.join(cells)))


def html_blocks(html: str) -> tuple[str, list[Block]]:
    """The document's <title> and its text blocks, in reading order.

    Text outside any block element (site chrome, a div-only layout) is kept only when the
    page has no block elements at all, as one block.
    """
    title, blocks, _ = html_text(html)
    return title, blocks


def html_text(html: str) -> tuple[str, list[Block], list[Unseen]]:
    """As :func:`html_blocks`, with the text a reader does not see kept aside."""
    parser = _BlockParser()
    parser.feed(html)
    parser.close()
    parser._flush()
    while parser.rows:  # a row left open at the end of the file
        parser._end_row()
    if parser.hidden_buffer:  # a hidden element left open at the end of the file
        parser._keep_unseen(" ".join(parser.hidden_buffer), "hidden element")
    title = " ".join("".join(parser.title).split())
    return title, parser.blocks or [(False, "\n".join(parser.loose))], parser.unseen
