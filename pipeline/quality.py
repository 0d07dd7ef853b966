"""The quality gate: it separates UNUSABLE model output from DISAGREEMENT.

Unusable output never reaches the report as a finding:
- an empty answer or a fragment, a heading or label with no sentence in it, or a finding cut off
  mid-sentence at the token limit;
- a loop (the same sentence again, or a few words over and over);
- an echo of the prompt's own wording or of an exemplar note, or a paste of the document with
  no judgement of its own (a long passage, or a short line copied word for word);
- an instruction from the document, obeyed (text addressed to reviewers, the words of a
  sentence the injection check withheld, or a quote of a sentence stating a verdict on the
  document: a model that leans on it was steered, whatever else it quotes; a quote that only
  shares words with a withheld sentence is dropped, but is not taken as steering);
- a rating with nothing under it: one that says the document shows something, with no quote
  verified, or one that rests on absence without saying what is missing;
- a rating its own finding contradicts ("The strategy is not realistic" rated green, "answers
  this well" rated red), when the finding is one-sided (no "but", "although", ...);
- a finding that only restates the item ("The strategy is realistic and meets this item"), with
  no word, name or number of its own about this document, or with only a word or two of
  appraisal or padding ("with sensible plans") that are not the document's words either;
- a finding that points to a page ("on page 7", "§4") the model was not shown: it cannot know
  what is there, and a reader who checks finds something else.

A usable judgement is kept, even when it contradicts the deterministic checks: the report then
shows both ratings and says "model and checks disagree: check this". So it does when a kept
absence judgement ("no risks are named") meets checks that found some of the thing in the
document. Rating is the model's job; the checks are one more piece of evidence, not a veto.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

from .injection import addresses_reviewer, passes_on_instruction
from .normalise import normalise_for_match

DISAGREE_NOTICE = "model and checks disagree: check this"
MAX_FINDING_CHARS = 1500  # the schema asks for 600; past this it is not a board-ready finding
_SCORE = {"red": 0, "amber": 1, "green": 2}
_LETTER_WORD = re.compile(r"[a-z]{3,}")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’-]*")
_ENDS_SENTENCE = re.compile(r"[.!?][\"'\u201d\u2019)\]]*\s*$")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+")
_MISSING = re.compile(
    r"\b(?:no|not|never|nothing|none|nowhere|neither|nor|without|lacks?|lacking|missing|"
    r"absent|absence|omits?|omitted|silent|fails?\s+to|does\s*n[o']t|doesn't|isn't|aren't|"
    r"cannot|can't|avoids?|avoided|free\s+of|little|only)\b",
    re.I,
)

# Reasons an answer is unusable.
EMPTY = "empty or fragment"
NOT_A_SENTENCE = "a heading or label, not a finding"
TOO_LONG = "too long to be a finding"
CUT_OFF = "cut off mid-sentence at the length limit"
LOOP = "repetitive text (a loop)"
ECHO_PROMPT = "repeats the prompt's own wording"
ECHO_EXEMPLAR = "repeats an exemplar note"
PASTE = "pastes the document without judging it"
OBEYED = "follows an instruction planted in the document"
UNSUPPORTED = "says the document shows this, but no quote was verified"
ABSENCE_UNSAID = "rests on absence without saying what is missing"
OFF_TOPIC = "rests on absence but says nothing about this item"
CONTRADICTS_RATING = "the finding says the opposite of its rating"
RESTATES_ITEM = "restates the item without saying anything about this document"
UNSHOWN_PAGE = "points to a page it was not shown"

Basis = Literal["evidence", "absence", "none"]


@dataclass
class GateInput:
    """Everything the gate looks at for one item's answer."""

    kind: str  # good_sign | warning_sign | board_question
    rating: str
    finding: str
    recommendation: str
    verified_quotes: int
    prompt_words: str  # instructions, rubric wording, rating guide: everything not document
    exemplar_words: str = ""
    document_text: str = ""
    withheld: list[str] = field(default_factory=list)  # sentences the injection check withheld
    checks_rating: str | None = None  # the deterministic indicators' rating, if any
    hit_token_limit: bool = False  # the answer used every token or character it was allowed
    item_words: str = ""  # the rubric item's title, description, look-fors and keywords
    item_title: str = ""
    shown_pages: list[str] = field(default_factory=list)  # numbers and labels of shown pages
    quoted_verdicts: int = 0  # quotes of a sentence stating a verdict on the document


@dataclass
class Assessment:
    unusable: list[str]
    basis: Basis
    disagreement: bool

    @property
    def usable(self) -> bool:
        return not self.unusable


# ---------------------------------------------------------------- text checks


def words(text: str) -> list[str]:
    """Lower-case words without punctuation, so "strategy," and "strategy." are one word."""
    return _TOKEN.findall(normalise_for_match(text))


def ngrams(text: str, n: int = 5) -> list[tuple[str, ...]]:
    tokens = words(text)
    return [tuple(tokens[i : i + n]) for i in range(max(0, len(tokens) - n + 1))]


def share_found_in(text: str, source: str, n: int = 5) -> float:
    """Share of ``text``'s n-grams that also occur in ``source`` (0 when text has none)."""
    grams = ngrams(text, n)
    if not grams:
        return 0.0
    pool = set(ngrams(source, n))
    return sum(g in pool for g in grams) / len(grams)


def is_fragment(text: str) -> bool:
    """Too little to be a judgement: under five words, or no real word at all."""
    return len(_WORD.findall(text)) < 5 or not _LETTER_WORD.search(text.lower())


SHORT_WORDS = 12  # a finding this short with no sentence in it is a heading or a label


def is_label(text: str) -> bool:
    """A few words with no sentence in them (e.g. a section heading such as "3. Governance,
    partners and risk"): a capable model's finding is at least one sentence."""
    stripped = text.strip()
    return len(_WORD.findall(stripped)) <= SHORT_WORDS and not _ENDS_SENTENCE.search(stripped)


def is_copied_line(text: str, source: str) -> bool:
    """A short finding found word for word in the document: a line pasted, not a judgement."""
    tokens = words(text)
    return 0 < len(tokens) < 2 * SHORT_WORDS and " ".join(tokens) in " ".join(words(source))


def is_looping(text: str) -> bool:
    """Degenerate generation: a sentence said twice, a 4-word run said four times, or text
    whose 4-word runs are mostly repeats. Saying "the strategy does not" three times about
    three different gaps is not a loop."""
    sentences = [" ".join(words(s)) for s in _SENTENCE_SPLIT.split(text)]
    counted = Counter(s for s in sentences if len(s.split()) >= 4)
    if counted and max(counted.values()) >= 2:
        return True
    grams = ngrams(text, 4)
    if not grams:
        return False
    counts = Counter(grams)
    if max(counts.values()) >= 4:
        return True
    return len(grams) >= 12 and len(counts) / len(grams) < 0.5


def echoes(text: str, source: str, threshold: float) -> bool:
    return len(ngrams(text)) >= 2 and share_found_in(text, source) >= threshold


def overlaps_withheld(text: str, withheld: list[str]) -> bool:
    """The answer repeats words of a withheld sentence (two shared 5-word runs, or one when
    the sentence is short)."""
    mine = set(ngrams(text))
    for sentence in withheld:
        theirs = set(ngrams(sentence))
        if theirs and len(mine & theirs) >= min(2, len(theirs)):
            return True
    return False


_STEM_STOP = frozenset(
    re.findall(
        r"\w+",
        "this that with from have will been their there what which when where more than into does "
        "about only also they them some such each other over very most make made much many must "
        "should would could being these those were just then plan strategy document organisation "
        "organization",
    )
)


def _stems(text: str) -> set[str]:
    return {
        w[:5]
        for w in re.findall(r"[a-z]{4,}", text.lower())
        if w not in _STEM_STOP and w.removesuffix("s") not in _STEM_STOP
    }


def about_item(finding: str, item_words: str) -> bool:
    """An absence finding has no quote to tie it to the document, so it must at least be about
    the item: share one content word (by its first five letters) with the item's wording."""
    return bool(_stems(finding) & _stems(item_words))


def states_missing(text: str) -> bool:
    """The finding says what is absent ("no mission", "does not name", "lacks any risk")."""
    return bool(_MISSING.search(text))


# Words any verdict uses, whatever the document: they say nothing about this one.
_VERDICT_WORDS = frozenset(
    re.findall(
        r"\w+",
        "clear clearly meets meet item items full fully shows show shown well good strong strongly "
        "demonstrates demonstrated evident evidence overall really largely mostly generally rated "
        "rating green amber red answers answered question criteria criterion requirement "
        "certainly definitely indeed partly partially extent satisfies sign signs aspects area "
        "areas aspect point points respect terms whole good great excellent reasonably quite "
        "very highly sufficiently adequately present presents covers covered addresses",
    )
)


# Words of appraisal or padding that fit any document: one or two of them added to the item's
# own wording ("realistic and clearly meets this item, with sensible plans") say nothing new.
_FILLER_WORDS = frozenset(
    re.findall(
        r"\w+",
        "sensible solid robust credible convincing convincingly encouraging impressive "
        "impressively approach approaches manner way ways effort judgement judgment opinion "
        "thorough thoroughly comprehensive comprehensively appropriate appropriately effective "
        "effectively positive positively satisfactory broadly notably reasonable sensibly nice "
        "fine solidly decent commendable admirable thoughtful compelling persuasive "
        "persuasively strength strengths reassuring welcome welcomed pleasing confident "
        "confidently consistent consistently sure surely obvious obviously apparent apparently "
        "thing things respects regard regards generally throughout",
    )
)
MAX_PADDING_WORDS = 2  # own words beyond the item's that, absent from the document, are padding


def restates_item(finding: str, item_words: str, document_text: str = "") -> bool:
    """The finding says nothing about this document (no name, number or word of its own):
    every content word is the item's own wording, a verdict word or a word of appraisal; or
    the one or two words left are not the document's either (padding, not a fact about it)."""
    if re.search(r"\d", finding) or not item_words:
        return False
    generic = {w[:5] for w in _VERDICT_WORDS | _FILLER_WORDS}
    own = _stems(finding) - _stems(item_words) - generic
    if not own:
        return True
    if not document_text or len(own) > MAX_PADDING_WORDS:
        return False
    in_document = {w[:4] for w in _stems(document_text)}
    return not any(w[:4] in in_document for w in own)


_MIXED = re.compile(
    r"\b(?:but|although|though|however|while|whereas|yet|except|apart from|partly|partially"
    r"|some|mixed|only)\b",
    re.I,
)
_NEG_BEFORE = re.compile(
    r"\b(?:not|never|no|nowhere|hardly|barely|far from|isn't|aren't|doesn't|does not|fails? to"
    r"|lacks?)\b(?:\s+\w+){0,2}\s*$",
    re.I,
)
_SHOWN = re.compile(
    r"\b(?:(?:is|are)\s+(?:(?:not|never|clearly|fully|well)\s+)?(?:shown|met|answered"
    r"|demonstrated)|(?:clearly\s+|fully\s+)?(?:shows?|meets?|answers?|demonstrates?)\s+(?:this"
    r"|the item|it|the question)(?:\s+(?:well|clearly|fully|in full))?)\b",
    re.I,
)
_NEGATION_WORD = re.compile(r"\b(?:not|never)\b", re.I)


def _claims(text: str, pattern: re.Pattern[str]) -> tuple[bool, bool]:
    """(said, denied): the pattern occurs with no negation just before it, or with one."""
    said = denied = False
    for match in pattern.finditer(text):
        if _NEG_BEFORE.search(text[: match.start()]) or _NEGATION_WORD.search(match.group(0)):
            denied = True
        else:
            said = True
    return said, denied


def finding_polarity(finding: str, kind: str, title: str) -> str | None:
    """ "present" when a one-sided finding says the item's sign is there, "absent" when it says
    it is not, None when the finding is mixed or does not say either way. For a board question
    only "answers this" or "is not answered" counts; for a sign, its title too ("is vague")."""
    if _MIXED.search(finding):
        return None
    # "meets this" or "is shown" of a warning sign could mean the sign or its absence: only
    # the sign's own name ("is vague", "is not vague") counts there.
    patterns = [] if kind == "warning_sign" else [_SHOWN]
    plain = title.strip().lower().rstrip("?")
    if kind != "board_question" and plain and len(plain.split()) <= 4:
        words = r"[\s-]+".join(re.escape(w) for w in re.split(r"[\s-]+", plain))
        patterns.append(re.compile(rf"\b{words}\b", re.I))
    said = denied = False
    for pattern in patterns:
        yes, no = _claims(finding, pattern)
        said, denied = said or yes, denied or no
    if said == denied:
        return None
    return "present" if said else "absent"


def rating_contradicted(kind: str, rating: str, finding: str, title: str) -> bool:
    """A green or red rating whose own one-sided finding says the opposite."""
    polarity = finding_polarity(finding, kind, title)
    if polarity is None or rating not in ("green", "red"):
        return False
    present_rating = "red" if kind == "warning_sign" else "green"
    return (polarity == "present") != (rating == present_rating)


_PAGE_REF = re.compile(
    r"\b(?:pages?|pp?\.|pg\.?)\s*(\d{1,4})(?:\s*(?:-|\u2013|to|and)\s*(\d{1,4}))?\b"
    r"|\u00a7\s*(\d{1,4})\b",
    re.I,
)


def page_refs(text: str) -> set[str]:
    """The pages a finding points to: "page 7", "pp. 3-4", "§2" (§ labels keep their sign)."""
    refs: set[str] = set()
    for match in _PAGE_REF.finditer(text):
        if match.group(3):
            refs.add(f"\u00a7{match.group(3)}")
            continue
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        refs.update(str(n) for n in range(first, min(last, first + 20) + 1))
    return refs


def unshown_pages(finding: str, shown_pages: list[str], document_text: str = "") -> set[str]:
    """Pages the finding points to that were not among those shown, nor named by the document
    itself ("the risk register on page 12"); nothing when no shown pages were recorded."""
    if not shown_pages:
        return set()
    shown = {p.strip().lower() for p in shown_pages} | page_refs(document_text)
    return {ref for ref in page_refs(finding) if ref.lower() not in shown}


# ---------------------------------------------------------------- ratings


def claims_absence(kind: str, rating: str) -> bool:
    """A rating that rests on something NOT being in the document: a good sign not shown, a
    question not answered, a warning sign avoided."""
    return (kind in ("good_sign", "board_question") and rating == "red") or (
        kind == "warning_sign" and rating == "green"
    )


def contradicts(model_rating: str, checks_rating: str | None) -> bool:
    """Two steps apart (green against red) counts as a disagreement worth a reader's check."""
    if checks_rating not in _SCORE or model_rating not in _SCORE:
        return False
    return abs(_SCORE[model_rating] - _SCORE[checks_rating]) == 2


# ---------------------------------------------------------------- the gate


def text_problems(answer: GateInput) -> list[str]:
    """Reasons the answer's text is unusable, whatever its rating."""
    finding, recommendation = answer.finding, answer.recommendation
    both = f"{finding} {recommendation}"
    if is_fragment(finding):
        return [EMPTY]
    problems = [TOO_LONG] if len(finding) > MAX_FINDING_CHARS else []
    if answer.hit_token_limit and not _ENDS_SENTENCE.search(finding):
        problems.append(CUT_OFF)
    if is_looping(finding) or is_looping(recommendation):
        problems.append(LOOP)
    elif is_label(finding):
        problems.append(NOT_A_SENTENCE)
    if echoes(finding, answer.exemplar_words, 0.5):
        problems.append(ECHO_EXEMPLAR)
    elif echoes(finding, answer.prompt_words + "\n" + answer.exemplar_words, 0.7):
        problems.append(ECHO_PROMPT)
    elif (
        is_copied_line(finding, answer.document_text)
        or echoes(finding, answer.document_text, 0.9)
        or echoes(finding, "\n".join([answer.document_text, answer.prompt_words]), 0.95)
    ):
        problems.append(PASTE)
    if unshown_pages(finding, answer.shown_pages, answer.document_text):
        problems.append(UNSHOWN_PAGE)
    if (
        addresses_reviewer(finding)
        or passes_on_instruction(recommendation)
        or overlaps_withheld(both, answer.withheld)
        or answer.quoted_verdicts  # it leant on the document's verdict on itself: steered
    ):
        problems.append(OBEYED)
    return problems


def support_problems(answer: GateInput) -> tuple[list[str], Basis]:
    """Whether the rating has something under it, and what."""
    if answer.rating == "insufficient_evidence":
        return [], "none"
    if rating_contradicted(answer.kind, answer.rating, answer.finding, answer.item_title):
        return [CONTRADICTS_RATING], "evidence" if answer.verified_quotes else "none"
    if answer.verified_quotes:
        if not claims_absence(answer.kind, answer.rating) and restates_item(
            answer.finding, answer.item_words, answer.document_text
        ):
            return [RESTATES_ITEM], "evidence"
        return [], "evidence"
    if not claims_absence(answer.kind, answer.rating):
        return [UNSUPPORTED], "none"
    if not states_missing(answer.finding):
        return [ABSENCE_UNSAID], "absence"
    if answer.item_words and not about_item(answer.finding, answer.item_words):
        return [OFF_TOPIC], "absence"
    return [], "absence"


def checks_found_it(kind: str, checks_rating: str | None) -> bool:
    """The deterministic checks found in the document what an absence rating says is not
    there: some of a good sign or an answer (not red), some of a warning sign (not green)."""
    if checks_rating not in _SCORE:
        return False
    absent = "green" if kind == "warning_sign" else "red"
    return checks_rating != absent


def assess(answer: GateInput) -> Assessment:
    """An absence judgement is kept, but when the checks found the thing it says is missing,
    the reader is told to check it, as for a two-step disagreement."""
    problems = text_problems(answer)
    support, basis = support_problems(answer)
    disagreement = contradicts(answer.rating, answer.checks_rating) or (
        basis == "absence" and checks_found_it(answer.kind, answer.checks_rating)
    )
    return Assessment(unusable=problems + support, basis=basis, disagreement=disagreement)
