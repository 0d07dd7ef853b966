"""Locks that let any number of processes share one home directory.

Each lock is a file under ``<home>/locks`` held with :mod:`filelock` (an OS lock, released when
the holder exits or dies, so a crashed process never leaves the home locked). A process that
waits longer than ``STRATEGY_REVIEW_LOCK_TIMEOUT`` seconds (default 900) stops with one line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from filelock import FileLock, Timeout

from .errors import LockTimeout, StrategyReviewError
from .home import locks_dir

TIMEOUT_ENV = "STRATEGY_REVIEW_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_S = 900.0


def lock_timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        raise StrategyReviewError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds") from None
    return max(0.0, value)


def lock_path(name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120] or "lock"
    return str(locks_dir() / f"{safe}.lock")


@contextmanager
def hold(name: str, what: str) -> Iterator[None]:
    """Hold the home-wide lock ``name`` while ``what`` happens (not re-entrant)."""
    path = lock_path(name)
    timeout = lock_timeout()
    lock = FileLock(path, timeout=timeout)
    try:
        lock.acquire()
    except Timeout:
        raise LockTimeout(
            f"gave up after {timeout:g} s waiting for another strategy-review process {what} "
            f"(lock {path}); try again when it finishes, or raise {TIMEOUT_ENV}"
        ) from None
    try:
        yield
    finally:
        lock.release()
