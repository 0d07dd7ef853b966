"""Start-up cost: the CLI must not import the heavy libraries until a command needs them.

Every `strategy-review` call imports pipeline.cli.app; chromadb, onnxruntime, langchain and
llama_cpp together cost seconds, which `--help` or `decide --list` should never pay. Each check
runs in a fresh interpreter, since this test process has imported everything already.
(Times are measured by bench/bench_startup.py, not here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Imported only inside the functions that use them. The first four are the brief's; the others
# are as heavy or pull in a server stack, and are equally unneeded to parse a command line.
HEAVY = (
    "chromadb",
    "onnxruntime",
    "langchain_text_splitters",
    "llama_cpp",
    "langchain_core",
    "numpy",
    "jinja2",
    "pypdf",
    "pypdfium2",
    "docx",
    "bm25s",
    "openai",
    "httpx",
    "starlette",
    "uvicorn",
    "tokenizers",
)


def heavy_modules_after(code: str, home: Path) -> list[str]:
    """Run CODE in a fresh interpreter and return the HEAVY packages it left in sys.modules."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))"
    )
    env = os.environ | {"PYTHONPATH": str(ROOT), "STRATEGY_REVIEW_HOME": str(home)}
    command = [sys.executable, "-c", probe]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_loads_no_heavy_library(tmp_path: Path) -> None:
    loaded = heavy_modules_after("import pipeline.cli.app", tmp_path / "home")
    assert loaded == [], f"import pipeline.cli.app pulled in: {', '.join(loaded)}"


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """The check above can fail: a command that does chunk a document loads langchain."""
    loaded = heavy_modules_after("import pipeline.chunking as c; c.chunk_pages([])", tmp_path)
    assert "langchain_text_splitters" in loaded


@pytest.mark.parametrize("args", [["--help"], ["decide", "--help"], ["models", "--help"]])
def test_help_loads_no_heavy_library(args: list[str], tmp_path: Path) -> None:
    code = (
        "from pipeline.cli.app import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit as exit:\n    assert not exit.code, exit.code"
    )
    loaded = heavy_modules_after(code, tmp_path / "home")
    assert loaded == [], f"strategy-review {' '.join(args)} pulled in: {', '.join(loaded)}"


def test_decide_list_loads_no_heavy_library(review_dir: Path, tmp_path: Path) -> None:
    code = (
        "from pipeline.cli.app import app\n"
        f"try:\n    app(['decide', {str(review_dir)!r}, '--list'])\n"
        "except SystemExit as exit:\n    assert not exit.code, exit.code"
    )
    loaded = heavy_modules_after(code, tmp_path / "home")
    assert loaded == [], f"decide --list pulled in: {', '.join(loaded)}"
