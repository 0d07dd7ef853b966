"""compare.html in real headless chromium: it renders, shows every item and logs no errors."""

from __future__ import annotations

import html
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.compare import compare_versions, compare_with_exemplars, write_comparison
from pipeline.review import ReviewOptions
from pipeline.rubric import load_rubric

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not on PATH"),
]

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))
from render_pdfs import render_text_pdf  # noqa: E402

OLD = [
    "# Riverside Council Digital Strategy 2025-2035\n\nRiverside Council serves 90,000 residents "
    "across the borough. Over the next ten years we will modernise every service.",
    "## Ambitions\n\n- We will build a new app for residents.\n- We will replace the CRM.\n"
    "- We will introduce artificial intelligence <everywhere> & at once.",
]
NEW = [
    "# Riverside Council Digital Strategy 2025-2028\n\nRiverside Council serves 90,000 residents "
    "across the borough. This strategy runs from 2025 to 2028 and is reviewed annually.",
    "## Priorities\n\nWe will not build our own app. We will stop the CRM replacement and pause "
    "the artificial intelligence pilot.",
]
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-logging=stderr", "--v=0",
]  # fmt: skip
# Console messages are logged as "...:INFO:CONSOLE:1] "<message>", source: ..." (or CONSOLE(1)).
CONSOLE_ERROR = re.compile(r"Uncaught|\bCONSOLE[:(]|Refused to|Content Security Policy|ERR_BLOCKED")


@pytest.fixture(autouse=True)
def browser_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATEGY_REVIEW_HOME", str(tmp_path / "home"))


def _chromium(tmp_path: Path, page: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    args = ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _check_page(tmp_path: Path, page: Path) -> str:
    dom = _chromium(tmp_path, page, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    errors = [line for line in dom.stderr.splitlines() if CONSOLE_ERROR.search(line)]
    assert errors == []
    for item in load_rubric().items:
        assert html.escape(item.title, quote=False) in dom.stdout, item.title
    assert dom.stdout.count("<details") >= len(load_rubric().items)
    shot = tmp_path / "shot.png"
    result = _chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1400,2000")
    assert result.returncode == 0 and shot.exists()
    assert [line for line in result.stderr.splitlines() if CONSOLE_ERROR.search(line)] == []
    assert _png_size(shot) == (1400, 2000)
    return dom.stdout


def test_exemplar_matrix_renders_in_chromium(tmp_path: Path) -> None:
    pdf = render_text_pdf(NEW, tmp_path / "new.pdf", title="Riverside Council Digital Strategy")
    comparison = compare_with_exemplars(pdf, None, None)
    paths = write_comparison(comparison, tmp_path / "exemplars")
    dom = _check_page(tmp_path, paths["html"])
    assert comparison.sector == "local"
    for source in comparison.exemplars:
        assert html.escape(source.title, quote=False) in dom


def test_version_matrix_renders_in_chromium(tmp_path: Path) -> None:
    old = render_text_pdf(OLD, tmp_path / "old.pdf", title="Riverside Council Digital Strategy")
    new = render_text_pdf(NEW, tmp_path / "new.pdf", title="Riverside Council Digital Strategy")
    comparison = compare_versions(old, new, None, ReviewOptions())
    paths = write_comparison(comparison, tmp_path / "versions")
    dom = _check_page(tmp_path, paths["html"])
    assert "RESOLVED" in dom
    assert "<everywhere" not in dom  # document text is escaped, never parsed as markup
