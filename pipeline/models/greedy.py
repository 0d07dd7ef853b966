"""Greedy decoding for the embedded model, with the JSON grammar checked lazily.

llama-cpp-python's ``create_completion`` runs the grammar over every one of the vocabulary's
candidates at every step (49,152 for SmolLM2: about 5 ms a token, a quarter of the embedded
review's generation time). Greedy decoding needs only the best token the grammar allows. So,
as llama.cpp's own ``common_sampler`` does, the model's best token is checked alone first; only
when the grammar refuses it is the whole vocabulary filtered. The best allowed token is the same
either way, so the answer is token for token the one ``create_completion`` gives with
temperature 0 (a slow test checks this on the sample's prompts).

The loop keeps ``create_completion``'s contract for what this project uses: the prompt prefix
already in the KV cache is reused; an end-of-generation token or a stop string ends the answer
and is not part of it; a stopping criterion sees the tokens evaluated so far and, when it
fires, the token just chosen is dropped; ``max_tokens`` bounds the answer.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

StoppingCriterion = Callable[[Any, Any], bool]


def token_data_dtype() -> np.dtype[Any]:
    """llama_token_data {int32 id; float logit; float p} as a numpy record (numpy is imported
    only when the embedded model runs: the CLI starts without it)."""
    import numpy as np

    return np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)


@dataclass
class Decoded:
    """One greedy answer: its text, its tokens and why it ended."""

    text: str
    tokens: list[int]
    finish_reason: str  # "stop" (end token, stop string or criterion) or "length"
    prompt_tokens: int


class GrammarCheck:
    """A llama.cpp grammar sampler used as a yes/no check on one token, or as a filter over the
    whole vocabulary when that check says no."""

    def __init__(self, llama: Any, grammar: Any) -> None:
        import llama_cpp
        import numpy as np

        self._lib = llama_cpp
        self._sampler = llama_cpp.llama_sampler_init_grammar(
            llama._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self._sampler:
            raise ValueError("llama.cpp could not build the answer grammar")
        self._one = (llama_cpp.llama_token_data * 1)()
        self._one_array = llama_cpp.llama_token_data_array(
            data=self._one, size=1, selected=-1, sorted=False
        )
        # the whole vocabulary as candidates, built once per answer
        self._all = np.zeros(llama.n_vocab(), dtype=token_data_dtype())
        self._all["id"] = np.arange(len(self._all), dtype=np.int32)

    def allows(self, token: int) -> bool:
        import numpy as np

        self._one[0] = self._lib.llama_token_data(token, 1.0, 0.0)
        self._one_array.size, self._one_array.selected = 1, -1
        self._lib.llama_sampler_apply(self._sampler, ctypes.byref(self._one_array))
        return bool(np.isfinite(self._one[0].logit))

    def best(self, logits: np.ndarray) -> int | None:
        """The highest-scoring token the grammar allows, or None if it allows none."""
        import numpy as np

        candidates = self._all
        candidates["logit"] = logits
        array = self._lib.llama_token_data_array(
            data=candidates.ctypes.data_as(self._lib.llama_token_data_p),
            size=len(candidates),
            selected=-1,
            sorted=False,
        )
        self._lib.llama_sampler_apply(self._sampler, ctypes.byref(array))
        allowed = candidates["logit"]
        if not np.isfinite(allowed).any():
            return None
        return int(np.argmax(allowed))

    def accept(self, token: int) -> None:
        self._lib.llama_sampler_accept(self._sampler, token)

    def close(self) -> None:
        if self._sampler:
            self._lib.llama_sampler_free(self._sampler)
            self._sampler = None


def reuse_prefix(llama: Any, tokens: Sequence[int]) -> int:
    """Point the context at the longest prefix of ``tokens`` already in its KV cache and return
    its length. At least one prompt token is always left to evaluate, so there are fresh logits."""
    if not llama.n_tokens:
        return 0
    shared = int(llama.longest_token_prefix(llama._input_ids.tolist(), list(tokens)))
    shared = min(shared, len(tokens) - 1)
    if shared <= 0 or not llama._ctx.kv_cache_seq_rm(-1, shared, -1):
        llama.reset()
        return 0
    llama.n_tokens = shared
    return shared


def greedy_decode(
    llama: Any,
    prompt: Sequence[int],
    max_tokens: int,
    grammar: Any = None,
    stop: Sequence[str] = (),
    criteria: Sequence[StoppingCriterion] = (),
) -> Decoded:
    """Generate greedily from ``prompt`` (token ids) with ``llama`` (a ``llama_cpp.Llama``)."""
    import llama_cpp

    if len(prompt) + 1 > llama.n_ctx():
        raise ValueError(
            f"Requested tokens ({len(prompt)}) exceed context window of {llama.n_ctx()}"
        )
    check = GrammarCheck(llama, grammar) if grammar is not None else None
    try:
        reused = reuse_prefix(llama, prompt)
        llama.eval(list(prompt[reused:]))
        tokens, reason = _loop(llama, llama_cpp, len(prompt), max_tokens, check, stop, criteria)
    finally:
        if check is not None:
            check.close()
    text = llama.detokenize(tokens, prev_tokens=list(prompt)).decode("utf-8", errors="ignore")
    for marker in stop:
        if marker and marker in text:
            text = text[: text.index(marker)]
    return Decoded(text=text, tokens=tokens, finish_reason=reason, prompt_tokens=len(prompt))


def _loop(
    llama: Any,
    llama_cpp: Any,
    prompt_len: int,
    max_tokens: int,
    check: GrammarCheck | None,
    stop: Sequence[str],
    criteria: Sequence[StoppingCriterion],
) -> tuple[list[int], str]:
    import numpy as np

    vocab, n_vocab = llama._model.vocab, llama.n_vocab()
    tokens: list[int] = []
    stop_bytes = [s.encode("utf-8") for s in stop if s]
    while True:
        logits = np.ctypeslib.as_array(
            llama_cpp.llama_get_logits_ith(llama._ctx.ctx, -1), shape=(n_vocab,)
        )
        token: int | None = int(np.argmax(logits))
        if check is not None and not check.allows(token):  # type: ignore[arg-type]
            token = check.best(logits)
        if token is None or llama_cpp.llama_vocab_is_eog(vocab, token):
            return tokens, "stop"
        if any(criterion(llama._input_ids, logits) for criterion in criteria):
            return tokens, "stop"
        if check is not None:
            check.accept(token)
        tokens.append(token)
        if stop_bytes and _has_stop(llama, tokens, prompt_len, stop_bytes):
            return tokens, "stop"
        if len(tokens) >= max_tokens or llama.n_tokens + 1 >= llama.n_ctx():
            return tokens, "length"
        llama.eval([token])


def _has_stop(llama: Any, tokens: list[int], prompt_len: int, stop: list[bytes]) -> bool:
    text = llama.detokenize(tokens, prev_tokens=llama._input_ids[:prompt_len].tolist())
    return any(marker in text for marker in stop)
