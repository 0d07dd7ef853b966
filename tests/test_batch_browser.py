"""league.html in real headless Chromium (Playwright): it renders under its CSP, sorts and
filters with the keyboard, and axe-core finds no WCAG 2 A/AA violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from batch_docs import write_documents
from browser import AXE, CHROMIUM, axe_installed

from pipeline.batch import BatchOptions, run_batch
from pipeline.league import League

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not at /usr/bin/chromium"),
]


@pytest.fixture
def league_page(corpus_home: Path, tmp_path: Path) -> tuple[Path, League]:
    write_documents(tmp_path)
    result = run_batch([tmp_path / "docs"], tmp_path / "out", None, BatchOptions(jobs=2))
    return result.paths["html"], result.league


@pytest.fixture
def page(league_page: tuple[Path, League]) -> Any:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(bypass_csp=False)
        tab = context.new_page()
        tab.errors = []
        tab.on("console", lambda msg: tab.errors.append(msg.text) if msg.type == "error" else None)
        tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        tab.goto(league_page[0].as_uri())
        yield tab
        browser.close()


def _titles(tab: Any) -> list[str]:
    return tab.eval_on_selector_all(
        "#league tbody tr:not([hidden]) th[scope=row]", "els => els.map(e => e.textContent.trim())"
    )


def test_league_renders_sorts_and_filters(page: Any, league_page: tuple[Path, League]) -> None:
    _, league = league_page
    assert page.errors == []  # the script ran under the page's CSP, nothing was refused
    assert page.is_visible("#controls")
    assert len(_titles(page)) == len(league.rows) == 5
    assert page.locator("#league thead th").count() == 2 + 5 + 22
    assert page.text_content("#filter-status") == "Showing 5 of 5 strategies."

    # Sort by the Red count with the keyboard: most reds first, then fewest.
    red = page.get_by_role("button", name="Red", exact=True)
    red.focus()
    page.keyboard.press("Enter")
    by_red = sorted(league.rows, key=lambda r: r.counts["red"])
    assert page.get_attribute("#league thead th:nth-child(5)", "aria-sort") == "ascending"
    assert _reds(page) == [r.counts["red"] for r in by_red]
    page.keyboard.press("Enter")
    assert _reds(page) == sorted((r.counts["red"] for r in league.rows), reverse=True)

    # Filter by text, then by an item's rating.
    page.fill("#filter-text", "council")
    councils = [r.title for r in league.rows if "council" in r.title.lower()]
    assert sorted(_titles(page)) == sorted(councils) and len(councils) == 2
    page.fill("#filter-text", "")
    page.select_option("#filter-item", "q05_not_prioritising")
    page.select_option("#filter-rating", "red")
    red_q05 = [r.title for r in league.rows if r.ratings["q05_not_prioritising"] == "red"]
    assert sorted(_titles(page)) == sorted(red_q05) and 0 < len(red_q05) < 5
    assert page.text_content("#filter-status") == f"Showing {len(red_q05)} of 5 strategies."

    # A cell opens that item in its review.
    page.select_option("#filter-rating", "")
    first = page.locator("#league tbody tr td.cell a").first
    href = first.get_attribute("href")
    first.click()
    assert page.url.endswith(href) and page.is_visible(f"#{href.split('#')[1]}")


def _reds(page: Any) -> list[int]:
    return [int(t) for t in page.eval_on_selector_all(
        "#league tbody tr td:nth-child(5)", "els => els.map(e => e.textContent)"
    )]  # fmt: skip


def test_league_has_no_axe_violations(league_page: tuple[Path, League]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not axe_installed():
        pytest.skip("axe-core is not installable here (no npm or no network)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        tab = browser.new_context(bypass_csp=True).new_page()  # to inject axe itself
        tab.goto(league_page[0].as_uri())
        tab.add_script_tag(path=str(AXE))
        for state in ("open", "filtered"):
            if state == "filtered":
                tab.eval_on_selector_all("details", "els => els.forEach(e => e.open = true)")
                tab.select_option("#filter-rating", "red")
            result = tab.evaluate(
                "() => axe.run(document, {runOnly: {type: 'tag', values: "
                "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
            )
            violations = [
                (v["id"], [n["target"] for n in v["nodes"]]) for v in result["violations"]
            ]
            assert violations == [], violations
            assert len(result["passes"]) > 10  # axe really checked the page
        browser.close()
