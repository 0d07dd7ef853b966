"""Absence claims and the evidence shown beside them.

A summary that says "no review cycle is stated" must not sit unremarked beside a quote saying
the strategy "will be refreshed in 2030". Each absence the rules' wording can state is listed
here with a deliberately lenient pattern for what would bear on it; :func:`contradicting`
returns the shown quotes that match, so the wording can point at them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .records import Evidence

_STRATEGY = r"(?:strateg(?:y|ies)|plan|roadmap|this document|priorities)"
_CADENCE = (
    r"(?:every|each)\s+(?:\w+\s+)?(?:year|month|quarter|spring|summer|autumn|winter|january"
    r"|february|march|april|may|june|july|august|september|october|november|december)"
    r"|annually|yearly|quarterly|twice a year|once a year"
)
REVIEWED = re.compile(
    rf"\b{_STRATEGY}\b.{{0,60}}\b(?:review|refresh|revisit|revis|updat)\w*"
    rf"|\b(?:review|refresh|revisit|revis|updat)\w*\b.{{0,40}}\b{_STRATEGY}\b"
    # "the Cabinet Member reviews it every October": the pronoun with a cadence
    rf"|\b(?:review|refresh|revisit|revis|updat)\w*\s+(?:it|this|them)\s+(?:{_CADENCE})\b",
    re.I | re.S,
)
_DATED = re.compile(r"\b(?:by|before|in|from|until)\s+(?:\w+\s+)?20\d{2}\b", re.I)
_NUMBER = re.compile(r"\d+\s*%|(?<![\w/])\d[\d,.]*(?![\w/])")


def _dated_and_measured(text: str) -> bool:
    return bool(_DATED.search(text)) and len(_NUMBER.findall(text)) >= 2


def _pattern(text: str) -> Callable[[str], bool]:
    compiled = re.compile(text, re.I)
    return lambda quote: bool(compiled.search(quote))


@dataclass(frozen=True)
class Absence:
    """A claim the wording can make, and what in a quote would bear against it."""

    name: str
    claim: re.Pattern[str]
    bears: Callable[[str], bool]


ABSENCES: tuple[Absence, ...] = (
    Absence(
        "review cycle",
        re.compile(r"\bno (?:regular )?review cycle\b", re.I),
        lambda q: bool(REVIEWED.search(q)),
    ),
    Absence(
        "plan period",
        re.compile(r"\bno plan period\b", re.I),
        _pattern(r"\b20\d{2}\s*(?:[-–—/]|to)\s*(?:20)?\d{2}\b|\b(?:ten|five|\d+)[- ]year\b"),
    ),
    Absence(
        "de-prioritisation",
        re.compile(
            r"names nothing it will not do|nothing is ruled out|never says what is not", re.I
        ),
        _pattern(
            r"\bwe\s+(?:will|shall)\s+not\b|\bwon[’']t\b|\bstop(?:s|ped|ping)?\b|\bpaus\w+"
            r"|\bde-?prioriti\w+|\bnot\s+(?:a|our)\s+(?:current\s+)?priority|\bout\s+of\s+scope"
            r"|\bno\s+longer\b"
        ),
    ),
    Absence(
        "user research",
        re.compile(r"describes no user research", re.I),
        _pattern(
            r"\bresearch\b|\binterview\w*|\bsurvey\w*|\bfocus\s+groups?\b|\bworkshops?\b"
            r"|\bco-?design\w*|\btold\s+us\b|\busability\b"
        ),
    ),
    Absence(
        "delivered work",
        re.compile(r"cites nothing already delivered", re.I),
        _pattern(
            r"\b(?:we|it|has|have|was|were)\s+(?:already\s+|now\s+|successfully\s+)?(?:been\s+)?"
            r"(?:delivered|launched|rolled\s+out|completed|implemented|replaced|deployed)\b"
            r"|\b(?:went|gone|is\s+now)\s+live\b|\bsince\s+20\d{2},?\s+we\b"
        ),
    ),
    Absence(
        "own plans",
        re.compile(r"does not refer to the organisation's own", re.I),
        _pattern(
            r"\b(?:corporate|business|council|annual|operational|departmental|people)\s+plans?\b"
            r"|\b(?:clinical|trust|organi[sz]ational|corporate)\s+strateg(?:y|ies)\b"
        ),
    ),
    Absence(
        "system partners",
        re.compile(r"names no system partners", re.I),
        _pattern(
            r"\bintegrated\s+care\b|(?-i:\bIC[SBP]s?\b)|\bsystem\s+partners?\b|\bshared\s+care"
            r"\s+records?\b|\blocal\s+authorit(?:y|ies)\b|\bprimary\s+care\b"
        ),
    ),
    Absence(
        "everyday work",
        re.compile(r"no statement was found placing digital in everyday work", re.I),
        _pattern(r"\beveryday\b|\bbusiness\s+as\s+usual\b|\bday-to-day\b"),
    ),
    Absence(
        "principles",
        re.compile(r"sets out no design or delivery principles", re.I),
        _pattern(r"\bprinciples?\b|\bwe\s+will\s+always\b|\bways?\s+of\s+working\b"),
    ),
    Absence(
        "mission",
        re.compile(r"states no mission", re.I),
        _pattern(r"\bmission\b|\bvision\b|\bour\s+ambition\s+is\b"),
    ),
    Absence(
        "services baseline",
        re.compile(r"gives no baseline", re.I),
        _pattern(
            r"\b(?:today|currently|at\s+present)\b.{0,80}\d|\b\d[\d,]*\s+(?:\w+\s+)?"
            r"(?:systems|applications|services)\b|\b(?:uptime|availab\w+)\b.{0,40}%"
        ),
    ),
    Absence(
        "organisational change",
        re.compile(r"sets out no changes to governance", re.I),
        _pattern(r"\bgovernance\b|\bfunding\b|\bbudgets?\b|\bskills\b|\brecruit\w*"),
    ),
    Absence(
        "risks",
        re.compile(r"names no risks", re.I),
        _pattern(r"\brisks?\b|\bcould\s+go\s+wrong\b"),
    ),
    Absence(
        "dated, measurable commitments",
        re.compile(
            r"no commitment that is both dated|no dated, measurable commitments"
            r"|sets no commitment with a number",
            re.I,
        ),
        _dated_and_measured,
    ),
)


def claims(summary: str) -> list[Absence]:
    """The absences a summary states."""
    return [a for a in ABSENCES if a.claim.search(summary)]


_PAGES = re.compile(r"\bpp?\. ([\w-]+(?:, [\w-]+)*)")


def cited_pages(summary: str) -> set[str]:
    """Page labels a summary cites as "p. 4" or "pp. 3, 4"."""
    return {label for m in _PAGES.finditer(summary) for label in m.group(1).split(", ")}


def _cited(summary: str, evidence: Evidence) -> bool:
    return (evidence.page_label or str(evidence.page)) in cited_pages(summary)


def contradicting(summary: str, evidence: Sequence[Evidence]) -> list[Evidence]:
    """Shown quotes that bear on an absence the summary states and that it does not cite."""
    stated = claims(summary)
    return [
        e
        for e in evidence
        if not _cited(summary, e) and any(a.bears(" ".join(e.quote.split())) for a in stated)
    ]
