"""Deterministic indicators: facts about a strategy computed without any model.

Every indicator is found with the regular expressions below and cites the sentences it
counted. Quotes are verbatim slices of ``Page.text`` and never cross a page boundary;
newlines inside a sentence are treated as spaces for matching only.

The indicator ids and ``value`` keys are a contract: ``prompts/rubric.json`` "signals"
and the reports read them. Rename nothing without updating both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pipeline.records import Document, Indicator

from .commitments import is_quantified, measurable_commitments
from .horizon import time_horizon
from .mentions import emerging_tech, ownership, plan_references
from .practice import design_principles, mission, org_change, risks, services_baseline
from .readability import length_readability, syllables
from .research import user_research
from .sentences import Hit, Sentence, is_heading, is_list_item, split_sentences
from .specificity import local_specifics, mainstream
from .statements import delivered, deprioritisation

__all__ = [
    "INDICATORS",
    "Hit",
    "Sentence",
    "compute_indicators",
    "is_heading",
    "is_list_item",
    "is_quantified",
    "split_sentences",
    "syllables",
]

# ---------------------------------------------------------------- entry point

IndicatorFn = Callable[[Document, Sequence[Sentence]], Indicator]
INDICATORS: tuple[IndicatorFn, ...] = (
    time_horizon,
    measurable_commitments,
    deprioritisation,
    delivered,
    user_research,
    emerging_tech,
    ownership,
    plan_references,
    length_readability,
    mainstream,
    design_principles,
    local_specifics,
    mission,
    services_baseline,
    org_change,
    risks,
)


def compute_indicators(doc: Document) -> list[Indicator]:
    """All indicators, in a fixed order, with page-cited evidence. No model is used."""
    sents = split_sentences(doc)
    return [fn(doc, sents) for fn in INDICATORS]
