"""Local specifics against generic framework phrasing (cookie-cutter), and whether digital is
part of everyday business (mainstream).

A strategy written for one place names that place: its towns, services, systems, partners and
numbers. A cookie-cutter one could be any organisation's: "leverage", "synergy", "a
transformational journey". Both are counted; the share of specifics is the signal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.records import Document, Indicator

from .readability import ease_of
from .sentences import (
    Hit,
    Sentence,
    _all_hits,
    _evidence,
    _first_hits,
    _mixed,
    _plural,
    _prose,
    _terms,
)

# Generic framework phrasing: words that fit every strategy and say nothing about this one.
_BUZZ = _terms(
    r"leverag(?:e|es|ed|ing)",
    r"synerg(?:y|ies|istic)",
    r"transformational\s+journey",
    r"(?:digital\s+)?transformation\s+(?:is\s+a\s+)?journey",
    r"journey,?\s+not\s+a\s+destination",
    r"digital[-\s]first\s+culture",
    r"best[-\s]in[-\s]class",
    r"world[-\s](?:class|leading)",
    r"holistic(?:ally)?",
    r"paradigm(?:\s+shift)?",
    r"cutting[-\s]edge",
    r"next[-\s]generation",
    r"future[-\s](?:ready|proof(?:ed)?)",
    r"game[-\s]chang(?:er|ing)",
    r"step[-\s]change",
    r"disruptive(?:\s+innovation)?",
    r"empower(?:s|ed|ing|ment)?",
    r"unlock(?:s|ing)?\s+(?:value|potential)",
    r"seamless(?:ly)?",
    r"agility",
    r"ecosystems?",
    r"enablement",
    r"innovative\s+solutions?",
    r"solutions?[-\s]driven",
    r"digitally[-\s]enabled",
    r"thought\s+leadership",
    r"value[-\s]add(?:ed)?",
    r"stakeholder\s+engagement\s+framework",
    r"omni-?channel",
    r"end-to-end\s+(?:digital\s+)?transformation",
    r"going\s+forward",
    r"fast[-\s](?:moving|changing|paced)\s+world",
    r"(?:TBC|TBD)",
    r"to\s+be\s+(?:confirmed|added|completed)",
    r"at\s+the\s+heart\s+of\s+(?:everything|all)(?:\s+(?:that\s+)?we\s+do)?",
    r"leading\s+organi[sz]ations",
    r"[\w-]+-first\s+organi[sz]ation",
    # benefits any organisation could claim for any plan
    r"digitally\s+mature(?:\s+organi[sz]ation)?",
    r"digital\s+maturity",
    r"(?:improve|improved|improving|increase|increased)\s+efficiency",
    r"efficiency\s+savings",
    r"enhanc(?:e|ed|ing)\s+(?:the\s+)?(?:user|customer|citizen|patient)\s+experience",
    r"driv(?:e|es|ing)\s+(?:efficienc(?:y|ies)|innovation|value|transformation)",
    r"transform(?:s|ing)?\s+the\s+way\s+we\s+work",
    r"fit\s+for\s+the\s+future",
)
# A capitalised run mid-sentence: a place, a named service, system or partner.
_PROPER = re.compile(
    r"(?<=[a-z,;:()] )(?:[A-Z][\w&'’-]*|\d{2,})(?:\s+(?:of|and|for|the|&)?\s*[A-Z][\w&'’-]*)*"
)
# Capitalised words that name no particular place, service or system.
_GENERIC = {
    "I", "We", "Our", "The", "This", "It", "A", "An", "And", "Of", "In", "For", "To", "By",
    "Chief", "Executive", "Officer", "Director", "Directors", "Head", "Board", "Council", "Trust",
    "Digital", "Strategy", "Plan", "Team", "Teams", "Department", "Government", "Service",
    "Services", "Data", "Technology", "Information", "IT", "ICT", "AI", "Cabinet", "Committee",
    "Programme", "Vision", "Mission", "Priority", "Priorities", "Phase", "Page", "Section",
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December", "Q1", "Q2", "Q3", "Q4", "Corporate", "Annual", "Chair",
    "Leader", "Manager", "Managers", "Officers", "Group", "Office", "Staff", "Plans",
    "Permanent", "Secretary", "General", "Minister", "Ministers", "Deputy", "Senior",
    "Responsible", "Owner", "Operating", "Nurse", "Medical", "Clinical", "Directorate",
    "IM&T", "Security", "Protection", "Toolkit", "Standard", "Standards",
    "Framework", "Cloud", "Internet", "Things", "Artificial", "Intelligence", "Machine",
    "Learning",
    # products and methods sold to everyone: they name no place or service of this one
    "Windows", "Microsoft", "Copilot", "Azure", "AWS", "Amazon", "Google", "Oracle",
    "SAP", "Salesforce", "ServiceNow", "Wi-Fi", "WiFi", "ITIL", "PRINCE2", "Agile", "DevOps",
}  # fmt: skip
_NUMBER = re.compile(r"(?<![\w.])(?:[£$€]\s*)?\d[\d,.]*\s*(?:%|k\b|m\b|million\b|bn\b)?")
_YEARISH = re.compile(r"^(?:19|20)\d{2}$")


def _specifics(sents: Sequence[Sentence]) -> tuple[list[Hit], int]:
    """Hits for each distinct named thing, and the count of numbers that are not years."""
    names: list[Hit] = []
    seen: set[str] = set()
    numbers = 0
    for s in sents:
        for m in _PROPER.finditer(s.flat):
            words = [w for w in re.split(r"\s+", m[0]) if w[:1].isupper() or w[:1].isdigit()]
            key = " ".join(words).lower()
            named = [w for w in words if w not in _GENERIC and not w.isdigit()]
            if named and key not in seen:
                seen.add(key)
                names.append(Hit(s, m.start(), m.end()))
        numbers += sum(
            1 for m in _NUMBER.finditer(s.flat) if not _YEARISH.match(m[0].strip().rstrip(".,"))
        )
    return names, numbers


def local_specifics(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    prose = _prose(sents)
    names, numbers = _specifics(prose)
    buzz = _all_hits(sents, _BUZZ)
    specifics = len(names) + numbers
    words = sum(len(s.flat.split()) for s in sents)
    per_1000 = round(1000 * len(buzz) / words, 1) if words else None
    share = round(specifics / (specifics + 3 * len(buzz)), 2) if specifics or buzz else None
    if share is None:
        summary = "No local specifics and no generic framework phrasing found."
    else:
        summary = (
            f"{_plural(len(names), 'named place, service, system or partner')} and "
            f"{_plural(numbers, 'number')} against {_plural(len(buzz), 'generic phrase')} "
            f"({per_1000} per 1,000 words); specifics share {share:.0%}."
        )
    return Indicator(
        id="local_specifics",
        title="Local specifics against generic phrasing",
        value={
            "named": len(names),
            "numbers": numbers,
            "buzzwords": len(buzz),
            "buzzwords_per_1000": per_1000,
            "specific_share": share,
        },
        summary=summary,
        evidence=_evidence(doc, _mixed(buzz, names)),
    )


# ---------------------------------------------------------------- mainstream

_BAU = _terms(
    r"business[-\s]as[-\s]usual",
    r"(?-i:BAU)",
    r"mainstream(?:ed|ing)?\s+(?:digital|into|in|across)",
    r"digital\s+is\s+(?:not\s+a\s+(?:separate\s+)?(?:project|programme|thing|add-on)|part\s+of"
    r"|how\s+we|everyone['’]s)",
    r"(?:every|each|all)\s+(?:[\w-]+\s+){0,2}?(?:directors?(?:\s+general)?|services?|teams?"
    r"|directorates?|departments?|managers?|divisions?)\s+(?:\w+\s+){0,4}?"
    r"(?:accountable|responsible|owns?|includes?|leads?|named)\b",
    r"belongs?\s+to\s+(?:the\s+)?(?:whole|every|all|our\s+(?:services|divisions|teams)"
    r"|the\s+(?:clinical\s+)?(?:divisions|services|directorates))",
    r"(?:service|business|operational|directorate|team|departmental)\s+plans?",
    r"(?:funded|paid\s+for|budgeted)\s+(?:\w+\s+){0,3}?(?:from|through|in|within)\s+(?:our\s+|the\s+)?"
    r"(?:core|baseline|base|revenue|mainstream|service|annual|existing)\s+budgets?",
    r"(?:service|operational|clinical|frontline)\s+(?:directors?|managers?|leads?|teams?|staff)"
    r"\s+(?:\w+\s+){0,6}?(?:own|owns|lead|led|helped\s+write|wrote|co-wrote|accountable"
    r"|responsible)",
    r"embedded\s+in\s+(?:every|all|our|each)",
    r"not\s+(?:only\s+|just\s+)?(?:for\s+)?(?:the\s+)?(?:(?-i:IT|ICT)|digital|technology)"
    r"\s+(?:team|department|function)",
    r"alongside\s+(?:our\s+|its\s+|the\s+)?(?:[\w-]+\s+)?(?:finances|financial|performance"
    r"|budgets?|(?:business|operating|operational|corporate|annual|service)\s+plans?)",
    # clinical and operational executives who own digital work
    r"(?:chief\s+(?:operating|nursing|medical)\s+officer|chief\s+nurse|medical\s+director"
    r"|director\s+of\s+(?:operations|nursing|adult\s+services|children['’]s\s+services))"
    r"\s+(?:\w+\s+){0,2}?(?:owns?|leads?|is\s+(?:accountable|responsible))\b",
    r"part\s+of\s+(?:everyday|day-to-day|everyone['’]s|how\s+we)",
)
_PLAIN_RANGE = (20.0, 60.0)  # Flesch ease: at or below the first scores 0, at or above 1
_EVERYDAY_FULL = 2  # everyday-business statements for full marks
_JARGON_FULL = 10.0  # buzzwords per 1,000 words that score 0


def _clamp(x: float) -> float:
    return max(0.0, min(1.0, x))


def mainstream_score(everyday: int, ease: float, buzz_per_1000: float) -> float:
    """everyday x (0.5 + 0.5 x language), where

    - everyday = statements placing digital in everyday business (in service plans, owned by
      service directors, funded in core budgets, "not a project for the IT team"), 2 = full;
    - language = 0.6 x plain language (Flesch ease 20 -> 0, 60 -> 1)
      + 0.4 x absence of jargon (10 or more buzzwords per 1,000 words -> 0).

    Plain language only scales the evidence that digital is everyday business; it cannot stand
    in for it, so a readable document that never says so scores 0."""
    lo, hi = _PLAIN_RANGE
    plain = _clamp((ease - lo) / (hi - lo))
    language = 0.6 * plain + 0.4 * _clamp(1 - buzz_per_1000 / _JARGON_FULL)
    return round(_clamp(everyday / _EVERYDAY_FULL) * (0.5 + 0.5 * language), 2)


def mainstream(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    """Is digital part of everyday business, in words everyone can read? See
    ``mainstream_score``."""
    ease = ease_of(sents)
    bau = _first_hits(_prose(sents), _BAU)
    buzz = _all_hits(sents, _BUZZ)
    words = sum(len(s.flat.split()) for s in sents)
    if ease is None or not words:
        score = None
        summary = "No readable text found."
    else:
        score = mainstream_score(len(bau), ease, 1000 * len(buzz) / words)
        summary = (
            f"{_plural(len(bau), 'statement')} placing digital in everyday business; "
            f"Flesch reading ease {ease}; {_plural(len(buzz), 'buzzword')}; score {score:.2f}."
        )
    return Indicator(
        id="mainstream",
        title="Digital as everyday business",
        value={
            "score": score,
            "everyday_statements": len(bau),
            "flesch_reading_ease": ease,
            "buzzwords": len(buzz),
        },
        summary=summary,
        evidence=_evidence(doc, bau),
    )
