"""Indicator counts on real strategies, to check that a change to the rules' word families does
not make a count jump absurdly. Prints one row per document and indicator field; reads the
documents only and prints figures, never their text.

    python bench/bench_indicator_drift.py /work/shared/pdf --json after.json
    python bench/bench_indicator_drift.py /work/shared/pdf --against before.json

Run it with PYTHONPATH pointing at another checkout to get the "before" figures from its code.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pipeline.documents import read_document
from pipeline.indicators import compute_indicators

SUFFIXES = {".pdf", ".md", ".html", ".htm", ".docx", ".txt"}
Counts = dict[str, dict[str, float]]


def counts(path: Path) -> dict[str, float]:
    """Every numeric indicator field of the document, as "indicator.field"."""
    found: dict[str, float] = {}
    for indicator in compute_indicators(read_document(path)):
        for key, value in (indicator.value or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                found[f"{indicator.id}.{key}"] = float(value)
    return found


def measure(paths: list[Path]) -> Counts:
    return {p.name: counts(p) for p in paths}


def _row(name: str, field: str, before: float | None, after: float | None) -> str:
    def show(x: float | None) -> str:
        return "-" if x is None else f"{x:g}"

    return f"{name[:44]:44} {field:40} {show(before):>8} {show(after):>8}"


def compare(before: Counts, after: Counts, changed_only: bool = True) -> list[str]:
    lines = [f"{'document':44} {'field':40} {'before':>8} {'after':>8}"]
    for name in sorted(after):
        for field in sorted(after[name]):
            old, new = before.get(name, {}).get(field), after[name][field]
            if changed_only and old == new:
                continue
            lines.append(_row(name, field, old, new))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", type=Path, help="write the counts here")
    parser.add_argument("--against", type=Path, help="counts from another checkout to compare")
    parser.add_argument("--all", action="store_true", help="list unchanged fields too")
    args = parser.parse_args(argv)
    paths = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in SUFFIXES)
    started = time.perf_counter()
    found = measure(paths)
    print(f"{len(paths)} documents read in {time.perf_counter() - started:.1f} s")
    if args.json:
        args.json.write_text(json.dumps(found, indent=1, sort_keys=True))
    before = json.loads(args.against.read_text()) if args.against else {}
    for line in compare(before, found, changed_only=bool(args.against) and not args.all):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
