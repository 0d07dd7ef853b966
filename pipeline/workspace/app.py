"""The workspace as a Starlette app: plain HTML pages and forms, no JavaScript.

Guards, because any web page the user visits can try to talk to a server on 127.0.0.1:
- the Host header must name 127.0.0.1 or localhost (a DNS-rebinding page's host does not);
- every POST carries this process's CSRF token in a hidden field (and a cross-site Origin is
  refused; our own pages send "Origin: null" under their no-referrer policy), so another site
  cannot submit a decision;
- a review is addressed by its id from the index, never by a path taken from the request;
- every page is rendered by autoescaped Jinja2 under a strict Content-Security-Policy.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import __version__
from ..decisions import (
    clear_decision,
    current_reviewer,
    load_decisions,
    load_review,
    record_decision,
)
from ..errors import StrategyReviewError
from ..records import ItemResult
from ..report.common import anchor, format_date
from ..review_index import known_reviews
from .summary import list_reviews
from .views import review_view

HOSTS = ("127.0.0.1", "localhost")
MAX_BODY = 64 * 1024  # bytes in one form post
ACTIONS = ("accept", "edit", "reject", "undo")
FORM_FIELDS = ("rating", "finding", "recommendations", "reason")
HERE = Path(__file__).parent
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP + "; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
HEADING = "Review workspace"


class Workspace:
    """What one running server knows: extra folders, the reviewer and its CSRF token."""

    def __init__(self, extra: Sequence[Path] = (), reviewer: str | None = None) -> None:
        self.extra = [Path(p) for p in extra]
        self.reviewer = current_reviewer(reviewer)
        self.token = secrets.token_urlsafe(32)

    def folder(self, review_id: str) -> Path | None:
        entry = next((e for e in known_reviews(self.extra) if e.id == review_id), None)
        return Path(entry.path) if entry else None


@cache
def environment() -> Environment:
    loader = ChoiceLoader(
        [
            FileSystemLoader(HERE / "templates"),
            FileSystemLoader(HERE.parent / "report" / "templates"),  # base.html.j2, base.css
        ]
    )
    env = Environment(
        loader=loader,
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = format_date
    return env


def create_app(extra: Sequence[Path] = (), reviewer: str | None = None) -> Starlette:
    workspace = Workspace(extra, reviewer)
    app = Starlette(
        routes=[
            Route("/", _home, methods=["GET"]),
            Route("/reviews/{review_id}", _review, methods=["GET"]),
            Route("/reviews/{review_id}/items/{item_id}", _decide, methods=["POST"]),
        ],
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=list(HOSTS))],
    )
    app.state.workspace = workspace
    return app


# ---------------------------------------------------------------- pages


def _home(request: Request) -> Response:
    ws = _ws(request)
    return _page("list.html.j2", {"reviews": list_reviews(ws.extra)}, ws)


def _review(request: Request) -> Response:
    ws = _ws(request)
    folder = ws.folder(request.path_params["review_id"])
    if folder is None:
        return _problem(ws, 404, "No such review", "This server knows no review with that id.")
    return _review_page(request, ws, folder, {})


def _review_page(
    request: Request, ws: Workspace, folder: Path, errors: dict[str, Any], status: int = 200
) -> Response:
    try:
        view = review_view(load_review(folder), load_decisions(folder), errors)
    except StrategyReviewError as exc:
        return _problem(ws, 500, "This review cannot be read", str(exc))
    review_id = request.path_params["review_id"]
    context = {"review": view, "review_id": review_id, "token": ws.token}
    return _page("review.html.j2", context, ws, status)


async def _decide(request: Request) -> Response:
    ws = _ws(request)
    refusal = _refuse(request, ws)
    if refusal:
        return refusal
    body = await request.body()
    if len(body) > MAX_BODY:
        return _problem(ws, 413, "Too much text", f"A form may send at most {MAX_BODY} bytes.")
    form = _form(body)
    if not hmac.compare_digest(form.get("csrf", ""), ws.token):
        return _problem(ws, 403, "Form refused", "The form's token is missing or out of date.")
    folder = ws.folder(request.path_params["review_id"])
    item_id = request.path_params["item_id"]
    item = _item(folder, item_id) if folder else None
    if folder is None or item is None:
        return _problem(ws, 404, "No such finding", "This review has no finding with that id.")
    action = form.get("action", "")
    if action not in ACTIONS:
        return _problem(ws, 400, "Form refused", f"unknown action {action[:40]!r}")
    try:
        _apply(folder, item_id, action, form, ws.reviewer)
    except StrategyReviewError as exc:
        values = {k: form[k] for k in FORM_FIELDS if k in form}
        error = {"form": action, "message": str(exc), "values": values}
        return _review_page(request, ws, folder, {item_id: error}, status=400)
    url = f"/reviews/{quote(request.path_params['review_id'])}#{anchor(item)}"
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def _apply(folder: Path, item_id: str, action: str, form: dict[str, str], reviewer: str) -> None:
    if action == "undo":
        clear_decision(folder, item_id)
    elif action == "edit":
        recommendations = form.get("recommendations", "").splitlines()
        record_decision(
            folder,
            item_id,
            "edit",
            rating=form.get("rating") or None,
            summary=form.get("finding"),
            recommendations=[r for r in recommendations if r.strip()],
            reason=form.get("reason", ""),
            reviewer=reviewer,
        )
    else:
        reason = form.get("reason", "")
        record_decision(folder, item_id, action, reason=reason, reviewer=reviewer)


# ---------------------------------------------------------------- guards and helpers


def _ws(request: Request) -> Workspace:
    workspace: Workspace = request.app.state.workspace
    return workspace


def _refuse(request: Request, ws: Workspace) -> Response | None:
    """A POST must be a urlencoded form from one of our own pages."""
    origin = request.headers.get("origin", "null")  # "null" under the pages' no-referrer policy
    if origin != "null" and urlsplit(origin).hostname not in HOSTS:
        return _problem(ws, 403, "Form refused", "The form came from another site.")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return _problem(ws, 415, "Form refused", "Send the form as a plain HTML form.")
    return None


def _form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=20)
    except ValueError:  # too many fields: treated as no form at all
        return {}
    return {key: values[0] for key, values in fields.items()}


def _item(folder: Path, item_id: str) -> ItemResult | None:
    try:
        return load_review(folder).item(item_id)
    except StrategyReviewError:
        return None


def _problem(ws: Workspace, status: int, title: str, message: str) -> Response:
    return _page("problem.html.j2", {"title": title, "message": message}, ws, status)


def _page(template: str, context: dict[str, Any], ws: Workspace, status: int = 200) -> Response:
    base = {
        "csp": Markup(CSP),  # our own policy text
        "script": None,
        "tool_version": __version__,
        "heading": HEADING,
        "reviewer": ws.reviewer,
    }
    html = environment().get_template(template).render({**base, **context})
    return HTMLResponse(html, status_code=status, headers=HEADERS)
