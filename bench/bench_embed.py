"""Embedding throughput against a naive embedder, and ingest time against raw pypdf, in one run.

    python bench/bench_embed.py [--pages 100] [--file PDF] [--rounds 3]

- naive: onnxruntime's default session, batches of 32 texts in document order, each padded
  to its longest text (the embedder as first written);
- sorted-32: the same session, batches of 32 sorted by length (the embedder before token budgets);
- pipeline-float: ``MiniLMEmbedder`` on the float graph (token-budget batches, tuned session
  options, one batch per core at once);
- pipeline: ``MiniLMEmbedder`` as shipped (the int8-compute graph, pipeline/int8_graph.py).
The four run interleaved, ``--rounds`` times, on the same chunks; the best round of each is
reported, with the ratio to naive and the lowest cosine similarity to each text embedded alone
(no padding at all: the reference for pooling and order). The
machine's load average is printed with the figures: on a shared machine, compare ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


class NaiveEmbedder:
    """Default onnxruntime session; fixed batches of 32, optionally sorted by length."""

    def __init__(self, sort: bool) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from pipeline.embeddings import MAX_TOKENS, minilm_files

        model, tokenizer = minilm_files()
        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        # tokenizer.json pads every text to 128 tokens; without this the mask below would count
        # that padding as text (the cause of the 0.64 cosine once reported against "naive")
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = min(4, os.cpu_count() or 1)
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self.sort = sort

    def embed_alone(self, texts: list[str]) -> np.ndarray:
        """Each text in a run of its own: nothing padded, nothing batched."""
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = np.array([self.tokenizer.encode(text).ids], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            hidden = self.session.run(None, {**feeds, "token_type_ids": np.zeros_like(ids)})[0]
            mean = hidden[0].mean(axis=0)
            out[row] = mean / np.linalg.norm(mean)
        return out

    def embed(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        order = list(range(len(texts)))
        if self.sort:
            order.sort(key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), 32):
            batch = order[start : start + 32]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(batch):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, feeds)[0]
            pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            out[batch] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _best(embed: Any, texts: list[str]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = np.asarray(embed(texts), dtype=np.float32)
    return time.perf_counter() - started, vectors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--file", type=Path, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["STRATEGY_REVIEW_HOME"] = str(Path(tmp) / "home")
        run(Path(tmp), args)


def run(tmp: Path, args: argparse.Namespace) -> None:
    from pypdf import PdfReader

    from pipeline.documents import read_document
    from pipeline.embeddings import MiniLMEmbedder

    pdf = args.file
    if pdf is None:
        import render_pdfs

        pdf = render_pdfs.make_large_pdf(tmp / "big.pdf", pages=args.pages)
    print(f"load average at start: {_load()}")
    started = time.perf_counter()
    raw = [p.extract_text() for p in PdfReader(pdf).pages]
    raw_s = time.perf_counter() - started
    started = time.perf_counter()
    document = read_document(pdf)
    parse_s = time.perf_counter() - started
    texts = [c.text for c in document.chunks]
    embedders: dict[str, Any] = {
        "naive": NaiveEmbedder(sort=False).embed,
        "sorted-32": NaiveEmbedder(sort=True).embed,
        "pipeline-float": MiniLMEmbedder(int8=False).embed,
        "pipeline": MiniLMEmbedder().embed,
    }
    for embed in embedders.values():
        embed(texts[:8])  # warm-up: first-run allocations are not throughput
    alone = NaiveEmbedder(sort=False).embed_alone(texts)
    times: dict[str, list[float]] = {name: [] for name in embedders}
    vectors: dict[str, np.ndarray] = {}
    for _ in range(args.rounds):
        for name, embed in embedders.items():
            seconds, vectors[name] = _best(embed, texts)
            times[name].append(seconds)
    tokens = MiniLMEmbedder().tokenizer.encode_batch(texts)
    lengths = [len(t.ids) for t in tokens]
    print(
        f"pdf: {len(raw)} pages, {len(texts)} chunks, tokens per chunk median "
        f"{int(np.median(lengths))}, max {max(lengths)}"
    )
    naive = min(times["naive"])
    for name in embedders:
        best = min(times[name])
        cosine = float(np.min(np.sum(vectors[name] * alone, axis=1)))
        print(
            f"embed {name:<10}: {len(texts) / best:7.1f} chunks/s (best of {args.rounds}: "
            f"{best:.2f} s), x{naive / best:.2f} vs naive, min cosine vs one-at-a-time "
            f"{cosine:.5f}"
        )
    embed_s = min(times["pipeline"])
    print(f"raw pypdf extraction    : {raw_s:.2f} s ({len(raw) / raw_s:.0f} pages/s)")
    print(f"ingest parse+chunk      : {parse_s:.2f} s (x{parse_s / raw_s:.1f} raw pypdf)")
    print(
        f"ingest parse+chunk+embed: {parse_s + embed_s:.2f} s "
        f"(x{(parse_s + embed_s) / raw_s:.1f} raw pypdf)"
    )
    print(f"load average at end: {_load()}")


if __name__ == "__main__":
    main()
