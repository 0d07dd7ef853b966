"""Write a :class:`~pipeline.records.Review` as review.json, review.md and review.html.

Every report is rendered in memory first, then written to a temporary file in the output
directory and moved into place with :func:`os.replace`, so a reader never sees a
half-written report and a failure leaves no partial files behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from pipeline.errors import StrategyReviewError
from pipeline.records import Review
from pipeline.redact import scrub
from pipeline.report.html import render_html
from pipeline.report.json import render_json
from pipeline.report.markdown import render_markdown

__all__ = [
    "FILENAMES",
    "ReportError",
    "render_html",
    "render_json",
    "render_markdown",
    "write_reports",
    "write_texts",
]

FILENAMES: dict[str, str] = {"json": "review.json", "md": "review.md", "html": "review.html"}
RENDERERS: dict[str, Callable[[Review], str]] = {
    "json": render_json,
    "md": render_markdown,
    "html": render_html,
}
ALIASES: dict[str, str] = {"markdown": "md", "htm": "html"}


class ReportError(StrategyReviewError, OSError):
    """The reports could not be written (nothing was left half-written)."""


def write_reports(
    review: Review, out_dir: Path, formats: Sequence[str] = ("md", "html", "json")
) -> dict[str, Path]:
    """Render ``review`` in each format and write it atomically into ``out_dir``.

    Returns format -> path written. Raises ValueError for an unknown format and
    :class:`ReportError` (a StrategyReviewError and an OSError) if writing fails.
    """
    texts = {FILENAMES[fmt]: RENDERERS[fmt](review) for fmt in normalise_formats(formats)}
    try:
        paths = write_texts(Path(out_dir), texts)
    except OSError as exc:
        raise ReportError(f"could not write the reports to {out_dir}: {exc}") from exc
    return {fmt: path for fmt, name in FILENAMES.items() if (path := paths.get(name))}


def normalise_formats(formats: Sequence[str]) -> list[str]:
    """Lower-cased, de-duplicated formats in the order given; ValueError for unknown ones."""
    if isinstance(formats, str):
        formats = [formats]
    wanted: list[str] = []
    for raw in formats:
        fmt = ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if fmt not in RENDERERS:
            known = ", ".join(RENDERERS)
            raise ValueError(f"unknown report format {raw!r}: choose from {known}")
        if fmt not in wanted:
            wanted.append(fmt)
    return wanted


def write_texts(out: Path, texts: dict[str, str]) -> dict[str, Path]:
    """Write file name -> text into ``out`` (made if missing): every temp file first, then move
    them all into place; clean up on failure. Returns file name -> path. OSError on failure."""
    out.mkdir(parents=True, exist_ok=True)
    temps: dict[str, Path] = {}
    try:
        for name, text in texts.items():
            temps[name] = _write_temp(out, name, text)
        written: dict[str, Path] = {}
        for name, tmp in list(temps.items()):
            target = out / name
            os.replace(tmp, target)
            del temps[name]
            written[name] = target
        _fsync_dir(out)
        return written
    finally:
        for tmp in temps.values():
            with contextlib.suppress(OSError):
                tmp.unlink()


def _write_temp(out: Path, filename: str, text: str) -> Path:
    fd, name = tempfile.mkstemp(dir=out, prefix=f".{filename}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(scrub(text))  # no API key or URL credential in any report
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


def _fsync_dir(path: Path) -> None:
    """Best effort: make the renames durable (not supported on every platform)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
