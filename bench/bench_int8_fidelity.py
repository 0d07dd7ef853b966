"""How far the int8-compute MiniLM graph moves vectors and retrieval from the float graph.

    python bench/bench_int8_fidelity.py [--pdf PDF ...] [--graph ONNX]

- cosine of new vs old vectors (min and mean) over the test texts of tests/test_embeddings.py,
  every chunk of examples/northbridge-digital-strategy.pdf and of each ``--pdf`` (default: the
  first four PDFs of ../shared/pdf, read only, when present);
- retrieval on the sample, for each of the rubric's items: the top-k evidence of
  ``retrieve_evidence`` (dense + BM25, real Chroma in a temporary home) with each graph, and each
  query's dense top ``k_dense`` chunk ids; it prints how many items differ and by how much.
``--graph`` compares another int8 graph file (a variant under trial) instead of the shipped one.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "examples" / "northbridge-digital-strategy.pdf"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "pdf"  # ../shared, read only


def embedders(graph: Path | None) -> tuple[object, object]:
    import onnxruntime as ort

    from pipeline.embeddings import CPU, MiniLMEmbedder, session_options

    old, new = MiniLMEmbedder(int8=False), MiniLMEmbedder(int8=True)
    if graph is not None:
        new.session = ort.InferenceSession(str(graph), session_options(), providers=CPU)
        new.name = f"trial:{graph.name}"
    return old, new


def cosines(old: object, new: object, texts: list[str]) -> np.ndarray:
    a = np.asarray(old.embed(texts), dtype=np.float32)  # type: ignore[attr-defined]
    b = np.asarray(new.embed(texts), dtype=np.float32)  # type: ignore[attr-defined]
    return np.sum(a * b, axis=1)


def report(label: str, values: np.ndarray) -> None:
    print(
        f"{label:<58}: {len(values):5d} texts, cosine min {values.min():.5f} "
        f"mean {values.mean():.5f}, below 0.99: {int(np.sum(values < 0.99))}"
    )


def retrieval(old: object, new: object) -> None:
    from pipeline.documents import read_document
    from pipeline.ingest import ingest
    from pipeline.retrieval import RetrievalSettings, retrieve_evidence
    from pipeline.rubric import load_rubric
    from pipeline.store import Store

    items = load_rubric().items
    settings = RetrievalSettings()
    document = read_document(SAMPLE)
    chunks = [c.text for c in document.chunks]
    ids = [c.id for c in document.chunks]
    dense: dict[str, list[list[str]]] = {}
    fused: dict[str, list[list[str]]] = {}
    for label, embedder in (("old", old), ("new", new)):
        with tempfile.TemporaryDirectory() as home:
            os.environ["STRATEGY_REVIEW_HOME"] = home
            store = Store(embedder=embedder)  # type: ignore[arg-type]
            doc, _ = ingest(SAMPLE, store=store)
            fused[label] = [
                [r.chunk.id for r in retrieve_evidence(doc, item, store, settings)]
                for item in items
            ]
        vectors = np.asarray(embedder.embed(chunks), dtype=np.float32)  # type: ignore[attr-defined]
        queries = [q for item in items for q in item.queries]
        qv = np.asarray(embedder.embed(queries), dtype=np.float32)  # type: ignore[attr-defined]
        order = np.argsort(-(qv @ vectors.T), axis=1)[:, : settings.k_dense]
        dense[label] = [[ids[i] for i in row] for row in order]
    differ = [i for i, item in enumerate(items) if fused["old"][i] != fused["new"][i]]
    sets = [i for i in differ if set(fused["old"][i]) != set(fused["new"][i])]
    print(
        f"retrieve_evidence top-{settings.k_evidence} on the sample: {len(items)} items, "
        f"{len(items) - len(differ)} identical, {len(differ)} differ in order or content, "
        f"{len(sets)} in content"
    )
    for i in differ:
        overlap = len(set(fused["old"][i]) & set(fused["new"][i]))
        print(f"  {items[i].id}: overlap {overlap}/{settings.k_evidence}")
    same = sum(a == b for a, b in zip(dense["old"], dense["new"], strict=True))
    same_sets = sum(set(a) == set(b) for a, b in zip(dense["old"], dense["new"], strict=True))
    mean_overlap = float(
        np.mean([len(set(a) & set(b)) for a, b in zip(dense["old"], dense["new"], strict=True)])
    )
    print(
        f"dense top-{settings.k_dense} per query: {len(dense['old'])} queries, {same} identical "
        f"in order, {same_sets} same set, mean overlap {mean_overlap:.2f}/{settings.k_dense}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pdf", type=Path, action="append", default=None)
    parser.add_argument("--graph", type=Path, default=None)
    args = parser.parse_args()
    from pipeline.documents import read_document

    sys.path.insert(0, str(ROOT / "tests"))
    from test_embeddings import varied_texts

    with tempfile.TemporaryDirectory() as home:
        os.environ.setdefault("STRATEGY_REVIEW_HOME", home)
        old, new = embedders(args.graph)
        print(f"old: {old.name}\nnew: {new.name}")  # type: ignore[attr-defined]
        report("tests/test_embeddings.py texts", cosines(old, new, varied_texts()))
        pdfs = args.pdf or (sorted(SHARED.glob("*.pdf"))[:4] if SHARED.is_dir() else [])
        everything = []
        for pdf in [SAMPLE, *pdfs]:
            values = cosines(old, new, [c.text for c in read_document(pdf).chunks])
            everything.append(values)
            report(pdf.name, values)
        report("all PDF chunks", np.concatenate(everything))
        retrieval(old, new)


if __name__ == "__main__":
    main()
