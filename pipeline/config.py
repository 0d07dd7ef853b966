"""The model the user configured, and where that choice came from.

Precedence, highest first, for the model spec and the base URL separately:

1. the command's options (``--model``, ``--base-url``);
2. the environment (``STRATEGY_REVIEW_MODEL``, ``STRATEGY_REVIEW_BASE_URL``);
3. ``<home>/config.toml``, table ``[model]`` with keys ``spec`` and ``base_url``
   (``strategy-review models --set-default SPEC [--base-url URL]`` writes it);
4. the command's fallback: ``rules`` for review, compare and batch, ``embedded`` for evals.

This module only reads and writes settings; which backend a spec names is
``pipeline.models.registry``'s business.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from .errors import StrategyReviewError
from .fsutil import atomic_write_text
from .home import home_dir

ENV_MODEL = "STRATEGY_REVIEW_MODEL"
DEFAULT_CONCURRENCY = 4  # items judged at once against a server (here: cheap for the CLI)
ENV_BASE_URL = "STRATEGY_REVIEW_BASE_URL"
CONFIG_NAME = "config.toml"
TABLE = "model"

Source = Literal["option", "env", "config", "fallback"]
RANK: dict[str, int] = {"option": 0, "env": 1, "config": 2, "fallback": 3}

FALLBACK_NOTICE = (
    "note: no model configured, so this review is deterministic (rules only); to add one use "
    "--model ollama:qwen2.5:7b, --model NAME --base-url URL, or "
    "strategy-review models --set-default SPEC"
)


class ConfigError(StrategyReviewError):
    """config.toml cannot be read or written."""


class ModelSettings(BaseModel):
    """The ``[model]`` table of config.toml."""

    spec: str | None = None
    base_url: str | None = None


class ModelChoice(BaseModel):
    """The spec and base URL in force, each with the place it came from."""

    spec: str
    source: Source
    base_url: str | None = None
    base_url_source: Source | None = None

    def describe(self, config_file: Path | None = None) -> str:
        """Where the spec came from, in words, e.g. 'from STRATEGY_REVIEW_MODEL'."""
        return describe_source(self.source, config_file)


def describe_source(
    source: Source, config_file: Path | None = None, setting: Literal["model", "base_url"] = "model"
) -> str:
    """Where a setting came from, in words, e.g. 'from STRATEGY_REVIEW_MODEL'."""
    option, env = ("--model", ENV_MODEL) if setting == "model" else ("--base-url", ENV_BASE_URL)
    return {
        "option": f"from the {option} option",
        "env": f"from {env}",
        "config": f"from {config_file or config_path()}",
        "fallback": "no model configured",
    }[source]


def config_path() -> Path:
    return home_dir() / CONFIG_NAME


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"cannot read {path}: {detail}") from None


def read_settings(path: Path | None = None) -> ModelSettings:
    """The ``[model]`` table, or empty settings when there is no config file."""
    path = path or config_path()
    table = _read_toml(path).get(TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{TABLE}] must be a table with keys spec and base_url")
    for key in ("spec", "base_url"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{path}: [{TABLE}] {key} must be a string")
    unknown = sorted(set(table) - {"spec", "base_url"})
    if unknown:
        raise ConfigError(f"{path}: unknown key [{TABLE}] {unknown[0]} (use spec and base_url)")
    return ModelSettings(spec=table.get("spec") or None, base_url=table.get("base_url") or None)


def write_settings(settings: ModelSettings | None, path: Path | None = None) -> Path:
    """Replace the ``[model]`` table (``None`` removes it), keeping any other table, atomically."""
    path = path or config_path()
    data = _read_toml(path)
    data.pop(TABLE, None)
    if settings is not None:
        data[TABLE] = settings.model_dump(exclude_none=True)
    return atomic_write_text(path, dump_toml(data))


def dump_toml(data: dict[str, Any]) -> str:
    """TOML for top-level keys and one level of tables with scalar values (all config needs)."""
    lines = [f"{key} = {_scalar(key, value)}" for key, value in data.items() if _is_scalar(value)]
    for name, table in data.items():
        if _is_scalar(table):
            continue
        if not isinstance(table, dict) or not all(map(_is_scalar, table.values())):
            raise ConfigError(f"cannot rewrite config.toml: [{name}] is not a simple table")
        lines += ["", f"[{name}]"] + [f"{k} = {_scalar(k, v)}" for k, v in table.items()]
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | bool | int | float)


def _scalar(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    return repr(value)


def _first(*layers: tuple[Source, str | None]) -> tuple[str | None, Source | None]:
    for source, value in layers:
        if value and value.strip():
            return value.strip(), source
    return None, None


def choose_model(
    spec: str | None = None, base_url: str | None = None, fallback: str = "rules"
) -> ModelChoice:
    """Layer the options, the environment and config.toml (see the module docstring)."""
    settings = read_settings()
    chosen, source = _first(
        ("option", spec), ("env", os.environ.get(ENV_MODEL)), ("config", settings.spec)
    )
    url, url_source = _first(
        ("option", base_url), ("env", os.environ.get(ENV_BASE_URL)), ("config", settings.base_url)
    )
    if chosen is None or source is None:  # nothing configured
        chosen, source = fallback, "fallback"
    return ModelChoice(spec=chosen, source=source, base_url=url, base_url_source=url_source)
