"""Which backend a model spec names: an ordered registry of prefix rules, each with a factory.

In the manner of simonw/llm's model registry, every backend is one :class:`Backend` entry: how it
recognises a spec (an exact name, a prefix, a suffix, or "any name with a base URL"), a factory
that builds it, and a line for ``strategy-review models``. The first entry that matches wins:

=============  ===================================  ==========================================
entry          spec                                 backend
=============  ===================================  ==========================================
rules          ``rules``                            the deterministic review (no model)
obeying        ``obeying``                          the injection eval's adversary (scripted)
embedded       ``embedded`` or ``smollm2``          SmolLM2-135M via llama.cpp, in-process
ollama         ``ollama:NAME``                      Ollama's OpenAI-compatible API
openai         any NAME, with a base URL            an OpenAI-compatible server
gguf           a path ending ``.gguf``              that file via llama.cpp, in-process
=============  ===================================  ==========================================

A ``.gguf`` spec with a base URL is a served model (llama.cpp's server names its model by path).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ModelError
from .base import EMBEDDED_MISSING, ModelAPI
from .rules import RULES, RulesModel

OBEYING = "obeying"
EMBEDDED = "embedded"
EMBEDDED_ALIASES = (EMBEDDED, "smollm2")
OLLAMA_PREFIX = "ollama:"
OLLAMA_URL = "http://localhost:11434/v1"

Factory = Callable[[str, str | None], ModelAPI]
Matcher = Callable[[str, str | None], bool]


@dataclass(frozen=True)
class Backend:
    name: str
    example: str  # how a user writes the spec
    summary: str  # one line for `strategy-review models`
    matches: Matcher
    create: Factory
    local: bool  # runs in this process: no endpoint to reach


_REGISTRY: list[Backend] = []


def register(backend: Backend, before: str | None = None) -> None:
    """Add a backend, at the end or before the entry named ``before``."""
    names = [b.name for b in _REGISTRY]
    if backend.name in names:
        raise ValueError(f"backend {backend.name!r} is already registered")
    _REGISTRY.insert(names.index(before) if before in names else len(_REGISTRY), backend)


def backends() -> list[Backend]:
    return list(_REGISTRY)


def find_backend(spec: str, base_url: str | None = None) -> Backend:
    """The first registered backend that takes ``spec`` (with ``base_url``), or a ModelError."""
    for backend in _REGISTRY:
        if backend.matches(spec, base_url):
            return backend
    raise ModelError(
        f"unknown model {spec!r}: use 'rules', 'embedded', 'ollama:NAME', a .gguf path, "
        "or a model name with --base-url (see strategy-review models)"
    )


def create_model(spec: str, base_url: str | None = None) -> ModelAPI:
    return find_backend(spec, base_url).create(spec, base_url)


def takes_no_url(spec: str) -> bool:
    """Does ``spec`` name a complete backend by itself (a local model, or ollama:NAME)?"""
    try:
        find_backend(spec, None)
    except ModelError:
        return False
    return True


def ollama_url() -> str:
    """Ollama's OpenAI-compatible base URL: from ``OLLAMA_HOST`` (as Ollama reads it) or the
    default localhost:11434."""
    host = os.environ.get("OLLAMA_HOST", "").strip().rstrip("/")
    if not host:
        return OLLAMA_URL
    if "://" not in host:
        host = f"http://{host}"
    parts = urlsplit(host)
    if parts.scheme == "http" and parts.port is None and parts.path in ("", "/"):
        host = f"{host}:11434"  # Ollama's own default for a host without a port
    return f"{host}/v1"


def endpoint_of(spec: str, base_url: str | None) -> str | None:
    """The URL a spec talks to, or None for an in-process backend."""
    backend = find_backend(spec, base_url)
    if backend.name == "ollama":
        return base_url or ollama_url()
    return None if backend.local else base_url


def is_loopback(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_url_warning(url: str | None) -> str | None:
    """One warning line for plain http to a host other than this machine, else None."""
    if not url or urlsplit(url).scheme.lower() != "http" or is_loopback(url):
        return None
    host = urlsplit(url).hostname or url
    return (
        f"warning: {url} is plain http to another host ({host}): prompts, document text and any "
        "API key travel unencrypted; use https"
    )


# ---------------------------------------------------------------- factories


def _rules(spec: str, base_url: str | None) -> ModelAPI:
    return RulesModel()


def _obeying(spec: str, base_url: str | None) -> ModelAPI:
    from .adversary import ObeyingModel

    return ObeyingModel()


def _require_embedded_extra() -> None:
    """A one-line error naming the extra when llama-cpp-python cannot be imported."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        raise ModelError(EMBEDDED_MISSING) from None


def _embedded(spec: str, base_url: str | None) -> ModelAPI:
    _require_embedded_extra()
    from .llamacpp import LlamaCppModel

    return LlamaCppModel()


def _gguf(spec: str, base_url: str | None) -> ModelAPI:
    _require_embedded_extra()
    from .llamacpp import LlamaCppModel

    return LlamaCppModel(Path(spec).expanduser())


def _openai(model: str, base_url: str) -> ModelAPI:
    from .openai_compat import OpenAICompatModel

    return OpenAICompatModel(model=model, base_url=base_url)


def _ollama(spec: str, base_url: str | None) -> ModelAPI:
    return _openai(spec.removeprefix(OLLAMA_PREFIX), base_url or ollama_url())


def _served(spec: str, base_url: str | None) -> ModelAPI:
    assert base_url is not None  # the matcher requires it
    return _openai(spec, base_url)


for _entry in (
    Backend(
        RULES,
        RULES,
        "the deterministic review: indicators and verified evidence, no language model",
        lambda spec, url: spec == RULES,
        _rules,
        local=True,
    ),
    Backend(
        OBEYING,
        OBEYING,
        "a scripted adversary that obeys instructions in its prompt (injection evals only)",
        lambda spec, url: spec == OBEYING,
        _obeying,
        local=True,
    ),
    Backend(
        EMBEDDED,
        EMBEDDED,
        "SmolLM2-135M-Instruct via llama.cpp, in-process and offline (the [embedded] extra)",
        lambda spec, url: spec in EMBEDDED_ALIASES,
        _embedded,
        local=True,
    ),
    Backend(
        "ollama",
        "ollama:qwen2.5:7b",
        "a model served by Ollama (OLLAMA_HOST, default localhost:11434)",
        lambda spec, url: spec.startswith(OLLAMA_PREFIX) and len(spec) > len(OLLAMA_PREFIX),
        _ollama,
        local=False,
    ),
    Backend(
        "openai",
        "NAME --base-url URL",
        "any OpenAI-compatible server: vLLM, llama.cpp server, LM Studio, OpenAI",
        lambda spec, url: bool(url),
        _served,
        local=False,
    ),
    Backend(
        "gguf",
        "path/to/model.gguf",
        "a GGUF file via llama.cpp, in-process (the [embedded] extra)",
        lambda spec, url: spec.lower().endswith(".gguf"),
        _gguf,
        local=True,
    ),
):
    register(_entry)
