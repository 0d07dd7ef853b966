"""User research: methods and the number of people involved."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pipeline.records import Document, Indicator

from .sentences import Hit, Sentence, _evidence, _plural, _prose, _terms

# User research: canonical method name -> pattern, in reporting order
RESEARCH_METHODS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("user research", _terms(
        r"user\s+research",
        r"(?:design|service|qualitative)\s+research",
        r"research\s+with\s+(?:\w+\s+){0,2}?(?:patients|users|residents|staff|people|clinicians"
        r"|carers)",
    )),
    ("interviews", _terms(r"interview(?:s|ed|ing)?")),
    ("surveys", _terms(r"survey(?:s|ed|ing)?")),
    ("focus groups", _terms(r"focus\s+groups?")),
    ("usability testing", _terms(
        r"usability\s+(?:test(?:s|ed|ing)?|sessions?|studies)",
        r"user\s+testing",
        r"test(?:s|ed|ing)?\s+(?:(?:it|them|this|these|prototypes?|designs?|services?|early)\s+)?"
        r"with\s+(?:\w+\s+){0,2}?(?:users|patients|residents|staff|people|carers|clinicians)",
    )),
    ("co-design", _terms(r"co-?design(?:s|ed|ing)?", r"co-?produc(?:e|ed|tion|ing)")),
    ("workshops", _terms(r"workshops?")),
    ("observation", _terms(
        r"observ(?:ed|ing|ations?)\s+(?:\w+\s+){0,2}?(?:staff|patients|users|residents|clinicians"
        r"|colleagues|people|nurses|doctors|teams|carers|work|wards|clinics|practice|how)",
        r"shadow(?:ed|ing)",
        r"ethnograph\w*",
    )),
    ("conversations", _terms(r"(?:spoke|talked|listened)\s+to", r"heard\s+from")),
)  # fmt: skip
# What people said, reported as a finding ("Patients told us they could not ..."): research
# described by its result rather than its method, so it counts but names no method.
_TOLD = _terms(
    r"(?:patients|users|residents|staff|people|carers|clinicians|nurses|doctors|colleagues"
    r"|tenants|families|parents|applicants|customers|businesses|crews|handlers|officers"
    r"|teachers|pupils|students|employees|managers|they)\s+(?:\w+\s+)?"
    r"(?:told|showed|tell)\s+us",
)
_PEOPLE = re.compile(
    r"(?<![\w.,£$/])(?P<n>\d{1,3}(?:,\d{3})+|\d+)\s+"
    r"(?:(?!(?:with|and|or|from|to|in|for|across|at|by|of)\b)[A-Za-z][\w'-]*\s+){0,2}?"
    r"(?P<who>service\s+users|young\s+people|members\s+of\s+(?:staff|the\s+public)|people"
    r"|patients|residents|staff|users|carers|clinicians|colleagues|citizens|respondents"
    r"|participants|responses|nurses|doctors|GPs|families|parents|children|employees|tenants"
    r"|volunteers|students|customers)\b",
    re.I,
)


# ---------------------------------------------------------------- user research


def _people(hits: Iterable[Hit]) -> int:
    """Sum of the distinct (number, group) pairs, so a repeated "42 patients" counts once."""
    seen: set[tuple[int, str]] = set()
    for hit in hits:
        for m in _PEOPLE.finditer(hit.sentence.flat):
            if "," not in m["n"] and re.fullmatch(r"(?:19|20)\d{2}", m["n"]):
                continue  # "in 2024 patients told us" is a year, not a head count
            seen.add((int(m["n"].replace(",", "")), " ".join(m["who"].lower().split())))
    return sum(n for n, _ in seen)


def user_research(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    hits: list[Hit] = []
    methods: list[str] = []
    for s in _prose(sents):
        found = [(name, m) for name, pat in RESEARCH_METHODS if (m := pat.search(s.flat))]
        told = _TOLD.search(s.flat)
        if found or told:
            first = min([m for _, m in found] + ([told] if told else []), key=lambda m: m.start())
            hits.append(Hit(s, first.start(), first.end()))
            methods += [name for name, _ in found if name not in methods]
    methods = [name for name, _ in RESEARCH_METHODS if name in methods]
    people = _people(hits)
    if not hits:
        summary = "No user research described."
    else:
        with_people = f", involving {_plural(people, 'person', 'people')}" if people else ""
        summary = (
            f"{_plural(len(hits), 'sentence')} {'describes' if len(hits) == 1 else 'describe'} "
            "user research"
            + (f" ({', '.join(methods)})" if methods else " (what people told us)")
            + f"{with_people}."
        )
    with_numbers = sorted(hits, key=lambda h: not _PEOPLE.search(h.sentence.flat))
    return Indicator(
        id="user_research",
        title="User research",
        value={"count": len(hits), "people": people, "methods": methods},
        summary=summary,
        evidence=_evidence(doc, with_numbers),
    )
