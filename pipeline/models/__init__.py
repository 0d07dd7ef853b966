"""Model backends behind one interface, and the resolver for ``--model`` / ``--base-url``."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ModelError
from .base import Generation, Message, ModelAPI

RULES = "rules"
OBEYING = "obeying"  # the injection eval's adversary: obeys instructions found in its prompt
EMBEDDED = "embedded"
OLLAMA_URL = "http://localhost:11434/v1"

__all__ = ["EMBEDDED", "RULES", "Generation", "Message", "ModelAPI", "resolve_model"]


def resolve_model(spec: str | None = None, base_url: str | None = None) -> ModelAPI | None:
    """Turn CLI options and env vars into a backend. ``None`` means the rules baseline.

    - nothing, ``embedded`` or ``smollm2``: the embedded SmolLM2 via llama.cpp;
    - ``rules``: no language model;
    - ``obeying``: a scripted adversary that obeys rating instructions in its prompt (evals);
    - a path ending ``.gguf``: that file via llama.cpp;
    - ``ollama:NAME``: Ollama's OpenAI-compatible API (``OLLAMA_HOST`` or localhost:11434);
    - any NAME with ``--base-url`` (or ``STRATEGY_REVIEW_BASE_URL``): an OpenAI-compatible server.
    """
    spec = spec or os.environ.get("STRATEGY_REVIEW_MODEL") or EMBEDDED
    base_url = base_url or os.environ.get("STRATEGY_REVIEW_BASE_URL")
    if spec == RULES:
        return None
    if spec == OBEYING:
        from .adversary import ObeyingModel

        return ObeyingModel()
    if spec.startswith("ollama:"):
        host = os.environ.get("OLLAMA_HOST")
        url = base_url or (f"{host.rstrip('/')}/v1" if host else OLLAMA_URL)
        return _openai(spec.removeprefix("ollama:"), url)
    if base_url:
        return _openai(spec, base_url)
    from .llamacpp import LlamaCppModel

    if spec in (EMBEDDED, "smollm2"):
        return LlamaCppModel()
    if spec.endswith(".gguf"):
        return LlamaCppModel(Path(spec).expanduser())
    raise ModelError(
        f"unknown model {spec!r}: use 'embedded', 'rules', 'obeying', a .gguf path, 'ollama:NAME', "
        "or a model name with --base-url"
    )


def _openai(model: str, base_url: str) -> ModelAPI:
    from .openai_compat import OpenAICompatModel

    return OpenAICompatModel(model=model, base_url=base_url)
