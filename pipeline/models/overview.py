"""``strategy-review models``: the backends, the configured default and where it came from,
whether each endpoint answers; and setting or clearing the default in ``<home>/config.toml``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from ..config import (
    ModelChoice,
    ModelSettings,
    choose_model,
    config_path,
    describe_source,
    write_settings,
)
from ..errors import ModelError
from . import settle
from .base import EMBEDDED_EXTRA
from .probe import DEFAULT_TIMEOUT, EmbeddedStatus, EndpointProbe, embedded_status, probe_endpoint
from .registry import (
    EMBEDDED_ALIASES,
    Backend,
    backends,
    endpoint_of,
    find_backend,
    insecure_url_warning,
    ollama_url,
)
from .rules import RULES

Probe = Callable[[str], EndpointProbe]


class BackendRow(BaseModel):
    name: str
    use: str  # how to write the spec
    summary: str
    status: str  # ready | answers | not answering | not installed | give --base-url | error
    detail: str
    endpoint: str | None = None
    models: list[str] = []


class DefaultModel(BaseModel):
    spec: str
    source: str  # option | env | config | fallback
    came_from: str  # the source in words
    backend: str | None  # registry entry, None when the spec names none
    base_url: str | None = None
    base_url_came_from: str | None = None
    endpoint: str | None = None
    status: str
    warnings: list[str] = []


class Overview(BaseModel):
    config_file: str
    default: DefaultModel
    backends: list[BackendRow]


def models_overview(base_url: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> Overview:
    """Every registered backend with its state, probing each endpoint at most once (GET /models,
    ``timeout`` seconds): Ollama's, the configured default's and ``base_url`` if given."""
    path = config_path()
    probes: dict[str, EndpointProbe] = {}

    def probe(url: str) -> EndpointProbe:
        if url not in probes:
            probes[url] = probe_endpoint(url, timeout)
        return probes[url]

    default = _default(path, probe)
    served = base_url or (default.base_url if default.backend == "openai" else None)
    embedded = embedded_status()
    rows = [_row(b, embedded, served, probe) for b in backends()]
    return Overview(config_file=str(path), default=default, backends=rows)


def _default(path: Path, probe: Probe) -> DefaultModel:
    raw = choose_model(None, None, RULES)
    try:
        choice = settle(raw)
        backend = find_backend(choice.spec, choice.base_url)
    except ModelError as exc:
        return _default_record(raw, path, None, None, f"error: {exc}")
    endpoint = endpoint_of(choice.spec, choice.base_url)
    status = "ready" if backend.local else "not checked"
    if backend.name in ("embedded", "gguf"):
        status = _local_status(backend, choice.spec, embedded_status())
    elif endpoint:
        status = _served_status(probe(endpoint), choice.spec, backend)
    warning = insecure_url_warning(endpoint)
    return _default_record(choice, path, backend, endpoint, status, [warning] if warning else [])


def _default_record(
    choice: ModelChoice,
    path: Path,
    backend: Backend | None,
    endpoint: str | None,
    status: str,
    warnings: list[str] | None = None,
) -> DefaultModel:
    url_source = choice.base_url_source
    return DefaultModel(
        spec=choice.spec,
        source=choice.source,
        came_from=describe_source(choice.source, path),
        backend=backend.name if backend else None,
        base_url=choice.base_url,
        base_url_came_from=describe_source(url_source, path, "base_url") if url_source else None,
        endpoint=endpoint,
        status=status,
        warnings=warnings or [],
    )


def _served_status(found: EndpointProbe, spec: str, backend: Backend) -> str:
    name = spec.removeprefix("ollama:") if backend.name == "ollama" else spec
    if found.answers and found.models and name not in found.models:
        return f"{found.describe()} (but not {name})"
    return found.describe()


def _local_status(backend: Backend, spec: str, embedded: EmbeddedStatus) -> str:
    if backend.name == "embedded" or spec in EMBEDDED_ALIASES:
        return embedded.describe()
    if not embedded.installed:
        return f"not installed: {EMBEDDED_EXTRA}"
    return "ready" if Path(spec).expanduser().is_file() else f"file not found: {spec}"


def _row(
    backend: Backend, embedded: EmbeddedStatus, served: str | None, probe: Probe
) -> BackendRow:
    row = BackendRow(
        name=backend.name,
        use=backend.example,
        summary=backend.summary,
        status="ready",
        detail=backend.summary,
    )
    if backend.name == "embedded":
        row.status = "ready" if embedded.ready else "not installed"
        row.detail = embedded.describe()
    elif backend.name == "gguf":
        row.status = "ready" if embedded.installed else "not installed"
        row.detail = backend.summary if embedded.installed else EMBEDDED_EXTRA
    elif backend.name in ("ollama", "openai"):
        url = ollama_url() if backend.name == "ollama" else served
        if url is None:
            row.status, row.detail = "give --base-url", "no server configured"
        else:
            found = probe(url)
            row.endpoint, row.models = url, found.models
            row.status = "answers" if found.answers else "not answering"
            row.detail = found.describe()
    return row


def set_default(spec: str, base_url: str | None = None) -> tuple[Path, ModelSettings, list[str]]:
    """Check ``spec`` against the registry and write it as the default in config.toml.
    Returns the file, what was written and any warning lines. Nothing is probed."""
    spec, base_url = spec.strip(), (base_url or "").strip() or None
    backend = find_backend(spec, base_url)
    if backend.local and base_url:
        raise ModelError(f"{spec!r} runs in this process and takes no --base-url")
    if backend.name == "gguf":
        path = Path(spec).expanduser()
        if not path.is_file():
            raise ModelError(f"GGUF model file not found: {spec}")
        spec = str(path.resolve())
    settings = ModelSettings(spec=spec, base_url=base_url)
    warning = insecure_url_warning(endpoint_of(spec, base_url))
    return write_settings(settings), settings, [warning] if warning else []


def unset_default() -> Path:
    """Remove the ``[model]`` table from config.toml: the default goes back to rules."""
    return write_settings(None)
