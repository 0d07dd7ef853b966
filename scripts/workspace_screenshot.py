"""Take docs/workspace.png: the review workspace with a few decisions made, in headless Chromium.

    python scripts/workspace_screenshot.py REVIEW_DIR [--out docs/workspace.png]

REVIEW_DIR is a review folder (e.g. from ``strategy-review review examples/...pdf``); it is copied
to a temporary folder first, so its decisions.json is never touched.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from pipeline import review_index
from pipeline.decisions import load_review, record_decision
from pipeline.workspace.server import bind, build_server

CHROMIUM = "/usr/bin/chromium"


def decide_some(folder: Path) -> str:
    """Accept, edit and reject the first three findings; the anchor of the edited one."""
    items = load_review(folder).items
    record_decision(folder, items[0].id, "accept", reviewer="A. Cdo")
    record_decision(
        folder,
        items[1].id,
        "edit",
        rating="amber",
        summary="User needs are named, but no research with residents is cited.",
        recommendations=["Cite the user research behind each priority."],
        reviewer="A. Cdo",
    )
    record_decision(
        folder, items[2].id, "reject", reason="The quote is about another plan.", reviewer="A. Cdo"
    )
    return f"item-{items[1].id}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("review_dir", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/workspace.png"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(shutil.copytree(args.review_dir, Path(tmp) / "review"))
        (folder / "decisions.json").unlink(missing_ok=True)
        anchor = decide_some(folder)
        server, stop = build_server([folder], reviewer="A. Cdo")
        sock = bind(0)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/reviews/{review_index.review_id(folder)}"
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
                tab = browser.new_page(viewport={"width": 1280, "height": 900})
                tab.goto(f"{url}#{anchor}")
                args.out.parent.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=str(args.out))
                browser.close()
        finally:
            stop()
            thread.join(10)
            sock.close()
    print(f"wrote {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
