"""strategy-review decide REVIEW_DIR ITEM (--accept | --reject --reason TEXT | --edit ...)"""

from __future__ import annotations

from pathlib import Path

import typer

from ..decisions import clear_decision, record_decision
from ..errors import InputError
from ..workspace.summary import STATUS_WORDS, decision_table, format_table
from .common import handle_errors
from .serve import ReviewerOpt


@handle_errors
def decide_command(
    review_dir: Path = typer.Argument(..., help="A review folder (holding review.json)."),
    item: str | None = typer.Argument(None, help="The rubric item id, e.g. q05_not_prioritising."),
    accept: bool = typer.Option(False, "--accept", help="Accept the draft finding as it is."),
    reject: bool = typer.Option(False, "--reject", help="Reject the finding (needs --reason)."),
    edit: bool = typer.Option(
        False, "--edit", help="Change the rating, finding or recommendations."
    ),
    undo: bool = typer.Option(False, "--undo", help="Remove the decision on ITEM."),
    list_items: bool = typer.Option(False, "--list", help="List every item with its decision."),
    rating: str | None = typer.Option(None, "--rating", help="With --edit: the new rating."),
    finding: str | None = typer.Option(None, "--finding", help="With --edit: the new finding."),
    recommendation: list[str] = typer.Option(
        None, "--recommendation", help="With --edit: a recommendation (repeat for several)."
    ),
    reason: str = typer.Option("", "--reason", help="Why (required with --reject)."),
    reviewer: str | None = ReviewerOpt,
) -> None:
    """Record a person's decision on one finding of a review, or list the decisions."""
    chosen = [name for name, on in _modes(accept, reject, edit, undo, list_items) if on]
    if len(chosen) != 1:
        raise InputError("give exactly one of --accept, --reject, --edit, --undo or --list")
    mode = chosen[0]
    if mode == "list":
        if item:
            raise InputError("--list takes no ITEM")
        typer.echo(format_table(decision_table(review_dir)))
        return
    if not item:
        raise InputError(f"--{mode} needs an ITEM id (see: strategy-review decide DIR --list)")
    if mode == "undo":
        done = clear_decision(review_dir, item)
        typer.echo(f"{item}: decision removed" if done else f"{item}: no decision to remove")
        return
    decision = record_decision(
        review_dir,
        item,
        mode,
        rating=rating,
        summary=finding,
        recommendations=recommendation or None,
        reason=reason,
        reviewer=reviewer,
    )
    typer.echo(f"{item}: {STATUS_WORDS[decision.action]} by {decision.reviewer}")


def _modes(*flags: bool) -> list[tuple[str, bool]]:
    return list(zip(("accept", "reject", "edit", "undo", "list"), flags, strict=True))
