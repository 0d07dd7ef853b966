"""compare.json, compare.md and compare.html: render a comparison and write it atomically."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from . import ReportError, write_texts
from .compare_html import render_compare_html
from .compare_md import render_compare_markdown

if TYPE_CHECKING:
    from ..compare.records import Comparison

FILENAMES = {"json": "compare.json", "md": "compare.md", "html": "compare.html"}


def render_comparison(comparison: Comparison) -> dict[str, str]:
    """compare.json, compare.md and compare.html as text, keyed by format."""
    dump = json.dumps(comparison.model_dump(mode="json"), indent=2, ensure_ascii=False)
    return {
        "json": dump + "\n",
        "md": render_compare_markdown(comparison),
        "html": render_compare_html(comparison),
    }


def write_comparison(comparison: Comparison, out_dir: Path) -> dict[str, Path]:
    """Render every format first, then write temp files and move them into place: a failure
    leaves no partial files. Returns format -> path; ReportError if writing fails."""
    texts = render_comparison(comparison)
    try:
        paths = write_texts(Path(out_dir), {FILENAMES[fmt]: text for fmt, text in texts.items()})
    except OSError as exc:
        raise ReportError(f"could not write the comparison to {out_dir}: {exc}") from exc
    return {fmt: paths[name] for fmt, name in FILENAMES.items()}
