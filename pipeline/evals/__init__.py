"""Evaluation harness: review the gold cases in ``evals/cases`` and score the reviews.

- :mod:`.cases` loads and validates cases (``strategy.pdf`` or ``.html`` + ``gold.json``) and
  their split (``tuning`` or ``held_out``);
- :mod:`.metrics` holds the metrics, as small pure functions;
- :mod:`.runner` runs a backend over the cases (:func:`run_evals`) and compares runs;
- :mod:`.scorecard` renders scorecards as Markdown, HTML and JSON.
"""

from __future__ import annotations

from .cases import EvalCase, Gold, GoldEvidence, GoldItem, load_cases
from .metrics import METRICS, MetricSummary
from .runner import EvalProgress, ProgressEvent, compare_runs, run_evals
from .scorecard import Comparison, Scorecard

__all__ = [
    "METRICS",
    "Comparison",
    "EvalCase",
    "EvalProgress",
    "Gold",
    "GoldEvidence",
    "GoldItem",
    "MetricSummary",
    "ProgressEvent",
    "Scorecard",
    "compare_runs",
    "load_cases",
    "run_evals",
]
