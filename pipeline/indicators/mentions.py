"""Mention ratios: emerging technology against the basics, leadership against IT, and
links to own plans and system partners."""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.doc_kind import is_digital_strategy
from pipeline.records import Document, Indicator

from .sentences import Hit, Sentence, _all_hits, _evidence, _mixed, _plural, _share, _terms
from .statements import _DEPRIORITISE

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

# Any technology role: a chief digital or data officer is a technology role too.
_TECH_AREA = r"(?:(?-i:IT|ICT)|digital|technology|informatics|information|data|IM&T|ehealth)"
# what a service leader's title does not start with: technology, or an article
_NOT_SERVICE = rf"(?:{_TECH_AREA}|the|a|an|our|its|IM&T|ICT|IT|systems?|cyber|software)(?![\w&])"

# Who owns the strategy: leadership or IT
_LEADERSHIP = _terms(
    r"chief\s+executive(?:\s+officer)?",
    r"(?-i:CEO|COO|CFO|CMO)",
    r"chief\s+(?:operating|financial|finance|medical|nursing)\s+officer",
    r"chief\s+nurse",
    r"(?:the|our|trust|trust['’]s|council|council['’]s|departmental|management|unitary)\s+board",
    r"board\s+of\s+directors",
    r"(?:senior\s+)?(?:executive|leadership)\s+(?:management\s+)?(?:team|committee|board)",
    r"(?:executive|management)\s+committee",
    r"(?:medical|clinical|nursing|managing)\s+directors?",
    r"director\s+of\s+(?:operations|nursing|finance|strategy|people|resources|public\s+health)",
    r"permanent\s+secretary",
    r"directors?[-\s]+general",
    r"secretary\s+of\s+state",
    r"accounting\s+officer",
    r"ministers?",
    r"(?-i:Cabinet)",
    r"(?:council\s+)?leader\s+of\s+the\s+council",
    r"council\s+leader",
    r"(?:the|our)\s+(?:\w+\s+)?chair(?:man|woman|person)?",
    r"elected\s+members",
    r"councillors?",
    r"mayor",
    r"(?:the|our)\s+(?:department|organi[sz]ation|trust|council|ministry)\s+as\s+a\s+whole",
    r"(?:the\s+)?whole\s+(?:department|organi[sz]ation|trust|council|ministry)",
    # a service or operational leader: "Director of Place", "Head of Housing"
    rf"(?:executive\s+|corporate\s+|strategic\s+)?director\s+of\s+(?!{_NOT_SERVICE})[\w'’-]+",
    rf"head\s+of\s+(?!{_NOT_SERVICE})[\w'’-]+",
)
_IT = _terms(
    r"chief\s+(?:digital\s+(?:and|&)\s+)?information\s+officer(?:\s*\((?-i:CIO|CDIO)\))?",
    r"chief\s+(?:clinical\s+|nursing\s+)?information\s+officer(?:\s*\((?-i:CCIO|CNIO)\))?",
    r"chief\s+(?:digital|technology|data|technical|information\s+security)\s+officer"
    r"(?:\s*\((?-i:CDO|CTO|CISO)\))?",
    rf"(?:head|director|deputy\s+director|assistant\s+director)\s+of\s+{_TECH_AREA}"
    r"(?:\s+(?:and\s+\w+\s+)?(?:services|transformation|technology))?",
    rf"{_TECH_AREA}\s+(?:and\s+digital\s+|&\s+digital\s+)?"
    r"(?:department|team|services?\s+(?:team|division|department|directorate)|function"
    r"|directorate|division|director|lead|unit|manager)",
    r"(?-i:CIO|CDIO|CTO|CDO|CCIO|CNIO|CISO)",
    # technology suppliers and technology governance: "our technology partner", "the IT
    # steering group", "the ICT programme board"
    r"(?:strategic\s+)?(?:technology|(?-i:IT|ICT)|software|digital|cloud)\s+"
    r"(?:partners?|suppliers?|vendors?|providers?|contractors?)",
    rf"{_TECH_AREA}\s+(?:steering|programme|project|strategy|change|portfolio)\s+"
    r"(?:group|board|committee|office)",
)
# A sentence that says who owns, leads or wrote the strategy.
_OWNS = _terms(
    r"own(?:s|ed)?\s+(?:\w+\s+)?by",
    r"owns?",
    r"owners?",
    r"led\s+by",
    r"leads?\s+(?:on|the|this|our)",
    r"accountab(?:le|ility)",
    r"responsib(?:le|ility)",
    r"sponsor(?:ed|s)?(?:\s+by)?",
    r"signed(?:\s+off)?\s+by",
    r"(?:approved|agreed|endorsed|chaired|written|prepared|produced|authored|drafted)\s+by",
    r"(?:foreword|message|introduction|preface)\s+(?:from|by)",
    r"belongs?\s+to",
    r"chairs?",
    r"(?:delivered|managed|overseen|governed|run|implemented)\s+by",
    r"report(?:s|ed)?\s+to",
)
_OWNER_SHARE = (0.67, 0.33)  # executive at or above the first, technology at or below the second

# The organisation's own plans: a plan or strategy named by what it governs, not by its words
# in one document.
_OWN_PLANS = _terms(
    r"(?:corporate|clinical(?:\s+services)?|trust|organi[sz]ational|business|operational|council"
    r"|annual|people|workforce|estates|quality|departmental|outcome\s+delivery|financial"
    r"|medium[-\s]term\s+financial|commissioning|service|improvement)"
    r"\s+(?:plans?|strateg(?:y|ies))",
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


def emerging_tech(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    """The share of emerging-technology mentions against the basics. No share (None) when the
    document is not about digital at all or mentions neither: absence is not avoidance."""
    # "We will not start AI projects until ...": emerging technology ruled out or deferred is
    # not emphasis on it
    chosen = [s for s in sents if not _DEPRIORITISE.search(s.flat)]
    emerging, basics = _all_hits(chosen, _EMERGING), _all_hits(sents, _BASICS)
    about = is_digital_strategy(doc)
    ratio = _share(len(emerging), len(basics)) if about else None
    if not about:
        summary = "No digital or technology subject, so this is not measured."
    elif emerging or basics:
        summary = (
            f"{_plural(len(emerging), 'mention')} of emerging technology against "
            f"{len(basics):,} of the basics (share {ratio or 0:.0%} emerging)."
        )
    else:
        summary = "No mentions of emerging technology or of the basics found."
    return Indicator(
        id="emerging_tech",
        title="Emerging technology against the basics",
        value={
            "emerging": len(emerging),
            "basics": len(basics),
            "ratio": ratio,
            "about_digital": about,
        },
        summary=summary,
        evidence=_evidence(doc, _mixed(emerging, basics)),
    )


def _position(hit: Hit) -> tuple[int, int, int]:
    return hit.sentence.page.page, hit.sentence.start, hit.start


def _owner_kind(share: float | None) -> str:
    if share is None:
        return "unknown"
    high, low = _OWNER_SHARE
    return "executive" if share >= high else "technology" if share <= low else "mixed"


def ownership(doc: Document, sents: Sequence[Sentence]) -> Indicator:
    """Executive leadership against technology roles, read from the sentences that say who owns,
    leads or wrote the strategy where there are any, else from every mention."""
    stated = [s for s in sents if _OWNS.search(s.flat)]
    lead, it = _all_hits(stated, _LEADERSHIP), _all_hits(stated, _IT)
    basis = "statements of ownership"
    if not lead and not it:
        lead, it, basis = _all_hits(sents, _LEADERSHIP), _all_hits(sents, _IT), "mentions"
    share = _share(len(lead), len(it))
    stated_owner = basis != "mentions"
    kind = _owner_kind(share) if stated_owner else "unknown"
    first = min(lead + it, key=_position, default=None) if stated_owner else None
    owner = " ".join(first.sentence.flat[first.start : first.end].split()) if first else None
    if share is None:
        summary = "No mentions of executive leadership or of technology roles found."
    else:
        summary = (
            f"From {basis}: executive leadership {_plural(len(lead), 'time')}, technology "
            f"roles {_plural(len(it), 'time')} ({share:.0%} leadership; owner: {kind})."
        )
    return Indicator(
        id="ownership",
        title="Executive ownership against technology ownership",
        value={
            "leadership": len(lead),
            "it": len(it),
            "leadership_share": share,
            "owner": owner,
            "owner_kind": kind,
        },
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
