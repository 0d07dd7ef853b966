"""Errors the user can act on. The CLI prints each as one line and exits with its code.

Every message is scrubbed of remembered secrets (API keys, URL credentials) when it is made
and again when it is shown, so no error text carries a key.
"""

from __future__ import annotations

from typing import Any

from . import redact


class StrategyReviewError(Exception):
    """A problem with input, configuration or a model that the user can fix."""

    exit_code = 2

    def __init__(self, *args: Any) -> None:
        super().__init__(*(redact.scrub(a) if isinstance(a, str) else a for a in args))

    def __str__(self) -> str:
        return redact.scrub(super().__str__())


AppError = StrategyReviewError  # the name the error-handling notes use


class InputError(StrategyReviewError):
    """The input file cannot be read as a strategy document."""


class ModelError(StrategyReviewError):
    """A model could not be reached or gave unusable output."""


class StoreError(StrategyReviewError):
    """The vector store is missing, mismatched or damaged."""


class LockTimeout(StrategyReviewError):
    """Another process held a lock on the home for longer than the lock timeout."""


class ModelUnreachable(ModelError):
    """The model server cannot be reached at all (connection refused, no such host)."""


# ------------------------------------------------ named causes (see pipeline/diagnose.py)
# Problems with the machine rather than the input. Exit codes follow BSD sysexits.h, so a script
# can tell a full disk (74) from bad input (2) and from a bug (1).


class DiskFull(StrategyReviewError):
    """No space left on the device (ENOSPC, EDQUOT, SQLite "database or disk is full")."""

    exit_code = 74  # EX_IOERR


class FileSystemError(StrategyReviewError):
    """Another operating-system error on a named file (EIO, ELOOP, ENAMETOOLONG, ...)."""

    exit_code = 74  # EX_IOERR


class ReadOnlyFileSystem(StrategyReviewError):
    """A write to a read-only file system (EROFS)."""

    exit_code = 73  # EX_CANTCREAT


class PermissionDenied(StrategyReviewError):
    """The process may not read or write a file or folder (EACCES, EPERM)."""

    exit_code = 77  # EX_NOPERM


class HomeUnavailable(StrategyReviewError):
    """The home directory is missing, vanished during the run, or is not a folder."""

    exit_code = 78  # EX_CONFIG


class OutOfMemory(StrategyReviewError):
    """MemoryError or ENOMEM."""

    exit_code = 71  # EX_OSERR


class TooDeeplyNested(InputError):
    """RecursionError: the input nests deeper than the parser can follow."""


class StoreDamaged(StoreError):
    """The Chroma store's SQLite file is malformed or not a database."""

    exit_code = 65  # EX_DATAERR


class ModelFileCorrupt(StrategyReviewError):
    """A model file exists but cannot be loaded: truncated, corrupt or not a model.

    Not a ModelError on purpose: a review stops at once instead of failing every item."""

    exit_code = 66  # EX_NOINPUT


class InternalError(StrategyReviewError):
    """An error no cause could be named for: a bug to report."""

    exit_code = 1
