"""Text in a file that a reader of the document never sees: hidden HTML elements, HTML and
Markdown comments, and the alt text of images. It is not the document's text (never quoted,
never shown to a model), but it is a classic carrier of planted instructions, so it is kept
aside, placed on the page it sits in, and listed by the injection check (see
``injection._hidden_leftovers`` for what is listed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .records import HiddenReason, HiddenText

UNSEEN_LIMIT = 200  # runs kept per file at most (a hostile file may hide thousands)
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class Unseen:
    """A run of unseen text and how many blocks of the document were read before it."""

    after: int
    text: str
    reason: HiddenReason  # "hidden element", "comment", "alt text" (or a DOCX run's reason)


def drop_comments(text: str) -> tuple[str, list[Unseen]]:
    """Markdown or text with its <!-- --> comments removed in one pass (an unclosed one is left
    as text), and the comments, each placed after the paragraphs before it."""
    kept: list[str] = []
    comments: list[Unseen] = []
    pos = 0
    size = 0
    while (start := text.find("<!--", pos)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        kept.append(text[pos:start])
        size += start - pos
        body = " ".join(text[start + 4 : end].split())
        if body and len(comments) < UNSEEN_LIMIT:
            before = "".join(kept)
            blocks = len(_PARAGRAPH.split(before.strip())) if before.strip() else 0
            comments.append(Unseen(blocks, body, "comment"))
        pos = end + 3
    kept.append(text[pos:])
    return "".join(kept), comments


def place(unseen: list[Unseen], owners: list[int], pages: int) -> list[list[HiddenText]]:
    """Per page, the unseen runs that sit in it. ``owners[i]`` is the page of block ``i``; a
    run goes to the page of the block read just before it (the first page if none was)."""
    placed: list[list[HiddenText]] = [[] for _ in range(pages)]
    for run in unseen:
        page = owners[min(run.after, len(owners)) - 1] if run.after and owners else 0
        placed[min(max(page, 0), pages - 1)].append(HiddenText(text=run.text, reason=run.reason))
    return placed


def place_by_text(runs: list[HiddenText], pages: list[str]) -> list[list[HiddenText]]:
    """Per page, the runs whose words it holds (the first such page; the first page if none)."""
    flat = [" ".join(page.split()) for page in pages]
    placed: list[list[HiddenText]] = [[] for _ in pages]
    for run in runs:
        words = " ".join(run.text.split())
        index = next((i for i, page in enumerate(flat) if words in page), 0)
        placed[index].append(run)
    return placed
