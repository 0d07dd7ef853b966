"""What every command shares: one-line errors, --debug, JSON output."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import redact
from ..diagnose import explain, internal_error_message

F = TypeVar("F", bound=Callable[..., Any])
state = {"debug": os.environ.get("STRATEGY_REVIEW_DEBUG") == "1"}
console = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {redact.scrub(message)}", err=True)
    return typer.Exit(code)


def handle_errors(func: F) -> F:
    """Turn every error into one line on stderr and an exit code; --debug shows the traceback.

    Known errors keep their own code (2 for bad input). Others are explained when their cause
    can be named (pipeline/diagnose.py: disk full, permission denied, damaged store, ...);
    the rest are internal errors, exit 1. Secrets are scrubbed from every line.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _remember_secrets(kwargs)
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except KeyboardInterrupt:
            raise fail("interrupted; finished items are cached and a re-run resumes", 130) from None
        except Exception as exc:  # noqa: BLE001 - every error ends as one line
            raise _fail_for(exc) from None

    return wrapper  # type: ignore[return-value]


def _fail_for(exc: Exception) -> typer.Exit:
    if state["debug"]:
        sys.stderr.write(redact.format_exception(exc))
    error = explain(exc)
    if error is None:
        return fail(internal_error_message(exc), 1)
    return fail(str(error), error.exit_code)


def _remember_secrets(options: dict[str, Any]) -> None:
    """Credentials in a --base-url (or --judge-base-url) are scrubbed from all output."""
    redact.install_logging()
    for name, value in options.items():
        if name.endswith("base_url") and isinstance(value, str):
            redact.remember_url(value)


def progress_bar(quiet: bool) -> Progress:
    """The progress bar every long command shows on stderr, when it is a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not console.is_terminal,
        transient=True,
    )


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def announce(backend: object, quiet: bool = False) -> None:
    """The one line saying a review fell back to rules, and how to add a model."""
    notice = getattr(backend, "notice", None)
    if notice and not quiet:
        typer.echo(notice, err=True)


# Options shared by review, compare, batch and evals run. No typer envvar: the environment and
# <home>/config.toml come below the option in pipeline.config's precedence, which says the source.
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="rules, embedded, ollama:NAME, a .gguf path, or a model name with --base-url "
        "(obeying: the injection-test adversary). Default: STRATEGY_REVIEW_MODEL, then "
        "<home>/config.toml (strategy-review models --set-default), then rules "
        "(embedded for evals run).",
    ),
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help="OpenAI-compatible server, e.g. http://localhost:8000/v1 "
        "(default: STRATEGY_REVIEW_BASE_URL, then <home>/config.toml).",
    ),
]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Ignore cached item results.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress bar or summary.")]
PasswordOpt = Annotated[
    str | None, typer.Option("--password", help="Password of an encrypted PDF.")
]
