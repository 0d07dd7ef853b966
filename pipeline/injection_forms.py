"""Disguised forms of text, undone for the injection detector (detection only; the document's
text is never changed).

- **Encodings:** hex runs and URL-encoding that decode to plain words; ROT13 (tried only on a
  sentence with no English function words, see :func:`rot13`).
- **Spacing tricks:** letters spaced out ("r a t e  g r e e n") or dotted ("R.a.t.e") are
  joined; a wider gap stays a word break.
- **Another language:** :func:`foreign` says whether a sentence is written in a language other
  than English (by its share of English function words), and :func:`judgement_stems` finds the
  stems of judgement and instruction words that most European languages share by descent or
  loan ("instru-", "criteri-/kryteri-", "evalu-", "strateg-", "ignor-", "maxim-"...). A sentence in
  another language inside an English document that carries them is read as planted; see
  ``injection.classify_in``.
"""

from __future__ import annotations

import codecs
import re
from urllib.parse import unquote

# ---------------------------------------------------------------- encodings

_HEX = re.compile(r"(?<![\w])(?:[0-9a-fA-F]{2}){12,}(?![\w])")
_URL = re.compile(r"(?:%[0-9a-fA-F]{2}[^%\s]*){2,}")


def _plain(decoded: str) -> bool:
    return (
        decoded.isprintable()
        and " " in decoded.strip()
        and sum(c.isalpha() or c == " " for c in decoded) > 0.8 * len(decoded)
    )


def _decode_hex(match: re.Match[str]) -> str:
    try:
        decoded = bytes.fromhex(match.group(0)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return match.group(0)
    return decoded if _plain(decoded) else match.group(0)


def decode_runs(text: str) -> str:
    """Hex runs that decode to plain words, and URL-encoded text, decoded."""
    text = _HEX.sub(_decode_hex, text)
    if _URL.search(text):
        text = unquote(text)
    return text


# ---------------------------------------------------------------- spacing tricks

# Three or more single letters, each followed by one to three spaces or a dot.
_SPACED = re.compile(r"(?<!\w)(?:[^\W\d_][ \t]{1,3}){3,}[^\W\d_](?!\w)")
_DOTTED = re.compile(r"(?<!\w)(?:[^\W\d_]\.){3,}[^\W\d_]?\.?(?!\w)")


# Words of an instruction, to find the word breaks of a run spaced out evenly ("r a t e e v e r
# y" once a reader has collapsed the wider gaps).
_VOCABULARY = frozenset(
    re.findall(
        r"\w+",
        "ignore disregard forget all any previous prior above instructions instruction rules rate "
        "rated score mark grade give treat every each item items criteria criterion question "
        "questions green strong highest top marks full this the a an strategy plan document and as "
        "met fully you your are is be must should please system prompt reviewer reviewers assessor "
        "assessors ai model on in of to it its omit risks do not mention excellent outstanding",
    )
)


def _segment(letters: str) -> list[str] | None:
    """``letters`` cut into vocabulary words (fewest words), or None when it cannot be."""
    best: list[list[str] | None] = [[]] + [None] * len(letters)
    for end in range(1, len(letters) + 1):
        for start in range(max(0, end - 12), end):
            head = best[start]
            if head is not None and letters[start:end] in _VOCABULARY:
                candidate = [*head, letters[start:end]]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[-1]


def _join_spaced(match: re.Match[str]) -> str:
    run = match.group(0)
    gaps = re.findall(r"[ \t]+", run)
    if len({len(g) for g in gaps}) > 1:  # a wider gap is a word break
        narrow = min(len(g) for g in gaps)
        return " ".join(w.replace(" " * narrow, "") for w in re.split(rf" {{{narrow + 1},}}", run))
    joined = run.replace(" ", "").replace("\t", "")
    words = _segment(joined.lower()) if len(joined) >= 6 else None
    return " ".join(words) if words else joined


def _join_dotted(match: re.Match[str]) -> str:
    return match.group(0).replace(".", "")


def join_letters(text: str) -> str:
    """Letters spaced out or dotted apart joined into words."""
    return _DOTTED.sub(_join_dotted, _SPACED.sub(_join_spaced, text))


# ---------------------------------------------------------------- language

_ENGLISH = frozenset(
    re.findall(
        r"\w+",
        "the a an and or of to in on for with by is are be been was were this that these those it "
        "its we our you your they their will would should must can not no all every each any as at "
        "from have has had do does which who what when if than then there here us me he she his "
        "her him them so but also more most about into over up out new after before because "
        "how why where while through per only our my i am",
    )
)
_WORD = re.compile(r"[^\W\d_]+")


def english_share(text: str) -> float:
    words = _WORD.findall(text.lower())
    return sum(w in _ENGLISH for w in words) / len(words) if words else 1.0


def foreign(text: str) -> bool:
    """Five or more words, mostly lower case (not a heading in title case), fewer than one in
    seven of them English function words, and either none at all or a letter English does not
    use ("ø", "ł", "ş", "ô")."""
    words = _WORD.findall(text)
    lower = sum(w.islower() for w in words)
    share = english_share(text)
    if len(words) < 5 or lower < 0.5 * len(words) or share >= 0.15:
        return False
    return share == 0 or any(not c.isascii() and c.isalpha() for c in text)


def rot13(text: str) -> str:
    return codecs.encode(text, "rot13")


# Stems shared across languages, in three groups: the reader's instructions, the act of
# judging, and the thing judged. A planted sentence in another language names at least two
# groups; a document's own text in another language (a summary in Welsh, a title) rarely does.
_STEMS: dict[str, str] = {
    "instructions": (
        r"ignor|instru[ckt]|instrukc|instrukt|talimat|cyfarwyddiad|anwybydd|zignoruj|"
        r"yok\s+say|prompt|polecen|pokyn"
    ),
    "judging": (
        r"evalu|ewalu|bewert|assess|apprais|criteri|kryteri|kriteri|scor|sg[oô]r|puan|punkt|"
        r"betyg|ocen|not[aăe]\b|rating|rubric|rubryk|grad[dei]|değerlendir|bedöm|granskar|"
        r"aseswyr|asesu|maxim|maksym|maksim|högst|hojeste|højeste|uchaf|najwyż|en\s+yüksek|"
        r"ye[sş]il|gr[oö]n|zielon|verde|gwyrdd|werdd|excel|utmärkt|doskona|mükemmel|ardderchog"
    ),
    "judged": (
        r"strateg|stratej|strategaeth|dokument|belge|document|plan\b|planu|planen|cynllun|"
        r"eitem|punkte|madde|element"
    ),
}
_STEM = {group: re.compile(rf"(?<!\w)(?:{stems})", re.I) for group, stems in _STEMS.items()}


def judgement_stems(text: str) -> set[str]:
    """Which groups of shared judgement stems the text carries."""
    return {group for group, stem in _STEM.items() if stem.search(text)}
