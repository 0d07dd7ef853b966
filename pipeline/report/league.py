"""Write a :class:`~pipeline.league.League` as league.json, league.csv and league.html.

league.html is rendered by Jinja2 (autoescaped, :mod:`pipeline.report.templating`) from
``templates/league.html.j2``, which extends the shared ``base.html.j2``. Its one script
(sorting and filtering) is allowed by the page's CSP by its hash; without it the table is
complete and readable.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from pathlib import Path
from typing import Any

from pipeline.fsutil import atomic_write_text
from pipeline.league import COUNTED, League, LeagueItem, LeagueRow
from pipeline.records import rating_label
from pipeline.report import ReportError
from pipeline.report import common as c
from pipeline.report.labels import CELL_TEXT, KIND_SINGULAR
from pipeline.report.templating import TEMPLATES, csp, environment, render

__all__ = ["csp", "environment", "render_csv", "render_league_html", "write_league"]

FILENAMES = {"json": "league.json", "csv": "league.csv", "html": "league.html"}

RANK = {"green": 3, "amber": 2, "red": 1, "insufficient_evidence": 0, "failed": -1}
CSV_FIXED = ("slug", "title", "file", "status", "review", *COUNTED, "error")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_league(league: League, out_dir: Path) -> dict[str, Path]:
    """Render every format in memory, then write each atomically. Returns format -> path."""
    texts = {
        "json": league.model_dump_json(indent=2) + "\n",
        "csv": render_csv(league),
        "html": render_league_html(league),
    }
    try:
        return {
            fmt: atomic_write_text(out_dir / FILENAMES[fmt], text) for fmt, text in texts.items()
        }
    except OSError as exc:
        raise ReportError(f"could not write the league table to {out_dir}: {exc}") from exc


# ---------------------------------------------------------------- CSV


def render_csv(league: League) -> str:
    """One row per document (failed ones too, with their error), a column per rubric item."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    item_ids = [item.id for item in league.items]
    writer.writerow([*CSV_FIXED, *item_ids])
    for row in league.rows:
        fixed = [row.slug, row.title, row.file, "ok", row.review]
        fixed += [str(row.counts.get(key, 0)) for key in COUNTED] + [""]
        writer.writerow([_cell(v) for v in [*fixed, *(row.ratings[i] for i in item_ids)]])
    for failed in league.failed:
        fixed = [failed.slug, "", failed.file, "failed", "", *([""] * len(COUNTED)), failed.error]
        writer.writerow([_cell(v) for v in [*fixed, *([""] * len(item_ids))]])
    return buffer.getvalue()


def _cell(value: str) -> str:
    """Document text never starts a formula when the CSV is opened in a spreadsheet."""
    return "'" + value if value.startswith(FORMULA_START) else value


# ---------------------------------------------------------------- HTML


@cache
def league_script() -> str:
    return (TEMPLATES / "league.js").read_text(encoding="utf-8")


def render_league_html(league: League) -> str:
    return render(
        "league.html.j2",
        script=league_script(),
        tool_version=league.tool_version,
        subtitle=_count_text(league),
        meta=_meta(league),
        claims=league.claims,
        key=[CELL_TEXT[k] for k in ("green", "amber", "red", "insufficient_evidence", "failed")],
        items=[_item_view(item) for item in league.items],
        rating_options=[(k, CELL_TEXT[k][1]) for k in RANK],
        caption=_caption(league),
        rows=[_row_view(row, league.items) for row in league.rows],
        failed=league.failed,
        credit=c.credits_guide(league),
    )


def _count_text(league: League) -> str:
    total = len(league.rows) + len(league.failed)
    text = f"{len(league.rows)} of {total} strategies reviewed"
    return text + (f", {len(league.failed)} could not be" if league.failed else "")


def _caption(league: League) -> str:
    return (
        f"Ratings of {len(league.rows)} strategies on the {len(league.items)} rubric items, "
        "one row per strategy"
    )


def _meta(league: League) -> list[tuple[str, str]]:
    model = f"{league.model.id} ({league.model.backend})" if league.model else "none"
    return [
        ("Model", model),
        ("Rubric version", league.rubric_version),
        ("Rubric", c.rubric_text(league)),
        ("Date", c.format_date(league.created_at)),
    ]


def _item_view(item: LeagueItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "title": item.title,
        "kind_text": KIND_SINGULAR.get(item.kind, item.kind),
        "green": rating_label(item.kind, "green"),
        "red": rating_label(item.kind, "red"),
    }


def _row_view(row: LeagueRow, items: list[LeagueItem]) -> dict[str, Any]:
    return {
        "slug": row.slug,
        "title": row.title,
        "file": row.file,
        "review": row.review,
        "search": f"{row.title} {row.file}".lower(),
        "counts": [row.counts.get(key, 0) for key in COUNTED],
        "cells": [_cell_view(row, item) for item in items],
    }


def _cell_view(row: LeagueRow, item: LeagueItem) -> dict[str, Any]:
    rating = row.ratings.get(item.id, "not_reviewed")
    letter, word = CELL_TEXT[rating]
    return {
        "item": item.id,
        "rating": rating,
        "rank": RANK.get(rating, -2),
        "letter": letter,
        "href": row.links.get(item.id, row.review),
        "title": _cell_title(item, word, row.labels.get(item.id, "")),
    }


def _cell_title(item: LeagueItem, word: str, label: str) -> str:
    """E.g. "G1 Integrated: Green, Clearly shown"."""
    meaning = f", {label}" if label and label.lower() not in word.lower() else ""
    return f"{item.code} {item.title}: {word}{meaning}"
