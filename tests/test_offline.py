"""The default path makes no network connection, and the installed console script runs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ENTRY = Path(sys.executable).parent / "strategy-review"


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0


GUARD = """
import socket, sys, runpy
def refuse(*args, **kwargs):
    raise SystemExit("network use attempted: %r" % (args,))
class NoSocket(socket.socket):
    def connect(self, *a): refuse(*a)
    def connect_ex(self, *a): refuse(*a)
socket.socket = NoSocket
socket.create_connection = refuse
socket.getaddrinfo = refuse
sys.argv = ["strategy-review", *sys.argv[1:]]
from pipeline.cli.app import main
main()
"""


def _run(args: list[str], home: Path, prefix: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "STRATEGY_REVIEW_HOME": str(home)}
    return subprocess.run(
        [*prefix, sys.executable, "-c", GUARD, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["sockets-blocked", "unshare"])
def test_ingest_and_corpus_search_make_no_connection(
    isolation: str, pdfs: dict[str, Path], home: Path
) -> None:
    prefix: list[str] = []
    if isolation == "unshare":
        if not _can_unshare():
            pytest.skip("unshare -rn is not available here")
        prefix = ["unshare", "-rn"]
    ingested = _run(["ingest", str(pdfs["labelled"]), "--json"], home, prefix)
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["pages"] == 4
    searched = _run(["corpus", "search", "shared care record", "--json", "-k", "2"], home, prefix)
    assert searched.returncode == 0, searched.stderr
    assert len(json.loads(searched.stdout)) == 2


@pytest.mark.slow
def test_installed_console_script(pdfs: dict[str, Path], home: Path) -> None:
    assert ENTRY.exists(), "the console script is installed beside the interpreter"
    help_text = subprocess.run([str(ENTRY), "--help"], capture_output=True, text=True, check=True)
    for command in ("ingest", "review", "corpus"):
        assert command in help_text.stdout
    result = subprocess.run(
        [str(ENTRY), "ingest", str(pdfs["labelled"]), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "STRATEGY_REVIEW_HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["chunks"] >= 1
    missing = subprocess.run(
        [str(ENTRY), "ingest", str(home / "none.pdf")],
        capture_output=True,
        text=True,
        env={**os.environ, "STRATEGY_REVIEW_HOME": str(home)},
    )
    assert missing.returncode == 2 and missing.stderr.strip().count("\n") == 0
    assert "Traceback" not in missing.stderr


@pytest.mark.slow
def test_installed_script_finds_prompts_corpus_and_cases(home: Path, tmp_path: Path) -> None:
    """Through the console script, so a `pip install .` (not editable) is exercised in CI."""
    env = {**os.environ, "STRATEGY_REVIEW_HOME": str(home)}
    listed = subprocess.run(
        [str(ENTRY), "corpus", "list", "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert len(json.loads(listed.stdout)) >= 12
    sample = (
        Path(__file__).resolve().parent.parent / "examples" / "northbridge-digital-strategy.pdf"
    )
    out = tmp_path / "out"
    reviewed = subprocess.run(
        [
            str(ENTRY),
            "review",
            str(sample),
            "--model",
            "rules",
            "--only",
            "focused",
            "--out",
            str(out),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env=env,
    )
    assert reviewed.returncode == 0, reviewed.stderr
    review = json.loads((out / "review.json").read_text())
    assert review["items"][0]["id"] == "focused" and review["prompts"]["item.md"]
