"""Sentence counts: explicit de-prioritisation and work already delivered."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.records import Document, Indicator

from .sentences import _APOS, Sentence, _evidence, _plural, _statements

# Explicit de-prioritisation: a choice about work or scope, never a value or an assurance.
# "We will not build our own EPR" is a choice; "we will not leave anyone behind" is not, so a
# negated "will" only counts before a verb of doing work (build, buy, invest, pursue ...).
_WORK_VERB = (
    r"(?:build|buy|procure|purchase|invest|develop|pursue|replace|renew|introduce|implement"
    r"|extend|fund|adopt|roll\s+out|create|launch|expand|migrate|support|maintain|host|run"
    r"|continue|start|begin|prioriti[sz]e|deploy|commission|design|pilot|trial|upgrade|move"
    r"|chase|spend|take\s+on|undertake|offer|provide|print|cover|bid|tender|rebuild|pay"
    r"|bring\s+in|roll\s+out|look\s+at|explore|add|open"
    r"|do(?=\s*[:.]?\s*$))"
)
_WORK_DONE = (
    r"(?:built|bought|procured|purchased|funded|pursued|replaced|renewed|introduced|implemented"
    r"|extended|adopted|rolled\s+out|developed|launched|expanded|migrated|supported|deployed"
    r"|commissioned|piloted|upgraded|prioriti[sz]ed|covered|started|undertaken|provided)"
)
_ACTOR = (
    r"(?:we|this\s+(?:strategy|plan|roadmap|programme)"
    r"|(?:the|our)\s+(?:trust|council|department|organi[sz]ation|ministry|agency|board"
    r"|authority|government))"
)
_ASIDE = r"(?:\s*,[^,]{1,60},)?"  # "we will not, whatever the pressure, buy"
_ADVERB = r"(?:\s+(?:yet|currently|now|initially|immediately|automatically|directly|ourselves"
_ADVERB += r"|also|any\s+longer|at\s+this\s+stage|this\s+year))*"
_NEGATED = (
    rf"(?:(?:will|shall)\s+not|(?:won|shan){_APOS}t|will\s+no\s+longer"
    rf"|(?:are|is)\s+not\s+going\s+to|(?:do|does)\s+not\s+(?:plan|intend)\s+to"
    rf"|(?:have|has|{_APOS}ve)\s+(?:decided|chosen|agreed)\s+not\s+to|(?:decided|chose)\s+not\s+to)"
)
_HALT = (
    r"(?:stop(?:ped|ping)?|paus(?:e|ed|ing)|postpon(?:e|ed|ing)|defer(?:red|ring)?"
    r"|drop(?:ped|ping)?|shelv(?:e|ed|ing)|de-?scop(?:e|ed|ing)|cancel(?:led|ling|ed|ing)?"
    r"|halt(?:ed|ing)?|put\s+(?:[\w-]+\s+){0,4}?on\s+hold)"
)
# "stop people falling", "stop them reoffending": preventing harm, not stopping work
_NOT_WORK = r"(?!\s+(?:them|people|patients|residents|users|anyone|children|staff|him|her|us"
_NOT_WORK += r"|fraud|crime|harm|abuse|it\s+from|\w+\s+from)\b)"
_SHELVED = (
    r"(?:paused|postponed|deferred|dropped|stopped|shelved|de-?scoped|deprioriti[sz]ed"
    r"|cancell?ed|(?:put\s+)?on\s+hold)"
)
_DEPRIORITISE = re.compile(
    rf"\b{_ACTOR}\s*{_NEGATED}{_ASIDE}{_ADVERB}\s+{_WORK_VERB}\b"
    rf"|\b(?:will|shall)\s+not\s+be\s+(?:\w+ly\s+)?{_WORK_DONE}\b"
    rf"|\b{_ACTOR}\s*(?:(?:are|have|{_APOS}ve|will|{_APOS}ll|shall|plan\s+to|intend\s+to"
    rf"|(?:have\s+)?(?:decided|agreed|chosen)\s+to)\s+)?(?:now\s+|also\s+)?{_HALT}\b{_NOT_WORK}"
    rf"|\b(?:is|are|has\s+been|have\s+been|will\s+be|was|were|remains?)\s+"
    rf"(?:now\s+|currently\s+|temporarily\s+)?{_SHELVED}\b"
    r"|\b(?:is|are|remains?|will\s+be|falls?)\s+(?:out(?:side)?\s+(?:of\s+)?(?:the\s+)?scope"
    r"|not\s+(?:in|within)\s+(?:the\s+)?scope)\b"
    r"|\bnot\s+(?:a|be\s+a|our|one\s+of\s+our)\s+(?:current\s+|immediate\s+)?priorit(?:y|ies)\b"
    r"|\bde-?prioriti[sz](?:e|ed|es|ing|ation)\b"
    # deferral: "AI trials will wait until the new system is live"
    r"|\b(?:will|must|can|should)\s+(?:have\s+to\s+)?wait\s+(?:until|till|for|while)\b"
    # deferral: "we will consider AI later", "we will return to the app once ..."
    r"|\bwe\s+will\s+(?:only\s+)?(?:consider|look\s+at|revisit|return\s+to|turn\s+to|explore"
    r"|start\s+on)\b[^.;]{0,60}?\b(?:later|once|until|after\s+(?:that|these|the\s+basics))\b",
    re.I,
)

# Already delivered: a past-tense verb of delivery with "we" or a named subject, in any words.
_DONE = (
    r"(?:delivered|launched|rolled\s+out|introduced|completed|replaced|implemented|deployed"
    r"|migrated|upgraded|digiti[sz]ed|achieved|built|moved|opened|retired|decommissioned"
    r"|consolidated|automated|connected|switched|trained|equipped|installed|adopted)"
)
_DELIVERED = re.compile(
    rf"\b(?:we|the\s+(?:trust|council|department|organi[sz]ation|team))\s*"
    rf"(?:(?:have|has|{_APOS}ve)\s+)?(?:(?:already|now|successfully|recently|also|since)\s+)*"
    rf"{_DONE}\b"
    r"|\b(?:went|gone|has\s+gone|have\s+gone)\s+live\b|\b(?:is|are)\s+now\s+live\b"
    rf"|(?<!will\s)\b(?:has|have|was|were)\s+(?:already\s+|now\s+|successfully\s+)?(?:been\s+)?{_DONE}\b"
    r"(?!\s+(?:by|in|before)\s+20\d{2})",
    re.I,
)

# ---------------------------------------------------------------- sentence counts


def _sentence_count(
    doc: Document,
    sents: Sequence[Sentence],
    pattern: re.Pattern[str],
    ids: tuple[str, str],
    found: str,
    none: str,
) -> Indicator:
    hits = _statements(sents, pattern)
    summary = found.format(n=_plural(len(hits), "statement")) if hits else none
    return Indicator(
        id=ids[0],
        title=ids[1],
        value={"count": len(hits)},
        summary=summary,
        evidence=_evidence(doc, hits),
    )


def deprioritisation(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    return _sentence_count(
        doc,
        sents,
        _DEPRIORITISE,
        ("deprioritisation", "Explicit de-prioritisation"),
        "{n} saying what the organisation will not do, will stop or will pause.",
        "No explicit de-prioritisation found.",
    )


def delivered(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    return _sentence_count(
        doc,
        sents,
        _DELIVERED,
        ("delivered", "Already delivered"),
        "{n} of what has already been delivered.",
        "No statements of what has already been delivered found.",
    )
