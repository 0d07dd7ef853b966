"""The board paper: accepted and edited findings of a review, as DOCX, Markdown or HTML.

:func:`export_paper` is the one call the ``export`` command makes: build the
:class:`~pipeline.paper.records.BoardPaper` from review.json and decisions.json, render it in
memory and write it atomically (a reader sees the old file or the new one, never half).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import InputError
from .build import UndecidedFindings, build_paper
from .records import BoardPaper

FORMATS = {"docx": "docx", "md": "md", "html": "html"}
DEFAULT_NAME = "board-paper"

__all__ = ["FORMATS", "BoardPaper", "UndecidedFindings", "build_paper", "export_paper", "render"]


def render(paper: BoardPaper, fmt: str, template: Path | None = None) -> bytes:
    """The paper in one format, as bytes."""
    if fmt == "docx":
        from .docx import render_docx

        return render_docx(paper, template)
    if template is not None:
        raise InputError("--template is a Word template and only works with --format docx")
    if fmt == "md":
        from .md import render_markdown

        return render_markdown(paper).encode("utf-8")
    if fmt == "html":
        from .html import render_html

        return render_html(paper).encode("utf-8")
    raise InputError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")


def export_paper(
    review_dir: Path,
    fmt: str = "docx",
    out: Path | None = None,
    *,
    include_undecided: bool = False,
    template: Path | None = None,
    organisation: str | None = None,
) -> tuple[Path, BoardPaper]:
    """Write the board paper for ``review_dir``; returns where it went and what it holds."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    if template is not None and fmt != "docx":
        raise InputError("--template is a Word template and only works with --format docx")
    if not review_dir.is_dir():
        raise InputError(f"{review_dir}: not a review folder")
    target = out or review_dir / f"{DEFAULT_NAME}.{FORMATS[fmt]}"
    if target.is_dir():
        raise InputError(f"--out {target}: is a folder; give a file name")
    paper = build_paper(review_dir, include_undecided=include_undecided, organisation=organisation)
    data = render(paper, fmt, template)
    write_atomic(target, data)
    return target, paper


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to a temporary file beside ``path`` and move it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temp, 0o666 & ~_umask())  # as an ordinary new file, not mkstemp's 0600
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
