"""Ingestion, embedding and corpus-search figures for a generated 200-page PDF.

    python bench/bench_ingest.py [--pages 200]

Prints pages/s for ingest (parse + normalise + chunk) against raw pypdf text extraction of
the same file, embedding chunks/s, and `corpus search` latency. Uses a temporary home.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["STRATEGY_REVIEW_HOME"] = str(Path(tmp) / "home")
        run(Path(tmp), args.pages, args.queries)


def run(tmp: Path, pages: int, queries: int) -> None:
    import render_pdfs
    from pypdf import PdfReader

    from pipeline.corpus import build, search
    from pipeline.documents import read_document
    from pipeline.embeddings import MiniLMEmbedder

    pdf = render_pdfs.make_large_pdf(tmp / "big.pdf", pages=pages)
    started = time.perf_counter()
    raw = [p.extract_text() for p in PdfReader(pdf).pages]
    raw_s = time.perf_counter() - started
    started = time.perf_counter()
    document = read_document(pdf)
    parse_s = time.perf_counter() - started
    embedder = MiniLMEmbedder()
    texts = [c.text for c in document.chunks]
    started = time.perf_counter()
    embedder.embed(texts)
    embed_s = time.perf_counter() - started
    build()
    latencies = []
    for i in range(queries):
        started = time.perf_counter()
        search(f"how will the strategy measure progress {i}", k=5)
        latencies.append((time.perf_counter() - started) * 1000)
    words = sum(len(t.split()) for t in raw)
    print(f"pdf: {pages} pages, {words} words, {len(document.chunks)} chunks")
    print(f"raw pypdf extraction : {pages / raw_s:8.1f} pages/s ({raw_s:.2f} s)")
    print(f"ingest parse+chunk   : {pages / parse_s:8.1f} pages/s ({parse_s:.2f} s)")
    print(f"embedding (MiniLM)   : {len(texts) / embed_s:8.1f} chunks/s ({embed_s:.2f} s)")
    print(f"ingest incl. embed   : {pages / (parse_s + embed_s):8.1f} pages/s")
    print(
        f"corpus search        : median {statistics.median(latencies):.1f} ms, "
        f"max {max(latencies):.1f} ms over {queries} queries"
    )


if __name__ == "__main__":
    main()
