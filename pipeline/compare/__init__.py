"""Compare a strategy with exemplars from the corpus, or with an earlier version of itself.

Both modes start from ordinary reviews (:func:`~pipeline.review.review_document`, so items
already reviewed come from the cache and cost no model calls) and add no model calls of their
own: everything else here is deterministic.

Exemplar mode sets the user's rating, finding and verified evidence for each rubric item beside
what each chosen exemplar shows for that item: its corpus note (with stance and section), any
passage retrieved from its fetched text, and one templated sentence contrasting the two.

Version mode rates both versions and gives each item a status; the statuses are defined in
:mod:`pipeline.compare.versions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from ..models.base import ModelAPI
from ..report.comparison import FILENAMES, render_comparison, write_comparison
from ..review import Progress, ReviewOptions
from .exemplars import (
    AUTO_LIMIT,
    choose_exemplars,
    compare_with_exemplars,
    contrast_sentence,
    document_vector,
    exemplar_item,
    guess_sector,
    named_exemplars,
    notes_by_item,
    source_vectors,
    user_cite,
)
from .records import (
    STATUSES,
    Comparison,
    EvidenceChange,
    ExemplarCell,
    ExemplarComparison,
    ExemplarItem,
    ExemplarNote,
    ExemplarSource,
    ItemSide,
    PageRef,
    Status,
    VersionComparison,
    VersionItem,
    clip,
    first_sentence,
    page_cite,
    quote_key,
)
from .sides import item_side
from .versions import change_status, compare_versions, evidence_changes, locate, version_item

__all__ = [
    "AUTO_LIMIT",
    "FILENAMES",
    "STATUSES",
    "Comparison",
    "EvidenceChange",
    "ExemplarCell",
    "ExemplarComparison",
    "ExemplarItem",
    "ExemplarNote",
    "ExemplarSource",
    "ItemSide",
    "PageRef",
    "Status",
    "VersionComparison",
    "VersionItem",
    "change_status",
    "choose_exemplars",
    "clip",
    "compare_versions",
    "compare_with_exemplars",
    "contrast_sentence",
    "document_vector",
    "evidence_changes",
    "exemplar_item",
    "first_sentence",
    "guess_sector",
    "item_side",
    "locate",
    "named_exemplars",
    "notes_by_item",
    "page_cite",
    "quote_key",
    "render_comparison",
    "run_compare",
    "source_vectors",
    "user_cite",
    "version_item",
    "write_comparison",
]


def run_compare(
    files: Sequence[Path],
    out_dir: Path,
    model: ModelAPI,
    source_ids: Sequence[str] | None = None,
    options: ReviewOptions | None = None,
    progress: Progress | None = None,
) -> tuple[Comparison, dict[str, Path]]:
    """One file: compare with exemplars. Two files and no source ids: compare versions.
    Writes compare.json, compare.md and compare.html only when the comparison succeeded."""
    if len(files) == 2 and source_ids:
        raise InputError(
            "--with compares one document with exemplars: give one file, "
            "or two files (OLD NEW) without --with"
        )
    if len(files) not in (1, 2):
        raise InputError(
            f"give one file (compare with exemplars) or two files (OLD NEW), not {len(files)}"
        )
    comparison: Comparison
    if len(files) == 1:
        comparison = compare_with_exemplars(files[0], model, source_ids, options, progress)
    else:
        comparison = compare_versions(files[0], files[1], model, options, progress)
    return comparison, write_comparison(comparison, out_dir)
