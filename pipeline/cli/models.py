"""strategy-review models [--json] [--set-default SPEC [--base-url URL]] [--unset-default]"""

from __future__ import annotations

import typer

from ..models.overview import Overview, models_overview, set_default, unset_default
from ..models.probe import DEFAULT_TIMEOUT
from .common import fail, handle_errors, print_json


@handle_errors
def models_command(
    json_output: bool = typer.Option(False, "--json", help="Print the overview as JSON."),
    set_spec: str | None = typer.Option(
        None,
        "--set-default",
        metavar="SPEC",
        help="Make SPEC the default model (written to <home>/config.toml), "
        "e.g. ollama:qwen2.5:7b, embedded, rules, or NAME with --base-url.",
    ),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        help="With --set-default: the server of the default model. Alone: also check this server.",
    ),
    unset: bool = typer.Option(
        False, "--unset-default", help="Remove the default model from config.toml."
    ),
    timeout: float = typer.Option(
        DEFAULT_TIMEOUT, "--timeout", min=0.05, help="Seconds to wait for each endpoint."
    ),
) -> None:
    """List the model backends, the default model and whether each endpoint answers.

    Each endpoint gets one GET /models; nothing is sent to a model."""
    if set_spec and unset:
        raise fail("--set-default and --unset-default go separately")
    if set_spec:
        path, settings, warnings = set_default(set_spec, base_url)
        served = f" at {settings.base_url}" if settings.base_url else ""
        typer.echo(f"default model: {settings.spec}{served} (written to {path})", err=True)
        for line in warnings:
            typer.echo(line, err=True)
    elif unset:
        typer.echo(f"default model removed from {unset_default()}; reviews use rules", err=True)
    overview = models_overview(None if set_spec else base_url, timeout)
    if json_output:
        print_json(overview.model_dump(mode="json"))
    else:
        typer.echo(format_overview(overview))


def format_overview(overview: Overview) -> str:
    default = overview.default
    served = f" at {default.base_url} ({default.base_url_came_from})" if default.base_url else ""
    lines = [
        f"default model: {default.spec} ({default.came_from}){served}",
        f"  {default.status}",
        *(f"  {w}" for w in default.warnings),
        f"config file: {overview.config_file}",
        "",
        f"{'backend':<10}{'use as':<22}{'status':<17}detail",
    ]
    for row in overview.backends:
        lines.append(f"{row.name:<10}{row.use:<22}{row.status:<17}{row.detail}")
    if default.source == "fallback":
        lines += [
            "",
            "set a default with: strategy-review models --set-default ollama:qwen2.5:7b "
            "(or NAME --base-url URL)",
        ]
    return "\n".join(lines)
