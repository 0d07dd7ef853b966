"""The wheel `pip install .` builds holds the whole package and its data, and nothing else.

An editable install (the usual development setup) imports from the checkout, so a wheel that
left modules out would pass every other test there; this builds the real wheel.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_wheel_holds_every_module_and_the_data(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("strategy_review-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pipeline").rglob("*.py")}
    modules = {m for m in modules if not m.startswith("pipeline/_data/")}
    assert modules <= names, sorted(modules - names)[:5]
    for data in ("prompts/item.md", "prompts/system.md", "corpus/manifest.json"):
        assert f"pipeline/_data/{data}" in names
    assert any(n.startswith("pipeline/_data/evals/cases/") for n in names)
    assert not any(n.startswith(("tests/", "bench/", "pipeline/bench/")) for n in names)
