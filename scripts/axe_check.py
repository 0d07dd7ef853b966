"""Check HTML pages with axe-core in headless Chromium; exit 1 on any violation.

    python scripts/axe_check.py PATH... --axe-dir DIR [--chromium /usr/bin/chromium]

PATH is an HTML file or a folder (searched for *.html). DIR is where ``npm install axe-core``
was run (``DIR/node_modules/axe-core/axe.min.js``). Each page is opened from file:// with
Playwright's Python package driving the system Chromium (no browser download), every
``<details>`` is opened so that its content is checked too, and axe-core runs the WCAG 2.0, 2.1
and 2.2 A and AA rules. Prints one line per violation and node, then a count per file.

Exit codes: 0 no violation; 1 violations; 2 bad input (no such path, no HTML, no axe-core,
no Chromium, no Playwright).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
AXE_JS = Path("node_modules") / "axe-core" / "axe.min.js"
RUN = "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
OPEN_DETAILS = "els => els.forEach(e => { e.open = true; })"


class BadInput(Exception):
    """A one-line reason to exit with 2."""


def html_files(paths: Sequence[Path]) -> list[Path]:
    """The files given, and every *.html under the folders given, in order, without repeats."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.html") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise BadInput(f"no such file or folder: {path}")
    unique = list(dict.fromkeys(p.resolve() for p in found))
    if not unique:
        raise BadInput("no HTML files found in " + ", ".join(str(p) for p in paths))
    return unique


def violation_lines(file: Path, result: dict[str, Any]) -> Iterator[str]:
    """One line per violation and node: ``FILE: rule (impact): help [target]``."""
    for violation in result["violations"]:
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node.get("target", []))
            yield (
                f"{file}: {violation['id']} ({violation.get('impact') or 'n/a'}): "
                f"{violation['help']} [{target}]"
            )


def check(files: Sequence[Path], axe: Path, chromium: Path, tags: Sequence[str]) -> int:
    """Run axe on every file; print violations and counts; return the number of violations."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise BadInput("playwright is not installed: pip install playwright") from None
    total = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        context = browser.new_context(bypass_csp=True)  # the pages' CSP would refuse axe
        try:
            for file in files:
                tab = context.new_page()
                tab.goto(file.as_uri())
                tab.eval_on_selector_all("details", OPEN_DETAILS)
                tab.add_script_tag(path=str(axe))
                result = tab.evaluate(RUN, list(tags))
                tab.close()
                lines = list(violation_lines(file, result))
                for line in lines:
                    print(line)
                print(f"{file}: {len(lines)} violation(s), {len(result['passes'])} rules passed")
                total += len(lines)
        finally:
            browser.close()
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path, help="HTML files or folders")
    parser.add_argument(
        "--axe-dir", type=Path, required=True, help="where axe-core was npm-installed"
    )
    parser.add_argument("--chromium", type=Path, default=Path("/usr/bin/chromium"))
    parser.add_argument("--tags", default=",".join(TAGS), help="axe rule tags, comma-separated")
    args = parser.parse_args(argv)
    try:
        axe = args.axe_dir / AXE_JS
        if not axe.is_file():
            raise BadInput(
                f"axe-core not found at {axe}: run npm install axe-core in {args.axe_dir}"
            )
        if not args.chromium.is_file():
            raise BadInput(f"chromium not found at {args.chromium}")
        files = html_files(args.paths)
        total = check(files, axe, args.chromium, [t for t in args.tags.split(",") if t])
    except BadInput as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"axe-core: {total} violation(s) in {len(files)} file(s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
