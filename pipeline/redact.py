"""Secrets the process uses are remembered and scrubbed from everything it shows or writes.

What counts as a secret:
- a value passed to :func:`remember` (an API key given to a model or embeddings client);
- the user name and password in a URL passed to :func:`remember_url` (``http://u:p@host``),
  and their ``Authorization: Basic`` form;
- the value of any environment variable whose name says it holds a key, token, secret or
  password (``OPENAI_API_KEY``, ``*_TOKEN``, ...), read at the moment of scrubbing;
- whatever looks like one wherever it appears: credentials inside any URL, an
  ``Authorization``/``Bearer`` header value, an ``sk-...`` key, and a key a server echoed back
  half-masked (``sk-test-****CRET``).

Remembered values shorter than :data:`MIN_LENGTH` are not scrubbed as bare words (a password
"pass" would otherwise cut every "pass rate"); they are still removed from URLs by pattern.

:func:`scrub` is applied to error messages (``pipeline/errors.py``), the CLI's error lines and
``--debug`` tracebacks, every log record (:func:`install_logging`), every file written through
``pipeline/fsutil.py`` (the item cache, review.json from evals and batch runs) and every report.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import threading
import traceback
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "[redacted]"
MIN_LENGTH = 8
PLACEHOLDERS = {"not-needed", "none", "null", "empty", "ollama", "lm-studio", "sk-no-key-required"}
SECRET_ENV = re.compile(r"(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)$", re.I)

# Each pattern starts with a literal, which the regex engine finds fast: scrubbing a large
# document costs a few quick passes over it.
_URL_USERINFO = re.compile(r"://[^/\s@?#'\"<>]+@")
_VALUE = r"[^\s'\",;}]+"
_SCHEME = r"['\"]?\s*[:=]\s*['\"]?(?:[Bb]earer|[Bb]asic|[Tt]oken|BEARER|BASIC|TOKEN)\s+"
_HEADERS = [  # "Authorization: Bearer X" and "api-key: X", in the cases servers write them
    re.compile(f"({lead}{rest}){_VALUE}")
    for lead, rest in [
        ("uthorization", _SCHEME),
        ("UTHORIZATION", _SCHEME),
        ("pi[-_]key", r"['\"]?\s*[:=]\s*['\"]?"),
        ("PI[-_]KEY", r"['\"]?\s*[:=]\s*['\"]?"),
    ]
]
_BEARER = re.compile(r"Bearer\s+(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}")
_KEY_LIKE = re.compile(r"sk-(?:[A-Za-z0-9_-]*\*+[A-Za-z0-9_-]*|[A-Za-z0-9_-]{16,})")

_remembered: set[str] = set()
_lock = threading.Lock()
_logging_installed = False


def remember(secret: str | None) -> None:
    """Scrub ``secret`` from everything shown or written from now on."""
    if not secret or secret.strip().lower() in PLACEHOLDERS:
        return
    with _lock:
        _remembered.add(secret)
    install_logging()


def remember_url(url: object) -> None:
    """Remember the credentials inside a URL (``scheme://user:password@host``), if any."""
    if not url:
        return
    try:
        parts = urlsplit(str(url))
        user, password = parts.username, parts.password
    except ValueError:
        return
    if password:
        remember(password)
        remember(unquote(password))
        basic = f"{unquote(user or '')}:{unquote(password)}"
        remember(base64.b64encode(basic.encode()).decode())
    elif user:
        remember(user)  # a bare token in the user part (https://TOKEN@host)
    install_logging()


def forget_all() -> None:
    """Forget remembered secrets (tests)."""
    with _lock:
        _remembered.clear()


def secrets() -> list[str]:
    """Every secret known now, longest first (so a key is masked before any part of it)."""
    with _lock:
        known = set(_remembered)
    known.update(
        value
        for name, value in os.environ.items()
        if SECRET_ENV.search(name) and value and value.strip().lower() not in PLACEHOLDERS
    )
    return sorted(known, key=len, reverse=True)


def scrub(text: str) -> str:
    """``text`` with every secret replaced by :data:`MASK`."""
    if not text:
        return text
    for secret in secrets():
        if len(secret) >= MIN_LENGTH and secret in text:
            text = text.replace(secret, MASK)
    if "://" in text:
        text = _URL_USERINFO.sub(f"://{MASK}@", text)
    for pattern in _HEADERS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    if "Bearer" in text:
        text = _BEARER.sub(f"Bearer {MASK}", text)
    if "sk-" in text:
        text = _KEY_LIKE.sub(lambda m: _key_or_word(m, text), text)
    return text


def _key_or_word(match: re.Match[str], text: str) -> str:
    """An ``sk-`` key starts a word: "task-..." or "risk-..." is left alone."""
    before = text[match.start() - 1] if match.start() else " "
    return match.group(0) if before.isalnum() or before in "_-" else MASK


def format_exception(exc: BaseException) -> str:
    """A traceback, scrubbed (for ``--debug``)."""
    return scrub("".join(traceback.format_exception(exc)))


def install_logging() -> None:
    """Scrub every log record from now on, whichever logger or handler it goes to."""
    global _logging_installed
    with _lock:
        if _logging_installed:
            return
        _logging_installed = True
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string stays the logging module's problem
            return record
        record.msg, record.args = scrub(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = format_exception(record.exc_info[1]).rstrip("\n")
        return record

    logging.setLogRecordFactory(factory)
