"""The one Jinja2 environment every HTML page renders through: autoescaped, strict about
undefined names, with the wording (``L``, :mod:`pipeline.report.labels`) and the describing
helpers (``c``, :mod:`pipeline.report.common`) as globals.

Every page extends ``templates/base.html.j2`` (the page shell and the CSS, once) and takes its
rating badges, quotes and citations from ``templates/macros.html.j2``.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from pipeline.report import common, labels

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment(*extra: Path) -> Environment:
    """The Jinja2 environment for every HTML page the tool writes: autoescaped, strict about
    names. ``extra`` folders (the workspace's, the board paper's) are searched first, so their
    templates extend the same ``base.html.j2`` with the same labels and helpers."""
    env = Environment(
        loader=ChoiceLoader(
            [*(FileSystemLoader(path) for path in extra), FileSystemLoader(TEMPLATES)]
        ),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(L=labels, c=common)
    return env


def csp(script: str | None = None) -> str:
    """The pages' policy: nothing from anywhere; one inline script only if its hash is given."""
    scripts = ""
    if script is not None:
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
        scripts = f" script-src 'sha256-{digest}';"
    return (
        f"default-src 'none'; style-src 'unsafe-inline';{scripts} img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )


def render(template: str, script: str | None = None, **context: Any) -> str:
    """Render ``template`` with the page policy; ``script`` is our own file, never document
    text, and is allowed by its hash."""
    return (
        environment()
        .get_template(template)
        .render(
            csp=Markup(csp(script)),  # our own policy text, quotes and all
            script=Markup(script) if script is not None else None,
            **context,
        )
    )
