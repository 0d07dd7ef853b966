"""Peak RSS of a rules-only review of a generated 100-page PDF, phase by phase.

    python bench/bench_memory.py [--pages 100] [--file PDF] [--breakdown]

Each phase starts by resetting the kernel's peak-RSS mark (``/proc/self/clear_refs``), so a
phase's figure is the highest resident size reached while it ran, not since the process began.
The run uses a new temporary home, so it is a first review: the exemplar corpus is indexed and
the document is ingested, as for a new user. ``--breakdown`` adds the Python-heap peak of each
phase (tracemalloc: what Python objects held, apart from native buffers such as onnxruntime's)
and the largest allocation sites of the heaviest phase.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def _status_kb(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    return int(match.group(1)) if match else 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):  # not Linux, or not allowed: peaks are then cumulative
        Path("/proc/self/clear_refs").write_text("5")


class Phases:
    """Runs named phases and records peak RSS (and optionally the Python-heap peak) of each."""

    def __init__(self, breakdown: bool) -> None:
        self.breakdown = breakdown
        self.rows: list[tuple[str, float, int, int, int]] = []
        self.snapshots: dict[str, Any] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        _reset_peak()
        if self.breakdown:
            tracemalloc.reset_peak()
        started = time.perf_counter()
        yield
        wall = time.perf_counter() - started
        heap = tracemalloc.get_traced_memory()[1] if self.breakdown else 0
        if self.breakdown:
            self.snapshots[name] = tracemalloc.take_snapshot()
        self.rows.append((name, wall, _status_kb("VmHWM"), _status_kb("VmRSS"), heap))

    def report(self) -> None:
        print(f"{'phase':<28}{'wall s':>8}{'peak RSS MB':>13}{'RSS after MB':>14}", end="")
        print(f"{'py heap peak MB':>17}" if self.breakdown else "")
        for name, wall, peak, after, heap in self.rows:
            line = f"{name:<28}{wall:8.2f}{peak / 1024:13.0f}{after / 1024:14.0f}"
            print(line + (f"{heap / 2**20:17.0f}" if self.breakdown else ""))
        overall = max(r[2] for r in self.rows)
        print(f"overall peak RSS: {overall / 1024:.0f} MB")


def run(pdf: Path, tmp: Path, phases: Phases) -> None:
    with phases.phase("imports"):
        from pipeline.corpus import ensure_built
        from pipeline.documents import read_document
        from pipeline.indicators import compute_indicators
        from pipeline.models.rules import RulesModel
        from pipeline.review import ReviewOptions, review_item
        from pipeline.rubric import load_rubric
        from pipeline.store import Store, document_collection
    with phases.phase("parse (read_document)"):
        document = read_document(pdf)
    with phases.phase("embedder load"):
        store = Store()
    with phases.phase("ingest (embed + Chroma)"):
        store.add(
            document_collection(document.sha256),
            ids=[c.id for c in document.chunks],
            texts=[c.text for c in document.chunks],
            metadatas=[
                {"page_start": c.page_start, "page_end": c.page_end} for c in document.chunks
            ],
        )
    with phases.phase("exemplar corpus index"):
        ensure_built(store)
    with phases.phase("indicators"):
        indicators = {i.id: i for i in compute_indicators(document)}
    with phases.phase("22 items (rules)"):
        options = ReviewOptions()
        results = [
            review_item(document, item, indicators, RulesModel(), store, options)
            for item in load_rubric().select(None)
        ]
    print(
        f"pdf: {pdf.name}, {len(document.pages)} pages, {len(document.chunks)} chunks, "
        f"{len(results)} items"
    )


def full_review(pdf: Path, tmp: Path) -> None:
    """The whole review as the CLI runs it, for the end-to-end peak."""
    from pipeline.models.rules import RulesModel
    from pipeline.review import run_review

    run_review(pdf, tmp / "out", RulesModel())


def _measure(label: str, fn: Callable[[], None]) -> None:
    _reset_peak()
    started = time.perf_counter()
    fn()
    print(
        f"{label}: peak RSS {_status_kb('VmHWM') / 1024:.0f} MB, "
        f"{time.perf_counter() - started:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--breakdown", action="store_true")
    parser.add_argument(
        "--end-to-end",
        action="store_true",
        help="one run_review (as the CLI) instead of the phases",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["STRATEGY_REVIEW_HOME"] = str(tmp / "home")
        os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
        pdf = args.file
        if pdf is None:
            import render_pdfs

            pdf = render_pdfs.make_large_pdf(tmp / "big.pdf", pages=args.pages)
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if args.end_to_end:
            _measure("rules review (run_review)", lambda: full_review(pdf, tmp))
            return
        if args.breakdown:
            tracemalloc.start(12)
        phases = Phases(args.breakdown)
        run(pdf, tmp, phases)
        phases.report()
        if args.breakdown:
            heaviest = max(phases.rows, key=lambda r: r[2])[0]
            print(f"largest Python allocation sites in '{heaviest}':")
            stats = phases.snapshots[heaviest].statistics("traceback")
            for stat in stats[:5]:
                frames = [
                    f for f in stat.traceback.format() if "site-packages" in f or "pipeline" in f
                ]
                print(f"  {stat.size / 2**20:7.1f} MB  {(frames or ['?'])[-1].strip()}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
