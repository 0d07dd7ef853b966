"""Six processes started together on one EMPTY home, on three documents (two the same bytes).

All must succeed, identical inputs must give identical reports (times and paths aside), and the
cache, `corpus list` and the store must be consistent afterwards. The driver is
scripts/concurrent_home.py, which also prints before/after figures.
"""

from __future__ import annotations

from pathlib import Path

import concurrent_home  # scripts/, put on sys.path by conftest
import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def test_six_processes_on_an_empty_home(tmp_path: Path) -> None:
    run = concurrent_home.run_in(tmp_path, procs=6, pythonpath=ROOT)
    assert run["errors"] == []
    assert run["succeeded"] == 6
    assert run["groups"] == 2  # the sample (under two names) and its Markdown source
    assert run["identical_groups"] == 2
    assert run["cache_files"] == run["cache_files_ok"]  # every cache file whole and valid
    assert run["model_files"] <= 1  # the int8 embedding graph is converted once, under its lock
    assert run["item_cache_files"] == 2 * 22  # one result per item per distinct document
    assert run["corpus_list_ok"] is True
    status = run["corpus_status"]
    assert status is not None and status["up_to_date"] is True and status["count"] > 0
    # built once under the lock: one exemplar collection and one per distinct document, no swaps
    assert status["collections"] == 3
    assert status["retired"] == 0
    reports = [tmp_path / f"out-{i}" / "review.json" for i in range(6)]
    assert all(p.exists() for p in reports)
    assert not list(tmp_path.glob("out-*/.*.tmp"))  # no half-written report left behind
