"""Deterministic indicators: facts about a strategy computed without any model.

Every indicator is found with the regular expressions below and cites the sentences it
counted. Quotes are verbatim slices of ``Page.text`` and never cross a page boundary;
newlines inside a sentence are treated as spaces for matching only.

The indicator ids and ``value`` keys are a contract: ``prompts/rubric.json`` "signals"
and the reports read them. Rename nothing without updating both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from pipeline.quality import looks_like_injection
from pipeline.records import Document, Evidence, Indicator, Page

MAX_EVIDENCE = 5
MAX_QUOTE = 300  # characters; longer sentences are trimmed around the match
FIRST_PAGES = 2  # a date range on these pages is taken as the strategy's own
MAX_YEARS = 30  # longer "ranges" are history or noise, not a strategy horizon

# ---------------------------------------------------------------- shared pattern pieces

_YEAR = r"20\d{2}"
_FISCAL = r"/(?:20)?\d{2}"  # the "/25" of "2024/25"
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
NUMBER_WORDS: dict[str, int] = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20,
}  # fmt: skip
_NUM = r"(?:\d{1,2}|" + "|".join(NUMBER_WORDS) + ")"
_APOS = "['’]"


def _terms(*patterns: str) -> re.Pattern[str]:
    """One case-insensitive alternation of whole-word terms; longer terms must come first.

    Use ``(?-i:...)`` inside a term for acronyms that must match case-sensitively ("AI")."""
    return re.compile("|".join(rf"(?<!\w)(?:{p})(?!\w)" for p in patterns), re.I)


# ---------------------------------------------------------------- pattern tables

# Time horizon
_RANGE = re.compile(
    rf"(?<![\d£$/.,])(?P<a>{_YEAR})(?:{_FISCAL})?"
    rf"(?:\s*[-–—]\s*|\s+(?:to|until|till|through)\s+(?:{_MONTH}\s+)?)"
    rf"(?P<b>{_YEAR}|\d{{2}}(?!\w))(?P<bf>{_FISCAL})?(?![\d%])",
    re.I,
)
_BETWEEN = re.compile(
    rf"\bbetween\s+(?P<a>{_YEAR})(?:{_FISCAL})?\s+and\s+(?P<b>{_YEAR})(?P<bf>{_FISCAL})?(?!\d)",
    re.I,
)
_RELATIVE = re.compile(
    rf"\b(?:the\s+)?(?:next|coming)\s+(?P<n>{_NUM})\s+years\b"
    rf"|\b(?P<m>{_NUM})[-\s]years?\s+(?:[\w-]+\s+){{0,2}}?"
    r"(?:strategy|plan|programme|vision|roadmap)\b"
    r"|\b(?:the\s+)?(?:next|coming)\s+decade\b",
    re.I,
)
_BY_YEAR = re.compile(
    rf"\bby\s+(?:the\s+end\s+of\s+)?(?:(?:{_MONTH}|spring|summer|autumn|winter|Q[1-4])\s+)?"
    rf"(?P<y>{_YEAR})(?P<yf>{_FISCAL})?(?!\d)",
    re.I,
)
_ANY_YEAR = re.compile(rf"(?<![\d£$,.])({_YEAR})(?![\d%])")
_REVIEW = re.compile(r"\b(?:review|refresh|revisit|update|revise)[a-z]*\b", re.I)
_REGULAR = re.compile(
    r"\b(?:annual(?:ly)?|regular(?:ly)?|yearly|every\s+(?:year|\w+\s+(?:months|years))"
    r"|each\s+year|once\s+a\s+year|quarterly|periodic(?:ally)?|continuous(?:ly)?"
    r"|constant(?:ly)?|ongoing)\b",
    re.I,
)
_STRATEGY_REF = re.compile(
    r"\b(?:this|the|our)\s+(?:digital\s+)?(?:strategy|roadmap|plan)\b|\bit\b", re.I
)
_LIVING = re.compile(r"\bliving\s+(?:document|strategy)\b", re.I)

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
# Numbers that label something rather than measure it: "Phase 2", "NHS 111", "Windows 11".
_LABEL_BEFORE = re.compile(
    r"\b(?:phase|stage|tier|level|wave|version|step|priority|objective|section|page|figure"
    r"|table|appendix|chapter|goal|theme|ambition|pillar|windows|office|microsoft|nhs|web)\s*$",
    re.I,
)
_LIST_NUMBER = re.compile(r"^\s*\(?(?:\d{1,2}|[a-z])[.)]\s")
_OWNER = _terms(
    r"chief\s+(?:[\w-]+\s+){1,3}officer",
    r"chief\s+(?:executive|nurse)",
    r"director\s+of\s+[\w-]+",
    r"[\w-]+\s+director",
    r"head\s+of\s+[\w-]+",
    r"senior\s+responsible\s+owner",
    r"owner\s*:",
    r"owned\s+by",
    r"led\s+by",
    r"lead\s*:",
    r"responsible(?:\s+(?:for|officer|owner|lead)|\s*:)",
    r"responsibility\s+(?:of|for|lies)",
    r"accountable",
    r"(?-i:SRO|CIO|CDIO|CCIO|CNIO|CDO|CTO|CEO|COO|CFO)",
    r"(?:the|our)\s+(?:[\w&-]+\s+){1,3}team",
)

# Explicit de-prioritisation
_DEPRIORITISE = re.compile(
    r"\bwe\s+(?:will|shall)\s+not\b(?!\s+only\b)"
    rf"|\bwe\s*(?:won|shan){_APOS}t\b"
    r"|\bwe\s+(?:are|will\s+be)\s+stopping\b|\bwe\s+will\s+stop\b"
    rf"|\bwe\s*(?:have|{_APOS}ve)\s+(?:decided|chosen|agreed)\s+not\s+to\b"
    r"|\bwe\s+will\s+no\s+longer\b|\bwe\s+are\s+not\s+going\s+to\b"
    r"|\bnot\s+(?:a|be\s+a|our)\s+(?:current\s+)?priority\b"
    r"|\bde-?prioriti[sz](?:e|ed|es|ing|ation)\b"
    r"|\bout\s+of\s+scope\b|\bpaus(?:e|ed|es|ing)\b",
    re.I,
)

# Already delivered
_DONE = (
    r"(?:delivered|launched|rolled\s+out|introduced|completed|replaced|implemented|deployed"
    r"|migrated|upgraded|digiti[sz]ed|achieved)"
)
_DELIVERED = re.compile(
    rf"\bwe\s*(?:(?:have|{_APOS}ve)\s+(?:(?:already|now|successfully|recently|also)\s+)*)?"
    rf"{_DONE}\b"
    rf"|\bsince\s+(?:{_MONTH}\s+)?{_YEAR},?\s+we\s*(?:have|{_APOS}ve)\b"
    r"|\b(?:went|gone)\s+live\b|\bis\s+now\s+live\b"
    r"|\blast\s+year,?\s+we\b"
    r"|\bin\s+the\s+(?:last|past)\s+(?:year|\d+\s+(?:months|years)|twelve\s+months),?\s+we\b"
    rf"|\b(?:has|have)\s+(?:already\s+)?been\s+{_DONE}\b",
    re.I,
)

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
_PEOPLE = re.compile(
    r"(?<![\w.,£$/])(?P<n>\d{1,3}(?:,\d{3})+|\d+)\s+"
    r"(?:(?!(?:with|and|or|from|to|in|for|across|at|by|of)\b)[A-Za-z][\w'-]*\s+){0,2}?"
    r"(?P<who>service\s+users|young\s+people|members\s+of\s+(?:staff|the\s+public)|people"
    r"|patients|residents|staff|users|carers|clinicians|colleagues|citizens|respondents"
    r"|participants|responses|nurses|doctors|GPs|families|parents|children|employees|tenants"
    r"|volunteers|students|customers)\b",
    re.I,
)

# Emerging technology against the basics
_EMERGING = _terms(
    r"generative\s+(?:(?-i:AI)|artificial\s+intelligence)(?:\s*\((?-i:AI)\))?",
    r"artificial\s+intelligence(?:\s*\((?-i:AI)\))?",
    r"machine\s+learning(?:\s*\((?-i:ML)\))?",
    r"large\s+language\s+models?(?:\s*\((?-i:LLMs?)\))?",
    r"virtual\s+reality(?:\s*\((?-i:VR)\))?",
    r"augmented\s+reality",
    r"digital\s+twins?",
    r"immersive\s+technolog(?:y|ies)",
    r"internet\s+of\s+things(?:\s*\((?-i:IoT)\))?",
    r"(?-i:AI|GenAI|LLMs?|VR|IoT)",
    r"chatbots?",
    r"blockchains?",
    r"metaverse",
    r"quantum(?:\s+computing)?",
    r"generative",
    r"robot(?:s|ics|ic)?",
    r"drones?",
    r"web\s*3(?:\.0)?",
)
_BASICS = _terms(
    r"electronic\s+(?:patient|health)\s+records?(?:\s*\((?-i:EPRs?|EHRs?)\))?",
    r"single\s+sign-?on(?:\s*\((?-i:SSO)\))?",
    r"(?-i:EPRs?|EHRs?|SSO)",
    r"wi-?fi",
    r"(?<!care\s)network(?:s|ing)?",
    r"devices?",
    r"laptops?",
    r"log-?ins?",
    r"cyber(?:\s*-?\s*security)?",
    r"infrastructure",
    r"legacy",
    r"back-?ups?",
    r"broadband",
    r"telephony",
)

# Who owns the strategy: leadership or IT
_LEADERSHIP = _terms(
    r"chief\s+executive(?:\s+officer)?",
    r"(?:the|our|trust|trust['’]s|council|council['’]s)\s+board",
    r"board\s+of\s+directors",
    r"(?:senior\s+)?(?:executive|leadership)\s+(?:management\s+)?team",
    r"clinical\s+lead(?:ers|ership)",
    r"medical\s+director",
    r"chief\s+nurse",
    r"director\s+of\s+(?:operations|nursing)",
    r"chief\s+operating\s+officer",
    r"senior\s+responsible\s+owner(?:\s*\((?-i:SRO)\))?",
    r"(?-i:SRO)",
    r"permanent\s+secretary",
    r"directors?\s+general",
    r"(?:executive|management)\s+committee",
    r"(?:departmental|management)\s+board",
    r"ministers?",
    r"(?-i:Cabinet)",
    r"elected\s+members",
    r"councillors?",
)
_IT = _terms(
    r"chief\s+information\s+officer(?:\s*\((?-i:CIO)\))?",
    r"chief\s+technology\s+officer(?:\s*\((?-i:CTO)\))?",
    r"(?:head|director)\s+of\s+(?-i:IT|ICT)",
    r"(?-i:IT)\s+(?:and\s+digital\s+|&\s+digital\s+)?"
    r"(?:department|team|services?|function|directorate|director)",
    r"(?-i:ICT|CIO|CTO)",
    r"technology\s+team",
    r"informatics\s+(?:team|department)",
)

# References to the organisation's own plans and to the wider system
_OWN_PLANS = _terms(
    r"corporate\s+(?:plan|strategy)",
    r"clinical\s+(?:services\s+)?strategy",
    r"trust\s+strategy",
    r"organi[sz]ational\s+strategy",
    r"business\s+plans?",
    r"operational\s+plans?",
    r"council\s+plan",
    r"annual\s+plan",
    r"people\s+plan",
    r"estates\s+strategy",
    r"outcome\s+delivery\s+plan",
    r"(?:single\s+)?departmental\s+plan",
    r"medium[-\s]term\s+financial\s+(?:plan|strategy)",
)
_SYSTEM = _terms(
    r"integrated\s+care\s+systems?(?:\s*\((?-i:ICSs?)\))?",
    r"integrated\s+care\s+boards?(?:\s*\((?-i:ICBs?)\))?",
    r"integrated\s+care\s+partnerships?(?:\s*\((?-i:ICPs?)\))?",
    r"(?-i:ICSs?|ICBs?|ICPs?|VCSE)",
    r"system\s+partners?",
    r"shared\s+care\s+records?",
    r"local\s+authorit(?:y|ies)",
    r"primary\s+care",
    r"(?-i:GP)\s+practices?",
    r"neighbouring\s+trusts?",
    r"voluntary(?:\s+and\s+community)?\s+sector",
    r"place-?based\s+partnerships?",
)

# Sentence boundaries: end punctuation before a capital, a blank line, or a new list item.
_BREAK = re.compile(
    r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9£•])"
    r"|\n[ \t]*\n"
    r"|\n(?=[ \t]*(?:[•▪◦●*–-]|\d{1,2}[.)])[ \t])"
)
# A full stop after these is not a sentence end: abbreviations, initials, list numbers.
_NO_BREAK_AFTER = re.compile(
    r"(?:\b(?:e\.g|i\.e|Dr|Mr|Mrs|Ms|St|No|vs|approx|cf)|\b[A-Z]"
    r"|^\s*(?:[•▪◦●*–-]\s*)?\(?(?:\d{1,2}|[a-z]))$"
)
# Headings and contents entries: short, unpunctuated, not a plain bullet ("• 3. Our plan" is).
_HEADING_MAX_WORDS = 8
_BULLET = "•▪◦●*–-"
_NUMBERED_BULLET = re.compile(rf"^[{_BULLET}]\s*\d")
_LIST_ITEM = re.compile(rf"^(?:[{_BULLET}]|\(?(?:\d{{1,2}}|[a-z])[.)])\s")
_WHITESPACE = re.compile(r"\s")
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")

# ---------------------------------------------------------------- sentences and citations


@dataclass(frozen=True)
class Sentence:
    page: Page
    start: int  # offsets into page.text
    end: int
    flat: str  # page.text[start:end] with each whitespace character made a space


@dataclass(frozen=True)
class Hit:
    sentence: Sentence
    start: int  # offsets into sentence.flat
    end: int


def split_sentences(doc: Document) -> list[Sentence]:
    """Every sentence of every page, in reading order; none crosses a page boundary.

    Sentences addressed to a reviewing model (prompt injection) are not evidence about the
    strategy, so they are left out: an injected instruction cannot move an indicator."""
    return [
        s for page in doc.pages for s in _split_page(page) if not looks_like_injection(s.flat)
    ]


def _split_page(page: Page) -> list[Sentence]:
    text, seg = page.text, 0
    out: list[Sentence] = []
    for m in _BREAK.finditer(text):
        if m.group(0)[0] in ".!?" and _NO_BREAK_AFTER.search(text[seg : m.start()]):
            continue
        out.extend(_sentence(page, seg, m.end()))
        seg = m.end()
    out.extend(_sentence(page, seg, len(text)))
    return out


def _sentence(page: Page, start: int, end: int) -> list[Sentence]:
    text = page.text
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    body = text[start:end]
    if not any(ch.isalnum() for ch in body):
        return []
    return [Sentence(page, start, end, _WHITESPACE.sub(" ", body))]


def is_heading(sentence: Sentence) -> bool:
    text = sentence.flat.rstrip("\"'”’) ")
    if not text or text[-1] in ".!?:;" or len(text.split()) > _HEADING_MAX_WORDS:
        return False
    return text[0] not in _BULLET or bool(_NUMBERED_BULLET.match(text))


def _prose(sents: Iterable[Sentence]) -> list[Sentence]:
    """Sentences less headings, so "What we have delivered" in the contents is not counted."""
    return [s for s in sents if not is_heading(s)]


def is_list_item(sentence: Sentence) -> bool:
    return bool(_LIST_ITEM.match(sentence.flat))


def _items_after(sents: Sequence[Sentence], i: int) -> list[int]:
    """Indexes of the list items straight after sentence ``i``."""
    j = i + 1
    while j < len(sents) and is_list_item(sents[j]) and not is_heading(sents[j]):
        j += 1
    return list(range(i + 1, j))


def _statements(sents: Sequence[Sentence], pattern: re.Pattern[str]) -> list[Hit]:
    """Sentences matching ``pattern``; a matching heading or lead-in ending in a colon
    ("Since 2021 we have delivered:") stands for the list items under it instead."""
    hits: list[Hit] = []
    used: set[int] = set()
    for i, s in enumerate(sents):
        m = pattern.search(s.flat)
        if m is None or i in used:
            continue
        lead = is_heading(s) or s.flat.rstrip().endswith(":")
        items = _items_after(sents, i) if lead else []
        for j in items:
            if j not in used:
                used.add(j)
                hits.append(Hit(sents[j], 0, len(sents[j].flat)))
        if not items and not is_heading(s):
            used.add(i)
            hits.append(Hit(s, m.start(), m.end()))
    return hits


def _first_hits(sents: Iterable[Sentence], pattern: re.Pattern[str]) -> list[Hit]:
    """The first match in each sentence that has one."""
    return [Hit(s, m.start(), m.end()) for s in sents if (m := pattern.search(s.flat))]


def _all_hits(sents: Iterable[Sentence], pattern: re.Pattern[str]) -> list[Hit]:
    """Every (non-overlapping) match: for counting mentions."""
    return [Hit(s, m.start(), m.end()) for s in sents for m in pattern.finditer(s.flat)]


def _evidence(doc: Document, hits: Iterable[Hit], limit: int = MAX_EVIDENCE) -> list[Evidence]:
    out: list[Evidence] = []
    seen: set[tuple[int, int]] = set()
    for hit in hits:
        key = (hit.sentence.page.page, hit.sentence.start)
        if key not in seen:
            seen.add(key)
            out.append(_cite(doc, hit))
        if len(out) >= limit:
            break
    return out


def _cite(doc: Document, hit: Hit) -> Evidence:
    s, page = hit.sentence, hit.sentence.page
    lo, hi = _window(hit)
    qs, qe = s.start + lo, s.start + hi
    pos = page.offset + s.start + hit.start
    return Evidence(
        quote=page.text[qs:qe],
        page=page.page,
        page_label=page.page_label,
        chunk_id=_chunk_id(doc, pos, page.offset + qs, page.offset + qe),
        verified=True,
        source="indicator",
    )


def _window(hit: Hit) -> tuple[int, int]:
    """The quote's span in the sentence: all of it, or ~MAX_QUOTE chars around the match."""
    flat = hit.sentence.flat
    if len(flat) <= MAX_QUOTE:
        return 0, len(flat)
    mid = (hit.start + hit.end) // 2
    lo = max(0, min(mid - MAX_QUOTE // 2, len(flat) - MAX_QUOTE, hit.start))
    hi = max(lo + MAX_QUOTE, hit.end)
    if lo > 0 and (space := flat.find(" ", lo, hit.start)) != -1:
        lo = space + 1
    if hi < len(flat) and (space := flat.rfind(" ", hit.end, hi)) != -1:
        hi = space
    while lo < hi and flat[lo] == " ":
        lo += 1
    while hi > lo and flat[hi - 1] == " ":
        hi -= 1
    return lo, hi


def _chunk_id(doc: Document, pos: int, start: int, end: int) -> str | None:
    """The chunk covering document offset ``pos``; one holding the whole quote if possible."""
    covering = [c for c in doc.chunks if c.start <= pos < c.end]
    whole = [c for c in covering if c.start <= start and end <= c.end]
    best = whole or covering
    return best[0].id if best else None


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else plural or word + 's'}"


# ---------------------------------------------------------------- time horizon


@dataclass
class Horizon:
    start: int | None
    end: int | None
    years: int | None
    label: str
    hits: list[Hit] = field(default_factory=list)


def _fiscal_end(year: int, fiscal: str | None) -> int:
    """2026 for ("2025", "/26"): the year a financial year ends in."""
    if not fiscal:
        return year
    digits = fiscal.lstrip("/")
    return int(digits) if len(digits) == 4 else year // 100 * 100 + int(digits)


def _find_range(text: str) -> tuple[int, int, int, int, str] | None:
    """(match start, match end, first year, last year, label) of the first plausible range."""
    found = []
    for pattern in (_RANGE, _BETWEEN):
        for m in pattern.finditer(text):
            a, b = int(m["a"]), m["b"]
            end = _fiscal_end(int(b) if len(b) == 4 else a // 100 * 100 + int(b), m["bf"])
            if 1 <= end - a <= MAX_YEARS:
                label = " ".join(m[0].split()) if pattern is _RANGE else f"{a}–{end}"
                found.append((m.start(), m.end(), a, end, label))
                break
    return min(found) if found else None


def _range_in(sents: Sequence[Sentence]) -> Horizon | None:
    for s in sents:
        if found := _find_range(s.flat):
            ms, me, start, end, label = found
            return Horizon(start, end, end - start, label, [Hit(s, ms, me)])
    return None


def _title_range(doc: Document, sents: Sequence[Sentence]) -> Horizon | None:
    found = _find_range(doc.title)
    if not found:
        return None
    start, end, label = found[2], found[3], found[4]
    same = [h for s in sents if (h := _range_in([s])) and (h.start, h.end) == (start, end)]
    return Horizon(start, end, end - start, label, same[0].hits if same else [])


def _base_year(doc: Document) -> int | None:
    """The year a relative horizon counts from: the title's, else the earliest mentioned."""
    first = " ".join(p.text for p in doc.pages[:FIRST_PAGES])
    for text in (doc.title, first, doc.text):
        if years := [int(y) for y in _ANY_YEAR.findall(text)]:
            return min(years)
    return None


def _relative_years(m: re.Match[str]) -> int:
    word = (m["n"] or m["m"] or "10").lower()
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def _relative(doc: Document, sents: Sequence[Sentence]) -> Horizon | None:
    """ "over the next ten years", "a 5-year strategy", "the next decade"."""
    title = _RELATIVE.search(doc.title)
    hits = _first_hits(sents, _RELATIVE)
    if title is None and not hits:
        return None
    first = title or _RELATIVE.search(hits[0].sentence.flat)
    if first is None:
        return None
    years = _relative_years(first)
    if not 1 <= years <= MAX_YEARS:
        return None
    base = _base_year(doc)
    if base is None:
        return Horizon(None, None, years, _plural(years, "year"), hits[:1])
    return Horizon(base, base + years, years, f"{base}–{base + years}", hits[:1])


def _by_year(doc: Document, sents: Sequence[Sentence]) -> Horizon | None:
    """The latest "by 2035" / "by March 2030": a horizon with an end year only."""
    found = [
        (_fiscal_end(int(m["y"]), m["yf"]), Hit(s, m.start(), m.end()))
        for s in sents
        for m in _BY_YEAR.finditer(s.flat)
    ]
    if not found:
        return None
    end = max(year for year, _ in found)
    hit = next(h for year, h in found if year == end)
    base = _base_year(doc)
    start = base if base is not None and 1 <= end - base <= MAX_YEARS else None
    years = end - start if start is not None else None
    return Horizon(start, end, years, f"{start}–{end}" if start else str(end), [hit])


def _is_review(sentence: Sentence) -> bool:
    text = sentence.flat
    regular = bool(_REVIEW.search(text) and _REGULAR.search(text))
    return bool(_LIVING.search(text) or (regular and _STRATEGY_REF.search(text)))


def time_horizon(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    first = [s for s in sents if s.page.page <= FIRST_PAGES]
    horizon = (
        _title_range(doc, sents)
        or _range_in(first)
        or _relative(doc, sents)
        or _range_in(sents)
        or _by_year(doc, sents)
    )
    reviews = [s for s in sents if _is_review(s)]
    review_hits = [Hit(s, 0, len(s.flat)) for s in reviews]
    if horizon is None:
        span = "No time horizon found"
    elif horizon.start is not None and horizon.years is not None:
        span = f"The strategy spans {horizon.label} ({_plural(horizon.years, 'year')})"
    elif horizon.end is not None:
        span = f"The strategy runs to {horizon.end}; its start year is not stated"
    else:
        span = f"The strategy covers {horizon.label}; its start year is not stated"
    cycle = "a regular review is stated" if reviews else "no review cycle is stated"
    hits = (horizon.hits if horizon else []) + review_hits[:2]
    return Indicator(
        id="time_horizon",
        title="Time horizon",
        value={
            "start": horizon.start if horizon else None,
            "end": horizon.end if horizon else None,
            "years": horizon.years if horizon else None,
            "review_cycle": bool(reviews),
        },
        summary=f"{span}; {cycle}.",
        evidence=_evidence(doc, hits),
    )


# ---------------------------------------------------------------- measurable commitments


def _blank(text: str, pattern: re.Pattern[str]) -> str:
    """``text`` with every match of ``pattern`` replaced by spaces (offsets unchanged)."""
    return pattern.sub(lambda m: " " * len(m[0]), text)


def is_quantified(text: str) -> bool:
    """A number, percentage or amount that is not a date, a list number or a label."""
    for pattern in (_LIST_NUMBER, _DATED, _NOT_A_QUANTITY):
        text = _blank(text, pattern)
    return any(
        not _LABEL_BEFORE.search(text[max(0, m.start() - 20) : m.start()])
        for m in _QUANTITY.finditer(text)
    )


def measurable_commitments(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    rows = []  # (hit, dated, quantified, owner)
    for hit in _first_hits(_prose(sents), _COMMITMENT):
        text = hit.sentence.flat
        dated, quantified = bool(_DATED.search(text)), is_quantified(text)
        rows.append((hit, dated, quantified, bool(_OWNER.search(text))))
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
        if found:
            first = min((m for _, m in found), key=lambda m: m.start())
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
            "user research "
            f"({', '.join(methods)}){with_people}."
        )
    with_numbers = sorted(hits, key=lambda h: not _PEOPLE.search(h.sentence.flat))
    return Indicator(
        id="user_research",
        title="User research",
        value={"count": len(hits), "people": people, "methods": methods},
        summary=summary,
        evidence=_evidence(doc, with_numbers),
    )


# ---------------------------------------------------------------- mention ratios


def _share(part: int, other: int) -> float | None:
    return round(part / (part + other), 2) if part + other else None


def _mixed(first: list[Hit], second: list[Hit], first_max: int = 3) -> list[Hit]:
    """Evidence from both sides: up to ``first_max`` of ``first``, then ``second``."""
    return first[:first_max] + second + first[first_max:]


def emerging_tech(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    emerging, basics = _all_hits(sents, _EMERGING), _all_hits(sents, _BASICS)
    ratio = _share(len(emerging), len(basics)) or 0.0
    if emerging or basics:
        summary = (
            f"{_plural(len(emerging), 'mention')} of emerging technology against "
            f"{len(basics):,} of the basics (share {ratio:.0%} emerging)."
        )
    else:
        summary = "No mentions of emerging technology or of the basics found."
    return Indicator(
        id="emerging_tech",
        title="Emerging technology against the basics",
        value={"emerging": len(emerging), "basics": len(basics), "ratio": ratio},
        summary=summary,
        evidence=_evidence(doc, _mixed(emerging, basics)),
    )


def ownership(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    lead, it = _all_hits(sents, _LEADERSHIP), _all_hits(sents, _IT)
    share = _share(len(lead), len(it))
    if share is None:
        summary = "No mentions of leadership or IT ownership found."
    else:
        summary = (
            f"Leadership is mentioned {_plural(len(lead), 'time')} and IT "
            f"{_plural(len(it), 'time')} ({share:.0%} leadership)."
        )
    return Indicator(
        id="ownership",
        title="Leadership ownership against IT ownership",
        value={"leadership": len(lead), "it": len(it), "leadership_share": share},
        summary=summary,
        evidence=_evidence(doc, _mixed(lead, it)),
    )


def plan_references(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    own, system = _all_hits(sents, _OWN_PLANS), _all_hits(sents, _SYSTEM)
    if own or system:
        summary = (
            f"{_plural(len(own), 'reference')} to the organisation's own plans and "
            f"{len(system):,} to system partners."
        )
    else:
        summary = "No references to the organisation's own plans or to system partners found."
    return Indicator(
        id="plan_references",
        title="Links to own plans and system partners",
        value={"own_plans": len(own), "system_partners": len(system)},
        summary=summary,
        evidence=_evidence(doc, _mixed(own, system)),
    )


# ---------------------------------------------------------------- length and readability


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e; at least one."""
    letters = re.sub(r"[^a-z]", "", word.lower())
    n = len(_VOWEL_GROUPS.findall(letters))
    if n > 1 and letters.endswith("e") and not letters.endswith(("le", "ee", "ye")):
        n -= 1
    return max(1, n)


def _ease(words: int, sentences: int, syllable_count: int) -> float | None:
    if not words or not sentences:
        return None
    return round(206.835 - 1.015 * words / sentences - 84.6 * syllable_count / words, 1)


EASE_BANDS: tuple[tuple[float, str], ...] = (
    (90, "very easy"), (70, "easy"), (60, "plain English"), (50, "fairly difficult"),
    (30, "difficult"), (float("-inf"), "very difficult"),
)  # fmt: skip


def _ease_band(score: float) -> str:
    return next(name for floor, name in EASE_BANDS if score >= floor)


def length_readability(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    tokens = [t for p in doc.pages for t in p.text.split()]  # as Document.words
    words, n = len(tokens), len(sents)
    ease = _ease(words, n, sum(syllables(t) for t in tokens))
    avg = round(words / n, 1) if n else 0.0
    summary = f"{_plural(len(doc.pages), 'page')}, {_plural(words, 'word')}"
    if ease is None:
        summary += "; no readable text found."
    else:
        summary += (
            f"; sentences average {avg} words; Flesch reading ease {ease} ({_ease_band(ease)})."
        )
    return Indicator(
        id="length_readability",
        title="Length and readability",
        value={
            "pages": len(doc.pages),
            "words": words,
            "sentences": n,
            "avg_sentence_words": avg,
            "flesch_reading_ease": ease,
        },
        summary=summary,
    )


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
)


def compute_indicators(doc: Document) -> list[Indicator]:
    """All indicators, in a fixed order, with page-cited evidence. No model is used."""
    sents = split_sentences(doc)
    return [fn(doc, sents) for fn in INDICATORS]
