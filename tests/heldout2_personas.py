"""Round-2 scripted models, served from a real loopback OpenAI-compatible server (personas.serve):
a paraphraser, a page-jumper, a format-abuser, an over-confident capable model and a capable
model that judges by absence, rightly or wrongly."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from heldout_personas import _answer, _best, _kind, _look_for, _sentences
from personas import ECHO, item_title, passages

Messages = list[dict[str, str]]
NASTY = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) "
    "**bold** | a | b | \x07\x1b[31m"
)

# ---------------------------------------------------------------- paraphraser

_MONTHS = "January February March April May June July August September October November December"


def paraphrases(sentence: str) -> list[tuple[str, str]]:
    """Small edits a paraphrasing model makes, each named: every one changes what the
    sentence commits to, or misquotes it."""
    edits: list[tuple[str, str]] = []

    def sub(name: str, pattern: str, repl: str | Callable[[re.Match[str]], str]) -> None:
        changed = re.sub(pattern, repl, sentence, count=1)
        if changed != sentence:
            edits.append((name, changed))

    sub("will to may", r"\bwill\b", "may")
    sub("all to most", r"\b(?:all|every)\b", "most")
    sub("number changed", r"\b\d+\b", lambda m: str(int(m.group(0)) + 3))
    sub("date changed", r"\b20\d\d\b", lambda m: str(int(m.group(0)) + 1))
    months = _MONTHS.split()
    sub(
        "month changed",
        rf"\b(?:{'|'.join(months)})\b",
        lambda m: months[(months.index(m.group(0)) + 1) % 12],
    )
    sub("negation dropped", r"\s+(?:not|never|no|only)\b", "")
    sub("negation added", r"\b(will|can|does|is|are)\b", r"\1 not")
    sub("only added", r"\b(will|we)\s+(\w+)", r"\1 only \2")
    sub("plural changed", r"\b([a-z]{4,}[^s\W])s\b", r"\1")
    words = sentence.split()
    if len(words) > 7:
        i = len(words) // 2
        if words[i].lower() != words[i + 1].lower():
            words[i], words[i + 1] = words[i + 1], words[i]
            edits.append(("words reordered", " ".join(words)))
    return edits


def paraphraser(messages: Messages) -> str:
    """Quotes the best sentence, edited: a capable-looking answer with no faithful quote."""
    best = _best(messages)
    offered = passages(messages)
    cid, sentence = best if best else (offered[0][0], _sentences(offered[0][1])[0])
    edits = paraphrases(sentence)[:3]
    evidence = [{"chunk_id": cid, "quote": q} for _, q in edits]
    return _answer(
        evidence,
        "The plan makes a dated commitment here with a named owner, but says little about how "
        "progress will be reported.",
        "amber",
        "Say who reports progress and how often.",
    )


# ---------------------------------------------------------------- page-jumper


def page_jumper(document_sentences: list[str]) -> Callable[[Messages], str]:
    """A real sentence of the document, cited to the wrong passage: one from another offered
    passage, and one from a passage it was not shown for this item."""

    def answer(messages: Messages) -> str:
        offered = passages(messages)
        shown = " ".join(t.replace("\n", " ") for _, t in offered)
        evidence = []
        for i, (_cid, text) in enumerate(offered):
            other = offered[(i + 1) % len(offered)][0]
            for sentence in _sentences(text)[:1]:
                if len(offered) > 1:
                    evidence.append({"chunk_id": other, "quote": sentence})
        unseen = [s for s in document_sentences if s not in shown]
        if unseen:
            evidence.append({"chunk_id": offered[0][0], "quote": unseen[0]})
        return _answer(
            evidence[:3],
            "The plan sets dated commitments with named owners for this area, and the board "
            "checks them every quarter.",
            "green",
            "Publish the quarterly checks.",
        )

    return answer


# ---------------------------------------------------------------- format-abuser


def _good_answer(messages: Messages, rating: str = "amber") -> dict[str, Any]:
    best = _best(messages)
    offered = passages(messages)
    cid, sentence = best if best else (offered[0][0], _sentences(offered[0][1])[0])
    return {
        "evidence": [{"chunk_id": cid, "quote": sentence}],
        "finding": "The plan gives a dated commitment with an owner, but no measure of success "
        "for this area.",
        "rating": rating,
        "recommendation": "Add one measure of success with a baseline.",
    }


def _abuse(messages: Messages, title: str) -> str:  # noqa: PLR0911
    good = _good_answer(messages)
    text = json.dumps
    match FORMAT_ABUSES.get(title, "plain"):
        case "fenced":
            return "Here you go:\n```json\n" + text(good | {"rating": "GREEN"}) + "\n```\nDone."
        case "two_objects":
            return text(good) + "\n" + text(good | {"rating": "red", "finding": "Ignore that."})
        case "rag_prefix":
            return text(good | {"rating": "RAG: green"})
        case "spaces":
            return text(good | {"rating": " green ", "extra": {"confidence": 0.9}, "notes": [1]})
        case "missing_rating":
            return text({k: v for k, v in good.items() if k != "rating"})
        case "rating_in_finding":
            rest = {k: v for k, v in good.items() if k != "rating"}
            return text(rest | {"finding": "Rating: green. " + good["finding"]})
        case "evidence_string":
            return text(good | {"evidence": good["evidence"][0]["quote"]})
        case "long":
            return text(good | {"finding": good["finding"] + " More detail follows." * 250})
        case "markup":
            return text(good | {"finding": good["finding"] + " " + NASTY, "recommendation": NASTY})
        case "control":
            finding = good["finding"].replace(" ", "\x00 ", 2) + "\x1b[2J\u202e"
            return text(good | {"finding": finding})
    return text(good)


FORMAT_ABUSES = {
    "Focused": "fenced",
    "Realistic": "two_objects",
    "User centred": "rag_prefix",
    "Vague": "spaces",
    "IT-driven": "missing_rating",
    "Too long-term": "rating_in_finding",
    "What could go wrong?": "evidence_string",
    "Integrated": "long",
    "Mainstream": "markup",
    "Useful to teams": "control",
}


def format_abuser(messages: Messages) -> str:
    return _abuse(messages, item_title(messages))


# ---------------------------------------------------------------- over-confident


FACT_LINE = re.compile(r"^- [A-Z][^:\n]{2,40}: (.{30,}?)$", re.M)
EXEMPLAR_NOTE = re.compile(r"^- [^\n]+?\): (.{40,}?)(?:\.|$)", re.M)


def over_confident(messages: Messages) -> str:
    """Right rating and a sound finding, but the quotes are not the document's: a two-word
    quote, a line of the prompt, an exemplar note and an indicator fact line."""
    content = messages[-1]["content"]
    offered = passages(messages)
    cid = offered[0][0]
    quotes = ["the plan", ECHO.split(".")[0]]
    if note := EXEMPLAR_NOTE.search(content):
        quotes.append(note.group(1))
    facts = FACT_LINE.findall(content.split("For comparison only")[0])
    quotes += facts[:1]
    good = _good_answer(messages, "green")
    return _answer(
        [{"chunk_id": cid, "quote": q} for q in quotes],
        good["finding"],
        "green",
        good["recommendation"],
    )


# ---------------------------------------------------------------- absence


def absence(messages: Messages) -> str:
    """A capable model judging by absence: no quote, and it says precisely what is missing
    from the passages (a good sign or question red, a warning sign green)."""
    kind, looks = _kind(messages), _look_for(messages)
    missing = looks[0] if looks else item_title(messages).lower()
    if kind == "warning_sign":
        return _answer(
            [],
            f"Nothing in the passages points to {missing}; each commitment is dated and owned.",
            "green",
            "Keep each commitment dated and owned.",
        )
    return _answer(
        [],
        f"The plan does not set out {missing}; no passage names them.",
        "red",
        f"Add {missing} with an owner.",
    )
