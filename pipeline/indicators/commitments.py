"""Measurable commitments: dated, quantified and owned."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.records import CELL_SEPARATOR, Document, Indicator

from .sentences import (
    _APOS,
    _FISCAL,
    _MONTH,
    _NUM,
    _YEAR,
    NUMBER_WORDS,
    Hit,
    Sentence,
    _evidence,
    _first_hits,
    _plural,
    _prose,
    _terms,
    is_heading,
)
from .tables import row_of, table_rows, within

# Measurable commitments
_COMMITMENT = re.compile(
    rf"\bwe\s*(?:will|shall|{_APOS}ll)\b(?!\s+not\b)"
    r"|\bwe\s+(?:are\s+going|aim|plan|intend|are\s+committed|commit)\s+to\b"
    r"|\btargets?\b|\bour\s+(?:goal|ambition|aim)\s+is\b"
    rf"|\bby\s+(?:the\s+end\s+of\s+)?(?:(?:{_MONTH}|Q[1-4])\s+)?{_YEAR}\b",
    re.I,
)
_DATED = re.compile(
    rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+)?{_MONTH}\.?\s+(?:{_YEAR}|19\d{{2}})\b"
    rf"|\bQ[1-4]\b(?:\s+(?:of\s+)?{_YEAR}(?:{_FISCAL})?)?"
    rf"|\b(?:first|second|third|fourth|final|last)\s+quarter\b(?:\s+of\s+{_YEAR}(?:{_FISCAL})?)?"
    rf"|\b(?:spring|summer|autumn|winter)\s+{_YEAR}\b"
    rf"|\b(?:19\d{{2}}|{_YEAR})(?:{_FISCAL}|[-–]\d{{2}}(?!\d))?\b"
    rf"|\bwithin\s+(?:the\s+next\s+)?(?:{_NUM}|\d+)\s+(?:weeks?|months?|years?)\b",
    re.I,
)
_QUANTITY = re.compile(
    r"[£$€]\s*\d|(?<![\w.£$€/-])\d[\d,]*(?:\.\d+)?(?:k|m|bn)?(?![\w/])"
    r"|\b(?:" + "|".join(NUMBER_WORDS) + r"|thirty|forty|fifty|hundred|thousand|million|billion"
    r"|half|halve|halving|double|doubling|triple|zero)\b",
    re.I,
)
_NOT_A_QUANTITY = re.compile(r"24/7")
# A span of time the plan covers is not a measure: "over the next ten years", "for three years"
# (a target in time units, "cut waits to 10 weeks", still counts).
_SPAN = re.compile(
    rf"\b(?:(?:over|for|in|during)\s+)?(?:the\s+)?(?:next|past|last|coming|first|final)\s+"
    rf"(?:{_NUM}|\d+)\s+(?:weeks?|months?|years?|decades?)\b"
    rf"|\b(?:over|for|across)\s+(?:{_NUM}|\d+)\s+(?:years?|decades?)\b",
    re.I,
)
# Numbers that label something rather than measure it: "Phase 2", "NHS 111", "Windows 11".
_LABEL_BEFORE = re.compile(
    r"\b(?:phase|stage|tier|level|wave|version|step|priority|objective|section|page|figure"
    r"|table|appendix|chapter|goal|theme|ambition|pillar|windows|office|microsoft|nhs|web)\s*$",
    re.I,
)
_LIST_NUMBER = re.compile(r"^\s*\(?(?:\d{1,2}|[a-z])[.)]\s")
# An owner named in the commitment: a role, a team, or owning/leading words in any layout
# ("owner: ...", "(lead - ...)", "Owned by ...", "Responsible: ...").
_OWNER = _terms(
    r"chief\s+(?:[\w-]+\s+){1,3}officer",
    r"chief\s+(?:executive|nurse)",
    r"(?:deputy\s+|assistant\s+)?director\s+of\s+[\w-]+",
    r"[\w-]+\s+director",
    r"head\s+of\s+[\w-]+",
    r"senior\s+responsible\s+owner",
    r"owner",
    r"own(?:ed|s)\s+by",
    r"led\s+by",
    r"lead(?=\s*[:(–—-])",
    r"responsib(?:le|ility)",
    r"accountab(?:le|ility)",
    r"(?-i:SRO|CIO|CDIO|CCIO|CNIO|CDO|CTO|CEO|COO|CFO)",
    r"(?:the|our)\s+(?:[\w&-]+\s+){1,3}team",
)

# An owner given on its own after the commitment: "Owner: Head of Housing.", "Lead - CNO."
_OWNER_LABEL = re.compile(
    r"^\s*(?:[(\[]\s*)?(?:owners?|leads?|led\s+by|owned\s+by|responsible(?:\s+officer)?"
    r"|accountable(?:\s+officer)?|(?-i:SRO))\s*[:–—-]",
    re.I,
)
# A sentence handing out ownership of the work around it: "The chief operating officer owns
# the outpatient work, and the chief nursing officer owns the ward log-in work."
_ASSIGNS = re.compile(
    r"\b(?:owns?|leads?|(?:is|are)\s+(?:accountable|responsible)\s+for|will\s+(?:own|lead))\s+"
    r"(?:the|this|that|these|each|every|our)\b",
    re.I,
)


def _owned_elsewhere(sents: Sequence[Sentence]) -> set[int]:
    """Indexes of the commitments whose owner is given outside their own sentence: by an owner
    label in the sentence straight after, or by a sentence of the same section (up to the next
    heading) that hands the section's work to named roles."""
    owned: set[int] = set()
    section: list[int] = []
    assigned = False
    for i, s in enumerate([*sents, None]):
        if s is None or is_heading(s):
            if assigned:
                owned.update(section)
            section, assigned = [], False
            continue
        section.append(i)
        if _ASSIGNS.search(s.flat) and _OWNER.search(s.flat):
            assigned = True
        if i and _OWNER_LABEL.match(s.flat) and _OWNER.search(s.flat):
            owned.add(i - 1)
    return owned


# ---------------------------------------------------------------- measurable commitments


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """``text`` with every match of ``pattern`` replaced by spaces (offsets unchanged)."""
    return pattern.sub(lambda m: " " * len(m[0]), text)


def is_quantified(text: str) -> bool:
    """A number, percentage or amount that is not a date, a list number or a label."""
    for pattern in (_LIST_NUMBER, _DATED, _NOT_A_QUANTITY, _SPAN):
        text = _blank(text, pattern)
    return any(
        not _LABEL_BEFORE.search(text[max(0, m.start() - 20) : m.start()])
        for m in _QUANTITY.finditer(text)
    )


# A table whose columns are commitments: its rows are commitments with no "we will" in them.
_COMMITMENT_COLUMN = re.compile(
    r"\b(?:commitments?|targets?|actions?|deliverables?|milestones?|what\s+we\s+will"
    r"|outcomes?|goals?|objectives?|ambitions?|pledges?|promises?)\b",
    re.I,
)
_OWNER_COLUMN = re.compile(
    r"\b(?:owners?|leads?|led\s+by|responsible|accountable|who|sponsors?|senior\s+responsible)\b",
    re.I,
)


def _with_table_rows(sents: Sequence[Sentence], found: list[Hit]) -> list[Hit]:
    """The hits, with each row of a table that has a commitment column read as a commitment
    of its own, in place of any sentence found by its words that starts in that table."""
    rows = [r for r in table_rows(sents) if r.row.has_column(_COMMITMENT_COLUMN)]
    kept = [h for h in found if not any(within(h.sentence, r) for r in rows)]
    return kept + [Hit(r.sentence, 0, len(r.sentence.flat)) for r in rows]


def _commitment_row(hit: Hit, at: int | None, elsewhere: set[int]) -> tuple[Hit, bool, bool, bool]:
    """(hit, dated, quantified, owner): a table row is read whole, its owner also by column."""
    row = row_of(hit.sentence)
    text = CELL_SEPARATOR.join(row.cells) if row is not None else hit.sentence.flat
    dated, quantified = bool(_DATED.search(text)), is_quantified(text)
    owner = bool(_OWNER.search(text)) or at in elsewhere
    if row is not None and row.filled(_OWNER_COLUMN):
        owner = True
    return hit, dated, quantified, owner


def measurable_commitments(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    rows = []  # (hit, dated, quantified, owner)
    every = list(sents)
    position = {(s.page.page, s.start): i for i, s in enumerate(every)}
    elsewhere = _owned_elsewhere(every)
    for hit in _with_table_rows(every, _first_hits(_prose(sents), _COMMITMENT)):
        at = position.get((hit.sentence.page.page, hit.sentence.start))
        rows.append(_commitment_row(hit, at, elsewhere))
    full = [(hit, owner) for hit, dated, quantified, owner in rows if dated and quantified]
    count, with_owner = len(full), sum(owner for _, owner in full)
    if not rows:
        summary = "No commitments found (no “we will”, “by <date>” or target sentences)."
    elif not count:
        summary = (
            f"{_plural(len(rows), 'commitment')} found, but none is both dated and measurable."
        )
    else:
        summary = (
            f"{count:,} of {_plural(len(rows), 'commitment')} are dated and measurable; "
            f"{with_owner:,} of those {'names' if with_owner == 1 else 'name'} an owner."
        )
    ranked = [hit for hit, owner in sorted(full, key=lambda r: not r[1])]
    ranked += [hit for hit, dated, quantified, _ in rows if not (dated and quantified)]
    return Indicator(
        id="measurable_commitments",
        title="Measurable commitments",
        value={
            "count": count,
            "dated": sum(dated for _, dated, _, _ in rows),
            "quantified": sum(quantified for _, _, quantified, _ in rows),
            "with_owner": with_owner,
        },
        summary=summary,
        evidence=_evidence(doc, ranked),
    )
