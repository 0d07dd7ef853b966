"""Atomic file writes: a reader never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .redact import scrub


def atomic_write_text(path: Path, text: str) -> Path:
    """Write ``text`` (scrubbed of secrets) so that a reader sees the old file or the new one."""
    text = scrub(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
