"""The strategy-review command line: each command parses options and calls one pipeline function."""

from __future__ import annotations

import typer

from .batch import batch_command
from .cache import app as cache_app
from .common import state
from .compare import compare_command
from .corpus import app as corpus_app
from .decide import decide_command
from .evals import app as evals_app
from .export import export_command
from .ingest import ingest_command
from .models import models_command
from .review import review_command
from .rubric import rubric_command
from .serve import serve_command

app = typer.Typer(
    name="strategy-review",
    help="A cited, verifiable draft critique of a digital strategy, offline by default.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def main_options(debug: bool = typer.Option(False, "--debug", help="Show tracebacks.")) -> None:
    if debug:
        state["debug"] = True


app.command("ingest")(ingest_command)
app.command("review")(review_command)
app.command("compare")(compare_command)
app.command("batch")(batch_command)
app.command("models")(models_command)
app.command("rubric")(rubric_command)
app.command("serve")(serve_command)
app.command("decide")(decide_command)
app.command("export")(export_command)
app.add_typer(corpus_app, name="corpus")
app.add_typer(evals_app, name="evals")
app.add_typer(cache_app, name="cache")


def main() -> None:
    app()
