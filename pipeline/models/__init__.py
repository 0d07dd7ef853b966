"""Model backends behind one interface, and :func:`resolve_model`, the one way to get one.

Which backend a spec names is the registry's job (``registry.py``); where the spec comes from
(option, environment, ``<home>/config.toml``, fallback) is ``pipeline.config``'s.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from ..config import FALLBACK_NOTICE, RANK, ModelChoice, choose_model
from ..errors import ModelError
from .base import Generation, Message, ModelAPI
from .registry import (
    EMBEDDED,
    OBEYING,
    OLLAMA_URL,
    backends,
    create_model,
    endpoint_of,
    find_backend,
    insecure_url_warning,
    takes_no_url,
)
from .rules import RULES, RulesModel, is_rules

__all__ = [
    "EMBEDDED",
    "OBEYING",
    "OLLAMA_URL",
    "RULES",
    "Generation",
    "Message",
    "ModelAPI",
    "RulesModel",
    "backends",
    "create_model",
    "find_backend",
    "is_rules",
    "resolve_model",
    "settle",
]

Notify = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def settle(choice: ModelChoice) -> ModelChoice:
    """Pair the spec with a base URL. A base URL configured *below* the spec (e.g. in
    config.toml, under an explicit ``--model embedded``) is dropped when the spec needs none."""
    url_source = choice.base_url_source
    if (
        choice.base_url
        and url_source is not None
        and RANK[url_source] > RANK[choice.source]
        and takes_no_url(choice.spec)
    ):
        return choice.model_copy(update={"base_url": None, "base_url_source": None})
    if choice.source == "fallback" and choice.base_url:
        where = "--base-url" if url_source == "option" else f"the base URL ({url_source})"
        raise ModelError(f"{where} needs a model name: add --model NAME (strategy-review models)")
    return choice


def resolve_model(
    spec: str | None = None,
    base_url: str | None = None,
    fallback: str = RULES,
    notify: Notify | None = None,
) -> ModelAPI:
    """Turn ``--model`` / ``--base-url`` (``None`` when not given) into a backend.

    Unset values come from the environment, then ``<home>/config.toml``, then ``fallback``
    (``rules``: the deterministic review, whose ``notice`` then says how to add a model).
    A plain-http base URL to another host gets one warning line through ``notify``
    (stderr by default). See ``registry.py`` for the specs.
    """
    choice = settle(choose_model(spec, base_url, fallback))
    model = create_model(choice.spec, choice.base_url)
    warning = insecure_url_warning(endpoint_of(choice.spec, choice.base_url))
    if warning:
        (notify or _stderr)(warning)
    if choice.source == "fallback" and isinstance(model, RulesModel):
        model.notice = FALLBACK_NOTICE
    return model
