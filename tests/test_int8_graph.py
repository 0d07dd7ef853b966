"""The int8-compute embedding graph: what the conversion makes, its cache, and the fallback."""

from __future__ import annotations

import logging
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from pipeline import int8_graph
from pipeline.embeddings import MINILM_NAME, MiniLMEmbedder, int8_name, minilm_files
from pipeline.ingest import ingest
from pipeline.store import Store, StoreError, document_collection

TEXTS = ["Our digital strategy puts residents first.", "Cloud hosting and cyber security."]


@pytest.fixture(autouse=True)
def _default_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRATEGY_REVIEW_EMBEDDINGS_INT8", raising=False)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    import onnx

    source = minilm_files()[0]
    out = tmp_path_factory.mktemp("int8") / "int8.onnx"
    out.write_bytes(int8_graph.convert(source))
    return onnx.load(str(source)), onnx.load(str(out))


def _arrays(model: object) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}  # type: ignore[attr-defined]


def test_every_weighted_matmul_becomes_integer_on_the_same_int8_values(converted) -> None:
    source, made = converted
    ops = [n.op_type for n in made.graph.node]
    inits = {i.name for i in source.graph.initializer}
    casts = {n.output[0] for n in source.graph.node if n.op_type == "Cast" and n.input[0] in inits}
    float_weights = {
        n.output[0] for n in source.graph.node if n.op_type == "Mul" and n.input[0] in casts
    }
    weighted = [
        n for n in source.graph.node if n.op_type == "MatMul" and n.input[1] in float_weights
    ]
    assert ops.count("MatMulIntegerToFloat") == len(weighted) == 36
    made_inits = {i.name for i in made.graph.initializer}
    assert not [
        n for n in made.graph.node if n.op_type == "MatMul" and n.input[1] in made_inits
    ]  # no float MatMul by a constant weight is left
    old, new = _arrays(source), _arrays(made)
    source_int8 = sorted(a.tobytes() for a in old.values() if a.dtype == np.int8 and a.ndim == 2)
    made_int8 = sorted(a.tobytes() for a in new.values() if a.dtype == np.int8 and a.ndim == 2)
    assert made_int8 == source_int8  # the weights are the model's own, bit for bit


def test_attention_gelu_and_norms_run_as_fused_kernels(converted) -> None:
    source, made = converted
    ops = Counter(n.op_type for n in made.graph.node)
    assert (
        ops["MultiHeadAttention"] == Counter(n.op_type for n in source.graph.node)["Softmax"] == 6
    )
    assert ops["Gelu"] == 6 and ops["LayerNormalization"] == 13
    assert not {"Softmax", "IsNaN", "Where", "Erf", "Transpose", "MatMul"} & set(ops)


@pytest.mark.parametrize("symmetric", [True, False])
def test_per_token_products_match_the_float_product(symmetric: bool) -> None:
    """One quantised product on its own, against numpy: a wrong scale or zero point fails."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    rng = np.random.default_rng(5)
    values = rng.integers(-127, 128, size=(64, 48), dtype=np.int8)
    scales = (rng.random(48) * 0.02 + 0.001).astype(np.float32)
    x = rng.standard_normal((9, 64)).astype(np.float32)
    x[0] = np.abs(x[0]) + 3.0  # a row all above zero
    x[1, 7] = 40.0  # a row with an outlier
    builder = int8_graph.Builder(1e-12)
    builder.constants()
    out = builder.product(
        builder.quantised("x", symmetric), int8_graph.Weight(values, scales, ()), "y"
    )
    graph = helper.make_graph(
        builder.nodes,
        "product",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 64])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, [None, 48])],
        builder.inits,
    )
    opsets = [helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = session.run(None, {"x": x})[0]
    want = x @ (values.astype(np.float32) * scales)
    with_zero = np.c_[x, np.zeros(len(x))]
    step = np.abs(x).max(axis=1) / 127 if symmetric else np.ptp(with_zero, axis=1) / 255
    bound = step[:, None] * np.abs(values.astype(np.float32) * scales).sum(axis=0) / 2
    assert np.all(np.abs(got - want) <= bound * 1.01 + 1e-5)
    assert np.max(np.abs(got - want)) > 0  # it really is the integer product


def test_a_model_not_laid_out_as_bert_is_refused() -> None:
    import onnx

    model = onnx.load(str(minilm_files()[0]))
    old = next(
        i.name for i in model.graph.initializer if "layer.2.intermediate.dense.bias" in i.name
    )
    for init in model.graph.initializer:
        if init.name == old:
            init.name = "renamed_bias"
    for node in model.graph.node:
        node.input[:] = ["renamed_bias" if n == old else n for n in node.input]
    with pytest.raises(
        int8_graph.Int8GraphError, match="encoder layer 2 is not laid out as in BERT"
    ):
        int8_graph.rewrite(model.graph)


def test_the_graph_is_cached_by_key_and_rebuilt_when_the_recipe_changes(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = minilm_files()[0]
    first = int8_graph.int8_model(source)
    assert first.is_file() and first.parent == home / "cache" / "models"
    stamp = first.stat().st_mtime_ns
    assert int8_graph.int8_model(source) == first and first.stat().st_mtime_ns == stamp
    monkeypatch.setattr(int8_graph, "RECIPE", "another-recipe")
    second = int8_graph.int8_model(source)
    assert second != first and second.is_file()
    assert not list(first.parent.glob(".*.tmp"))  # nothing half-written left behind


def test_without_onnx_the_float_graph_is_used_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx raises ImportError
    with caplog.at_level(logging.WARNING, logger="pipeline.embeddings"):
        embedder = MiniLMEmbedder()
    assert embedder.name == MINILM_NAME
    assert len(embedder.embed(TEXTS)) == 2
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "\n" not in messages[0]
    assert "using the float graph" in messages[0] and "onnx" in messages[0]
    assert not list((int8_graph.cache_dir() / "models").glob("*.onnx"))


def test_a_damaged_cached_graph_falls_back_then_is_rebuilt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = int8_graph.int8_model(minilm_files()[0])
    path.write_bytes(b"not an onnx model")
    with caplog.at_level(logging.WARNING, logger="pipeline.embeddings"):
        embedder = MiniLMEmbedder()
    assert embedder.name == MINILM_NAME and len(embedder.embed(TEXTS)) == 2
    assert len(caplog.records) == 1 and "unusable" in caplog.records[0].getMessage()
    assert MiniLMEmbedder().name == int8_name()  # the damaged file was removed and remade


def test_a_graph_that_strays_from_the_float_graph_is_refused(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(int8_graph, "SELF_CHECK", 1.01)  # no graph can pass
    with caplog.at_level(logging.WARNING, logger="pipeline.embeddings"):
        embedder = MiniLMEmbedder()
    assert embedder.name == MINILM_NAME
    assert "strays from the float graph" in caplog.records[0].getMessage()
    assert not list((int8_graph.cache_dir() / "models").glob("*.onnx"))


def test_the_environment_switch_keeps_the_float_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATEGY_REVIEW_EMBEDDINGS_INT8", "0")
    assert MiniLMEmbedder().name == MINILM_NAME


def test_a_collection_built_by_the_float_graph_is_rebuilt_not_mixed(pdfs: dict[str, Path]) -> None:
    old = Store(embedder=MiniLMEmbedder(int8=False))
    document, _ = ingest(pdfs["labelled"], store=old)
    name = document_collection(document.sha256)
    assert old.embedding_model(name) == MINILM_NAME
    new = Store(embedder=MiniLMEmbedder(int8=True))
    with pytest.raises(StoreError, match="was built with embeddings"):
        new.search(name, "council tax", 2)  # never queried with the other graph's vectors
    _, already = ingest(pdfs["labelled"], store=new)
    assert already is False
    assert new.embedding_model(name) == int8_name()
    assert new.search(name, "council tax payments", 1)


@pytest.mark.slow
def test_a_review_without_onnx_works_on_the_float_graph_with_one_line(tmp_path: Path) -> None:
    """End to end: ``import onnx`` fails in the CLI process; the review still completes."""
    import os
    import subprocess

    root = Path(__file__).resolve().parent.parent
    blocker = tmp_path / "block"
    blocker.mkdir()
    (blocker / "onnx.py").write_text("raise ImportError('onnx is blocked by this test')\n")
    env = {
        **os.environ,
        "STRATEGY_REVIEW_HOME": str(tmp_path / "home"),
        "PYTHONPATH": f"{blocker}{os.pathsep}{root}",
        "ANONYMIZED_TELEMETRY": "False",
    }
    sample = root / "examples" / "northbridge-digital-strategy.pdf"
    out = tmp_path / "out"
    code = "from pipeline.cli.app import main; main()"
    args = ["review", str(sample), "--model", "rules", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "float graph" in line]
    assert len(lines) == 1 and "onnx is blocked" in lines[0]
    assert (out / "review.json").is_file()
    assert not list((tmp_path / "home" / "cache" / "models").glob("*.onnx"))
