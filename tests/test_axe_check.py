"""scripts/axe_check.py: fails on a page built to break WCAG rules, passes the reports.

The browser tests drive the system Chromium with axe-core from /tmp/axe (installed with npm
if missing, as tests/test_batch_browser.py does); bad input needs neither.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from browser import AXE_DIR, CHROMIUM, axe_installed
from test_report import make_review

from pipeline.report import write_reports

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "axe_check.py"

BROKEN = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Broken</title></head>
<body><main><h1>Broken page</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<p style="color:#bbbbbb;background:#ffffff">Pale grey text on white.</p>
</main></body></html>
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300
    )


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = run(str(tmp_path / "nope.html"), "--axe-dir", str(tmp_path))
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"error: axe-core not found at {tmp_path / 'node_modules/axe-core/axe.min.js'}: "
        f"run npm install axe-core in {tmp_path}"
    ]
    (tmp_path / "empty").mkdir()
    fake_axe = tmp_path / "node_modules" / "axe-core" / "axe.min.js"
    fake_axe.parent.mkdir(parents=True)
    fake_axe.write_text("", encoding="utf-8")
    if CHROMIUM.exists():
        empty = run(str(tmp_path / "empty"), "--axe-dir", str(tmp_path))
        assert empty.returncode == 2 and empty.stderr.startswith("error: no HTML files found")
        gone = run(str(tmp_path / "gone"), "--axe-dir", str(tmp_path))
        assert gone.returncode == 2 and "no such file or folder" in gone.stderr


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not at /usr/bin/chromium")
def test_fails_on_a_broken_page_and_passes_the_review(tmp_path: Path) -> None:
    pytest.importorskip("playwright.sync_api")
    if not axe_installed():
        pytest.skip("axe-core is not installable here (no npm or no network)")
    broken = tmp_path / "broken" / "broken.html"
    broken.parent.mkdir()
    broken.write_text(BROKEN, encoding="utf-8")
    review = make_review()  # every kind of item: failed, low confidence, rules, hostile text
    write_reports(review, tmp_path / "review", formats=("html",))

    result = run(str(tmp_path / "broken"), str(tmp_path / "review"), "--axe-dir", str(AXE_DIR))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert any(f"{broken}: image-alt (critical)" in line for line in lines), lines
    assert any(f"{broken}: color-contrast (serious)" in line for line in lines), lines
    assert f"{broken}: 2 violation(s)" in result.stdout
    review_html = tmp_path / "review" / "review.html"
    assert f"{review_html}: 0 violation(s)" in result.stdout

    clean = run(str(review_html), "--axe-dir", str(AXE_DIR))
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout.splitlines()[-1] == "axe-core: 0 violation(s) in 1 file(s)"
