"""The workspace in real headless Chromium (Playwright) against a real uvicorn server on a free
loopback port: make decisions with plain forms and no JavaScript, see them after a reload, and
axe-core finds no WCAG 2 A/AA violations on any page, including one showing a form error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser import AXE, CHROMIUM, axe_installed

from pipeline import review_index
from pipeline.decisions import load_decisions, load_review
from pipeline.workspace.server import bind, build_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="chromium is not at /usr/bin/chromium"),
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture
def served(review_dir: Path) -> Iterator[str]:
    """A real uvicorn server in a thread, on a free port of 127.0.0.1; its base URL."""
    review_index.register(review_dir)
    server, stop = build_server(reviewer="A. Cdo")
    sock = bind(0)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop()
        thread.join(10)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


@pytest.fixture
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def _open(browser: Any, *, bypass_csp: bool = False) -> Any:
    tab = browser.new_context(
        bypass_csp=bypass_csp,
        java_script_enabled=bypass_csp,
        viewport={"width": 1280, "height": 900},
    ).new_page()
    tab.errors = []
    tab.on("console", lambda msg: tab.errors.append(msg.text) if msg.type == "error" else None)
    return tab


def _finding(tab: Any, item_id: str) -> Any:
    return tab.locator(f"section#item-{item_id}")


def _edit_and_reject(tab: Any, edited: str, rejected: str) -> None:
    section = _finding(tab, edited)
    section.locator("summary", has_text="Edit").click()
    section.get_by_label("Rating").select_option("red")
    section.get_by_label("Finding").fill("No one owns delivery of this strategy.")
    section.get_by_label("Recommendations (one per line)").fill("Name an owner.\nSet a date.")
    section.get_by_role("button", name="Save edit").click()
    tab.wait_for_load_state()
    assert tab.url.endswith(f"#item-{edited}")

    section = _finding(tab, rejected)
    section.locator("summary", has_text="Reject").click()
    section.get_by_label("Reason for rejecting (required)").fill("The quote is from another plan.")
    section.get_by_role("button", name="Reject").click()
    tab.wait_for_load_state()


def test_edit_and_reject_in_the_browser_without_javascript(
    served: str, review_dir: Path, browser: Any
) -> None:
    review = load_review(review_dir)
    edited, rejected = review.items[1].id, review.items[6].id
    tab = _open(browser)  # JavaScript off: plain forms must be enough
    tab.goto(served + "/")
    tab.get_by_role("link", name=review.document.title).click()
    assert tab.locator("section.finding").count() == 22
    _edit_and_reject(tab, edited, rejected)

    tab.reload()
    edit_text = _finding(tab, edited).inner_text()
    assert "Decision: Edited" in edit_text and "No one owns delivery" in edit_text
    assert "Edited: Red" in edit_text and "by A. Cdo" in edit_text
    reject_text = _finding(tab, rejected).inner_text()
    assert "Decision: Rejected" in reject_text and "The quote is from another plan." in reject_text
    log = load_decisions(review_dir)
    assert {k: d.action for k, d in log.decisions.items()} == {edited: "edit", rejected: "reject"}

    tab.goto(served + "/")
    cells = tab.locator("tbody tr td.num").all_inner_texts()
    assert cells == ["0", "1", "1", "20"]
    assert tab.errors == []


def test_every_page_has_no_axe_violations(served: str, review_dir: Path, browser: Any) -> None:
    if not axe_installed():
        pytest.skip("axe-core is not installable here (no npm or no network)")
    review = load_review(review_dir)
    tab = _open(browser, bypass_csp=True)  # to inject axe itself
    tab.goto(served + "/")
    pages = {"list": _axe(tab)}
    tab.get_by_role("link", name=review.document.title).click()
    _edit_and_reject(tab, review.items[1].id, review.items[6].id)
    tab.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert tab.locator("textarea:visible").count() == 3 * 22  # axe checks only what is shown
    pages["review"] = _axe(tab)
    tab.reload()  # the forms closed again

    section = _finding(tab, review.items[9].id)
    section.locator("summary", has_text="Reject").click()
    section.get_by_role("button", name="Reject").click()  # no reason given
    tab.wait_for_load_state()
    error = _finding(tab, review.items[9].id).get_by_role("alert")
    assert "a reason is required" in error.inner_text()
    pages["form error"] = _axe(tab)
    assert pages == {"list": [], "review": [], "form error": []}


def _axe(tab: Any) -> list[str]:
    tab.add_script_tag(path=str(AXE))
    found = tab.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.length + ' ' + v.help))",
        AXE_TAGS,
    )
    return list(found)
