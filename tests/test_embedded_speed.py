"""What keeps the embedded model fast: the loop guard, the schema's bound on max_tokens, the
shared prompt prefix and tight passages. Unit tests on token sequences and a scripted model;
the real SmolLM2 model once each (slow)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_PDF

from pipeline.answer import ModelAnswer
from pipeline.answer_bound import AnswerCaps, answer_chars, answer_token_bound, with_caps
from pipeline.models.base import Generation, Message
from pipeline.models.llamacpp import (
    EMBEDDED_CAPS,
    PassageBudget,
    close_json_prefix,
)
from pipeline.models.repetition import LOOP_NOTE, RepetitionGuard, repeats_last_ngram
from pipeline.models.scripted import ScriptedModel
from pipeline.prompts import load_prompt
from pipeline.review import ReviewOptions, review_document

PASSAGE = re.compile(r"\[(c\d+-p[\d-]+)\] (.*?)(?=\n\n\[c\d|\nDOCUMENT PASSAGES>>>)", re.S)
_PIECE = re.compile(r"\w+|[^\w\s]|\s+")


def pieces(text: str) -> list[int]:
    """Text as a token sequence: words, punctuation and spaces, each a stable integer."""
    vocab: dict[str, int] = {}
    return [vocab.setdefault(p, len(vocab)) for p in _PIECE.findall(text)]


# ---------------------------------------------------------------- the loop guard


def first_firing(tokens: list[int], n: int = 8, k: int = 4) -> int | None:
    """How many tokens had been generated when the guard first fired (None: never)."""
    for end in range(1, len(tokens) + 1):
        if repeats_last_ngram(tokens[:end], n, k):
            return end
    return None


def test_a_one_token_loop_stops_after_n_plus_k_minus_one_tokens() -> None:
    assert first_firing([7] * 50) == 8 + 4 - 1
    assert first_firing([7] * 50, n=3, k=2) == 4


def test_a_longer_loop_stops_within_k_periods() -> None:
    head = pieces('{"evidence": [{"chunk_id": "c000-p1", "quote": "')
    cycle = pieces("2026-27-20-")
    tokens = head + cycle * 40
    fired = first_firing(tokens)
    assert fired is not None and fired <= len(head) + len(cycle) * 4 + 8
    assert first_firing(pieces("1.1." * 100)) == 8 + 3 * 2  # "1", "." repeating


def test_a_sentence_said_over_and_over_stops() -> None:
    text = '{"evidence": [], "finding": "' + "The strategy is good for the board. " * 6
    tokens = pieces(text)
    fired = first_firing(tokens)
    sentence = len(pieces("The strategy is good for the board. "))
    assert fired is not None and fired < len(tokens) - sentence


def test_a_full_answer_with_three_quotes_from_one_passage_never_fires() -> None:
    answer = {
        "evidence": [
            {"chunk_id": "c003-p2", "quote": "We will publish our service standards by March."},
            {"chunk_id": "c003-p2", "quote": "We will stop building bespoke case systems."},
            {"chunk_id": "c003-p2", "quote": "We will close two data centres by 2026."},
        ],
        "finding": "The plan says what it will stop and when, but names no owner.",
        "rating": "amber",
        "recommendation": "Name an owner for each commitment.",
    }
    assert first_firing(pieces(json.dumps(answer))) is None
    assert first_firing(pieces(json.dumps(answer, indent=1))) is None


def test_the_guard_looks_only_at_generated_tokens_and_is_repeatable() -> None:
    prompt = [5] * 40  # a repetitive prompt is not a loop
    guard = RepetitionGuard(prompt_tokens=len(prompt))
    assert not guard(prompt + [1, 2, 3]) and not guard.fired
    looping = prompt + [1, 2] * 10
    assert guard(looping) and guard.fired
    assert guard(looping)  # llama-cpp-python asks again after the loop: same answer


@pytest.mark.parametrize(
    "cut",
    [
        '{"evidence": [{"chunk_id": "c001-p1", "quote": "1.1.1.1.1.1',
        '{"evidence": [{"chunk_id": "c001-p1", "quo',
        '{"evidence": [{"chunk_id": "c001-p1", "quote": "a b"}, {"chunk_id"',
        '{"evidence": [], "finding": "The plan. The plan. The plan.", "rating": "gr',
        '{"evidence": [], "finding": "x", "rating": "red", "recommendation": "Do',
        '{ "evidence" : [ ',
        "{",
    ],
)
def test_cut_off_json_closes_into_an_object(cut: str) -> None:
    closed = close_json_prefix(cut)
    data = json.loads(closed, strict=False)
    assert isinstance(data, dict)
    assert closed.startswith(cut[: len(closed) - 8].rstrip()[:1])


def test_close_json_prefix_leaves_whole_json_and_prose_alone() -> None:
    whole = '{"evidence": [], "finding": "x", "rating": "red", "recommendation": "y"}'
    assert close_json_prefix(whole) == whole
    assert close_json_prefix("no object here") == "no object here"


# ---------------------------------------------------------------- the schema's bound


def longest_answer(schema: dict[str, Any]) -> Any:
    """A value valid against ``schema`` with every string, array and enum at its longest."""
    if "enum" in schema:
        return max(schema["enum"], key=lambda v: len(json.dumps(v)))
    if schema.get("type") == "object":
        return {k: longest_answer(v) for k, v in schema["properties"].items()}
    if schema.get("type") == "array":
        return [longest_answer(schema["items"]) for _ in range(schema["maxItems"])]
    return "x" * schema["maxLength"]


@pytest.mark.parametrize("caps", [None, EMBEDDED_CAPS, AnswerCaps(1, 50, 80, 40)])
def test_answer_chars_is_the_longest_valid_answer(caps: AnswerCaps | None) -> None:
    schema = ModelAnswer.json_schema_for(["c001-p1", "c012-p4-5"])
    schema = with_caps(schema, caps) if caps else schema
    longest = longest_answer(schema)
    assert ModelAnswer.model_validate(longest)
    assert answer_chars(schema) == len(json.dumps(longest))


def test_caps_tighten_never_loosen_and_bound_max_tokens() -> None:
    schema = ModelAnswer.json_schema_for(["c001-p1"])
    capped = with_caps(schema, EMBEDDED_CAPS)
    evidence = capped["properties"]["evidence"]
    assert (
        evidence["maxItems"] == 2 and evidence["items"]["properties"]["quote"]["maxLength"] == 200
    )
    assert capped["properties"]["finding"]["maxLength"] == 320
    loose = with_caps(schema, AnswerCaps(9, 9999, 9999, 9999))
    assert loose == schema  # nothing loosened
    assert schema["properties"]["finding"]["maxLength"] == 600  # the original is untouched
    assert answer_token_bound(capped) < answer_token_bound(schema)
    assert 250 <= answer_token_bound(capped) <= 320
    assert answer_token_bound({"type": "string", "maxLength": 10}) == 64  # the floor


# ---------------------------------------------------------------- the judge


class BudgetedModel(ScriptedModel):
    """A scripted backend that asks for tight passages and capped answers, like the embedded
    one, and records max_tokens."""

    passage_budget = PassageBudget(passages=2, chars=120, exemplars=0, all_facts=False)
    answer_caps = EMBEDDED_CAPS

    def __init__(self, reply: Any, notes: list[str] | None = None) -> None:
        super().__init__(reply)
        self.max_tokens: list[int] = []
        self.notes = notes or []

    def generate(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation:
        self.max_tokens.append(max_tokens)
        generation = super().generate(messages, schema, max_tokens, temperature)
        generation.notes = list(self.notes)
        return generation


def first_sentence_answer(messages: list[Message], schema: dict[str, Any] | None) -> Any:
    chunk_id, text = PASSAGE.findall(messages[-1].content)[0]
    words = text.split()[:8]
    return {
        "evidence": [{"chunk_id": chunk_id, "quote": " ".join(words)}],
        "finding": "The document addresses this item in one passage, with gaps in who owns the "
        "work and by when.",
        "rating": "amber",
        "recommendation": "State the intended outcome and its owner more plainly.",
    }


def test_a_budgeted_backend_gets_fewer_shorter_passages_and_a_bounded_answer(
    corpus_home: Path,
) -> None:
    model = BudgetedModel(first_sentence_answer)
    review_document(SAMPLE_PDF, model, ReviewOptions(only=["user_centred"], use_cache=False))
    messages, schema = model.calls[0]
    shown = PASSAGE.findall(messages[-1].content)
    assert 1 <= len(shown) <= 2 and all(len(text) <= 120 for _, text in shown)
    # no exemplar notes for this backend, and no empty comparison section either
    assert "organisations handled this item" not in messages[-1].content
    assert "- none found" not in messages[-1].content
    assert "Time horizon:" not in messages[-1].content  # only the item's own facts
    assert schema is not None
    enum = schema["properties"]["evidence"]["items"]["properties"]["chunk_id"]["enum"]
    assert enum == [chunk_id for chunk_id, _ in shown]
    assert schema["properties"]["finding"]["maxLength"] == 320
    assert model.max_tokens == [answer_token_bound(schema)]

    plain = ScriptedModel(first_sentence_answer)  # no budget: passages as before
    review_document(SAMPLE_PDF, plain, ReviewOptions(only=["user_centred"], use_cache=False))
    plain_shown = PASSAGE.findall(plain.calls[0][0][-1].content)
    assert len(plain_shown) > len(shown) or any(len(t) > 120 for _, t in plain_shown)
    assert "organisations handled this item" in plain.calls[0][0][-1].content
    assert "Time horizon:" in plain.calls[0][0][-1].content  # every fact
    assert "- none found" not in plain.calls[0][0][-1].content  # exemplar notes shown


def test_an_answer_cut_short_for_looping_is_never_kept(corpus_home: Path) -> None:
    kept = review_document(
        SAMPLE_PDF,
        BudgetedModel(first_sentence_answer),
        ReviewOptions(only=["user_centred"], use_cache=False),
    )
    assert kept.items[0].confidence == "model"  # the same answer, not cut short, is kept
    looped = review_document(
        SAMPLE_PDF,
        BudgetedModel(first_sentence_answer, notes=[LOOP_NOTE]),
        ReviewOptions(only=["user_centred"], use_cache=False),
    )
    (item,) = looped.items
    assert item.confidence == "low" and LOOP_NOTE in item.quality_flags


def test_every_item_shares_the_instructions_as_its_prompt_prefix(corpus_home: Path) -> None:
    model = ScriptedModel(first_sentence_answer)
    review_document(
        SAMPLE_PDF, model, ReviewOptions(only=["focused", "q05_not_prioritising"], use_cache=False)
    )
    (first, _), (second, _) = model.calls
    assert first[0] == second[0] and first[0].role == "system"  # identical, and first
    assert "How to answer" in first[0].content and "JSON" in first[0].content
    assert first[1].content != second[1].content
    for messages in (first, second):
        user = messages[1].content
        assert user.index("DOCUMENT PASSAGES>>>") > user.index("Item:")  # the item's part last


# ---------------------------------------------------------------- the real model (slow)


@pytest.fixture(scope="module")
def smollm2() -> Any:
    pytest.importorskip("llama_cpp")
    from pipeline.models.llamacpp import LlamaCppModel

    return LlamaCppModel


LOOPING = [
    Message("system", "You copy patterns exactly."),
    Message("user", "Write the number 7 two hundred times, separated by spaces: 7 7 7 7 7 7 7"),
]


@pytest.mark.slow
def test_the_real_model_is_stopped_when_it_loops(smollm2: Any) -> None:
    free = smollm2(loop_guard=False).generate(LOOPING, None, max_tokens=120)
    assert free.completion_tokens == 120 and not free.notes  # unguarded, it runs to the limit
    guarded = smollm2().generate(LOOPING, None, max_tokens=120)
    assert guarded.notes == [LOOP_NOTE]
    assert 8 <= guarded.completion_tokens <= 40
    assert free.text.startswith(guarded.text.rstrip())  # the same greedy tokens, cut short


@pytest.mark.slow
def test_the_real_model_reuses_the_shared_prefix(smollm2: Any, corpus_home: Path) -> None:
    from pipeline.models.llamacpp import LlamaCppModel

    model = LlamaCppModel()
    review_document(
        SAMPLE_PDF, model, ReviewOptions(only=["focused", "too_long_term"], use_cache=False)
    )
    assert model.last_timing is not None
    second = model.last_timing
    system = load_prompt("system.md").text
    shared = len(model._llama.tokenize(system.encode("utf-8"), add_bos=False))
    assert second.reused_tokens >= shared  # the whole system message, and the chat markup
    # llama.cpp's own counter: only the item's own tokens were evaluated
    assert second.evaluated_tokens <= second.prompt_tokens - second.reused_tokens + 1
    assert second.generated_tokens < 300


def test_a_small_gguf_gets_the_tight_prompt_and_a_large_one_the_full_prompt(
    tmp_path: Path,
) -> None:
    from pipeline.models.llamacpp import EMBEDDED_PASSAGES, SMALL_MODEL_BYTES, LlamaCppModel

    small, large = tmp_path / "tiny.gguf", tmp_path / "seven-b.gguf"
    small.write_bytes(b"GGUF" + bytes(1000))
    with large.open("wb") as out:  # sparse: no disk is used
        out.truncate(SMALL_MODEL_BYTES + 1)
    assert LlamaCppModel(small).passage_budget == EMBEDDED_PASSAGES
    assert LlamaCppModel(large).passage_budget is None


class RecordingLlama:
    """The embedded model, recording each request and its answer."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.id, self.backend, self.max_parallel = inner.id, inner.backend, 1
        self.passage_budget, self.answer_caps = inner.passage_budget, inner.answer_caps
        self.calls: list[tuple[Any, Any, int, Generation]] = []

    def generate(
        self,
        messages: list[Message],
        schema: Any = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation:
        generation = self.inner.generate(messages, schema, max_tokens, temperature)
        self.calls.append((messages, schema, max_tokens, generation))
        return generation


@pytest.mark.slow
def test_lazy_grammar_gives_create_completions_answers_token_for_token(
    smollm2: Any, corpus_home: Path
) -> None:
    fast = RecordingLlama(smollm2())
    items = ["focused", "too_long_term", "user_centred", "q05_not_prioritising"]
    review_document(SAMPLE_PDF, fast, ReviewOptions(only=items, use_cache=False))
    fast.generate(LOOPING, None, max_tokens=60)  # no grammar, and a loop the guard stops
    reference = smollm2(lazy_grammar=False)  # llama-cpp-python's own create_completion
    assert len(fast.calls) == len(items) + 1
    for messages, schema, max_tokens, answer in fast.calls:
        again = reference.generate(messages, schema, max_tokens)
        assert (again.text, again.completion_tokens, again.notes) == (
            answer.text,
            answer.completion_tokens,
            answer.notes,
        )
    assert any(call[1] is not None for call in fast.calls)


@pytest.mark.slow
def test_the_grammar_check_refuses_what_the_grammar_forbids(smollm2: Any) -> None:
    import numpy as np

    from pipeline.models.greedy import GrammarCheck
    from pipeline.models.llamacpp import _grammar

    model = smollm2()
    llama = model._load()
    schema = ModelAnswer.json_schema_for(["c000-p1"])
    check = GrammarCheck(llama, _grammar(schema))
    try:
        brace = llama.tokenize(b"{", add_bos=False, special=False)[0]
        word = llama.tokenize(b"Hello", add_bos=False, special=False)[0]
        assert check.allows(brace) and not check.allows(word)
        logits = np.zeros(llama.n_vocab(), dtype=np.float32)
        logits[word] = 10.0  # the model's favourite is forbidden: the best allowed one wins
        logits[brace] = 5.0
        assert check.best(logits) == brace
        check.accept(brace)
        assert not check.allows(brace)  # "{{" is not JSON
    finally:
        check.close()
