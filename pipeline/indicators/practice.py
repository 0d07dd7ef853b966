"""How the strategy will be used and run: principles for teams, a mission, a baseline of
today's services, changes to the organisation, and what could go wrong.

Each is found from general grammar (a heading and the list under it, a "the main risks are"
sentence, "we run 212 applications"), never from one document's wording.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pipeline.records import Document, Indicator

from .sentences import (
    _NUM,
    _YEAR,
    Hit,
    Sentence,
    _evidence,
    _items_after,
    _plural,
    _prose,
    _terms,
    is_heading,
    is_list_item,
)
from .specificity import _BUZZ
from .tables import row_of, table_rows, within

MISSION_MAX_WORDS = 25  # a mission a team can repeat; longer is a paragraph, not a line

# A placeholder is not content: "[To be added]", "TBC", "This section will be completed".
_PLACEHOLDER = re.compile(
    r"\b(?:TBC|TBD|to\s+be\s+(?:added|confirmed|completed|agreed|decided|written|determined))\b"
    r"|\bwill\s+be\s+(?:completed|added|written)\s+later\b|\[[^\]]*\]|\blorem\s+ipsum\b",
    re.I,
)


def _real(sents: Sequence[Sentence]) -> list[Sentence]:
    return [s for s in sents if not _PLACEHOLDER.search(s.flat)]


def _under(sents: Sequence[Sentence], lead: re.Pattern[str]) -> tuple[list[Hit], set[int]]:
    """The list items under each sentence that matches ``lead`` (a heading, a colon lead-in or,
    as PDFs merge them, a heading run into its first sentence), up to two sentences later; under
    a bare heading with no list, the sentences up to the next heading. Also the indexes of the
    lead sentences that had items, which are not items themselves."""
    hits: list[Hit] = []
    seen: set[int] = set()
    leads: set[int] = set()
    for i, s in enumerate(sents):
        if not lead.search(s.flat):
            continue
        items = _list_near(sents, i)
        if not items and is_heading(s):
            items = _paragraph_after(sents, i)
        if items:
            leads.add(i)
        for j in items:
            if j not in seen and not _PLACEHOLDER.search(sents[j].flat):
                seen.add(j)
                hits.append(Hit(sents[j], 0, len(sents[j].flat)))
    return hits, leads


def _list_near(sents: Sequence[Sentence], i: int, skip: int = 2) -> list[int]:
    """The list straight after sentence ``i``, or after up to ``skip`` prose sentences."""
    j = i + 1
    while j < len(sents) and j - i <= skip and not is_list_item(sents[j]):
        if is_heading(sents[j]):
            return []
        j += 1
    return _items_after(sents, j - 1) if j < len(sents) and is_list_item(sents[j]) else []


def _paragraph_after(sents: Sequence[Sentence], i: int, limit: int = 8) -> list[int]:
    """Sentences after heading ``i`` on the same page, up to the next heading, with their lists."""
    out: list[int] = []
    j = i + 1
    while j < len(sents) and len(out) < limit and sents[j].page == sents[i].page:
        if is_heading(sents[j]) and not is_list_item(sents[j]):
            break
        out.append(j)
        j += 1
    return out


def _count_indicator(
    doc: Document, ind: tuple[str, str], hits: list[Hit], value: Mapping[str, object], summary: str
) -> Indicator:
    return Indicator(
        id=ind[0], title=ind[1], value=dict(value), summary=summary, evidence=_evidence(doc, hits)
    )


def _dedupe(hits: list[Hit]) -> list[Hit]:
    seen: set[tuple[int, int]] = set()
    out = []
    for h in hits:
        key = (h.sentence.page.page, h.sentence.start)
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out


# ---------------------------------------------------------------- design principles

_PRINCIPLES_LEAD = re.compile(
    r"\bprinciples?\b|\bhow\s+we\s+(?:will\s+)?work\b|\bways?\s+of\s+working\b"
    r"|\bwe\s+will\s+always\b|\bour\s+(?:rules|standards)\b",
    re.I,
)
_STANDARD = _terms(
    r"(?:service|design|delivery|technology|digital)\s+"
    r"(?:standards?|principles|code\s+of\s+practice|manual|playbook)",
    r"technology\s+code\s+of\s+practice",
    r"(?:these|our|the\s+following)\s+(?:\w+\s+)?principles",
)


def design_principles(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    """Named design or delivery principles a team can act on, and service standards."""
    real = _real(sents)
    items, leads = _under(real, _PRINCIPLES_LEAD)
    skip = {(h.sentence.page.page, h.sentence.start) for h in items}
    skip |= {(real[i].page.page, real[i].start) for i in leads}
    refs = [
        Hit(s, m.start(), m.end())
        for s in _prose(real)
        if (m := _STANDARD.search(s.flat)) and (s.page.page, s.start) not in skip
    ]
    hits = _dedupe(items + refs)
    summary = (
        f"{_plural(len(items), 'principle')} listed for teams and "
        f"{_plural(len(refs), 'reference')} to principles or service standards."
        if hits
        else "No design or delivery principles found."
    )
    value = {"count": len(hits), "listed": len(items), "standards": len(refs)}
    ids = ("design_principles", "Principles for teams")
    return _count_indicator(doc, ids, hits, value, summary)


# ---------------------------------------------------------------- mission

_MISSION_WORD = r"(?:mission|vision|purpose|ambition)"
_MISSION = re.compile(
    rf"\b(?:our|the|its)\s+(?:(?:[\w-]+\s+){{0,3}}?){_MISSION_WORD}(?:\s+statement)?"
    rf"(?:\s+(?:of|for)\s+(?:the\s+)?(?:[\w-]+\s+){{0,5}}?)?\s*(?:is\b|:|[-–—])\s*\S"
    rf"|^\s*{_MISSION_WORD}(?:\s+statement)?\s*:\s*\S",
    re.I,
)
# A heading that is the mission itself, not a section about one ("Our technology vision",
# "1. Purpose" of a policy).
_MISSION_HEADING = re.compile(
    r"^\s*(?:\d+\.?\s*)?(?:our\s+)?(?:mission|vision)(?:\s+statement)?\s*:?\s*$", re.I
)
_POINTS_BACK = re.compile(
    rf"^\s*(?:that|this)\s+is\s+(?:the|our)\s+(?:[\w-]+\s+)?{_MISSION_WORD}\b", re.I
)


def _words(hit: Hit) -> int:
    """Words of the statement: all of its sentence, or the part after a merged heading."""
    flat = hit.sentence.flat
    merged = hit.start > 0 and hit.end == len(flat)
    return len((flat[hit.start :] if merged else flat).split())


def _after_heading_line(s: Sentence) -> Hit | None:
    """The statement after a "Mission" or "Our vision" heading line merged into its sentence."""
    first, sep, _ = s.page.text[s.start : s.end].partition("\n")
    if not sep or not _MISSION_HEADING.match(first):
        return None
    start = len(first) + 1
    while start < len(s.flat) and s.flat[start] == " ":
        start += 1
    return Hit(s, start, len(s.flat)) if start < len(s.flat) else None


# Praise a vision can give itself without saying anything: "world-class", "innovative", "agile".
_SUPERLATIVE = _terms(
    r"innovative", r"agile", r"modern", r"smart", r"connected", r"truly", r"transformation(?:al)?",
    r"transformative", r"(?:data|insight|customer|citizen|digital|cloud)[-\s]"
    r"(?:driven|centric|first)",
    r"excellent", r"outstanding", r"exemplary", r"pioneering", r"forward[-\s]thinking", r"dynamic",
    r"leading", r"(?:truly\s+)?digital\s+(?:council|trust|organi[sz]ation|department)",
)  # fmt: skip
# Whom a mission is for, or what it changes for them.
_BENEFIT = _terms(
    r"residents?", r"patients?", r"people", r"persons?", r"staff", r"users?", r"citizens?",
    r"communit(?:y|ies)", r"business(?:es)?", r"every(?:body|one)", r"anyone", r"famil(?:y|ies)",
    r"child(?:ren)?", r"carers?", r"tenants?", r"pupils?", r"parents?", r"(?:the\s+)?public",
    r"customers?(?![\w-])", r"visitors?", r"colleagues?", r"clinicians?", r"nurses?",
    r"population", r"taxpayers?", r"learners?", r"students?", r"who", r"so\s+that", r"fewer",
    r"faster", r"safer", r"without",
)  # fmt: skip


def is_hollow(statement: str) -> bool:
    """A mission made of generic superlatives with no one it is for and nothing it changes."""
    praise = len(_SUPERLATIVE.findall(statement)) + len(_BUZZ.findall(statement))
    return praise > 0 and not _BENEFIT.search(statement)


def _statement(hit: Hit) -> str:
    flat = hit.sentence.flat
    return flat[hit.start :] if hit.start > 0 and hit.end == len(flat) else flat


def mission(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    """A one-line mission or vision: "Our mission: ...", or a short line under a Mission heading.

    score 2: one of at most MISSION_MAX_WORDS words that says whom it is for or what it changes;
    1: only longer ones, or only generic superlatives ("a world-class, cutting-edge council");
    0: none."""
    real = _real(sents)
    hits = [Hit(s, m.start(), m.end()) for s in real if (m := _MISSION.search(s.flat))]
    for i, s in enumerate(real):
        nxt = real[i + 1] if i + 1 < len(real) else None
        if _POINTS_BACK.match(s.flat) and i:
            hits.append(Hit(real[i - 1], 0, len(real[i - 1].flat)))
        elif _MISSION_HEADING.match(s.flat) and nxt and not is_heading(nxt) and nxt.page == s.page:
            hits.append(Hit(nxt, 0, len(nxt.flat)))
        elif rest := _after_heading_line(s):
            hits.append(rest)
    hits = sorted(_dedupe(hits), key=_words)
    hollow = [h for h in hits if is_hollow(_statement(h))]
    meant = [h for h in hits if h not in hollow]
    hits = meant + hollow  # a statement that says something is cited first
    shortest = _words(meant[0]) if meant else _words(hits[0]) if hits else None
    score = 0 if shortest is None else 2 if meant and shortest <= MISSION_MAX_WORDS else 1
    if not hits:
        summary = "No mission or vision statement found."
    elif not meant:
        summary = (
            f"{_plural(len(hits), 'mission or vision statement')} found, made of generic "
            "superlatives that say neither whom it is for nor what changes."
        )
    else:
        summary = (
            f"{_plural(len(hits), 'mission or vision statement')} found; the shortest has "
            f"{_plural(shortest or 0, 'word')}"
            + (" (a line a team can repeat)." if score == 2 else " (more than one line).")
        )
    value = {
        "statements": len(hits),
        "shortest_words": shortest,
        "generic": len(hollow),
        "score": score,
    }
    return _count_indicator(doc, ("mission", "Mission or vision"), hits, value, summary)


# ---------------------------------------------------------------- services baseline

_NUMBER = r"(?:\d[\d,.]*\s*(?:%|per\s*cent|percent|k|m|million|thousand)?)"
_ESTATE = (
    r"(?:applications?|systems?|services|sites|servers|devices|laptops|computers|desktops"
    r"|websites?|transactions|contracts|suppliers|data\s*cent(?:re|er)s|apps|users|accounts"
    r"|calls|forms|licences|databases|platforms|networks?)"
)
_DURATION = (
    rf"(?:\d[\d,.]*|{_NUM})\s+(?:working\s+)?(?:seconds|minutes|hours|days|weeks|months|years)\b"
)
_ABOUT = (
    r"(?:on\s+average|an\s+average\s+of|on\s+average\s+of|about|around|over|more\s+than"
    r"|up\s+to|nearly|almost|roughly|typically|at\s+least|between)"
)
_ESTATE_ONE = (
    r"(?:system|application|platform|record|network|website|server|database|telephony"
    r"|software|contract|estate|data\s*cent(?:re|er)|portal)"
)
_BASELINE = re.compile(
    rf"\b(?:we|the\s+(?:trust|council|department|organi[sz]ation))\s+(?:currently\s+|still\s+)?"
    rf"(?:run|operate|support|manage|maintain|have|host|use|handle|process|own)s?\s+"
    rf"(?:(?:over|more\s+than|around|about|nearly|almost|some)\s+)?{_NUMBER}\s+"
    rf"(?:[\w-]+\s+){{0,3}}?{_ESTATE}\b"
    rf"|\b(?:today|currently|at\s+present|at\s+the\s+moment|last\s+year|in\s+{_YEAR}(?:/\d{{2}})?)"
    rf"\b[^.]{{0,80}}?\d[\d,.]*\s*(?:%|per\s*cent)"
    r"|\b(?:uptime|availability|available)\b[^.]{0,40}?\d[\d.]*\s*%"
    r"|\b\d[\d.]*\s*%\s+(?:of\s+)?(?:[\w-]+\s+){0,6}?(?:are|is|were|was)\s+"
    r"(?:now\s+)?(?:made|completed|done|submitted|paid|booked|made)\s+online"
    r"|\b(?:satisfaction|satisfied|completion\s+rate|take-?up)\b[^.]{0,60}?\d[\d.]*\s*%"
    rf"|\b(?:handled|processed|received|took|answered|used\s+(?:in|by)|cared\s+for|completed"
    rf"|made|booked)\s+(?:over\s+|more\s+than\s+|around\s+|about\s+|nearly\s+)?"
    rf"\d[\d,.]*\s*(?:k|m|million|thousand)?\s+(?:[\w-]+\s+){{0,2}}?"
    r"(?:transactions|calls|applications|requests|visits|contacts|reports|enquiries"
    r"|appointments|people|patients|users|residents|households|bookings|times)"
    r"|\b(?:our|the)\s+(?:current|existing)\s+(?:systems|services|estate|applications)\s+"
    r"(?:are|is|have|run|cost)\b"
    # an average or share stated as it stands: "the average time to answer was 14 seconds",
    # "about 30% of handovers still happen on paper"
    rf"|\baverage\b[^.]{{0,60}}?\b(?:is|was|were|are)\s+(?:about\s+|around\s+|over\s+)?"
    rf"{_DURATION}"
    r"|\b\d[\d.]*\s*(?:%|per\s*cent)\s+of\s+[^.]{0,60}?\b(?:still|currently|today)\b"
    # how long things take today: "waits on average 19 weeks", "it took 11 weeks"; time spent
    # only as a rate ("spend 40 minutes of every shift"), since "we spent 30 hours observing
    # wards" is the strategy's own research, not how a service performs
    rf"|\b(?:waits?|waited|waiting|takes|took|lasted)\s+(?:{_ABOUT}\s+)*{_DURATION}"
    rf"|\b(?:spends?|spent|lose|loses|lost)\s+(?:{_ABOUT}\s+)*{_DURATION}\s+"
    r"(?:a|an|per|each|every|of\s+(?:every|each|a|their|the)|in\s+(?:every|each|a|an))\s+"
    r"(?:[\w-]+\s+)?(?:shift|day|week|month|year|visit|call|patient|appointment|case"
    r"|application|clinic|ward\s+round|working\s+day)\b"
    # volumes received or handled, with "of them": "we received 5,800 of them"
    r"|\b(?:received|handled|processed|answered|took|made|booked|had)\s+"
    r"(?:over\s+|more\s+than\s+|around\s+|about\s+|nearly\s+)?\d[\d,.]*\s*"
    r"(?:k|m|million|thousand)?\s+of\s+(?:them|these|those)\b"
    # people using a service now: "28,000 people now use", "9,500 households use it"
    r"|\b\d[\d,.]*\s*(?:k|m|million|thousand)?\s+(?:[\w-]+\s+){0,2}?(?:people|users"
    r"|residents|households|patients|staff|businesses|customers|tenants)\s+(?:now\s+|already\s+"
    r"|currently\s+)?(?:use|used|rely\s+on|visit|call|contact)\b"
    # the age of what is run: "our grants system is 19 years old"
    rf"|\b{_ESTATE_ONE}\s+(?:is|are|was)\s+(?:now\s+|more\s+than\s+|over\s+|nearly\s+)?"
    r"\d{1,2}\s+years?\s+old\b",
    re.I,
)
_TARGET = re.compile(rf"\b(?:will|shall|target|aim|by\s+(?:\w+\s+)?{_YEAR})\b", re.I)


def services_baseline(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    """Facts about today's services and systems and how they perform, not targets."""
    hits = [
        Hit(s, m.start(), m.end())
        for s in _real(_prose(sents))
        if (m := _BASELINE.search(s.flat)) and not _TARGET.search(s.flat)
    ]
    summary = (
        f"{_plural(len(hits), 'statement')} of today's services, systems or their performance."
        if hits
        else "No baseline of current services or systems found."
    )
    return _count_indicator(
        doc, ("services_baseline", "Baseline of current services"), hits,
        {"count": len(hits)}, summary,
    )  # fmt: skip


# ---------------------------------------------------------------- organisational change

_CHANGE_VERB = (
    r"(?:new|establish(?:ed|ing)?|set\s+up|setting\s+up|creat(?:e|ed|ing)|appoint(?:ed|ing)?"
    r"|recruit(?:ed|ing)?|hire|hiring|form(?:ed|ing)?|introduc(?:e|ed|ing)|mov(?:e|ed|ing)"
    r"|transfer(?:red|ring)?|restructur(?:e|ed|ing)|chang(?:e|ed|ing)|replac(?:e|ed|ing)"
    r"|merg(?:e|ed|ing)|shift(?:ed|ing)?|redesign(?:ed|ing)?|will\s+(?:now\s+)?(?:meet|oversee))"
)
_GOVERNANCE = re.compile(
    rf"\b{_CHANGE_VERB}\b[^.]{{0,60}}?\b(?:board|committee|group|forum|design\s+authority"
    r"|governance|operating\s+model|roles?|posts?|teams?|function|directorate|portfolio\s+office"
    r"|(?:product|service)\s+(?:owners?|managers?))\b"
    r"|\boperating\s+model\b|\bgovernance\s+(?:will|is\s+changing|changes)\b"
    r"|\b(?:board|committee|group|authority|forum)\b[^.]{0,40}?\b(?:chaired\s+by"
    r"|will\s+(?:meet|oversee|own|govern|decide))\b"
    r"|\bchairs?\s+(?:the|a|our|its)\s+(?:new\s+)?(?:[\w&-]+\s+){0,3}?(?:board|committee|group"
    r"|forum|authority)\b",
    re.I,
)
_FUNDING = re.compile(
    rf"\b{_CHANGE_VERB}\b[^.]{{0,60}}?\b(?:money|budgets?|funding|fund|investment)\b"
    r"|(?:[£$€]\s*\d[\d,.]*\s*(?:k|m|bn|million|billion)?|\d[\d,.]*\s*(?:million|billion))"
    r"[^.]{0,60}?\b(?:fund(?:s|ed|ing)?|budgets?|investment|reserves?|grants?|capital"
    r"|pays?\s+for|to\s+(?:fund|pay|invest))\b"
    # a costed plan and where its money comes from
    r"|\b(?:costs?|cost\s+of|budget\s+of|investment\s+of)\s+(?:about\s+|around\s+|up\s+to\s+)?"
    r"[£$€]\s*\d"
    r"|[£$€]\s*\d[^.]{0,80}?\b(?:funded|paid\s+for|financed)\s+(?:\w+\s+){0,2}?"
    r"(?:from|by|through|with|out\s+of)\b"
    r"|\b(?:fund(?:ed|ing)?|budget)\b[^.]{0,40}?\b(?:from|through|in)\s+(?:the\s+)?"
    r"(?:core|base(?:line)?|revenue|service|mainstream|annual)\s+budgets?\b"
    r"|\b(?:funding|budgets?|money|capital)\s+will\s+(?:now\s+)?(?:be\s+)?(?:held|pooled|moved"
    r"|transferred|ring-?fenced)\b"
    r"|\bwe\s+(?:will|are)\s+(?:now\s+)?(?:fund(?:ing)?|invest(?:ing)?|moving\s+money)\b"
    r"|\bfrom\s+projects\s+to\s+(?:teams|products|services)\b|\brather\s+than\s+projects\b",
    re.I,
)
_SKILLS = re.compile(
    r"\b(?:train|upskill|reskill|coach|mentor)(?:s|ed|ing)?\s+(?:\d+\s+|all\s+|our\s+|every\s+"
    r"|more\s+)?(?:[\w-]+\s+){0,2}?(?:staff|managers|people|colleagues|leaders|teams|clinicians"
    r"|nurses|officers|members|employees|apprentices|councillors|directors)\b"
    r"|\bapprentic(?:e|es|eships?)\b|\bacadem(?:y|ies)\b"
    r"|\b(?:skills|capability|training|learning(?:\s+and\s+development)?)\s+"
    r"(?:programmes?|framework|plan|strategy|offer|pathways?)\b"
    r"|\b(?:hire|hiring|recruit(?:ing)?)\s+(?:\w+\s+){0,3}?(?:researchers|designers|engineers"
    r"|developers|analysts|specialists|product\s+managers)\b",
    re.I,
)
_FUTURE_OR_DONE = re.compile(
    r"\b(?:will|shall|we\s+are|we\s+have|from\s+\w+\s+20\d{2}|now|plan\s+to|going\s+to)\b"
    r"|\b\w+ed\b"
    # a standing arrangement the plan rests on: a new body, a chair, money set aside
    r"|(?<!\bno\s)\bnew\b|\bchairs\s+(?:the|a|our|its)\b|[£$€]\s*\d",
    re.I,
)


def org_change(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    """Changes to governance, funding or skills that the strategy makes or has made."""
    areas = {"governance": _GOVERNANCE, "funding": _FUNDING, "skills": _SKILLS}
    found: dict[str, list[Hit]] = {name: [] for name in areas}
    for s in _real(_prose(sents)):
        if not _FUTURE_OR_DONE.search(s.flat):
            continue
        for name, pattern in areas.items():
            if m := pattern.search(s.flat):
                found[name].append(Hit(s, m.start(), m.end()))
    hits = _dedupe([h for name in areas for h in found[name][:2]] + sum(found.values(), []))
    covered = [name for name in areas if found[name]]
    summary = (
        f"{_plural(len(hits), 'statement')} of organisational change, covering "
        f"{', '.join(covered)}."
        if hits
        else "No changes to governance, funding or skills found."
    )
    value = {
        "count": len(hits),
        "areas": len(covered),
        **{name: len(found[name]) for name in areas},
    }
    return _count_indicator(doc, ("org_change", "Organisational change"), hits, value, summary)


# ---------------------------------------------------------------- risks

_RISK = re.compile(
    r"\brisks?\b|\bwhat\s+could\s+go\s+wrong\b|\bcould\s+(?:stop|delay|derail|fail|exclude)\b"
    r"|\b(?:may|might|could)\s+not\s+(?:deliver|be\s+delivered|happen|work)\b",
    re.I,
)
_RISK_LEAD = re.compile(
    r"\b(?:risks?|what\s+could\s+go\s+wrong|issues\s+and\s+dependencies|threats)\b", re.I
)
_MITIGATION = re.compile(
    r"\bmitigat\w*|\bcontingenc\w*|\bwe\s+will\b|\bwe\s+(?:test|check|monitor|keep|run|train)\b"
    r"|\bowner\b|\bowned\s+by\b|\bmanaged\s+by\b|\brisk\s+register\b|\bto\s+reduce\s+(?:this|the)\b"
    r"|\bif\s+[^.]{3,80}?,\s*(?:we|then)\b|\bstays?\b|\bwill\s+be\b",
    re.I,
)


# A risk table's column that answers each risk: a filled cell is a mitigation or an owner.
_MITIGATION_COLUMN = re.compile(
    r"\b(?:mitigat\w*|response|controls?|actions?|what\s+we\s+will\s+do|how\s+we|owners?"
    r"|managed|contingenc\w*|treatment)\b",
    re.I,
)


def _mitigated_row(hit: Hit) -> bool:
    row = row_of(hit.sentence)
    return row is not None and row.filled(_MITIGATION_COLUMN)


def _risk_rows(sents: Sequence[Sentence], named: list[Hit]) -> list[Hit]:
    """A risk table's rows (its first column is the risk) as named risks, in place of any
    sentence of theirs already found."""
    rows = [r for r in table_rows(sents) if r.row.header and _RISK_LEAD.search(r.row.header[0])]
    kept = [h for h in named if not any(within(h.sentence, r) for r in rows)]
    return kept + [Hit(r.sentence, 0, len(r.sentence.flat)) for r in rows]


def risks(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    """Named risks, and how many come with a mitigation or an owner (in the sentence or the one
    after it)."""
    real = _real(_prose(sents))
    every = _real(sents)
    under, leads = _under(every, _RISK_LEAD)
    lead_keys = {(every[i].page.page, every[i].start) for i in leads}
    named = _dedupe(
        under
        + [
            Hit(s, m.start(), m.end())
            for s in real
            if (m := _RISK.search(s.flat))
            and not _GENERIC_RISK.search(s.flat)
            and (s.page.page, s.start) not in lead_keys
        ]
    )
    named = _risk_rows(every, named)
    index = {(s.page.page, s.start): i for i, s in enumerate(real)}
    mitigated = []
    for h in named:
        i = index.get((h.sentence.page.page, h.sentence.start))
        nxt = real[i + 1].flat if i is not None and i + 1 < len(real) else ""
        if _MITIGATION.search(h.sentence.flat) or _MITIGATION.search(nxt) or _mitigated_row(h):
            mitigated.append(h)
    ranked = mitigated + [h for h in named if h not in mitigated]
    summary = (
        f"{_plural(len(named), 'risk')} named; {len(mitigated):,} with a mitigation or owner."
        if named
        else "No risks named."
    )
    value = {"count": len(named), "mitigated": len(mitigated)}
    return _count_indicator(doc, ("risks", "What could go wrong"), ranked, value, summary)


# "at risk of being left behind": risk as a figure of speech, not a named risk
_GENERIC_RISK = re.compile(r"\brisk(?:s|ing)?\s+(?:being|of\s+being|falling)\b", re.I)
