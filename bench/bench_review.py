"""Wall time of a full review of the sample, cold (empty home) and warm (cached), and the share
of model quotes that passed verification.

    python bench/bench_review.py [--model embedded] [--base-url URL] [--file PDF]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--base-url", default=None)
    parser.add_argument(
        "--file", type=Path, default=ROOT / "examples" / "northbridge-digital-strategy.pdf"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["STRATEGY_REVIEW_HOME"] = str(Path(tmp) / "home")
        from pipeline.models import resolve_model
        from pipeline.review import run_review

        for label in ("cold", "warm"):
            model = resolve_model(args.model, args.base_url)
            started = time.perf_counter()
            review, _ = run_review(args.file, Path(tmp) / label, model)
            wall = time.perf_counter() - started
            stats = review.stats
            proposed = stats["quotes_proposed"]
            share = f"{stats['quotes_verified'] / proposed:.0%}" if proposed else "n/a"
            print(
                f"{label}: {wall:7.1f} s for {len(review.items)} items; model {review.model.id}; "
                f"quotes verified {stats['quotes_verified']}/{proposed} ({share}); "
                f"low-confidence {stats['items_low_confidence']}; "
                f"parse failures {stats['parse_failures']}; cached {stats['items_cached']}"
            )


if __name__ == "__main__":
    main()
