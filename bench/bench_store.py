"""Retrieval cost per rubric item through the store: dense search of the document plus exemplars.

    python bench/bench_store.py [--repeat 3]

Uses a fresh home under a temp folder; PYTHONPATH picks the code under test, so the same script
gives a before/after figure. Prints seconds per item (median of the repeats).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "northbridge-digital-strategy.pdf"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        os.environ["STRATEGY_REVIEW_HOME"] = tmp
        from pipeline.corpus import ensure_built
        from pipeline.ingest import ingest
        from pipeline.retrieval import RetrievalSettings, retrieve_evidence, retrieve_exemplars
        from pipeline.rubric import load_rubric
        from pipeline.store import Store

        store = Store()
        document, _ = ingest(SAMPLE, store=store)
        ensure_built(store)
        settings = RetrievalSettings()
        items = load_rubric().items
        per_item = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            for item in items:
                retrieve_evidence(document, item, store, settings)
                retrieve_exemplars(item, store, settings)
            per_item.append((time.perf_counter() - started) / len(items))
        print(f"code under test: {Path(str(__import__('pipeline').__file__)).parent.parent}")
        print(
            f"retrieval per item: median {statistics.median(per_item) * 1000:.1f} ms "
            f"over {args.repeat} x {len(items)} items "
            f"(runs: {', '.join(f'{t * 1000:.1f}' for t in per_item)} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
