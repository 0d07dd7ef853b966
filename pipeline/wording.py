"""The rules baseline's words: a summary and a recommendation for one rubric item.

A summary says what the deterministic checks found, with pages, and what that means for this
item; items that share an indicator get different sentences. A recommendation follows from the
rating and the finding, and points at an exemplar that did it well where one was retrieved.

Everything here is read from an indicator's ``id`` and ``value``; an indicator this module does
not know is described by its own summary sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .contradiction import REVIEWED, contradicting
from .passages import keyword_score
from .records import Evidence, ExemplarRef, Indicator, Rating
from .rubric import RubricItem


@dataclass(frozen=True)
class Facts:
    """What the wording may use for one item."""

    item: RubricItem
    rating: Rating
    basis: str  # indicator | keywords | none
    indicators: dict[str, Indicator]
    evidence: list[Evidence]  # as shown in the report
    cited: dict[str, list[Evidence]] = field(default_factory=dict)  # clean evidence per indicator
    strategy: bool = True  # does the document read as a digital strategy?
    refresh: Evidence | None = None  # a sentence that plans a review or refresh of the strategy
    milestones: list[tuple[int, str]] = field(default_factory=list)  # "by <year>": (year, page)

    def value(self, indicator: str, key: str) -> Any:
        found = self.indicators.get(indicator)
        return found.value.get(key) if found and isinstance(found.value, dict) else None

    def number(self, indicator: str, key: str) -> float | None:
        value = self.value(indicator, key)
        return None if value is None or isinstance(value, bool) else float(value)

    def pages(self, indicator: str, limit: int = 3, only: re.Pattern[str] | None = None) -> str:
        """ " (p. 3, 4)" for the indicator's clean evidence, preferring quotes that hold one of
        the item's keywords (or match ``only``), or "" when it has none."""
        cited = self.cited.get(indicator, [])
        if only is not None:
            cited = [e for e in cited if only.search(" ".join(e.quote.split()))]
        relevant = [e for e in cited if keyword_score(e.quote, self.item.keywords)]
        labels = _labels(relevant or cited)[:limit]
        return f" ({cite_pages(labels)})" if labels else ""


def _labels(evidence: Sequence[Evidence]) -> list[str]:
    return list(dict.fromkeys(e.page_label or str(e.page) for e in evidence if e.page))


def cite_pages(labels: Sequence[str]) -> str:
    """ "p. 3", "pp. 3, 4"; section labels of a document without pages stand alone ("§3",
    "§6, §4"), since "p. §3" would call a section a page."""
    if labels and all(label.startswith("§") for label in labels):
        return ", ".join(labels)
    return ("pp. " if len(labels) > 1 else "p. ") + ", ".join(labels)


def _n(count: float | None, one: str, many: str | None = None) -> str:
    value = int(count or 0)
    word = one if value == 1 else (many or one + "s")
    return f"{value:,} {word}"


def _times(count: float | None) -> str:
    value = int(count or 0)
    return {0: "not at all", 1: "once", 2: "twice"}.get(value, f"{value:,} times")


def _mentioned(count: float | None) -> str:
    return "never mentioned" if not count else f"mentioned {_times(count)}"


def clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# ---------------------------------------------------------------- what each rating means here

# item id -> rating -> what the finding means for this item
MEANING: dict[str, dict[str, str]] = {
    "integrated": {
        "green": "digital is tied to the organisation's own objectives",
        "amber": "the link between digital and the organisation's own objectives is thin",
        "red": "digital reads as a separate agenda, not a means to the organisation's objectives",
    },
    "user_centred": {
        "green": "its priorities are grounded in what users said",
        "amber": "some priorities rest on research, others on assumption",
        "red": "the needs it claims to meet are not shown to come from users",
    },
    "useful_to_teams": {
        "green": "teams get guidance they can apply to their own decisions",
        "amber": "teams get some guidance, but not a set of principles to decide by",
        "red": "teams get no principles to apply to their own decisions",
    },
    "mainstream": {
        "green": "readable enough for staff across the organisation, not only specialists",
        "amber": "parts will be hard going for staff outside digital",
        "red": "it reads as a document for specialists rather than for all staff",
    },
    "realistic": {
        "green": "there is a track record to build on",
        "amber": "the track record it builds on is thin",
        "red": "there is no baseline to show the plan is achievable",
    },
    "focused": {
        "green": "which shows focus",
        "amber": "so the choices it makes are only partly visible",
        "red": "so there is no sign of what gives way to its priorities",
    },
    "it_driven": {
        "green": "ownership sits with the organisation's leaders rather than with IT",
        "amber": "ownership is shared between leadership and IT",
        "red": "ownership sits with IT, which makes it an IT-driven strategy",
    },
    "cookie_cutter": {
        "green": "it is specific to this organisation",
        "amber": "parts could have been written for any organisation",
        "red": "much of it could have been written for any organisation",
    },
    "unproven_tech": {
        "green": "the basics come before unproven technology",
        "amber": "unproven technology takes a large share of the attention",
        "red": "it leans on unproven technology more than on fixing the basics",
    },
    "vague": {
        "green": "progress can be checked against them",
        "amber": "too few to check most of the strategy's progress against",
        "red": "so progress cannot be checked, which makes the strategy vague",
    },
    "too_long_term": {
        "green": "a span short enough to plan against",
        "amber": "long enough that near-term milestones and reviews matter",
        "red": "a plan this long is a warning sign unless near-term milestones are set",
    },
    "wish_list": {
        "green": "so it does not read as a wish list",
        "amber": "so much of it still reads as a list of wishes",
        "red": "so the ambitions read as a wish list rather than a sequenced plan",
    },
    "q01_integration": {
        "green": "the board can see which business objectives digital serves",
        "amber": "the board can see some, not all, of what digital does for the business",
        "red": "the board cannot see how the digital strategy serves the business strategy",
    },
    "q02_mission": {
        "green": "there is one line staff can repeat",
        "amber": "a mission is there, but not one short line staff can repeat",
        "red": "there is no one line staff could repeat",
    },
    "q03_users": {
        "green": "the board can see who the users are and what they need most",
        "amber": "the board gets a partial picture of users' needs",
        "red": "the board cannot tell whose needs come first",
    },
    "q04_services": {
        "green": "the board can see what is run today and how well",
        "amber": "the board gets only part of the picture of today's services",
        "red": "the board cannot see what is run today or how well it performs",
    },
    "q05_not_prioritising": {
        "green": "the board can see what it is choosing not to do",
        "amber": "the board sees only some of the trade-offs",
        "red": "the board cannot see what is being traded off",
    },
    "q06_actions": {
        "green": "someone is accountable for each action",
        "amber": "some actions have no one accountable for them",
        "red": "no one is accountable for delivering them",
    },
    "q07_measures": {
        "green": "the board can tell whether the strategy is working",
        "amber": "the board can track only part of the strategy",
        "red": "the board has no measure of whether it is working",
    },
    "q08_system": {
        "green": "it is aligned with the wider system",
        "amber": "the link to the wider system is thin",
        "red": "it is not shown to align with the wider system",
    },
    "q09_change": {
        "green": "the organisation's own changes to enable digital are set out",
        "amber": "only some of the organisational change digital needs is set out",
        "red": "it does not say how the organisation will change to enable digital",
    },
    "q10_risks": {
        "green": "the board can see what could go wrong and what is done about it",
        "amber": "some risks are named without saying how they are handled",
        "red": "the board is not told what could go wrong",
    },
}

# item id -> what to look for, in a phrase (for items judged from passages alone)
TOPIC: dict[str, str] = {
    "integrated": "links to the organisation's own plans",
    "user_centred": "user research and user needs",
    "useful_to_teams": "design or delivery principles teams can apply",
    "mainstream": "plain language for all staff",
    "realistic": "work already delivered",
    "focused": "a short list of priorities and what gives way to them",
    "it_driven": "who owns the strategy",
    "cookie_cutter": "local facts such as population, places, services and numbers",
    "unproven_tech": "emerging technology against the basics",
    "vague": "dated, measurable commitments",
    "too_long_term": "the plan period and when it is reviewed",
    "wish_list": "sequencing and what is deferred",
    "q01_integration": "digital's link to the organisation's objectives",
    "q02_mission": "a one-line mission",
    "q03_users": "users and their biggest needs",
    "q04_services": "the services and systems run today and how they perform",
    "q05_not_prioritising": "what is not being prioritised",
    "q06_actions": "actions with owners and dates",
    "q07_measures": "measures of success",
    "q08_system": "the wider system's strategy and partners",
    "q09_change": "changes to governance, funding, skills or ways of working",
    "q10_risks": "named risks and how they are handled",
}


def meaning(facts: Facts) -> str:
    generic = facts.number("mission", "generic")
    if (
        facts.item.id == "q02_mission"
        and facts.rating == "amber"
        and generic
        and generic == facts.number("mission", "statements")
    ):
        return "praise is not a mission staff can repeat and act on"
    table = MEANING.get(facts.item.id)
    if table and facts.rating in table:
        return table[facts.rating]
    return ""


# ---------------------------------------------------------------- findings, per indicator field


def _horizon(facts: Facts) -> str:
    start, end = facts.value("time_horizon", "start"), facts.value("time_horizon", "end")
    years = facts.value("time_horizon", "years")
    pages = facts.pages("time_horizon", 1)
    if start and end:
        span = f"The strategy runs {start}–{end} ({_n(years, 'year')}){pages}"
    elif end:
        span = f"The strategy runs to {end}, from an unstated start{pages}"
    elif years:
        span = f"The strategy covers {_n(years, 'year')}{pages}"
    else:
        span = "No plan period is stated"
    return f"{span}, {_review(facts)}"


def _review(facts: Facts) -> str:
    if facts.value("time_horizon", "review_cycle"):
        return f"and says when it will be reviewed{facts.pages('time_horizon', 2, REVIEWED)}"
    if facts.refresh is not None:
        label = cite_pages([str(facts.refresh.page_label or facts.refresh.page)])
        return (
            f"with a refresh planned ({label}: “{clip(facts.refresh.quote, 90)}”) "
            "but no regular review cycle"
        )
    return "and no review cycle is stated"


def _milestone_years(facts: Facts) -> list[tuple[int, str]]:
    """The years of "by <date>" milestones before the plan's end year, with their pages."""
    start, end = facts.value("time_horizon", "start"), facts.value("time_horizon", "end")
    return sorted(
        (year, page)
        for year, page in facts.milestones
        if (not start or year >= int(start)) and (not end or year < int(end))
    )


def _milestones(facts: Facts) -> str:
    start, end = facts.value("time_horizon", "start"), facts.value("time_horizon", "end")
    found = _milestone_years(facts)
    if not found:
        return "no dated milestones were found"
    (first, page), last = found[0], found[-1][0]
    if start and first > int(start) + 2:
        return f"none are dated before {first} ({cite_pages([page])})"
    if end and last < int(end) - 2:
        return (
            f"dated milestones run only from {first} to {last} ({cite_pages([page])}), "
            f"leaving {last + 1}–{end} without dated milestones"
        )
    return f"dated milestones start in {first} ({cite_pages([page])})"


def _too_long_term(facts: Facts) -> str:
    text = _horizon(facts)
    if facts.rating in ("red", "amber") and facts.value("time_horizon", "years"):
        return f"{text}; {meaning(facts)}, and {_milestones(facts)}."
    return f"{text}; {meaning(facts)}."


def _own_plans(facts: Facts) -> str:
    n = facts.number("plan_references", "own_plans")
    pages = facts.pages("plan_references")
    if not n:
        return "It does not refer to the organisation's own corporate, clinical or business plans"
    if facts.item.id == "q01_integration":
        return f"Digital is linked to the organisation's own plans in {_n(n, 'place')}{pages}"
    return f"It refers to the organisation's own plans {_times(n)}{pages}"


def _system(facts: Facts) -> str:
    n = facts.number("plan_references", "system_partners")
    if not n:
        return "It names no system partners, integrated care body or shared care record"
    return (
        f"It mentions system partners (integrated care, local authority, primary care and "
        f"the like) {_times(n)}{facts.pages('plan_references')}"
    )


def _research(facts: Facts) -> str:
    count = facts.number("user_research", "count")
    people = facts.number("user_research", "people")
    methods = facts.value("user_research", "methods") or []
    pages = facts.pages("user_research", 2)
    if not count:
        return "It describes no user research"
    how = f" ({', '.join(methods)})" if methods else ""
    who = f" with {_n(people, 'person', 'people')}" if people else ""
    if facts.item.id == "q03_users":
        return f"Its account of users draws on research{how}{who}{pages}"
    return f"It describes user research in {_n(count, 'sentence')}{how}{who}{pages}"


def _readability(facts: Facts) -> str:
    ease = facts.number("length_readability", "flesch_reading_ease")
    words = facts.number("length_readability", "words")
    avg = facts.number("length_readability", "avg_sentence_words")
    if ease is None:
        return "Its readability could not be measured"
    return (
        f"Its {_n(words, 'word')} score {ease:g} for reading ease (Flesch; 60 and above is "
        f"plain English), with sentences of {avg:g} words on average"
    )


def _delivered(facts: Facts) -> str:
    n = facts.number("delivered", "count")
    if not n and facts.rating != "red" and facts.item.id == "realistic":
        changes = _org_change(facts).removeprefix("It ")
        return f"It cites nothing already delivered, but {changes}, behind dated commitments"
    if not n:
        return "It cites nothing already delivered"
    return f"It cites {_n(n, 'thing')} already delivered{facts.pages('delivered')}"


def _deprioritised(facts: Facts) -> str:
    n = facts.number("deprioritisation", "count")
    pages = facts.pages("deprioritisation")
    item = facts.item.id
    if not n:
        return {
            "wish_list": "Nothing is ruled out, stopped or deferred",
            "q05_not_prioritising": "It never says what is not being prioritised",
        }.get(item, "It names nothing it will not do, stop or pause")
    if item == "wish_list":
        return f"It rules out, stops or defers {_n(n, 'thing')}{pages}"
    if item == "q05_not_prioritising":
        return f"It says what is not being prioritised in {_n(n, 'statement')}{pages}"
    return f"It names {_n(n, 'thing')} it will not do, stop or pause{pages}"


def _ownership(facts: Facts) -> str:
    lead = facts.number("ownership", "leadership")
    it = facts.number("ownership", "it")
    share = facts.number("ownership", "leadership_share")
    owner = facts.value("ownership", "owner")
    kind = {"technology": ", a technology role", "executive": ", an executive role"}.get(
        str(facts.value("ownership", "owner_kind")), ""
    )
    named = f"Ownership is given to “{owner}”{kind}" if isinstance(owner, str) and owner else ""
    if share is None:
        counts = "neither executive leadership nor a technology owner is mentioned"
    else:
        counts = (
            f"executive leaders are {_mentioned(lead)} and technology roles {_mentioned(it)} "
            f"({share:.0%} leadership){facts.pages('ownership', 2)}"
        )
    text = f"{named}; {counts}" if named else counts
    return text[0].upper() + text[1:]


def _emerging(facts: Facts) -> str:
    emerging = facts.number("emerging_tech", "emerging")
    basics = facts.number("emerging_tech", "basics")
    if not emerging and not basics:
        return "It mentions neither emerging technology nor the basics (devices, networks, records)"
    ratio = facts.number("emerging_tech", "ratio") or 0.0
    return (
        f"Emerging technology (AI, blockchain and the like) is {_mentioned(emerging)} and the "
        f"basics (devices, networks, log-in, records, cyber security) are {_mentioned(basics)} "
        f"({ratio:.0%} emerging){facts.pages('emerging_tech', 2)}"
    )


def _owned(count: int, owned: int) -> str:
    if count == 1:
        return f"Its one dated, measurable commitment names {'an' if owned else 'no'} owner"
    if owned == count:
        every = "Both" if count == 2 else f"All {count:,}"
        return f"{every} of its dated, measurable commitments name an owner"
    return f"{owned:,} of its {count:,} dated, measurable commitments name an owner"


def _commitments(facts: Facts) -> str:
    count = facts.number("measurable_commitments", "count")
    pages = facts.pages("measurable_commitments", 2)
    item = facts.item.id
    if item == "q06_actions":
        owned = facts.number("measurable_commitments", "with_owner")
        if not count:
            return "It has no dated, measurable commitments to hold anyone to"
        return _owned(int(count), int(owned or 0)) + pages
    if item == "q07_measures":
        quantified = facts.number("measurable_commitments", "quantified")
        if not quantified:
            return "It sets no commitment with a number to measure progress by"
        return f"{_n(quantified, 'commitment')} carry a number progress can be measured by{pages}"
    if not count:
        return "It makes no commitment that is both dated and measurable"
    return f"{_n(count, 'commitment')} are both dated and measurable{pages}"


def _everyday(facts: Facts) -> str:
    n = facts.number("mainstream", "everyday_statements")
    ease = facts.number("mainstream", "flesch_reading_ease")
    buzz = facts.number("mainstream", "buzzwords")
    language = f"reading ease {ease:g}, {_n(buzz, 'buzzword')}" if ease is not None else ""
    if not n:
        return f"No statement was found placing digital in everyday work ({language})"
    return (
        f"It places digital in everyday work in {_n(n, 'statement')}"
        f"{facts.pages('mainstream', 2)} ({language})"
    )


def _principles(facts: Facts) -> str:
    listed = facts.number("design_principles", "listed")
    standards = facts.number("design_principles", "standards")
    pages = facts.pages("design_principles", 2)
    if not listed and not standards:
        return "It sets out no design or delivery principles for teams"
    if not listed:
        return f"It refers to principles or service standards {_times(standards)}{pages}"
    extra = f", and refers to service standards {_times(standards)}" if standards else ""
    return f"It lists {_n(listed, 'principle')} for teams{pages}{extra}"


_LOCAL_ONE = "local place, service, system or partner"
_LOCAL_MANY = "local places, services, systems or partners"


def _local(facts: Facts) -> str:
    named = facts.number("local_specifics", "named")
    numbers = facts.number("local_specifics", "numbers")
    buzz = facts.number("local_specifics", "buzzwords")
    if facts.value("local_specifics", "specific_share") is None:
        return "It has neither local specifics nor generic framework phrasing"
    things = _n(named, _LOCAL_ONE, _LOCAL_MANY)
    return (
        f"It names {things} and gives {_n(numbers, 'figure')}, against "
        f"{_n(buzz, 'generic phrase')}{facts.pages('local_specifics', 2)}"
    )


def _mission(facts: Facts) -> str:
    score = facts.number("mission", "score")
    words = facts.number("mission", "shortest_words")
    pages = facts.pages("mission", 1)
    if not score:
        return "It states no mission or vision"
    if score >= 2:
        return f"Its mission is one line of {_n(words, 'word')}{pages}"
    generic = facts.number("mission", "generic") or 0
    if generic and generic == facts.number("mission", "statements"):
        return (
            f"Its mission or vision is made of generic superlatives{pages}, saying neither whom "
            "it is for nor what will change"
        )
    return f"It states a mission or vision, but the shortest runs to {_n(words, 'word')}{pages}"


def _baseline(facts: Facts) -> str:
    n = facts.number("services_baseline", "count")
    if not n:
        return "It gives no baseline of the services and systems run today"
    return (
        f"It gives {_n(n, 'fact')} about today's services, systems or their performance"
        f"{facts.pages('services_baseline')}"
    )


def _org_change(facts: Facts) -> str:
    areas = [a for a in ("governance", "funding", "skills") if facts.number("org_change", a)]
    if not areas:
        return "It sets out no changes to governance, funding or skills"
    listed = ", ".join(areas[:-1]) + (" and " if len(areas) > 1 else "") + areas[-1]
    return f"It sets out changes to {listed}{facts.pages('org_change')}"


def _risks(facts: Facts) -> str:
    n = facts.number("risks", "count")
    mitigated = facts.number("risks", "mitigated")
    if not n:
        return "It names no risks"
    handled = "with" if n == mitigated else f"{int(mitigated or 0):,} of them with"
    return f"It names {_n(n, 'risk')}, {handled} a mitigation or owner{facts.pages('risks')}"


Finder = Callable[[Facts], str]

# indicator id -> its finding sentence (without the final full stop)
BY_INDICATOR: dict[str, Finder] = {
    "user_research": _research,
    "length_readability": _readability,
    "delivered": _delivered,
    "deprioritisation": _deprioritised,
    "ownership": _ownership,
    "emerging_tech": _emerging,
    "measurable_commitments": _commitments,
    "mainstream": _everyday,
    "design_principles": _principles,
    "local_specifics": _local,
    "mission": _mission,
    "services_baseline": _baseline,
    "org_change": _org_change,
    "risks": _risks,
}
# (indicator id, field) -> finding, where one indicator's fields bear on different items
BY_FIELD: dict[tuple[str, str], Finder] = {
    ("plan_references", "own_plans"): _own_plans,
    ("plan_references", "system_partners"): _system,
}


def _finding(facts: Facts, indicator: str, key: str) -> str:
    finder = BY_FIELD.get((indicator, key)) or BY_INDICATOR.get(indicator)
    if finder is not None:
        return finder(facts)
    found = facts.indicators[indicator]
    return found.summary.rstrip(". ") + facts.pages(indicator, 2)


def _findings(facts: Facts) -> list[str]:
    seen: list[str] = []
    for signal in facts.item.signals:
        if signal.indicator in facts.indicators:
            sentence = _finding(facts, signal.indicator, signal.field)
            if sentence not in seen:
                seen.append(sentence)
    return seen


# ---------------------------------------------------------------- summaries


def _from_passages(facts: Facts) -> str:
    labels = _labels(facts.evidence)
    topic = TOPIC.get(facts.item.id, "this item")
    if facts.basis == "keywords" and labels:
        return (
            f"No check measures {topic}, but passages on {cite_pages(labels)} touch on it; "
            "a reviewer should judge them."
        )
    if labels:
        return (
            f"No check measures {topic}, and the closest passages ({cite_pages(labels)}) say "
            "little about it; they are shown for a reviewer to judge."
        )
    return f"Nothing in the document was found to bear on {topic}."


def _not_a_strategy(facts: Facts) -> str:
    return (
        "This document does not read as a digital strategy (it says almost nothing about "
        f"digital, data or technology), so {TOPIC.get(facts.item.id, 'this item')} cannot be "
        "judged."
    )


def summary(facts: Facts) -> str:
    """What was found and what it means for this item."""
    if not facts.strategy:
        return _not_a_strategy(facts)
    if facts.item.id == "too_long_term" and "time_horizon" in facts.indicators:
        return _hedged(facts, _too_long_term(facts))
    findings = _findings(facts) if facts.basis == "indicator" else []
    if not findings:
        return _from_passages(facts)
    what = meaning(facts)
    body = "; ".join(findings)
    if what:
        joiner = " " if what.startswith(("which", "so ")) else ": " if what[0].isdigit() else "; "
        body = f"{body}{',' if joiner == ' ' else ''}{joiner}{what}"
    return _hedged(facts, body + ".")


def _hedged(facts: Facts, text: str) -> str:
    """Points at shown evidence that bears on an absence the summary states, so the summary
    never sits unremarked beside a quote that seems to contradict it."""
    pages = _labels(contradicting(text, facts.evidence))
    if not pages:
        return text
    quotes, them = ("quotes", "them") if len(pages) > 1 else ("quote", "it")
    return (
        f"{text} The {quotes} on {cite_pages(pages)} may bear on this, but the check did not count "
        f"{them}; read and judge."
    )


# ---------------------------------------------------------------- recommendations

# item id -> what to change when the item is not green (warning signs: when present)
FIX: dict[str, str] = {
    "integrated": "Name the corporate, clinical or business plan objectives each digital "
    "priority serves",
    "user_centred": "Ground the priorities in research with patients, residents and staff, and "
    "say how many people took part and what they said",
    "useful_to_teams": "Add five or six principles for how digital work is designed and delivered, "
    "worded so teams can use them to settle their own decisions",
    "mainstream": "Rewrite for all staff in plain English, with shorter sentences, and say how "
    "the strategy will be shared",
    "realistic": "Open with what has already been delivered and the baseline it builds on",
    "focused": "Cut to a few priorities and say what will stop, pause or not be done to make "
    "room for them",
    "it_driven": "Have the chief executive or board own the strategy, with clinical and "
    "operational leaders as sponsors, and frame it in outcomes rather than infrastructure",
    "cookie_cutter": "Replace generic phrasing with this organisation's own facts: its "
    "population, sites, services and numbers",
    "unproven_tech": "Put fixing the basics (devices, networks, log-in, records, cyber security) "
    "first, and tie any emerging technology to a named problem and a small trial",
    "vague": "Turn ambitions into commitments with a number, a date and an owner",
    "too_long_term": "Set dated milestones for the next one to three years and a fixed review "
    "cycle",
    "wish_list": "Sequence the ambitions into phases and say what is deferred or dropped",
    "q01_integration": "Show, objective by objective, how digital delivers the organisation's "
    "clinical and operational plans",
    "q02_mission": "State the mission in one short line and repeat it through the document",
    "q03_users": "Summarise what patients and staff said and which needs come first",
    "q04_services": "List the main services and systems run today, with their usage and "
    "performance figures, as the starting point",
    "q05_not_prioritising": "Say plainly what the organisation is not prioritising, and why",
    "q06_actions": "Give each action a date and a named owner, preferably a clinical or "
    "operational leader",
    "q07_measures": "Set a few success measures with baselines and targets, and say when the "
    "board will see them",
    "q08_system": "Show how the strategy fits the integrated care system's plans and which "
    "partners it depends on",
    "q09_change": "Say how governance, funding, skills and ways of working will change to "
    "deliver it",
    "q10_risks": "Name the main risks, with an owner and a mitigation for each",
}
# item id -> what to keep doing when the item is green
KEEP: dict[str, str] = {
    "integrated": "Keep naming the organisational objective each digital priority serves",
    "user_centred": "Keep the research current and show how findings changed the plan",
    "useful_to_teams": "Keep the principles short and use them in business case reviews",
    "mainstream": "Keep the plain language in summaries and updates to staff",
    "realistic": "Report progress against the delivered baseline in each update",
    "focused": "Revisit the list of what is not being done at each review",
    "it_driven": "Keep ownership with executive leaders in the governance section",
    "cookie_cutter": "Keep the local facts up to date as the strategy is refreshed",
    "unproven_tech": "Keep the basics first as new technology is considered",
    "vague": "Publish progress against each dated commitment",
    "too_long_term": "Keep the review cycle and re-date milestones at each review",
    "wish_list": "Keep the phasing visible as priorities change",
    "q01_integration": "Keep the digital and business plans on the same review cycle",
    "q02_mission": "Keep using the mission line in communications",
    "q03_users": "Keep the research with users going as services change",
    "q04_services": "Keep the service baseline updated and published",
    "q05_not_prioritising": "Revisit what is not being prioritised at each review",
    "q06_actions": "Report progress against each owner's actions to the board",
    "q07_measures": "Report the measures to the board on a fixed cycle",
    "q08_system": "Keep the links to partners' plans current as they change",
    "q09_change": "Report on the organisational changes alongside delivery",
    "q10_risks": "Keep the risks on the board's risk register and review them",
}


def _horizon_fix(facts: Facts) -> str:
    start, end = facts.value("time_horizon", "start"), facts.value("time_horizon", "end")
    found = _milestone_years(facts)
    if found and start and end and found[0][0] <= int(start) + 2:
        last = found[-1][0]
        text = f"Say what will be delivered between {last + 1} and {end}, in dated phases"
    else:
        text = "Set dated milestones for the next one to three years"
    if not facts.value("time_horizon", "review_cycle"):
        text += ", and fix a review cycle"
    years = facts.value("time_horizon", "years")
    return text + (f", so the {int(years)}-year horizon is re-planned as it goes" if years else "")


def _fix(facts: Facts) -> str:
    item = facts.item.id
    if item == "too_long_term" and facts.value("time_horizon", "years"):
        return _horizon_fix(facts)
    return FIX.get(item, f"Address {TOPIC.get(item, facts.item.title.lower())}")


def _exemplar(exemplars: Sequence[ExemplarRef]) -> ExemplarRef | None:
    """The first note judged exemplary, preferring one based on the full text."""
    notes = [e for e in exemplars if e.kind == "note" and e.stance == "exemplary"]
    notes.sort(key=lambda e: e.secondary)
    return notes[0] if notes else None


def _see(exemplar: ExemplarRef) -> str:
    where = f", “{exemplar.page}”" if exemplar.page else ""
    return f" For a model, see {exemplar.title}{where}."


def recommendation(facts: Facts, exemplars: Sequence[ExemplarRef] = ()) -> str:
    """What to change, given the rating and the finding."""
    if not facts.strategy:
        return (
            "This document does not read as a digital strategy; check that the right file was "
            "reviewed, and review the organisation's digital strategy itself against this item."
        )
    good = _exemplar(exemplars)
    see = _see(good) if good else ""
    if facts.rating == "green":
        return f"{KEEP.get(facts.item.id, 'Keep this as it is')}.{see}"
    if facts.rating == "insufficient_evidence":
        topic = TOPIC.get(facts.item.id, "this item")
        return (
            f"The document says too little about {topic} to judge. If the strategy covers it, "
            f"make that findable; if not: {_fix(facts)[0].lower()}{_fix(facts)[1:]}.{see}"
        )
    return f"{_fix(facts)}.{see}"
