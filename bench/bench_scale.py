"""Issue 9 §7 in one run: peak RSS of a rules review and embedding speed, before and after.

    python bench/bench_scale.py [--pages 100] [--file PDF] [--rounds 2]

Memory: each figure is the peak RSS (``ru_maxrss`` from ``wait4``) of a fresh interpreter:
- raw pypdf: open the PDF and extract every page's text (the floor to compare against);
- rules review, before: ``run_review`` with the embedder as it was before (default
  onnxruntime session: constant folding, memory arena and pattern; sorted batches of 32);
- rules review, float: ``run_review`` as shipped but with the float graph
  (``STRATEGY_REVIEW_EMBEDDINGS_INT8=0``);
- rules review, after: ``run_review`` as shipped (the int8-compute graph, converted on first use
  in the new home: the conversion is part of this figure).
Each review runs in a new empty home, so it is a first review: the exemplar corpus is indexed and
the document ingested, as for a new user.

Speed, interleaved on the PDF's chunks, best of ``--rounds``:
- naive: batches of 32 in document order, default session;
- before: sorted batches of 32, default session;
- float: ``MiniLMEmbedder`` on the float graph, one batch at a time on every core (onnxruntime's
  intra-op threads): the embedder as it was before the int8 graph, the yardstick for ratios;
- float-1t and after-1t: each graph on one thread, one batch at a time: their chunks per
  CPU-second compare the graphs per core, which a shared machine's load disturbs least;
- float-par: the float graph as shipped (the fallback): one batch per core at once;
- after-1: the int8-compute graph one batch at a time on every core;
- after: ``MiniLMEmbedder`` as shipped: the int8-compute graph, one batch per core at once;
with the lowest cosine of each against every text embedded alone (no padding) on the float
graph, and of the int8 graph against the float graph.
The load average is printed with every figure: 7 helpers may share the 2 cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "bench"))

PYPDF = """
import sys
from pypdf import PdfReader
text = [p.extract_text() for p in PdfReader(sys.argv[1]).pages]
"""

REVIEW = """
import sys
from pathlib import Path
if sys.argv[3] == "before":
    import bench_embed
    import pipeline.embeddings as embeddings

    class Before:
        name = embeddings.MINILM_NAME

        def __init__(self):
            self.naive = bench_embed.NaiveEmbedder(sort=True)

        def embed(self, texts):
            return self.naive.embed([t or " " for t in texts]).tolist()

    embeddings._minilm = lambda: Before()
from pipeline.review import run_review
run_review(Path(sys.argv[1]), Path(sys.argv[2]), None)
"""


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def child_peak_mb(code: str, *args: str, home: Path) -> tuple[float, float]:
    """Peak RSS (MB) and wall time of ``python -c code args`` in a fresh interpreter."""
    env = {
        **os.environ,
        "STRATEGY_REVIEW_HOME": str(home),
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}{os.pathsep}{ROOT / 'scripts'}",
        "ANONYMIZED_TELEMETRY": "False",
    }
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code, *args], env=env)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"child failed with exit code {process.returncode}")
    return usage.ru_maxrss / 1024, time.perf_counter() - started


def memory(pdf: Path, tmp: Path) -> None:
    raw, raw_s = child_peak_mb(PYPDF, str(pdf), home=tmp / "home-pypdf")
    print(f"raw pypdf read            : peak RSS {raw:5.0f} MB, {raw_s:5.1f} s  (load {_load()})")
    for label in ("before", "float", "after"):
        os.environ["STRATEGY_REVIEW_EMBEDDINGS_INT8"] = "0" if label == "float" else "1"
        peak, wall = child_peak_mb(
            REVIEW, str(pdf), str(tmp / f"out-{label}"), label, home=tmp / f"home-{label}"
        )
        print(
            f"rules review, {label:<6}     : peak RSS {peak:5.0f} MB, {wall:5.1f} s, "
            f"x{peak / raw:.2f} raw pypdf  (load {_load()})"
        )
    os.environ.pop("STRATEGY_REVIEW_EMBEDDINGS_INT8")


def speed(texts: list[str], rounds: int) -> None:
    from bench_embed import NaiveEmbedder

    from pipeline.embeddings import MiniLMEmbedder

    after = MiniLMEmbedder(int8=True)
    embedders: dict[str, Any] = {
        "naive": NaiveEmbedder(sort=False).embed,
        "before": NaiveEmbedder(sort=True).embed,
        "float": MiniLMEmbedder(int8=False, workers=1).embed,
        "float-1t": MiniLMEmbedder(int8=False, workers=1, threads=1).embed,
        "float-par": MiniLMEmbedder(int8=False).embed,
        "after-1t": MiniLMEmbedder(int8=True, workers=1, threads=1).embed,
        "after-1": MiniLMEmbedder(int8=True, workers=1).embed,
        "after": after.embed,
    }
    print(f"after: {after.name}")
    alone = NaiveEmbedder(sort=False).embed_alone(texts)
    tokens = sum(len(e.ids) for e in after.tokenizer.encode_batch(texts))
    for embed in embedders.values():
        embed(texts[:8])  # warm-up: first-run allocations are not throughput
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}
    cosine: dict[str, float] = {}
    vectors_of: dict[str, np.ndarray] = {}
    for _ in range(rounds):
        for name, embed in embedders.items():
            wall, used = time.perf_counter(), time.process_time()
            vectors = np.asarray(embed(texts), dtype=np.float32)
            wall, used = time.perf_counter() - wall, time.process_time() - used
            best[name] = min(best.get(name, wall), wall)
            cpu[name] = min(cpu.get(name, used), used)
            cosine[name] = float(np.min(np.sum(vectors * alone, axis=1)))
            vectors_of[name] = vectors
    print(f"{len(texts)} chunks, {tokens / len(texts):.0f} tokens per chunk on average")
    for name in embedders:
        print(
            f"embed {name:<9}: {len(texts) / best[name]:6.1f} chunks/s "
            f"({tokens / best[name]:5.0f} tokens/s), x{best['naive'] / best[name]:.2f} naive, "
            f"x{best['float'] / best[name]:.2f} float; "
            f"{len(texts) / cpu[name]:5.1f} chunks per CPU-second; min cosine vs one-at-a-time "
            f"{cosine[name]:.5f}  (load {_load()})"
        )
    versus = np.sum(vectors_of["after"] * vectors_of["float"], axis=1)
    print(
        f"int8 graph vs float graph: x{best['float'] / best['after']:.2f} wall, "
        f"x{cpu['float'] / cpu['after']:.2f} CPU; cosine min {versus.min():.5f} "
        f"mean {versus.mean():.5f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        os.environ["STRATEGY_REVIEW_HOME"] = str(tmp / "home")
        pdf = args.file
        if pdf is None:
            import render_pdfs

            pdf = render_pdfs.make_large_pdf(tmp / "big.pdf", pages=args.pages)
        print(f"pdf: {pdf.name}; cores: {os.cpu_count()}; load average at start: {_load()}")
        if not args.skip_memory:
            memory(pdf, tmp)
        if not args.skip_speed:
            from pipeline.documents import read_document

            speed([c.text for c in read_document(pdf).chunks], args.rounds)
        print(f"load average at end: {_load()}")


if __name__ == "__main__":
    main()
